"""The chaos run's clients: several threads drive contracts, purchases and refunds through
the REST APIs, each request with an Idempotency-Key that its retries reuse (after a
timeout, a connection error or a 5xx), spread over the instances of each service. Every
answer is recorded (what the reconciliation checks against the specs), and every logical
request with its final answer.
"""

import datetime
import http.client
import json
import random
import threading
import time
import uuid

from cluster import API_KEY

IBAN = "DE89370400440532013000"
VAT_RATES = [0, 5.5, 10, 20]
MANDATES_PER_CONTRACT = 6  # the first and up to five replacements


def mandate_ref(i, k):
    return f"MDT-CH{i:04d}-{k}"


def failing_mandates(contracts):
    """The simulated bank's refusals: every mandate of one contract in six fails AC04,
    of another one in six MS03 (BP_BANK_FAIL_MANDATES)."""
    rules = []
    for i in range(contracts):
        code = {5: "AC04", 2: "MS03"}.get(i % 6)
        if code:
            rules += [f"{mandate_ref(i, k)}:{code}" for k in range(MANDATES_PER_CONTRACT)]
    return ",".join(rules)


def operation_days(today, months):
    """One operation date in each of the last MONTHS billing periods, today's included:
    the 10th of the earlier months, today in the current one."""
    d = datetime.date.fromisoformat(today)
    days = [d]
    for _ in range(months - 1):
        first = days[-1].replace(day=1) - datetime.timedelta(days=1)
        days.append(first.replace(day=10))
    return [x.isoformat() for x in reversed(days)]


def money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


