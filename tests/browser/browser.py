"""Boissipay browser tests: a real headless Chromium under Selenium, shared by the tests
of this folder.

Debian's chromium, driven through Debian's chromedriver (scripts/install-deps.sh installs
both); Selenium Manager is kept offline, so nothing is ever downloaded. Run with the venv
of tests/browser/tools.sh.

    with headless_chrome(download_dir=...) as driver:
        driver.get(url)
        save_screenshot(driver, path)
"""

import base64
import contextlib
import os
import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

# Nothing from the network: Selenium Manager would otherwise look for a driver online.
os.environ.setdefault("SE_OFFLINE", "true")

CHROMIUM = os.environ.get("BP_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BP_CHROMEDRIVER", "/usr/bin/chromedriver")


@contextlib.contextmanager
def headless_chrome(download_dir=None, width=1280, height=1024, log_path=None):
    """Yields a headless Chromium (a webdriver.Chrome) with a fresh profile that is removed
    afterwards; the browser quits on leaving the block.

    download_dir: where downloads land, without asking (created if missing); None: a folder
    of the temporary profile. The console (every level) is kept for browser_errors().
    log_path: chromedriver's log file (None: none)."""
    profile = tempfile.mkdtemp(prefix="bp-chrome-")
    downloads = os.path.abspath(download_dir or os.path.join(profile, "downloads"))
    os.makedirs(downloads, exist_ok=True)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=en-US",
    ):
        opts.add_argument(arg)
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox
        opts.add_argument("--no-sandbox")
    opts.add_experimental_option(
        "prefs",
        {
            "download.default_directory": downloads,
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=log_path)
    driver = None
    try:
        driver = webdriver.Chrome(options=opts, service=service)
        driver.set_page_load_timeout(60)
        # Headless Chromium needs to be told again where downloads go.
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": downloads, "eventsEnabled": True},
        )
        driver.download_dir = downloads
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, predicate, timeout=30, message=""):
    """Waits until predicate(driver) is truthy and returns its value; raises
    selenium's TimeoutException with `message` after `timeout` seconds."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(predicate, message)


def save_screenshot(driver, path, full_page=True):
    """Saves a PNG of the page into `path` (folders created): the whole page, however
    long, when full_page, else the viewport. Returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not full_page:
        driver.save_screenshot(path)
        return path
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    return path


def browser_errors(driver):
    """The console messages of level SEVERE since the last call (a failed load, a
    Content-Security-Policy violation, an uncaught exception), as strings."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def foreign_resources(driver):
    """The URLs the page loaded from anywhere but its own origin (performance entries)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".map(e => e.name).filter(n => !n.startsWith(location.origin + '/'));"
    )
