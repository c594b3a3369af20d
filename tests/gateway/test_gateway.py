#!/usr/bin/env python3
"""The gateway in front of the four daemons (ctest `gateway.walkthrough`, labels gateway and
integration), against the `stack` fixture: the four daemons, an SMTP sink and nginx with the
configuration of deploy/nginx/boissipay.conf.template (tests/support/gateway_stack.py). Checked:
  - the README's curl walkthrough (walkthrough.py), every URL turned into the gateway's
    /api/<daemon>/, runs and answers as the README says (the refusals it shows, the dry run's
    275.00), and the invoice it issues turns PAID, seen through the gateway;
  - Authorization and Idempotency-Key reach the daemons (401 without the key; the same key
    replays, another body with it is IDEMPOTENCY_KEY_REUSED); Location is rewritten under
    the prefix;
  - the gateway's own answers have the ErrorResponse shape: 413 PAYLOAD_TOO_LARGE past
    65536 bytes without reaching the daemon, 404 for a route it does not know;
  - / serves the console with its Content-Security-Policy;
  - the access log is one JSON object a line, never carrying the key.
Exit 1 on a failed check; logs stay in $BPT_STATE_DIR/gateway-test/.
"""

import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gateway_stack import GatewayStack, StackError, call, env  # noqa: E402
from walkthrough import script  # noqa: E402

KEY = "gateway-test-key-0123456789"
failures = []


def check(ok, what, detail=""):
    print(f"{'OK  ' if ok else 'FAIL'}  {what}{'' if ok or not detail else ': ' + str(detail)[:400]}",
          flush=True)
    if not ok:
        failures.append(what)
    return ok


def contract_body(ref, limit="1000.00"):
    return {
        "contractRef": ref, "contractType": "DEFERRED_BILLING",
        "createdAt": "2026-01-02", "activatedAt": "2026-01-05", "expireAt": "2027-12-31",
        "distributor": {"distributorRef": "esgi SA"},
        "subscriber": {"subscriberType": "PROFESSIONNAL", "party": {"customerRef": "GW"},
                       "contactPerson": {"lastName": "DOE", "mail": "doe@gw.example"}},
        "payment": {"mandate": {"reference": f"MDT-{ref}", "iban": "DE89370400440532013000",
                                "signedAt": "2026-01-02"}},
        "billing": {"creditLimit": {"amount": limit, "currency": "EUR"},
                    "invoiceEmail": "ap@gw.example", "paymentTermDays": 0},
    }


# Between two sections of the walkthrough, as a reader pauses: until billing's view of every
# contract of the walkthrough has the contract service's version (billing reads the topic).
CATCH_UP = r"""
for ref in CTR-ACME-001 CTR-ACME-002; do
  want=$(curl -s "$API/contracts/$ref" -H "$AUTH" | sed -n 's/.*"version":\([0-9]*\).*/\1/p')
  [ -n "$want" ] || continue
  for _ in $(seq 100); do
    have=$(curl -s "${API%/api/contract}/api/billing/contracts/$ref/account" -H "$AUTH" |
      sed -n 's/.*"version":\([0-9]*\).*/\1/p')
    [ "$have" = "$want" ] && break
    sleep 0.1
  done
done
"""


