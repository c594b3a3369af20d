"""The chaos run's reconciliation: waits until the system is quiet, then checks every
invariant from the databases, the topics, the SMTP sink's folder and the simulated bank's
ledger, one line each, and the closing line `kills N, restarts M, operations X, lost L,
duplicated D`.
"""

import collections
import dataclasses
import email.parser
import json
import os
import re
import time

import yaml

DBS = ["contract", "billing", "payment", "mailer"]
TOPICS = ["contract", "operation", "invoice", "payment", "dead-letter"]
SPEC_FILES = {"contract": "contract", "billing": "billing", "payment": "payment",
              "invoice-mailer": "invoice-mailer"}
# A 503 is expected while a dependency is away, and for a little while after it is back.
AFTER_DOWN_S = 15


def unpublished(stack):
    return {db: stack.query(db, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"]
            for db in DBS}


def not_quiet(stack):
    """What is still moving (empty list: quiet, but for the consumers' offsets)."""
    left = []
    for db, n in unpublished(stack).items():
        if n:
            left.append(f"{n} unpublished in {db}")
    c = {r["ref"]: r["version"] for r in stack.query(
        "contract", "SELECT contract_ref AS ref, version FROM contracts")}
    b = {r["ref"]: r["version"] for r in stack.query(
        "billing", "SELECT contract_ref AS ref, version FROM accounts")}
    behind = [r for r, v in c.items() if b.get(r) != v]
    if behind:
        left.append(f"{len(behind)} accounts behind their contract")
    inv = stack.query("billing", "SELECT status, sent_at IS NOT NULL AS sent, total_with_tax AS total"
                                 " FROM invoices")
    unsent = sum(1 for i in inv if not i["sent"])
    unpaid = sum(1 for i in inv if i["total"] > 0 and i["status"] not in ("PAID", "PAYMENT_FAILED"))
    if unsent:
        left.append(f"{unsent} invoices not marked sent")
    if unpaid:
        left.append(f"{unpaid} invoices not settled")
    mails = stack.query("mailer", "SELECT count(*) FILTER (WHERE status <> 'SENT') AS open,"
                                  " count(*) AS n FROM mails")[0]
    if mails["open"] or mails["n"] < len(inv):
        left.append(f"mails {mails['n'] - mails['open']}/{len(inv)} sent")
    pay = stack.query("payment", "SELECT count(*) FILTER (WHERE status = 'PENDING') AS open,"
                                 " count(*) AS n FROM payments")[0]
    due = sum(1 for i in inv if i["total"] > 0)
    if pay["open"] or pay["n"] < due:
        left.append(f"payments {pay['n'] - pay['open']}/{due} finished")
    return left


def lagging(stack):
    return {k: v for k, v in stack.consumer_lag().items() if v != 0}


def wait_quiet(stack, deadline, log):
    t0 = time.time()
    last = None
    while True:
        try:
            left = not_quiet(stack)
            if not left:
                lag = lagging(stack)
                if lag:
                    left = [f"consumer lag {sorted(lag.items())[:4]}"]
        except Exception as e:  # a dependency may still be coming back
            left = [f"cannot read yet: {e}"]
        if not left:
            return True, time.time() - t0
        if left != last:
            log("waiting: " + "; ".join(left))
            last = left
        if time.time() >= deadline:
            return False, time.time() - t0
        time.sleep(2)


def tamper(stack, mail_dir, log):
    """The checker's own test (BP_CHAOS_TAMPER=1): one defect of each kind, which the
    reconciliation must report (a mail lost, a balance off by a cent, a second debit, an
    operation on no invoice, a gap in the numbers)."""
    files = sorted(f for f in os.listdir(mail_dir) if f.endswith(".eml"))
    os.unlink(os.path.join(mail_dir, files[0]))
    q = stack.execute
    q("billing", "UPDATE accounts SET outstanding = outstanding + 1"
                 " WHERE contract_id = (SELECT min(contract_id::text)::uuid FROM accounts)")
    q("payment", "INSERT INTO bank_sim_debits (end_to_end_id, amount_minor, currency, status)"
                 " VALUES ('INV-TAMPERED', 100, 'EUR', 'BOOKED')")
    q("billing", "UPDATE operations SET invoice_ref = NULL"
                 " WHERE seq = (SELECT max(seq) FROM operations WHERE status = 'ACCEPTED')")
    q("billing", "UPDATE invoices SET invoice_ref = invoice_ref || '0'"
                 " WHERE seq = (SELECT min(seq) FROM invoices)")
    log("tampered: a mail file, a balance, a debit, an operation, an invoice number")


@dataclasses.dataclass
class Context:
    stack: object
    recorder: object
    driver: object
    monkey: object
    mail_dir: str
    fail_mandates: str
    insufficient_above: int
    quiet: bool
    instances: list
    root: str


class Report:
    def __init__(self):
        self.failed = 0
        self.lost = 0
        self.dup = 0

    def line(self, ok, name, detail, problems=()):
        self.failed += 0 if ok else 1
        print(f"{'OK  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
        for p in list(problems)[:8]:
            print(f"       {p}", flush=True)
        if len(problems) > 8:
            print(f"       ... {len(problems) - 8} more", flush=True)


def events(stack, topic):
    out = []
    for m in stack.topic(topic):
        try:
            ev = json.loads(m["value"])
        except (TypeError, ValueError):
            ev = {"id": None, "type": "(not JSON)", "data": m["value"]}
        ev["_key"] = m["key"]
        out.append(ev)
    return out


def distinct_ids(evs, key):
    """key(event) -> set of event ids."""
    m = collections.defaultdict(set)
    for e in evs:
        k = key(e)
        if k is not None:
            m[k].add(e.get("id"))
    return m


def gather(stack):
    q = stack.query
    g = {
        "ops": q("billing", "SELECT operation_id::text AS id, seq, contract_id::text AS cid,"
                            " contract_ref AS ref, order_ref, operation_type AS typ, status,"
                            " amount, invoice_ref FROM operations ORDER BY seq"),
        "invoices": q("billing", "SELECT invoice_ref AS ref, contract_id::text AS cid, period,"
                                 " total_with_tax AS total, status, sent_at IS NOT NULL AS sent,"
                                 " doc->>'mandateReference' AS mandate, doc->>'invoiceEmail' AS email,"
                                 " (SELECT coalesce(json_agg(l->>'operationId'), '[]')"
                                 "  FROM json_array_elements(doc->'lines') l) AS lines"
                                 " FROM invoices ORDER BY seq"),
        "counters": q("billing", "SELECT year, last FROM invoice_counters"),
        "accounts": q("billing", "SELECT contract_id::text AS cid, contract_ref AS ref, status,"
                                 " credit_limit, outstanding, version FROM accounts"),
        "contracts": q("contract", "SELECT contract_id::text AS cid, contract_ref AS ref, status,"
                                   " version FROM contracts"),
        "contract_outbox": q("contract", "SELECT event_id::text AS id, msg_key AS cid,"
                                         " (payload::json->'data'->>'version')::bigint AS version,"
                                         " (payload::json->'data'->'billing'->'creditLimit'"
                                         "   ->>'minorUnits')::bigint AS lim FROM outbox"),
        "payments": q("payment", "SELECT invoice_ref AS ref, amount_minor AS amount, status,"
                                 " reason_code AS code FROM payments"),
        "debits": q("payment", "SELECT end_to_end_id AS ref, amount_minor AS amount, status,"
                               " reason_code AS code FROM bank_sim_debits"),
        "mails": q("mailer", "SELECT invoice_ref AS ref, message_id, status, attempts,"
                             " uncertain_attempts FROM mails"),
        "inbox": {db: q(db, "SELECT consumer, event_id, extract(epoch FROM received_at)::float8 AS t"
                            " FROM inbox") for db in ["billing", "payment", "mailer"]},
        "unpublished": unpublished(stack),
    }
    g["topics"] = {t: events(stack, t) for t in TOPICS}
    return g


def mail_files(folder):
    """Message-ID -> number of files in the sink's folder."""
    ids = collections.Counter()
    parser = email.parser.BytesHeaderParser()
    for name in sorted(os.listdir(folder)):
        if name.startswith("mail-") and name.endswith(".eml"):
            with open(os.path.join(folder, name), "rb") as f:
                ids[(parser.parse(f).get("Message-ID") or "").strip()] += 1
    return ids


def spec_routes(root):
    """(service, method) -> [(compiled path regex, documented statuses)]."""
    routes = collections.defaultdict(list)
    for svc, f in SPEC_FILES.items():
        with open(os.path.join(root, "openapi", f + ".yaml"), encoding="utf-8") as fh:
            spec = yaml.safe_load(fh)
        for path, ops in spec["paths"].items():
            rx = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
            for method, op in ops.items():
                if isinstance(op, dict) and "responses" in op:
                    routes[(svc, method.upper())].append(
                        (rx, {str(s) for s in op["responses"]}))
    return routes


def run(ctx):
    rep = Report()
    g = gather(ctx.stack)
    reqs = ctx.recorder.requests
    ops = g["ops"]
    accepted = [o for o in ops if o["status"] == "ACCEPTED"]
    by_id = {o["id"]: o for o in ops}
    invoices = g["invoices"]
    inv_by_ref = {i["ref"]: i for i in invoices}
    tops = g["topics"]

    # 1. every accepted operation is on exactly one invoice ---------------------------------
    problems, lost, dup = [], 0, 0
    on = collections.defaultdict(list)
    for inv in invoices:
        for oid in inv["lines"]:
            on[oid].append(inv["ref"])
    seen201 = {r["doc"]["operationId"] for r in reqs
               if r["kind"] in ("purchase", "refund") and r["status"] == 201
               and isinstance(r["doc"], dict)}
    for oid in sorted(seen201):
        if oid not in by_id or by_id[oid]["status"] != "ACCEPTED":
            lost += 1
            problems.append(f"201 seen for {oid}, no ACCEPTED row")
    for o in accepted:
        refs = on.get(o["id"], [])
        if not refs:
            lost += 1
            problems.append(f"{o['id']} ({o['ref']} {o['order_ref']}) on no invoice")
        elif len(refs) > 1:
            dup += len(refs) - 1
            problems.append(f"{o['id']} on {refs}")
        elif o["invoice_ref"] != refs[0]:
            problems.append(f"{o['id']} says {o['invoice_ref']}, is on {refs[0]}")
    for oid, refs in on.items():
        if oid not in by_id or by_id[oid]["status"] != "ACCEPTED":
            dup += len(refs)
            problems.append(f"invoice line {oid} is no accepted operation")
    acc_events = distinct_ids([e for e in tops["operation"] if e.get("type") == "operation.accepted"],
                              lambda e: e.get("subject"))
    for o in accepted:
        n = len(acc_events.get(o["id"], ()))
        if n == 0:
            lost += 1
            problems.append(f"no operation.accepted for {o['id']}")
        elif n > 1:
            dup += n - 1
            problems.append(f"{n} operation.accepted events for {o['id']}")
    rep.lost += lost
    rep.dup += dup
    rep.line(not problems, "every accepted operation is on exactly one invoice",
             f"{len(accepted)} accepted ({len(seen201)} answered 201 to the clients),"
             f" {len(invoices)} invoices, lost {lost}, duplicated {dup}", problems)

    # 2. invoice numbers without gaps per year ---------------------------------------------
    problems = []
    years = collections.defaultdict(list)
    for inv in invoices:
        m = re.fullmatch(r"INV-(\d{4})-(\d+)", inv["ref"])
        if not m:
            problems.append(f"odd invoice number {inv['ref']}")
            continue
        years[int(m.group(1))].append(int(m.group(2)))
    counters = {c["year"]: c["last"] for c in g["counters"]}
    for y, nums in sorted(years.items()):
        nums.sort()
        if nums != list(range(1, len(nums) + 1)):
            missing = sorted(set(range(1, max(nums) + 1)) - set(nums))
            problems.append(f"{y}: {len(nums)} invoices, missing {missing[:10]},"
                            f" repeated {len(nums) - len(set(nums))}")
        if counters.get(y) != len(nums):
            problems.append(f"{y}: counter at {counters.get(y)} for {len(nums)} invoices")
    rep.line(not problems, "invoice numbers have no gaps per year",
             ", ".join(f"{y}: 1..{len(n)}" for y, n in sorted(years.items())) or "no invoice",
             problems)

    # 3. each invoice mailed exactly once ---------------------------------------------------
    problems, lost, dup, resent = [], 0, 0, 0
    files = mail_files(ctx.mail_dir)
    mails = {m["ref"]: m for m in g["mails"]}
    sent_events = distinct_ids([e for e in tops["invoice"] if e.get("type") == "invoice.sent"],
                               lambda e: (e.get("data") or {}).get("invoiceRef"))
    wanted = set()
    for inv in invoices:
        ref = inv["ref"]
        mid = f"<{ref}@boissipay>"
        wanted.add(mid)
        m = mails.get(ref)
        n = files.get(mid, 0)
        if n == 0:
            lost += 1
            problems.append(f"{ref}: no mail in the sink")
        elif n > 1 and m is not None and (m["uncertain_attempts"] or 0) >= n - 1:
            # The mailer was killed between the end of DATA and the server's reply: it cannot
            # know whether the mail arrived, and sends it once more with the same Message-ID
            # (at least once: docs/invoice-mailer-api.md). Counted apart, never as a loss.
            resent += n - 1
        elif n > 1:
            dup += n - 1
            problems.append(f"{ref}: {n} mails in the sink"
                            f" (mailer: {m and m['attempts']} attempts,"
                            f" {m and m['uncertain_attempts']} uncertain)")
        if m is None or m["status"] != "SENT":
            problems.append(f"{ref}: mailer row {m and m['status']}")
        if not inv["sent"]:
            problems.append(f"{ref}: billing does not know it was sent")
        ne = len(sent_events.get(ref, ()))
        if ne != 1:
            (problems.append(f"{ref}: {ne} invoice.sent events"))
            dup += max(0, ne - 1)
            lost += 1 if ne == 0 else 0
    for mid, n in files.items():
        if mid not in wanted:
            dup += n
            problems.append(f"mail {mid!r} for no invoice")
    for ref in mails:
        if ref not in inv_by_ref:
            dup += 1
            problems.append(f"mailer row for unknown invoice {ref}")
    rep.lost += lost
    rep.dup += dup
    rep.line(not problems, "each invoice is mailed exactly once (a second copy only after an"
             " attempt the mailer recorded as uncertain, with the same Message-ID)",
             f"{sum(files.values())} mail files, {len(files)} Message-IDs for {len(invoices)}"
             f" invoices, {resent} resent after an uncertain attempt", problems)

    # 4. each invoice debited at most once, as the bank decided -----------------------------
    problems, lost, dup = [], 0, 0
    rules = dict(r.split(":") for r in ctx.fail_mandates.split(",") if r)
    payments = collections.defaultdict(list)
    for p in g["payments"]:
        payments[p["ref"]].append(p)
    debits = collections.defaultdict(list)
    for d in g["debits"]:
        debits[d["ref"]].append(d)
    pay_evs = [e for e in tops["payment"] if e.get("type") in ("payment.succeeded", "payment.failed")]
    results = distinct_ids(pay_evs, lambda e: (e.get("data") or {}).get("invoiceRef"))
    requested = distinct_ids([e for e in tops["payment"] if e.get("type") == "payment.requested"],
                             lambda e: (e.get("data") or {}).get("invoiceRef"))
    booked = 0
    for inv in invoices:
        ref, total = inv["ref"], inv["total"]
        ps, ds = payments.get(ref, []), debits.get(ref, [])
        if len(ds) > 1 or sum(1 for d in ds if d["status"] == "BOOKED") > 1:
            dup += len(ds) - 1
            problems.append(f"{ref}: {len(ds)} debits")
        if total <= 0:
            if ps or ds or requested.get(ref):
                dup += 1
                problems.append(f"{ref}: total {total}, yet collected")
            continue
        if inv["mandate"] is None:
            want = "MD01"
        elif inv["mandate"] in rules:
            want = rules[inv["mandate"]]
        elif total > ctx.insufficient_above:
            want = "AM04"
        else:
            want = None
        nr = len(requested.get(ref, ()))
        if nr != 1:
            problems.append(f"{ref}: {nr} payment.requested events")
            dup += max(0, nr - 1)
            lost += 1 if nr == 0 else 0
        if len(ps) != 1:
            lost += 1 if not ps else 0
            problems.append(f"{ref}: {len(ps)} payment rows")
            continue
        p = ps[0]
        got = None if p["status"] == "SUCCEEDED" else p["code"]
        if p["status"] == "PENDING" or got != want or p["amount"] != total:
            problems.append(f"{ref}: payment {p['status']} {p['code']} {p['amount']},"
                            f" expected {want or 'SUCCEEDED'} {total}")
        if p["status"] == "SUCCEEDED":
            booked += 1
            if [d["status"] for d in ds] != ["BOOKED"] or ds[0]["amount"] != total:
                problems.append(f"{ref}: paid, bank says {ds}")
            if inv["status"] != "PAID":
                problems.append(f"{ref}: payment succeeded, invoice {inv['status']}")
        elif p["status"] == "FAILED":
            if ds and ds[0]["status"] == "BOOKED":
                problems.append(f"{ref}: payment failed, yet booked by the bank")
            if inv["status"] != "PAYMENT_FAILED":
                problems.append(f"{ref}: payment failed, invoice {inv['status']}")
        n = len(results.get(ref, ()))
        if n != 1:
            problems.append(f"{ref}: {n} payment result events")
            dup += max(0, n - 1)
            lost += 1 if n == 0 else 0
    for ref in set(debits) | set(payments):
        if ref not in inv_by_ref:
            dup += 1
            problems.append(f"payment or debit for unknown invoice {ref}")
    rep.lost += lost
    rep.dup += dup
    rep.line(not problems, "each invoice is debited at most once",
             f"{booked} booked, {len(g['debits']) - booked} refused by the bank,"
             f" {len(g['payments'])} payments", problems)

    # 5. outstanding = accepted purchases - refunds - paid invoices -------------------------
    problems = []
    sums = collections.defaultdict(int)
    for o in accepted:
        sums[o["cid"]] += o["amount"] if o["typ"] == "PURCHASE" else -o["amount"]
    for inv in invoices:
        if inv["status"] == "PAID":
            sums[inv["cid"]] -= inv["total"]
    for a in g["accounts"]:
        if a["outstanding"] != sums.get(a["cid"], 0):
            problems.append(f"{a['ref']}: outstanding {a['outstanding']},"
                            f" operations and payments say {sums.get(a['cid'], 0)}")
    rep.line(not problems, "each contract's outstanding balance = purchases - refunds - paid invoices",
             f"{len(g['accounts'])} accounts", problems)

    # 6. the credit limit was never exceeded -----------------------------------------------
    # Per contract, in the order billing applied them (seq: assigned under the account row's
    # lock), the running balance after each accepted purchase must not exceed the highest
    # limit billing could have known then: that of a contract version whose event billing
    # had received before the client saw the 201 (every version, when no client saw one).
    problems = []
    applied = {}
    for r in g["inbox"]["billing"]:
        applied[r["event_id"]] = min(r["t"], applied.get(r["event_id"], r["t"]))
    versions = collections.defaultdict(list)
    for e in g["contract_outbox"]:
        versions[e["cid"]].append((applied.get(e["id"], float("inf")), e["version"], e["lim"]))
    seen_at = {r["doc"]["operationId"]: r["t"] for r in reqs
               if r["kind"] == "purchase" and r["status"] == 201 and isinstance(r["doc"], dict)}
    running = collections.defaultdict(int)
    checked = 0
    for o in accepted:
        running[o["cid"]] += o["amount"] if o["typ"] == "PURCHASE" else -o["amount"]
        if o["typ"] != "PURCHASE":
            continue
        t = seen_at.get(o["id"], float("inf"))
        lims = [lim for (ta, _, lim) in versions[o["cid"]] if ta < t or t == float("inf")]
        limit = max(lims) if lims else None
        checked += 1
        if limit is None or running[o["cid"]] > limit:
            problems.append(f"{o['ref']} {o['order_ref']}: outstanding {running[o['cid']]}"
                            f" after it, limit at most {limit}")
    rep.line(not problems, "the credit limit was never exceeded",
             f"{checked} accepted purchases checked in order", problems)

    # 7. no event applied twice, no duplicate row per key ----------------------------------
    problems, dup = [], 0
    for db, rows in g["inbox"].items():
        keys = collections.Counter((r["consumer"], r["event_id"]) for r in rows)
        for k, n in keys.items():
            if n > 1:
                dup += n - 1
                problems.append(f"{db} inbox {k} x{n}")
    per_order = collections.Counter((o["cid"], o["typ"], o["order_ref"]) for o in ops)
    for k, n in per_order.items():
        if n > 1:
            dup += n - 1
            problems.append(f"operation {k} recorded {n} times")
    per_period = collections.Counter((i["cid"], i["period"]) for i in invoices)
    for k, n in per_period.items():
        if n > 1:
            dup += n - 1
            problems.append(f"{n} invoices for {k}")
    changes = collections.Counter()
    uncertain = collections.Counter()
    for r in reqs:
        if r["kind"] == "contract.change":
            ref = r["path"].split("/")[2]
            if r["status"] == 200:
                changes[ref] += 1
            elif r["status"] is None:
                uncertain[ref] += 1
    accounts = {a["ref"]: a for a in g["accounts"]}
    outbox_versions = collections.defaultdict(list)
    for e in g["contract_outbox"]:
        outbox_versions[e["cid"]].append(e["version"])
    contract_topic = distinct_ids(tops["contract"], lambda e: (e.get("subject"),
                                                               (e.get("data") or {}).get("version")))
    for c in g["contracts"]:
        v = c["version"]
        lo, hi = 1 + changes[c["ref"]], 1 + changes[c["ref"]] + uncertain[c["ref"]]
        if not lo <= v <= hi:
            problems.append(f"{c['ref']}: version {v} after {changes[c['ref']]} accepted changes")
            dup += max(0, v - hi)
        if sorted(outbox_versions[c["cid"]]) != list(range(1, v + 1)):
            problems.append(f"{c['ref']}: events of versions {sorted(outbox_versions[c['cid']])}")
        for ver in range(1, v + 1):
            n = len(contract_topic.get((c["cid"], ver), ()))
            if n != 1:
                problems.append(f"{c['ref']} v{ver}: {n} events on the topic")
                dup += max(0, n - 1)
                rep.lost += 1 if n == 0 else 0
        a = accounts.get(c["ref"])
        if a is None or a["version"] != v or a["status"] != c["status"]:
            problems.append(f"{c['ref']}: billing has {a and (a['version'], a['status'])},"
                            f" contract {(v, c['status'])}")
    dead = tops["dead-letter"]
    for e in dead[:5]:
        problems.append(f"dead letter: {json.dumps(e)[:300]}")
    if dead:
        problems.append(f"{len(dead)} dead letters")
    redelivered = sum(len(evs) - len({e.get("id") for e in evs}) for evs in tops.values())
    rep.dup += dup
    rep.line(not problems, "no event applied twice, no duplicate row per key",
             f"{sum(len(r) for r in g['inbox'].values())} inbox records,"
             f" {redelivered} events published again (dropped by the inboxes)", problems)

    # 8. every REST answer documented; no 5xx but 503 while a dependency was away ----------
    problems = []
    routes = spec_routes(ctx.root)
    windows = [(t0, t1 + AFTER_DOWN_S) for what, t0, t1 in ctx.monkey.down if what == "pg"]
    statuses = collections.Counter()
    errors = collections.Counter()
    for svc, method, path, status, code, t in ctx.recorder.answers:
        if status is None:
            errors[code] += 1
            continue
        statuses[status] += 1
        template = path.split("?")[0]
        documented = None
        for rx, codes in routes.get((svc, method), []):
            if rx.match(template):
                documented = codes
                break
        if documented is None or str(status) not in documented:
            problems.append(f"{method} {path} ({svc}): {status} {code} not documented")
        elif status >= 500 and status != 503:
            problems.append(f"{method} {path} ({svc}): {status} {code}")
        elif status == 503 and not any(t0 <= t <= t1 for t0, t1 in windows):
            problems.append(f"{method} {path} ({svc}): 503 {code} at {time.strftime('%H:%M:%S', time.localtime(t))}"
                            f" while no dependency was down")
    abandoned = sum(1 for r in reqs if r["status"] is None)
    rep.line(not problems, "every REST answer was documented (5xx only 503 while a dependency was down)",
             f"{len(ctx.recorder.answers)} answers {dict(sorted(statuses.items()))},"
             f" no answer {dict(errors)}, {abandoned} requests given up", problems)

    # 9. nothing left in the outboxes -------------------------------------------------------
    left = g["unpublished"]
    rep.line(not any(left.values()), "nothing left in the outboxes",
             ", ".join(f"{db} {n}" for db, n in left.items()))

    # 10. consumers caught up ---------------------------------------------------------------
    lag = lagging(ctx.stack)
    rep.line(not lag, "every consumer caught up", f"lag {sorted(lag.items())[:6] or 0}")

    # 11. no daemon died by itself, each stops cleanly --------------------------------------
    crashed = list(ctx.monkey.errors)
    for inst in ctx.instances:
        status = inst.stop()
        if status != 0:
            crashed.append(f"{inst.name}: exit status {status} on SIGTERM (log: {inst.log})")
    rep.line(not crashed and ctx.quiet, "no daemon crashed, everything went quiet, each stopped cleanly",
             f"{sum(i.starts for i in ctx.instances)} starts" + ("" if ctx.quiet else "; NOT quiet"),
             crashed)

    m = ctx.monkey
    print(f"kills {m.kills}, restarts {m.restarts + m.kafka_restarts + m.pg_restarts},"
          f" operations {len(accepted)}, lost {rep.lost}, duplicated {rep.dup}", flush=True)
    return 0 if rep.failed == 0 and rep.lost == 0 and rep.dup == 0 else 1
