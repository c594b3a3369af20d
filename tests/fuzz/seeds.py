#!/usr/bin/env python3
"""Boissipay: writes the seed corpus (corpus/<harness>/seed-*) and the dictionaries
(dict/<harness>.dict) of the libFuzzer harnesses from the request examples of
openapi/*.yaml, the message examples of asyncapi/boissipay.yaml and a few values the
unit tests use. Rerun after the specs change: seed-* files are rewritten, every other
corpus file (the inputs of crashes found and fixed) is kept."""
import json
import pathlib
import re

import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def request_examples(spec, path, method):
    doc = yaml.safe_load((ROOT / "openapi" / spec).read_text())
    content = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
    out = {}
    for name, ex in content.get("examples", {}).items():
        if "$ref" in ex:  # "#/components/examples/NAME"
            ex = doc["components"]["examples"][ex["$ref"].rsplit("/", 1)[1]]
        out[name] = ex["value"]
    return out


def message_examples():
    doc = yaml.safe_load((ROOT / "asyncapi" / "boissipay.yaml").read_text())
    out = {}
    for msg in doc["components"]["messages"].values():
        for ex in msg.get("examples", []):
            payload = ex["payload"]
            kind = payload.get("type", "other") if isinstance(payload, dict) else "other"
            out.setdefault(kind, []).append((ex["name"], payload))
    return out


def text(value):
    return value if isinstance(value, (bytes, str)) else json.dumps(value, indent=1)


def write(harness, name, data):
    folder = HERE / "corpus" / harness
    folder.mkdir(parents=True, exist_ok=True)
    data = text(data)
    (folder / f"seed-{name}").write_bytes(data.encode() if isinstance(data, str) else data)


def strings_of(value, acc):
    """Every key and short string of a JSON value, for a dictionary."""
    if isinstance(value, dict):
        for k, v in value.items():
            acc.add(f'"{k}"')
            strings_of(v, acc)
    elif isinstance(value, list):
        for v in value:
            strings_of(v, acc)
    elif isinstance(value, str) and len(value) <= 40:
        acc.add(f'"{value}"')
    return acc


def dict_entry(token):
    raw = token.encode() if isinstance(token, str) else token
    body = "".join(chr(b) if 0x20 <= b < 0x7f and b not in (0x22, 0x5c) else f"\\x{b:02x}"
                   for b in raw)
    return f'"{body}"'


def write_dict(harness, tokens):
    (HERE / "dict").mkdir(exist_ok=True)
    lines = [f"# {harness}: written by tests/fuzz/seeds.py"]
    lines += [dict_entry(t) for t in sorted(tokens)]
    (HERE / "dict" / f"{harness}.dict").write_text("\n".join(lines) + "\n")


JSON_TOKENS = {"{", "}", "[", "]", ":", ",", "true", "false", "null", '""', "\\u0000",
               "\\ud800", "\\\"", "1e400", "-0", "0.1", "9223372036854775808",
               "-9223372036854775809", "1.5e-3"}
MONEY = {"amount", "currency", "minorUnits", "EUR", "JPY", "KWD", "XXX", "Minor"}


