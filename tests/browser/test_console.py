"""Boissipay browser test of the console (console/, served by the gateway), in a real headless
Chromium (browser.py), against the four daemons and an SMTP sink behind a test-started nginx
(tests/support/gateway_stack.py, on the ctest `stack` fixture).

The finance team's month, through the console only, except the purchases, which sales
systems post (here: HTTP through the gateway, as they would):
  - the API key is asked once and kept in sessionStorage (not localStorage);
  - a contract is created with the form; creating it again shows the API's own errorCode
    and message in the alert region;
  - suspended and reactivated with its buttons;
  - purchases until the credit limit refuses one: the contract's page shows the outstanding
    and available amounts formatted for the currency, the refused operation with its reason
    (CREDIT_LIMIT_EXCEEDED and billing's message), and the chart;
  - the billing run of the month: the dry run's preview, then the run;
  - the invoice turns PAID (mailed, then debited), its lines and VAT shown, and its PDF
    downloads (a PDF whose text carries the invoice total);
  - payments and dead letters pages;
  - on every page: no console error but the expected refusal, nothing loaded from
    elsewhere, the focus on the page's heading, every form control labelled;
  - a screenshot of every page: <artifacts>/console-<page>.png.
Exit 1 on the first failure, saying which; logs stay in $BPT_STATE_DIR/browser-console/.
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import time

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from browser import browser_errors, foreign_resources, headless_chrome, save_screenshot, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gateway_stack import GatewayStack, StackError, call, env  # noqa: E402

KEY = "browser-console-key-0123456789"
REF = "CTR-WEB-001"
LIMIT = "300.00"


def log(msg):
    print(f"[browser-console] {msg}", flush=True)


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)
    log(f"ok: {msg}")


def css(root, selector):
    return root.find_elements(By.CSS_SELECTOR, selector)


def one(root, selector):
    found = css(root, selector)
    if not found:
        raise Failure(f"nothing matches {selector!r}")
    return found[0]


class Console:
    def __init__(self, driver, stack, artifacts):
        self.d, self.stack, self.artifacts = driver, stack, artifacts
        self.expected_errors = []

    def go(self, path):
        self.d.execute_script("location.hash = arguments[0]", f"#{path}")
        self.wait_page(path)

    def wait_page(self, path, timeout=20):
        wait_for(self.d, lambda d: d.execute_script(
            "return document.body.dataset.ready === arguments[0] && !document.querySelector('main[aria-busy]')",
            path), timeout, f"page {path} did not load")

    def page_checks(self, name):
        """What every page must hold, then its screenshot."""
        errors = [e for e in browser_errors(self.d)
                  if not any(x in e for x in self.expected_errors)]
        check(not errors, f"{name}: no console error ({errors})")
        foreign = foreign_resources(self.d)
        check(not foreign, f"{name}: nothing loaded from elsewhere than the gateway ({foreign})")
        focused = self.d.execute_script(
            "const e = document.activeElement; return e && e !== document.body ? e.tagName + (e.id ? '#' + e.id : '') : 'BODY'")
        check(focused != "BODY", f"{name}: the focus is kept on the page (on {focused})")
        unlabelled = self.d.execute_script(
            "return [...document.querySelectorAll('main input, main select')]"
            ".filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label'))"
            ".map(e => e.name)")
        check(not unlabelled, f"{name}: every form control has a label ({unlabelled})")
        shot = save_screenshot(self.d, os.path.join(self.artifacts, f"console-{name}.png"))
        log(f"screenshot {shot}")

    def fill(self, form, name, value):
        el = one(form, f'[name="{name}"]')
        self.d.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", el, value)

    def alert_text(self, timeout=10):
        return wait_for(self.d, lambda d: one(d, "#errors").text.strip() or None, timeout,
                        "no error shown in the alert region")


def buy(stack, order_ref, amount, today):
    st, _, body = call("POST", stack.api("billing", "/operations"), KEY, {
        "contractRef": REF, "operationAt": today,
        "order": {"orderRef": order_ref, "currencyCode": "EUR", "orderType": "PS",
                  "orderItems": [{"productItems": [{"productLabel": "Paris-Lyon", "quantity": 1,
                                                    "unitPrice": amount, "vatRate": 10}]}]}})
    return st, body


def run(console, stack, tmp_downloads):
    d = console.d
    today = datetime.date.today().isoformat()
    month = today[:7]
    year = today[:4]

    d.get(f"{stack.url}/")
    field = wait_for(d, lambda d: next(iter(css(d, "#key-dialog[open] #key-input")), None), 20,
                     "the API key is not asked")
    check(d.execute_script("return document.activeElement.id") == "key-input",
          "the key dialog takes the focus")
    field.send_keys(KEY)
    one(d, "#key-form button[type=submit]").click()
    console.wait_page("/contracts")
    check(d.execute_script("return sessionStorage.getItem('boissipay.apiKey')") == KEY
          and d.execute_script("return localStorage.length") == 0,
          "the key is kept in sessionStorage only")

    # Create the contract with the form.
    form = one(d, "#create-contract")
    for name, value in [("contractRef", REF), ("expireAt", "2027-12-31"), ("customerRef", "WEB"),
                        ("lastName", "Martin"), ("mail", "martin@web.example"),
                        ("invoiceEmail", "ap@web.example"), ("limit", LIMIT),
                        ("mandateRef", "MDT-WEB-001"), ("iban", "DE89370400440532013000"),
                        ("paymentTermDays", "0")]:
        console.fill(form, name, value)
    one(form, "button[type=submit]").click()
    wait_for(d, lambda d: f"Created {REF}" in one(d, "#create-contract .result").text, 20,
             "the contract was not created")
    wait_for(d, lambda d: REF in one(d, "#contract-list").text, 10, "the new contract is not listed")
    check(True, f"{REF} created with the form and listed")

    # The same again: the contract service refuses it, and the console says how.
    st, _, body = call("POST", stack.api("contract", "/contracts"), KEY, {
        "contractRef": REF, "contractType": "DEFERRED_BILLING", "createdAt": today,
        "activatedAt": today, "expireAt": "2027-12-31", "distributor": {"distributorRef": "esgi SA"},
        "subscriber": {"subscriberType": "PROFESSIONNAL", "party": {"customerRef": "WEB"},
                       "contactPerson": {"lastName": "Martin", "mail": "martin@web.example"}},
        "payment": {"mandate": {"reference": "MDT-WEB-001", "iban": "DE89370400440532013000",
                                "signedAt": today}},
        "billing": {"creditLimit": {"amount": LIMIT, "currency": "EUR"},
                    "invoiceEmail": "ap@web.example", "paymentTermDays": 0}})
    code, message = body["errors"][0]["errorCode"], body["errors"][0].get("message", "")
    console.expected_errors.append("/api/contract/contracts - Failed to load resource")
    one(form, "button[type=submit]").click()
    shown = console.alert_text()
    check(st == 409 and code in shown and message in shown,
          f"a refused creation shows the API's {code} and its message ({shown!r})")
    console.page_checks("contracts")

    # The contract's page: suspend, reactivate.
    one(d, f'#contract-list a[href="#/contracts/{REF}"]').click()
    console.wait_page(f"/contracts/{REF}")
    for action, status in (("Suspend", "SUSPENDED"), ("Reactivate", "ACTIVE")):
        button = next(b for b in css(d, "#contract-actions button") if b.text == action)
        button.click()
        wait_for(d, lambda d: status in one(d, "#contract-details").text and
                 not css(d, "#contract-actions button[aria-busy]"), 15, f"{action} did not give {status}")
        console.wait_page(f"/contracts/{REF}")
    check(call("GET", stack.api("contract", f"/contracts/{REF}"), KEY)[2]["version"] == 3,
          "suspended and reactivated with the console's buttons (version 3)")

    # Billing knows the contract's last version; then purchases until the limit refuses.
    deadline = time.monotonic() + 20
    while call("GET", stack.api("billing", f"/contracts/{REF}/account"), KEY)[2].get("version") != 3:
        if time.monotonic() > deadline:
            raise Failure("billing does not follow the contract")
        time.sleep(0.1)
    outcomes = [buy(stack, f"ORD-WEB-{i}", "100.00", today) for i in (1, 2, 3)]
    check([o[0] for o in outcomes] == [201, 201, 422]
          and outcomes[2][1]["errors"][0]["errorCode"] == "CREDIT_LIMIT_EXCEEDED",
          "two purchases of 110.00 accepted, the third refused CREDIT_LIMIT_EXCEEDED")
    reason = outcomes[2][1]["errors"][0]["message"]
    d.refresh()
    console.wait_page(f"/contracts/{REF}")
    figures = {e.get_attribute("data-figure"): e.text for e in css(d, "[data-figure]")}
    check(figures == {"limit": "€300.00", "outstanding": "€220.00", "available": "€80.00"},
          f"the account shows limit, outstanding and available in euros ({figures})")
    ops = one(d, "#operations").text
    check("REJECTED" in ops and "CREDIT_LIMIT_EXCEEDED" in ops and reason in ops,
          f"the refused purchase is listed with its reason ({reason!r})")
    check(len(css(d, "#account svg.chart path.line")) == 1, "the chart of the outstanding balance is drawn")
    console.page_checks("contract")

    # The month's billing run: preview, then the run.
    one(d, 'nav a[data-page="billing-runs"]').click()
    console.wait_page("/billing-runs")
    console.fill(one(d, "form.filters"), "period", month)
    check(one(d, "#run-real").get_attribute("disabled") is not None, "no run before a preview")
    one(d, "#run-dry").click()
    wait_for(d, lambda d: "Dry run" in one(d, "#run-preview").text, 20, "no dry-run preview")
    preview = one(d, "#run-preview").text
    check("1 invoice(s) would be issued" in preview and "€220.00" in preview,
          f"the dry run previews one invoice of €220.00 (200.00 + 10 % VAT): {preview!r}")
    check(call("GET", stack.api("billing", "/invoices"), KEY, None)[2]["metadata"]["totalItems"] == 0,
          "the dry run issued nothing")
    one(d, "#run-real").click()
    wait_for(d, lambda d: css(d, "#run-result"), 20, "no run result")
    check("1 issued" in one(d, "#run-result").text, "the run issued one invoice")
    console.page_checks("billing-runs")

    # The invoice: mailed, then debited (term 0 days): PAID.
    inv = f"INV-{year}-000001"
    deadline = time.monotonic() + 30
    while True:
        console.go(f"/invoices/{inv}")
        if (one(d, "#invoice-status").text == "PAID" and css(d, "#mail-status")
                and one(d, "#mail-status").text == "SENT" and css(d, "#payment-status")
                and one(d, "#payment-status").text == "SUCCEEDED"):
            break
        if time.monotonic() > deadline:
            raise Failure(f"{inv} is {one(d, '#invoice-status').text}, not PAID, after 30 s")
        time.sleep(0.5)
        console.go("/invoices")
    check(True, f"{inv} turned PAID: mail SENT, debit SUCCEEDED")
    # While it was on its way, the page said so (a 404 of the mail not there yet, which the
    # browser logs too): forget those, and load the page once more, settled.
    browser_errors(d)
    d.refresh()
    console.wait_page(f"/invoices/{inv}")
    text = one(d, "#invoice-detail").text
    check("ORD-WEB-1" in text and "ORD-WEB-3" not in text and "10 %" in text
          and one(d, "#invoice-total").text == "€220.00",
          "the invoice shows its two lines, the VAT at 10 % and the total €220.00")
    one(d, "#invoice-pdf").click()
    pdf = os.path.join(tmp_downloads, f"{inv}.pdf")
    wait_for(d, lambda d: os.path.isfile(pdf) and os.path.getsize(pdf) > 0, 20, "the PDF did not download")
    with open(pdf, "rb") as f:
        check(f.read(5) == b"%PDF-", "the PDF downloaded is a PDF")
    txt = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True).stdout
    check("220.00" in txt and inv in txt, "its text carries the invoice number and total")
    console.page_checks("invoices")

    one(d, 'nav a[data-page="payments"]').click()
    console.wait_page("/payments")
    check("SUCCEEDED" in one(d, "#payment-list").text and "€220.00" in one(d, "#payment-list").text,
          "the payments page lists the debit of €220.00, SUCCEEDED")
    console.page_checks("payments")

    one(d, 'nav a[data-page="dead-letters"]').click()
    console.wait_page("/dead-letters")
    rows = css(d, "#dead-letter-counts tbody tr")
    check(len(rows) == 3 and all(r.text.split()[1] == "0" for r in rows),
          "the dead-letters page counts none for billing, payment and invoice-mailer")
    console.page_checks("dead-letters")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", help="folder of the screenshots (BPT_BIN_DIR/artifacts)")
    args = ap.parse_args()
    artifacts = args.artifacts or os.path.join(env("BPT_BIN_DIR"), "artifacts")
    state = os.path.join(env("BPT_STATE_DIR"), "browser-console")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    stack = GatewayStack("browser_console", state, KEY)
    failed = None
    t0 = time.monotonic()
    try:
        stack.prepare()
        stack.start()
        log(f"gateway {stack.url}, daemons {stack.ports}")
        downloads = os.path.join(state, "downloads")
        with headless_chrome(download_dir=downloads, width=1280, height=900,
                             log_path=os.path.join(state, "chromedriver.log")) as driver:
            run(Console(driver, stack, artifacts), stack, downloads)
    except (Failure, TimeoutException, StackError, subprocess.CalledProcessError) as e:
        failed = str(e) or repr(e)
    finally:
        died = stack.stop()
    if died:
        failed = "; ".join(filter(None, [failed] + died))
    if failed:
        log(f"ERROR: {failed} (logs in {state})")
        return 1
    log(f"the console passes ({time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
