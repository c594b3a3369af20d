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
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import yaml
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from browser import browser_errors, foreign_resources, headless_chrome, save_screenshot, wait_for

KEY = "browser-docs-key-0123456789"
NAME = "browser_docs"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# daemon: (binary below BPT_BIN_DIR/services, database suffix, the GET that needs a key)
DAEMONS = {
    "contract": ("contract/boissipay-contract", "contract", "/contracts"),
    "billing": ("billing/boissipay-billing", "billing", "/operations"),
    "payment": ("payment/boissipay-payment", "payment", "/payments"),
    "invoice-mailer": ("invoice-mailer/boissipay-invoice-mailer", "mailer", "/mails"),
}


def log(msg):
    print(f"[browser-docs] {msg}", flush=True)


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"[browser-docs] ERROR: {name} is not set (run through ctest)")
    return v


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def operations(spec):
    """(method, path) of every operation of an OpenAPI document, in its order."""
    return [
        (m.lower(), path)
        for path, item in spec["paths"].items()
        for m in item
        if m.lower() in METHODS
    ]


class Stack:
    """The four daemons (and an SMTP sink for the mailer), stopped by stop()."""

    def __init__(self, root, bin_dir, state):
        self.root, self.bin_dir, self.state = root, bin_dir, state
        self.procs, self.ports = [], {}

    def prepare(self):
        admin = env("BPT_PG_ADMIN_URL")
        for db in {d[1] for d in DAEMONS.values()}:
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", admin,
                 "-c", f"DROP DATABASE IF EXISTS {NAME}_{db} WITH (FORCE)",
                 "-c", f"CREATE DATABASE {NAME}_{db}"],
                check=True, stdout=subprocess.DEVNULL,
                env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"})
        topics = " ".join(f"{NAME}.{t}" for t in
                          ("contract", "operation", "invoice", "payment", "dead-letter"))
        kafka_port = env("BPT_KAFKA").rsplit(":", 1)[1]
        subprocess.run(
            ["bash", "-c",
             'BP_LOG_TAG=browser-docs; source "$0/scripts/lib/common.sh"; '
             'source "$0/scripts/lib/kafka.sh"; '
             f'kafka_create_topics "$1/kafka" {kafka_port} 1 {topics}',
             self.root, env("BPT_STATE_DIR")],
            check=True)

    def spawn(self, name, argv, extra):
        out = open(os.path.join(self.state, f"{name}.log"), "wb")
        p = subprocess.Popen(argv, env={**os.environ, **extra}, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append((name, p))
        return p

    def start(self):
        smtp = free_port()
        mail = os.path.join(self.state, "mail")
        os.makedirs(mail, exist_ok=True)
        self.spawn("smtp", ["/usr/bin/python3", os.path.join(self.root, "tests/support/smtp_sink.py"),
                            "--port", str(smtp), "--dir", mail], {})
        admin = env("BPT_PG_ADMIN_URL")
        common = {
            "BP_HTTP_BIND": "127.0.0.1",
            "BP_KAFKA_BROKERS": env("BPT_KAFKA"),
            "BP_API_KEYS": f"{KEY}:rw",
            "BP_OUTBOX_POLL_MS": "200",
            "BP_SHUTDOWN_GRACE_SECONDS": "2",
            "BP_HTTP_ACCESS_LOG": "true",
            "BP_BILLING_SCHEDULE": "false",
            "BP_SMTP_URL": f"smtp://127.0.0.1:{smtp}",
        }
        for t in ("contract", "operation", "invoice", "payment", "dead-letter"):
            common["BP_TOPIC_" + t.upper().replace("-", "_")] = f"{NAME}.{t}"
        for svc, (binary, db, _) in DAEMONS.items():
            self.ports[svc] = free_port()
            self.spawn(svc, [os.path.join(self.bin_dir, "services", binary)], {
                **common,
                "BP_HTTP_PORT": str(self.ports[svc]),
                "BP_DATABASE_URL": f"{admin.rsplit('/', 1)[0]}/{NAME}_{db}",
                "BP_CONSUMER_GROUP": f"{NAME}-{svc}",
            })
        for svc, port in self.ports.items():
            deadline = time.monotonic() + 60
            while http_status(f"http://127.0.0.1:{port}/ready") != 200:
                check(time.monotonic() < deadline,
                      f"{svc} is not ready (log: {self.state}/{svc}.log)")
                time.sleep(0.1)
        log("daemons ready: " + ", ".join(f"{s} {p}" for s, p in self.ports.items()))

    def stop(self):
        for _, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        died = []
        for name, p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if name != "smtp" and p.returncode != 0:
                died.append(f"{name} exited {p.returncode}")
        return died


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

    path = DAEMONS[svc][2]
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
    root = env("BPT_SOURCE_DIR")
    bin_dir = env("BPT_BIN_DIR")
    artifacts = args.artifacts or os.path.join(bin_dir, "artifacts")
    state = os.path.join(env("BPT_STATE_DIR"), "browser-docs")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    stack = Stack(root, bin_dir, state)
    failed = None
    try:
        stack.prepare()
        stack.start()
        with headless_chrome(download_dir=os.path.join(state, "downloads"),
                             log_path=os.path.join(state, "chromedriver.log")) as driver:
            for svc, port in stack.ports.items():
                check_daemon(driver, root, svc, port, artifacts)
    except (Failure, TimeoutException) as e:
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