class Recorder:
    """Every HTTP answer and every logical request, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []  # (service, method, path, status or None, error code, time)
        self.requests = []  # dicts: kind, service, method, path, key, body, status, doc, t, attempts

    def answer(self, *row):
        with self.lock:
            self.answers.append(row)

    def request(self, rec):
        with self.lock:
            self.requests.append(rec)


class Client:
    def __init__(self, instances, recorder, timeout=10.0, give_up=60.0):
        self.instances = instances  # service -> [Instance]
        self.rec = recorder
        self.timeout = timeout
        self.give_up = give_up

    def once(self, inst, method, path, body, key):
        headers = {"Authorization": f"Bearer {API_KEY}", "Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        conn = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def call(self, service, method, path, body=None, kind=None, key="auto"):
        """One logical request, retried with the same key until an answer below 500 or
        the give-up time. Returns (status or None, parsed body or None)."""
        if key == "auto":
            key = str(uuid.uuid4()) if method in ("POST", "PUT") else None
        start = time.time()
        deadline = start + self.give_up
        delay = 0.1
        attempts = 0
        status, doc = None, None
        while True:
            inst = random.choice(self.instances[service])
            attempts += 1
            code = None
            try:
                status, raw = self.once(inst, method, path, body, key)
                try:
                    doc = json.loads(raw) if raw else None
                except ValueError:
                    doc = None
                if status >= 400 and isinstance(doc, dict):
                    errs = doc.get("errors") or [{}]
                    code = errs[0].get("errorCode")
                self.rec.answer(service, method, path, status, code, time.time())
            except (OSError, http.client.HTTPException) as e:
                status, doc = None, None
                self.rec.answer(service, method, path, None, type(e).__name__, time.time())
            if status is not None and status < 500:
                break
            if time.time() + delay > deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        self.rec.request({"kind": kind or f"{method} {path}", "service": service,
                          "method": method, "path": path, "key": key, "body": body,
                          "status": status, "doc": doc, "t": time.time(), "start": start,
                          "attempts": attempts})
        return status, doc


class Contract:
    def __init__(self, i, ref):
        self.i = i
        self.ref = ref
        self.mandates = 1  # next replacement: mandate_ref(i, self.mandates)
        self.limits = set()
        self.purchases = []  # [orderRef, total minor, refunded minor, date] accepted (as seen)
        self.lock = threading.Lock()


class Load:
    """The clients' world: contracts created first, then threads of mixed operations."""

    def __init__(self, client, day, months, contracts, threads, deadline, max_requests,
                 rng_seed, rate=40.0):
        self.client = client
        self.day = day  # today (YYYY-MM-DD): the last operation date
        self.days = operation_days(day, months)  # one date per billing period, oldest first
        self.n_contracts = contracts
        self.n_threads = threads
        self.deadline = deadline
        self.max_requests = max_requests
        self.seed = rng_seed
        self.rate = rate  # requests per second, all threads together (paced, not a target)
        self.contracts = []
        self.sent = 0
        self.lock = threading.Lock()
        self.orders = 0

    def contract_body(self, i, ref):
        d = datetime.date.fromisoformat(self.day)
        rng = random.Random(self.seed * 1000 + i)
        limit = rng.randrange(500, 5000) * 100
        return {
            "contractRef": ref, "contractType": "DEFERRED_BILLING",
            "createdAt": (d - datetime.timedelta(days=40 * len(self.days) + 10)).isoformat(),
            "activatedAt": (d - datetime.timedelta(days=40 * len(self.days))).isoformat(),
            "expireAt": (d + datetime.timedelta(days=365)).isoformat(),
            "distributor": {"distributorRef": "chaos SA"},
            "subscriber": {"subscriberType": "PROFESSIONNAL", "subscriberRef": f"CUST {i}",
                           "party": {"customerRef": f"CUST-{i:04d}"},
                           "contactPerson": {"lastName": "DOE", "mail": f"c{i}@chaos.example"}},
            "payment": {"mandate": {"reference": mandate_ref(i, 0), "iban": IBAN,
                                    "signedAt": (d - datetime.timedelta(days=40 * len(self.days))).isoformat()}},
            "billing": {"creditLimit": {"amount": money(limit), "currency": "EUR"},
                        "paymentTermDays": rng.choice([0, 0, 15, 30]),
                        "invoiceEmail": f"ap-{i:04d}@chaos.example"},
        }

    def create_contracts(self, prefix):
        """Creates the contracts from several threads; returns how many were created."""
        todo = list(range(self.n_contracts))
        lock = threading.Lock()

        def work():
            while True:
                with lock:
                    if not todo:
                        return
                    i = todo.pop(0)
                ref = f"{prefix}-{i:04d}"
                body = self.contract_body(i, ref)
                status, _ = self.client.call("contract", "POST", "/contracts", body,
                                             kind="contract.create")
                if status == 201:
                    c = Contract(i, ref)
                    c.limits.add(int(body["billing"]["creditLimit"]["amount"].replace(".", "")))
                    with lock:
                        self.contracts.append(c)

        ts = [threading.Thread(target=work, daemon=True) for _ in range(self.n_threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.contracts.sort(key=lambda c: c.i)
        return len(self.contracts)

    def next_order(self, prefix):
        with self.lock:
            self.orders += 1
            return f"{prefix}-{self.orders:06d}"

    # --- one action each -------------------------------------------------------------------
    def purchase(self, rng, c):
        items = []
        for _ in range(rng.randint(1, 3)):
            items.append({"productLabel": rng.choice(["Paris-Lyon", "Hotel Lyon", "Nice-Paris"]),
                          "quantity": rng.randint(1, 3),
                          "unitPrice": money(rng.randrange(500, 12000)),
                          "vatRate": rng.choice(VAT_RATES)})
        order = self.next_order("ORD")
        day = rng.choice(self.days)
        body = {"contractRef": c.ref, "operationAt": day,
                "order": {"orderRef": order, "currencyCode": "EUR", "orderType": "PS",
                          "orderItems": [{"productItems": items}]}}
        status, doc = self.client.call("billing", "POST", "/operations", body, kind="purchase")
        if status == 201 and isinstance(doc, dict):
            total = doc["order"]["totalWithTax"]["minorUnits"]
            with c.lock:
                c.purchases.append([order, total, 0, day])

    def refund(self, rng, c):
        with c.lock:
            open_ = [p for p in c.purchases if p[1] - p[2] > 100]
            if open_:
                p = rng.choice(open_)
                cents = rng.randrange(100, p[1] - p[2] + 1)
                # the same period as the purchase, or a later one (a credit on a later invoice)
                day = rng.choice([d for d in self.days if d >= p[3]])
        if not open_:
            return self.purchase(rng, c)
        body = {"contractRef": c.ref, "operationType": "REFUND", "refundOf": p[0],
                "operationAt": day,
                "order": {"orderRef": self.next_order("RF"), "orderItems": [{"productItems": [
                    {"productLabel": "refund", "quantity": 1, "unitPrice": money(cents),
                     "vatRate": 0}]}]}}
        status, _ = self.client.call("billing", "POST", "/operations", body, kind="refund")
        if status == 201:
            with c.lock:
                p[2] += cents

    def lifecycle(self, rng, c):
        what = rng.choice(["suspend", "reactivate", "reactivate"])
        body = {"reason": "chaos"} if what == "suspend" else None
        self.client.call("contract", "POST", f"/contracts/{c.ref}/{what}", body,
                         kind="contract.change")

    def cancel(self, rng, c):
        self.client.call("contract", "POST", f"/contracts/{c.ref}/cancel",
                         {"reason": "chaos: customer left"}, kind="contract.change")

    def credit_limit(self, rng, c):
        with c.lock:
            while True:
                cents = rng.randrange(300, 6000) * 100 + rng.randrange(100)
                if cents not in c.limits:
                    c.limits.add(cents)
                    break
        self.client.call("contract", "PUT", f"/contracts/{c.ref}/credit-limit",
                         {"amount": money(cents), "currency": "EUR"}, kind="contract.change")

    def mandate(self, rng, c):
        if rng.random() < 0.4:
            self.client.call("contract", "POST", f"/contracts/{c.ref}/mandate/revoke", None,
                             kind="contract.change")
            return
        with c.lock:
            if c.mandates >= MANDATES_PER_CONTRACT:
                return
            k = c.mandates
            c.mandates += 1
        d = datetime.date.fromisoformat(self.day)
        self.client.call("contract", "PUT", f"/contracts/{c.ref}/mandate",
                         {"reference": mandate_ref(c.i, k), "iban": IBAN,
                          "signedAt": (d - datetime.timedelta(
                              days=40 * len(self.days) + rng.randrange(0, 5))).isoformat()},
                         kind="contract.change")

    def read(self, rng, c):
        path, svc = rng.choice([
            (f"/contracts/{c.ref}/account", "billing"),
            (f"/operations?contractRef={c.ref}&page=1&size=20", "billing"),
            (f"/contracts/{c.ref}", "contract"),
        ])
        self.client.call(svc, "GET", path, kind="read")

    ACTIONS = [("purchase", 62), ("refund", 10), ("lifecycle", 6), ("credit_limit", 7),
               ("mandate", 4), ("cancel", 0.4), ("read", 10)]

    def run_thread(self, n):
        rng = random.Random(self.seed * 7919 + n)
        names = [a for a, _ in self.ACTIONS]
        weights = [w for _, w in self.ACTIONS]
        while time.time() < self.deadline:
            with self.lock:
                if self.sent >= self.max_requests:
                    return
                self.sent += 1
            c = rng.choice(self.contracts)
            getattr(self, rng.choices(names, weights)[0])(rng, c)
            time.sleep(rng.expovariate(self.rate / self.n_threads))

    def run(self):
        ts = [threading.Thread(target=self.run_thread, args=(n,), daemon=True)
              for n in range(self.n_threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
