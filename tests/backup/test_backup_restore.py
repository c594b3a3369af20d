#!/usr/bin/env python3
"""Backup and restore of a running stack (ctest `backup.restore`, label `backup`).

Against the test stack of the `stack` fixture (scripts/test-stack.sh: real PostgreSQL and
Kafka), with databases and topics of its own: the four daemons and an SMTP sink run,
contracts are created and a first month is invoiced, mailed and collected; then, while purchases and contract changes keep
coming, scripts/backup.sh runs three times (--keep 2); after the last backup the load goes
on, every contract changes once more and a second month is invoiced. billing is stopped, its
database dropped, and scripts/restore.sh brings it back. Checked, each with an OK/FAIL line:
  - retention: the two newest backups remain;
  - the restored database lacks contract versions published after the backup, and once
    billing runs again its read model holds every contract's current version (replayed from
    Kafka by the rewound consumer group);
  - the invoice counter is past every number issued, and the invoices issued after the backup
    are written back from the invoice topic, then get their status (PAID) again from the
    replayed invoice.sent and payment events;
  - the operations accepted before the drop are exactly those of the restored database plus
    those restore.sh lists as lost (published after the backup), apart those on an invoice;
    once replayed, each outstanding balance lacks exactly the amounts of the lost ones on no
    invoice, and those, posted again from restore.sh's requests, are accepted;
  - billing accepts purchases again, and the invoices it issues after the restore carry
    numbers above every number issued before: no invoice number is reused on the topic, and
    no operation is a line of two invoices; one mail and one debit per invoice; every daemon
    exits cleanly.
Prints the figures (operations during the backups, lost, replayed, durations). Exit 1 when
a check fails.
"""

import datetime
import json
import os
import random
import subprocess
import sys
import socket
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "chaos"))
from cluster import Instance, Stack, instance_env, port_open, psql  # noqa: E402
from load import Client, Load, Recorder, money  # noqa: E402