def main():
    events = message_examples()

    # contract: one byte of route (action + 16 * status of the stored contract), the body.
    create = request_examples("contract.yaml", "/contracts", "post")
    routes = [  # (action, status, path, method): the lifecycle routes that take a body
        (2, 1, "/contracts/{contractRef}/suspend", "post"),
        (4, 1, "/contracts/{contractRef}/cancel", "post"),
        (6, 1, "/contracts/{contractRef}/mandate", "put"),
        (8, 1, "/contracts/{contractRef}/credit-limit", "put"),
    ]
    tokens = set(JSON_TOKENS) | MONEY
    for name, body in create.items():
        write("contract", f"create-{name}", b"\x00" + text(body).encode())
        strings_of(body, tokens)
    for action, status, path, method in routes:
        for name, body in request_examples("contract.yaml", path, method).items():
            write("contract", f"action{action}-{name}",
                  bytes([status * 16 + action]) + text(body).encode())
            strings_of(body, tokens)
    for action, status in [(1, 0), (3, 2), (5, 1), (7, 1)]:  # routes without a body
        write("contract", f"action{action}-empty", bytes([status * 16 + action]))
    write_dict("contract", tokens)

    # billing_operation: POST /operations bodies.
    tokens = set(JSON_TOKENS) | MONEY
    for name, body in request_examples("billing.yaml", "/operations", "post").items():
        write("billing_operation", name, body)
        strings_of(body, tokens)
    write_dict("billing_operation", tokens)

    # the events each consumer reads.
    consumers = {
        "contract_event": [k for k in events if k.startswith("contract.")],
        "payment_request": ["payment.requested"],
        "mailer_invoice": ["invoice.issued"],
    }
    for harness, kinds in consumers.items():
        tokens = set(JSON_TOKENS) | MONEY
        for kind in kinds:
            for name, payload in events[kind]:
                write(harness, f"{kind}-{name}", payload)
                strings_of(payload, tokens)
        write_dict(harness, tokens)

    # billing_legacy: documents of today's shape (the data of operation and invoice
    # events) and of before (numbers, ...Minor twins), as the unit tests keep them.
    tokens = set(JSON_TOKENS) | MONEY
    for kind in ("operation.accepted", "invoice.issued"):
        for name, payload in events[kind]:
            write("billing_legacy", f"{kind}-{name}", payload["data"])
            strings_of(payload["data"], tokens)
    write("billing_legacy", "old-operation",
          '{"operationId":"x","operationType":"PURCHASE","order":{"orderRef":"O-1",'
          '"currencyCode":"EUR","orderItems":[{"productItems":[{"quantity":2,'
          '"unitPrice":8.4,"vatRate":5.5,"amountWithoutTax":16.8,"amountTax":0.92,'
          '"amountWithTax":17.72}]}],"totalWithoutTax":16.8,"totalTax":0.92,'
          '"totalWithTax":17.72,"totalWithTaxMinor":1772}}')
    write("billing_legacy", "old-invoice",
          '{"invoiceRef":"INV-2026-000001","currency":"KWD","totalWithoutTax":1.234,'
          '"totalWithoutTaxMinor":1234,"totalTax":0.1,"totalTaxMinor":100,'
          '"totalWithTax":1.334,"totalWithTaxMinor":1334,"lines":[{"amountWithTax":1.334,'
          '"amountWithTaxMinor":1334}],"vatBreakdown":[{"vatRate":20,"base":1.234,'
          '"tax":0.1}]}')
    write_dict("billing_legacy", tokens | {'"totalWithTaxMinor"', '"order"', '"currencyCode"'})

    # invoice_pdf: the invoice document as billing serves it (the data of invoice.issued),
    # read and drawn as a PDF; one with a Greek customer and a Cyrillic order reference.
    tokens = set(JSON_TOKENS) | MONEY
    for name, payload in events["invoice.issued"]:
        write("invoice_pdf", f"invoice.issued-{name}", payload["data"])
        strings_of(payload["data"], tokens)
    data = json.loads(json.dumps(events["invoice.issued"][0][1]["data"]))
    data["customerRef"] = "Ταξιδιωτικό Γραφείο Αθηνών"
    data["lines"][0]["orderRef"] = "Москва–Сочи\t\u0001"
    write("invoice_pdf", "non-latin", json.dumps(data, ensure_ascii=False, indent=1).encode())
    write_dict("invoice_pdf", tokens)

    # json_lax: bodies jansson cannot hold as written, and ones it can.
    write("json_lax", "nul-key", '{"a\\u0000b": 1, "ok": "x\\u0000y"}')
    write("json_lax", "big-integers", '{"n": 92233720368547758070, "m": [-9223372036854775809]}')
    write("json_lax", "nested", '{"o": {"k\\u0000": {"\\u0000": 123456789012345678901234}}}')
    write("json_lax", "operation", request_examples("billing.yaml", "/operations", "post")["purchase"])
    write_dict("json_lax", JSON_TOKENS | {"\\u0000", "\\U0000", "\"\\u0000\":"})

    # money: one byte (decimals, negatives allowed, EUR expected), then text or JSON.
    for name, flags, body in [
        ("eur", 2, "5000.00"), ("negative", 6, "-12.30"), ("jpy", 0, "1000"),
        ("kwd", 3, "1.234"), ("number", 2, "8.4"),
        ("object", 10, '{"amount":{"amount":"8.86","currency":"EUR","minorUnits":886}}'),
        ("legacy", 10, '{"amountMinor":886}'),
        ("refund", 14, '{"amount":{"amount":"-3.36","currency":"EUR","minorUnits":-336}}'),
        ("max", 2, "10000000000000.00"),
    ]:
        write("money", name, bytes([flags]) + body.encode())
    write_dict("money", JSON_TOKENS | MONEY | {".", "-", "e", "E", "+", "000000000000000"})

    # time: dates, timestamps, periods, run times.
    for i, t in enumerate(["2026-11-01", "2026-10-31T23:59:00+01:00", "2026-10-31T22:59:00.5Z",
                           "2026-11", "00:05", "2024-02-29", "9999-12-31T23:59:59.999Z"]):
        write("time", f"{i}", t)
    write_dict("time", {"-", ":", "T", "Z", "+", ".", "02-29", "9999", "1900", "2000", "24:00",
                        "60"})

    # auth: "SPEC\nHEADER".
    write("auth", "writer", "fuzz-reader-key-0001:r,another-key-0000001:rw\n"
          "Bearer fuzz-writer-key-0001")
    write("auth", "reader", "Bearer fuzz-reader-key-0001")
    write("auth", "spaces", " key-with-spaces-001:rw, second-key-000001:r\nbearer   key-with-spaces-001")
    write_dict("auth", {"Bearer ", ":r", ":rw", ",", "fuzz-reader-key-0001", "fuzz-writer-key-0001"})

    # text_checks: keys, UTF-8, addresses, UUIDs, IBANs.
    for i, t in enumerate(["fr76 3000 6000 0112 3456 7890 189", "DE89370400440532013000",
                           "op-2026-11-20-0001", "ap@acme.com", "3f2c9a4e-7b1d-4c55-9e0a-5d8f1b2c6a70",
                           "caf\u00e9 \u20ac \U0001f600".encode(), b"\xed\xa0\x80\xc0\xaf"]):
        write("text_checks", f"{i}", t)
    write_dict("text_checks", {"FR76", "DE89", "GB82", "@", ".", "-", " ", "\u00e9"})

    # http_head: request heads.
    heads = {
        "get": "GET /contracts/CTR-ACME-001 HTTP/1.1\r\nHost: localhost\r\n"
               "Authorization: Bearer fuzz-reader-key-0001\r\n\r\n",
        "post": "POST /operations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                "Content-Length: 2\r\nIdempotency-Key: op-1\r\n\r\n{}",
        "chunked": "PUT /contracts/X/mandate HTTP/1.1\r\nHost: a\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n",
        "http10": "GET /health HTTP/1.0\n\n",
        "query": "GET /invoices?period=2026-11&page=1%00 HTTP/1.1\r\nHost: a\r\n\r\n",
    }
    for name, head in heads.items():
        write("http_head", name, head)
    write_dict("http_head", {"GET ", "POST ", "PUT ", " HTTP/1.1", " HTTP/1.0", "\r\n", "\r\n\r\n",
                             "Host: ", "Content-Length: ", "Transfer-Encoding: ", "chunked",
                             "identity", "%00", "%7f", "%1F", ":", "\t", "Expect: 100-continue"})

    # config: NAME=value lines over the daemons' variables.
    names = set()
    for f in list((ROOT / "services").glob("*/*_config.c")) + [ROOT / "lib/common/bp_settings.h"]:
        names |= set(re.findall(r'\{"(BP_[A-Z0-9_]+)"', f.read_text()))
    write("config", "keys", "BP_API_KEYS=fuzz-reader-key-0001:r\n")
    write("config", "billing",
          "BP_API_KEYS=fuzz-writer-key-0001:rw\nBP_BILLING_RUN_TIME=23:59\nBP_HTTP_PORT=8181\n"
          "BP_BILLING_TIMEZONE=Europe/Paris\nBP_LOG_LEVEL=debug\nBP_HTTP_ACCESS_LOG=no\n")
    write("config", "mailer",
          "BP_API_KEYS=fuzz-writer-key-0001:rw\nBP_SMTP_URL=smtps://mail.example:465\n"
          "BP_MAIL_FROM=billing@example.com\nBP_SMTP_RETRY_MIN_MS=10\nBP_SMTP_RETRY_MAX_MS=20\n")
    write("config", "payment",
          "BP_API_KEYS=fuzz-writer-key-0001:rw\nBP_BANK_FAIL_MANDATES=MDT-X:MD01,MDT-Y:AM04\n"
          "BP_PAYMENT_COLLECT=immediate\nBP_PAYMENT_TIMEZONE=UTC\n")
    write_dict("config", {f"{n}=" for n in names} | {"\n", "true", "false", "yes", "0", "1",
                                                    "-1", "65535", ":rw", ":r", "Europe/Paris"})


if __name__ == "__main__":
    main()