def warm_up(stack):
    """Billing's consumer has joined its group: it knows a contract created now."""
    st, _, _ = call("POST", stack.api("contract", "/contracts"), KEY, contract_body("CTR-WARM-UP"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if call("GET", stack.api("billing", "/contracts/CTR-WARM-UP/account"), KEY)[0] == 200:
            return check(st == 201, "billing follows the contract topic (warm-up contract seen)")
        time.sleep(0.1)
    return check(False, "billing follows the contract topic (warm-up contract seen)")


def walkthrough(stack, root):
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    sh = script(readme, stack.url, KEY, stack.mail_dir, CATCH_UP)
    n_curl = len(re.findall(r"(^|[;&|(]\s*)curl\s", script(readme, stack.url, KEY, stack.mail_dir), re.M))
    t0 = time.monotonic()
    run = subprocess.run(["bash", "-c", sh], capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    out = run.stdout
    with open(os.path.join(stack.state, "walkthrough.out"), "w", encoding="utf-8") as f:
        f.write(out + run.stderr)
    check(run.returncode == 0, f"the README walkthrough through the gateway exits 0 ({took:.1f} s)",
          run.stderr[-400:])
    for text, why in [
        ('"contractRef":"CTR-ACME-001"', "the contract created"),
        ("ILLEGAL_TRANSITION", "the 409 of reactivating an ACTIVE contract"),
        ("MALFORMED_JSON", "the 400 of a broken body"),
        ("CREDIT_LIMIT_EXCEEDED", "the purchase over the limit refused"),
        ("CONTRACT_EXPIRED", "the purchase after expireAt refused"),
        ("MANDATE_INVALID", "the purchase on a revoked mandate refused"),
        ("CONTRACT_NOT_ACTIVE", "the purchase on a suspended contract refused"),
        ('"dryRun":true', "the dry run"),
        ('"amount":"275.00"', "the month's invoice of 275.00"),
        ('"status":"UP"', "health through the gateway"),
        ("bp_http_requests_total", "metrics through the gateway"),
    ]:
        check(text in out, f"walkthrough: {why} ({text})")
    for text in ("UNAUTHENTICATED", "UPSTREAM_UNAVAILABLE", "no such route on the gateway",
                 "PAYLOAD_TOO_LARGE"):
        check(text not in out, f"walkthrough: no {text}")
    return n_curl


def main():
    root = env("BPT_SOURCE_DIR")
    state = os.path.join(env("BPT_STATE_DIR"), "gateway-test")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    stack = GatewayStack("gateway_test", state, KEY)
    try:
        stack.prepare()
        stack.start()
        print(f"[gateway-test] gateway {stack.url}, daemons {stack.ports}", flush=True)
        warm_up(stack)
        n_curl = walkthrough(stack, root)

        year = time.strftime("%Y")
        deadline, status = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            _, _, inv = call("GET", stack.api("billing", f"/invoices/INV-{year}-000001"), KEY)
            status = inv.get("status") if isinstance(inv, dict) else None
            if status == "PAID":
                break
            time.sleep(0.3)
        check(status == "PAID", "the walkthrough's invoice turns PAID (through the gateway)", status)

        st, _, body = call("GET", stack.api("contract", "/contracts"))
        check(st == 401 and body["errors"][0]["errorCode"] == "UNAUTHENTICATED",
              "without Authorization the daemon answers 401 UNAUTHENTICATED", (st, body))
        ikey = {"Idempotency-Key": "gw-create-1"}
        st1, h1, b1 = call("POST", stack.api("contract", "/contracts"), KEY, contract_body("CTR-GW-1"), ikey)
        st2, _, b2 = call("POST", stack.api("contract", "/contracts"), KEY, contract_body("CTR-GW-1"), ikey)
        check(st1 == 201 and st2 == 201 and b1 == b2,
              "Idempotency-Key passed: the same key and body replay the 201", (st1, st2))
        check(h1.get("Location") == "/api/contract/contracts/CTR-GW-1",
              "Location rewritten under the gateway's prefix", h1.get("Location"))
        st3, _, b3 = call("POST", stack.api("contract", "/contracts"), KEY, contract_body("CTR-GW-2"), ikey)
        check(st3 == 409 and b3["errors"][0]["errorCode"] == "IDEMPOTENCY_KEY_REUSED",
              "Idempotency-Key passed: the same key with another body is IDEMPOTENCY_KEY_REUSED", (st3, b3))

        big = b'{"pad": "' + b"x" * 70000 + b'"}'
        st, _, body = call("POST", stack.api("billing", "/operations"), KEY, big)
        check(st == 413 and isinstance(body, dict) and body["errors"][0]["errorCode"] == "PAYLOAD_TOO_LARGE",
              "a body over 64 KiB: 413 PAYLOAD_TOO_LARGE from the gateway", (st, body))
        st, _, body = call("POST", stack.api("billing", "/operations"), KEY, b'{"pad": "' + b"x" * 60000 + b'"}')
        check(st == 400, "a body under 64 KiB reaches billing (400 from it, not 413)", (st, str(body)[:200]))
        st, _, body = call("GET", f"{stack.url}/api/nothing/here", KEY)
        check(st == 404 and isinstance(body, dict) and body["errors"][0]["errorCode"] == "NOT_FOUND",
              "an unknown route: 404 NOT_FOUND ErrorResponse", (st, body))
        st, h, page = call("GET", f"{stack.url}/", accept="text/html")
        check(st == 200 and b"Boissipay console" in page and "default-src 'self'" in
              (h.get("Content-Security-Policy") or ""), "/ serves the console with its CSP", (st, dict(h)))

        lines = stack.access_log()
        api = [x for x in lines if x["uri"].startswith("/api/")]
        check(len(api) >= n_curl, f"the access log has a JSON line per request ({len(api)} API "
              f"requests, {n_curl} curls in the walkthrough)")
        check(all({"time", "method", "uri", "status", "seconds", "upstream"} <= x.keys() for x in lines),
              "each access log line has time, method, uri, status, seconds, upstream")
        too_big = [x for x in lines if x["status"] == 413]
        check(too_big and all(x["upstream"] in ("", "-") for x in too_big),
              "the 413 was answered by the gateway without reaching billing", too_big)
        with open(os.path.join(stack.gateway_dir, "logs", "access.log"), encoding="utf-8") as f:
            check(KEY not in f.read(), "the access log never holds the API key")
    except (StackError, subprocess.CalledProcessError, OSError, KeyError, ValueError) as e:
        check(False, "the test ran to its end", repr(e))
    finally:
        died = stack.stop()
    check(not died, "every daemon and the gateway exited cleanly", died)
    print(f"[gateway-test] {'FAILED: ' + ', '.join(failures) if failures else 'all checks passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
