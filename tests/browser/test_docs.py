"""Boissipay browser test of the API docs every daemon serves (GET /docs, lib/common/bp_docs.h),
in a real headless Chromium (browser.py).

Starts the four daemons against the test stack (the ctest fixture `stack`: PostgreSQL and
Kafka of scripts/test-stack.sh) on free ports, each on a fresh database and topics of its
own, then for each daemon:
  - /docs loads (from the daemon alone: no resource from another origin, no error in the
    console, hence no Content-Security-Policy violation), titled as its spec;
  - it lists every operation of openapi/<daemon>.yaml (as many opblocks, the same paths);
  - "Try it out" → Execute of a list route (GET /contracts, /operations, /payments,
    /mails) answers 401 without a key, then, after "Authorize" with the key, 200 from the
    running daemon, the curl line shown carrying the bearer key;
  - a screenshot of the page goes to <artifacts>/docs-<daemon>.png.
Environment: the BPT_* variables of ctest (tests/CMakeLists.txt). Exits non-zero on the
first failure, saying which; the daemons' logs stay in $BPT_STATE_DIR/browser-docs/.
"""

import argparse
import os
import shutil
import sys
import time

import yaml
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from browser import browser_errors, foreign_resources, headless_chrome, save_screenshot, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gateway_stack import GatewayStack, StackError, env  # noqa: E402

KEY = "browser-docs-key-0123456789"
NAME = "browser_docs"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# daemon: the list route whose "Try it out" needs the key
LIST_ROUTES = {
    "contract": "/contracts",
    "billing": "/operations",
    "payment": "/payments",
    "invoice-mailer": "/mails",
}


def log(msg):
    print(f"[browser-docs] {msg}", flush=True)


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def operations(spec):
    """(method, path) of every operation of an OpenAPI document, in its order."""
    return [
        (m.lower(), path)
        for path, item in spec["paths"].items()
        for m in item
        if m.lower() in METHODS
    ]


def css(root, selector):
    return root.find_elements(By.CSS_SELECTOR, selector)


def opblock(driver, method, path):
    for block in css(driver, f".opblock.opblock-{method}"):
        if css(block, f'.opblock-summary-path[data-path="{path}"]'):
            return block
    raise Failure(f"no operation {method.upper()} {path} on the page")


def execute(driver, block):
    """Clicks Execute in an expanded, tried-out opblock; returns the status shown and
    the curl command line."""
    for old in css(block, ".btn-clear"):  # the previous answer, if any
        old.click()
    wait_for(driver, lambda d: not css(block, ".live-responses-table"), 10,
             "the previous response stays shown")
    css(block, ".btn.execute")[0].click()
    status = wait_for(
        driver,
        lambda d: next((e.text.strip() for e in css(block, ".live-responses-table "
                                                      "tr.response .response-col_status") if e.text.strip()),
                       None),
        30, "no response shown after Execute")
    curl = " ".join(e.text for e in css(block, ".curl-command, .curl"))
    return status, curl


def authorize(driver, key):
    css(driver, ".auth-wrapper .btn.authorize")[0].click()
    field = wait_for(driver, lambda d: next(iter(css(d, ".modal-ux input")), None), 10,
                     "the Authorize dialog has no key field")
    field.send_keys(key)
    css(driver, ".modal-ux .auth-btn-wrapper .btn.authorize")[0].click()
    wait_for(driver, lambda d: css(d, ".modal-ux .auth-btn-wrapper .btn-done"), 10,
             "the Authorize dialog did not accept the key")
    css(driver, ".modal-ux .auth-btn-wrapper .btn-done")[0].click()
    wait_for(driver, lambda d: not css(d, ".modal-ux"), 10, "the Authorize dialog stays open")