ROOT = os.environ.get("BPT_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "..", "..")))
BIN = os.environ.get("BPT_BIN_DIR", os.path.join(ROOT, "build"))
STATE = os.environ.get("BPT_STATE_DIR", os.path.join(ROOT, ".stack", "test"))
PG_PORT = int(os.environ.get("BP_TEST_PG_PORT", "16432"))
KAFKA_PORT = int(os.environ.get("BP_TEST_KAFKA_PORT", "29092"))
CONTRACTS = 6

failures = []


def log(msg):
    print(f"[backup-test] {msg}", flush=True)


def check(ok, what):
    print(f"{'OK  ' if ok else 'FAIL'}  {what}", flush=True)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, step=0.3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def run(cmd, timeout=240):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(p.stderr)
    return p, time.time() - t0


class Test:
    def __init__(self):
        self.rid = "bk" + uuid.uuid4().hex[:6]
        self.stack = Stack(ROOT, STATE, PG_PORT, KAFKA_PORT, KAFKA_PORT + 1)
        self.db = {svc: f"{self.rid}_{svc.replace('-', '_')}" for svc in
                   ("contract", "billing", "payment", "invoice-mailer")}
        self.topics = {t: f"{self.rid}-{t}" for t in
                       ("contract", "operation", "invoice", "payment", "dead-letter")}
        self.group = f"{self.rid}-billing"
        self.work = os.path.join(STATE, "backup-test", self.rid)
        os.makedirs(self.work, exist_ok=True)
        self.inst = {}
        self.stopped = {}  # exit status of a daemon stopped during the scenario
        today = datetime.date.today()
        first = today.replace(day=1)
        m1 = (first - datetime.timedelta(days=1)).replace(day=10)
        m2 = (m1.replace(day=1) - datetime.timedelta(days=1)).replace(day=10)
        self.today, self.m1, self.m2 = today.isoformat(), m1.isoformat(), m2.isoformat()
        self.accepted = []  # (operation id, time accepted)
        self.lock = threading.Lock()

    # --- the stack ------------------------------------------------------------------------
    def setup(self):
        self.stack.create_databases(self.db.values())
        subprocess.run(["bash", "-c", 'source "$0/scripts/lib/kafka.sh" && '
                        'kafka_create_topics "$1" "$2" 3 "${@:3}"', ROOT,
                        os.path.join(STATE, "kafka"), str(KAFKA_PORT), *self.topics.values()],
                       check=True, timeout=180)
        env_common = {"BP_TOPIC_CONTRACT": self.topics["contract"],
                      "BP_TOPIC_DEAD_LETTER": self.topics["dead-letter"]}
        billing_env = dict(env_common, BP_TOPIC_OPERATION=self.topics["operation"],
                           BP_TOPIC_INVOICE=self.topics["invoice"],
                           BP_TOPIC_PAYMENT=self.topics["payment"],
                           BP_CONSUMER_GROUP=self.group, BP_BILLING_SCHEDULE="false")
        smtp_port = free_port()
        self.smtp = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(ROOT, "tests/support/smtp_sink.py"), "--port",
             str(smtp_port), "--dir", os.path.join(self.work, "mail")],
            stdout=open(os.path.join(self.work, "smtp.log"), "wb"), stderr=subprocess.STDOUT)
        payment_env = dict(env_common, BP_TOPIC_PAYMENT=self.topics["payment"],
                           BP_CONSUMER_GROUP=f"{self.rid}-payment", BP_PAYMENT_COLLECT="at-once")
        mailer_env = dict(env_common, BP_TOPIC_INVOICE=self.topics["invoice"],
                          BP_CONSUMER_GROUP=f"{self.rid}-mailer",
                          BP_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
        for svc, extra in (("contract", env_common), ("billing", billing_env),
                           ("payment", payment_env), ("invoice-mailer", mailer_env)):
            port = free_port()
            env = instance_env(self.stack, svc, port, extra)
            env["BP_DATABASE_URL"] = self.stack.db_url(self.db[svc])
            self.inst[svc] = Instance(svc, svc, BIN, env, port, self.work)
            self.inst[svc].start()
        for i in self.inst.values():
            if not i.wait_ready(60):
                raise RuntimeError(f"{i.name} is not ready (log {i.log})")
        self.client = Client({k: [v] for k, v in self.inst.items()}, Recorder(), give_up=30)

    def teardown(self):
        if getattr(self, "smtp", None):
            self.smtp.terminate()
            self.smtp.wait()
        for i in self.inst.values():
            status = i.stop()
            check(status == 0 and self.stopped.get(i.name, 0) == 0,
                  f"{i.name} exited cleanly (status {status}, earlier {self.stopped.get(i.name)})")
        try:
            for db in self.db.values():
                psql(self.stack.admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", raw=True)
        except subprocess.SubprocessError:
            pass

    def sql(self, svc, q):
        return self.stack.query(self.db[svc], q)

    def script(self, name, *args):
        return run([os.path.join(ROOT, "scripts", name), "--state", STATE, "--pg-port",
                    str(PG_PORT), "--kafka", self.stack.kafka, *args])

    # --- the clients ----------------------------------------------------------------------
    def purchase(self, rng, ref, day):
        items = [{"productLabel": "Paris-Lyon", "quantity": rng.randint(1, 2),
                  "unitPrice": money(rng.randrange(500, 4000)), "vatRate": 10}]
        body = {"contractRef": ref, "operationAt": day,
                "order": {"orderRef": f"ORD-{uuid.uuid4().hex[:12]}", "currencyCode": "EUR",
                          "orderType": "PS", "orderItems": [{"productItems": items}]}}
        status, doc = self.client.call("billing", "POST", "/operations", body)
        if status == 201:
            with self.lock:
                self.accepted.append((doc["operationId"], time.time()))
        return status

    def credit_limit(self, ref, cents):
        status, _ = self.client.call("contract", "PUT", f"/contracts/{ref}/credit-limit",
                                     {"amount": money(cents), "currency": "EUR"})
        return status

    def load(self, stop, seed):
        rng = random.Random(seed)
        while not stop.is_set():
            ref = rng.choice(self.refs)
            if rng.random() < 0.85:
                self.purchase(rng, ref, rng.choice([self.m1, self.today]))
            else:
                self.credit_limit(ref, rng.randrange(3000, 6000) * 100 + rng.randrange(100))
            time.sleep(0.1)

    def billing_run(self, period):
        status, doc = self.client.call("billing", "POST", "/billing-runs", {"period": period})
        if status != 201:
            raise RuntimeError(f"billing run {period}: {status} {doc}")
        return doc["counts"]["invoicesIssued"]

    def quiet(self):
        """billing has published its outbox and applied every contract version."""
        def done():
            unpublished = self.sql("billing", "SELECT count(*) AS n FROM outbox"
                                   " WHERE published_at IS NULL")[0]["n"]
            return unpublished == 0 and self.versions_behind() == 0
        return wait_until(done, 60)

    def unsettled(self):
        """Invoices neither paid nor failed yet (the mailer and payment work on them)."""
        return self.sql("billing", "SELECT count(*) AS n FROM invoices"
                        " WHERE status IN ('ISSUED', 'SENT')")[0]["n"]

    def statuses(self):
        return {r["invoice_ref"]: r["status"] for r in
                self.sql("billing", "SELECT invoice_ref, status FROM invoices")}

    def versions_behind(self):
        have = {r["contract_id"]: r["version"] for r in
                self.sql("billing", "SELECT contract_id, version FROM accounts")}
        want = {r["contract_id"]: r["version"] for r in
                self.sql("contract", "SELECT contract_id, version FROM contracts")}
        return sum(1 for c, v in want.items() if have.get(c, 0) < v)

    def issued(self):
        """Over every invoice.issued of the invoice topic: invoiceRef -> set of invoiceId,
        and operationId -> number of invoices it is a line of."""
        refs, seen = {}, {}
        for m in self.stack.topic(self.topics["invoice"]):
            e = json.loads(m["value"])
            if e.get("type") == "invoice.issued":
                refs.setdefault(e["data"]["invoiceRef"], set()).add(e["data"]["invoiceId"])
                seen.setdefault(e["data"]["invoiceId"], e["data"])
        lines = {}
        for d in seen.values():
            for line in d["lines"]:
                lines[line["operationId"]] = lines.get(line["operationId"], 0) + 1
        return refs, lines

    # --- the scenario ---------------------------------------------------------------------
    def scenario(self):
        loader = Load(self.client, self.today, 3, CONTRACTS, 3, 0, 0, 7)
        created = loader.create_contracts(self.rid.upper())
        self.refs = [c.ref for c in loader.contracts]
        check(created == CONTRACTS, f"{created} contracts created")
        ok = wait_until(lambda: all(self.client.call("billing", "GET", f"/contracts/{r}/account")[0]
                                    == 200 for r in self.refs), 60)
        if not ok:
            raise RuntimeError("billing did not learn the contracts")
        rng = random.Random(1)
        for ref in self.refs:
            for _ in range(2):
                self.purchase(rng, ref, self.m2)
        first = self.billing_run(self.m2[:7])
        log(f"month {self.m2[:7]}: {first} invoices issued before the backups")

        stop = threading.Event()
        threads = [threading.Thread(target=self.load, args=(stop, s), daemon=True)
                   for s in range(3)]
        for t in threads:
            t.start()
        time.sleep(2)
        backups_root = os.path.join(self.work, "backups")
        n0 = len(self.accepted)
        durations = []
        for _ in range(3):
            p, took = self.script("backup.sh", "--out", backups_root, "--keep", "2",
                                  "--databases", " ".join(self.db.values()))
            if p.returncode != 0:
                raise RuntimeError(f"backup.sh failed: {p.stdout}")
            durations.append(took)
            backup = p.stdout.strip().splitlines()[-1]
            time.sleep(1.1)  # one backup per second at most (folders are named by it)
        during = len(self.accepted) - n0
        log(f"3 backups in {', '.join(f'{d:.1f} s' for d in durations)}; {during} purchases "
            f"accepted meanwhile")
        check(during > 0, "purchases were accepted while the backups ran")
        kept = sorted(os.listdir(backups_root))
        check(len(kept) == 2 and os.path.join(backups_root, kept[-1]) == backup,
              f"retention --keep 2 left the two newest backups ({', '.join(kept)})")
        with open(os.path.join(backup, "manifest.json")) as f:
            manifest = json.load(f)
        check(self.group in manifest["kafka"]["groups"],
              "the manifest holds billing's consumer group offsets")

        # After the backup: more load, one change per contract, and a month invoiced.
        time.sleep(3)
        for ref in self.refs:
            self.credit_limit(ref, random.randrange(6000, 9000) * 100)
        stop.set()
        for t in threads:
            t.join()
        if not self.quiet():
            raise RuntimeError("billing did not catch up before the drop")
        second = self.billing_run(self.m1[:7])
        log(f"month {self.m1[:7]}: {second} invoices issued after the backup")
        if not self.quiet() or not wait_until(lambda: self.unsettled() == 0, 60):
            raise RuntimeError("the invoices were not mailed and collected before the drop")
        statuses = self.statuses()
        later = {r["invoice_ref"] for r in self.sql(
            "billing", f"SELECT invoice_ref FROM invoices WHERE period = '{self.m1[:7]}'")}
        log(f"invoices before the drop: {sorted(set(statuses.values()))}")
        accepted = {r["operation_id"] for r in self.sql(
            "billing", "SELECT operation_id FROM operations WHERE status = 'ACCEPTED'")}
        invoices = {r["invoice_ref"] for r in self.sql("billing",
                                                       "SELECT invoice_ref FROM invoices")}
        highest = max(int(r.split("-")[-1]) for r in invoices)
        outstanding = {r["contract_id"]: r["outstanding"] for r in
                       self.sql("billing", "SELECT contract_id, outstanding FROM accounts")}

        # The disaster: billing stopped, its database gone.
        self.stopped["billing"] = self.inst["billing"].stop()
        psql(self.stack.admin, f"DROP DATABASE {self.db['billing']} WITH (FORCE)", raw=True)
        report = os.path.join(self.work, "restore-report")
        p, took = self.script("restore.sh", "--backup", backup, "--database", self.db["billing"],
                              "--group", f"{self.db['billing']}={self.group}",
                              "--invoice-topic", self.topics["invoice"],
                              "--operation-topic", self.topics["operation"], "--report", report)
        check(p.returncode == 0, f"restore.sh succeeded ({took:.1f} s)")
        if p.returncode != 0:
            return

        behind = self.versions_behind()
        check(behind > 0, f"the restored database lacks the versions of {behind} contracts "
                          "published after the backup")
        restored = {r["operation_id"] for r in self.sql(
            "billing", "SELECT operation_id FROM operations WHERE status = 'ACCEPTED'")}
        restored_inv = {r["invoice_ref"] for r in self.sql("billing",
                                                           "SELECT invoice_ref FROM invoices")}
        written_back_issued = sum(1 for r, st in self.statuses().items()
                                  if st == "ISSUED" and r in later)
        counter = self.sql("billing", "SELECT coalesce(max(last), 0) AS n FROM invoice_counters")
        check(counter[0]["n"] >= highest,
              f"the invoice counter is at {counter[0]['n']}, past the highest number issued "
              f"({highest})")

        def lost(name):
            with open(os.path.join(report, name)) as f:
                return {e["data"]["operationId"]: e["data"] for e in
                        (json.loads(line) for line in f if line.strip())}
        lost_open = lost("lost-operations-open.jsonl")
        lost_invoiced = lost("lost-operations-invoiced.jsonl")
        lost_ops = set(lost_open) | set(lost_invoiced)
        check(lost_open and lost_invoiced and not (set(lost_open) & set(lost_invoiced))
              and not (lost_ops & restored) and lost_ops | restored == accepted,
              f"accepted operations ({len(accepted)}) = restored ({len(restored)}) + listed as "
              f"lost, on no invoice ({len(lost_open)}) or on one ({len(lost_invoiced)})")
        check(restored_inv == invoices,
              f"every invoice is back ({len(restored_inv & invoices)} of {len(invoices)}, the "
              f"{second} issued after the backup written back from the invoice topic)")
        # billing again: replays the contract topic from the backup's offsets.
        t0 = time.time()
        self.inst["billing"].start()
        check(self.inst["billing"].wait_ready(60), "billing is ready after the restore")
        caught_up = wait_until(lambda: self.versions_behind() == 0, 60)
        check(caught_up, f"billing's read model has every contract's current version again "
                         f"({time.time() - t0:.1f} s after its start)")
        settled = wait_until(lambda: self.unsettled() == 0, 60)
        again = self.statuses()
        check(settled and again == statuses and written_back_issued == len(later) == second,
              f"the {written_back_issued} invoices written back as ISSUED have their status again "
              f"from the replayed invoice.sent and payment events (all {len(again)} as before the "
              f"drop: {sorted(set(again.values()))})")
        missing = {}
        for d in lost_open.values():
            c = d["contractId"]
            missing[c] = missing.get(c, 0) + d["order"]["totalWithTax"]["minorUnits"]
        now = {r["contract_id"]: r["outstanding"] for r in
               self.sql("billing", "SELECT contract_id, outstanding FROM accounts")}
        wrong = [c for c, v in outstanding.items() if v - now.get(c, 0) != missing.get(c, 0)]
        check(not wrong, "once replayed, each outstanding balance lacks exactly the operations "
                         f"listed as lost on no invoice ({len(wrong)} wrong)")

        rng = random.Random(2)
        answers = [self.purchase(rng, ref, self.today) for ref in self.refs]
        check(answers.count(201) > 0, f"purchases accepted after the restore "
                                      f"({answers.count(201)} of {len(answers)})")
        # The remedy docs/operations.md gives for a lost operation: post it again, with the
        # request restore.sh wrote for it (and its operationId as the Idempotency-Key).
        reposted = []
        with open(os.path.join(report, "repost-operations.tsv")) as f:
            rows = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
        for key, body in rows:
            status, doc = self.client.call("billing", "POST", "/operations", json.loads(body),
                                           key=f"restore-{key}")
            reposted.append(status if status == 201 else (status, doc))
        check(len(rows) == len(lost_open) and reposted.count(201) == len(rows),
              f"the {len(rows)} lost operations on no invoice posted again are accepted"
              + ("" if reposted.count(201) == len(rows) else f": {reposted[:3]}"))
        third = self.billing_run(self.today[:7])
        self.quiet()
        after = {r["invoice_ref"] for r in self.sql("billing", "SELECT invoice_ref FROM invoices")}
        new = after - restored_inv
        check(third > 0 and all(int(r.split("-")[-1]) > highest for r in new),
              f"{third} invoices issued after the restore, numbered above {highest}: "
              f"{', '.join(sorted(new)[:3])}...")
        refs, lines = self.issued()
        reused = [r for r, ids in refs.items() if len(ids) > 1]
        check(not reused and len(refs) == first + second + third,
              f"no invoice number reused on the invoice topic ({len(refs)} numbers)")
        twice = [op for op, n in lines.items() if n > 1]
        check(not twice, f"no operation on two invoices ({len(lines)} operations invoiced)")
        # payment and invoice-mailer kept their offsets: nothing mailed or debited twice.
        settled = wait_until(lambda: self.unsettled() == 0, 60)
        mails = len(os.listdir(os.path.join(self.work, "mail")))
        debits = self.sql("payment", "SELECT count(*) AS n FROM bank_sim_debits"
                          " WHERE status = 'BOOKED'")[0]["n"]
        check(settled and mails == len(refs) and debits == len(refs),
              f"one mail and one debit per invoice ({mails} mails, {debits} debits, "
              f"{len(refs)} invoices)")
        log(f"figures: {len(accepted)} operations accepted before the drop, {len(lost_ops)} "
            f"lost with it ({len(lost_invoiced)} of them on an invoice written back), "
            f"{second} invoices written back, {behind} contracts replayed; restore {took:.1f} s")


def main():
    for p in ("services/contract/boissipay-contract", "services/billing/boissipay-billing"):
        if not os.access(os.path.join(BIN, p), os.X_OK):
            print(f"[backup-test] {p} not built under {BIN}", file=sys.stderr)
            return 2
    if not port_open(PG_PORT) or not port_open(KAFKA_PORT):
        print("[backup-test] the test stack does not run (scripts/test-stack.sh up)",
              file=sys.stderr)
        return 2
    t = Test()
    t0 = time.time()
    try:
        t.setup()
        t.scenario()
    except Exception as e:  # a broken step is a failure with its reason
        check(False, f"scenario: {e}")
    finally:
        t.teardown()
    log(f"{len(failures)} failed, {time.time() - t0:.0f} s (logs: {t.work})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