def check_daemon(driver, root, svc, port, artifacts):
    spec_path = os.path.join(root, "openapi", f"{svc}.yaml")
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    ops = operations(spec)
    base = f"http://127.0.0.1:{port}"
    browser_errors(driver)  # forget what the previous page logged (its 401)
    t0 = time.monotonic()
    driver.get(f"{base}/docs")
    try:
        wait_for(driver, lambda d: len(css(d, ".opblock")) >= len(ops), 30)
    except TimeoutException:
        raise Failure(f"{svc}: /docs shows {len(css(driver, '.opblock'))} operations "
                      f"after 30 s, the spec has {len(ops)}")
    load_s = time.monotonic() - t0
    shown = [(m, css(b, ".opblock-summary-path")[0].get_attribute("data-path"))
             for b in css(driver, ".opblock")
             for m in [next(c[len("opblock-"):] for c in b.get_attribute("class").split()
                            if c.startswith("opblock-"))]]
    check(len(shown) == len(ops), f"{svc}: {len(shown)} operations shown, spec has {len(ops)}")
    check(sorted(shown) == sorted(ops), f"{svc}: shown {sorted(shown)} != spec {sorted(ops)}")
    check(driver.title == spec["info"]["title"],
          f"{svc}: page title {driver.title!r}, spec title {spec['info']['title']!r}")
    errors = browser_errors(driver)
    check(not errors, f"{svc}: console errors on load: {errors}")
    foreign = foreign_resources(driver)
    check(not foreign, f"{svc}: resources from elsewhere than the daemon: {foreign}")

    path = LIST_ROUTES[svc]
    block = opblock(driver, "get", path)
    css(block, ".opblock-summary-control, .opblock-summary")[0].click()
    wait_for(driver, lambda d: css(block, ".try-out__btn"), 10, f"{svc}: no Try it out button")
    css(block, ".try-out__btn")[0].click()
    wait_for(driver, lambda d: css(block, ".btn.execute"), 10, f"{svc}: no Execute button")
    status, curl = execute(driver, block)
    check(status == "401", f"{svc}: GET {path} without a key showed {status}, not 401")
    authorize(driver, KEY)
    status, curl = execute(driver, block)
    check(status == "200", f"{svc}: GET {path} with the key showed {status}, not 200")
    check(f"Authorization: Bearer {KEY}" in curl,
          f"{svc}: the request shown does not carry the key: {curl!r}")
    check(f"{base}{path}" in curl, f"{svc}: the request went elsewhere than {base}: {curl!r}")
    body = " ".join(e.text for e in css(block, ".live-responses-table tr.response .response-col_description"))
    check('"totalItems"' in body, f"{svc}: the 200 shown is not a list answer: {body[:200]!r}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", block)
    shot = save_screenshot(driver, os.path.join(artifacts, f"docs-{svc}.png"))
    log(f"{svc}: /docs loaded in {load_s:.2f} s, {len(ops)} operations listed, "
        f"GET {path}: 401 without the key, 200 with it; screenshot {shot}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", help="folder of the screenshots (BPT_BIN_DIR/artifacts)")
    args = ap.parse_args()
    try:
        root, bin_dir, state_dir = (env(v) for v in ("BPT_SOURCE_DIR", "BPT_BIN_DIR", "BPT_STATE_DIR"))
    except StackError as e:
        sys.exit(f"[browser-docs] ERROR: {e}")
    artifacts = args.artifacts or os.path.join(bin_dir, "artifacts")
    state = os.path.join(state_dir, "browser-docs")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    stack = GatewayStack(NAME, state, KEY)  # the daemons alone: no gateway in front
    failed = None
    try:
        stack.prepare()
        stack.start(gateway=False)
        log("daemons ready: " + ", ".join(f"{s} {p}" for s, p in stack.ports.items()))
        with headless_chrome(download_dir=os.path.join(state, "downloads"),
                             log_path=os.path.join(state, "chromedriver.log")) as driver:
            for svc, port in stack.ports.items():
                check_daemon(driver, root, svc, port, artifacts)
    except (Failure, StackError, TimeoutException) as e:
        failed = str(e) or repr(e)
    finally:
        died = stack.stop()
    if died:
        failed = "; ".join(filter(None, [failed] + died))
    if failed:
        log(f"ERROR: {failed} (logs in {state})")
        return 1
    log("all four daemons' docs pages pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
