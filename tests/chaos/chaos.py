#!/usr/bin/python3
"""Boissipay chaos run (started by tests/chaos/run.sh, which brings the test stack up and
down): the four daemons, N instances each of billing, payment and invoice-mailer (2 by
default; from 3 on, the last instance of each is added after a third of the load), load
through the REST APIs while instances are SIGKILLed and started again and the broker and
the database are restarted, a month-end run, a wait until everything is quiet, then the
reconciliation (reconcile.py). Exit status 0 only when every invariant holds.
"""

import argparse
import datetime
import os
import random
import signal
import subprocess
import sys
import threading
import time
import zoneinfo

import cluster
import load
import reconcile


def log(msg):
    print(f"[chaos] {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


class Monkey(threading.Thread):
    """Kills a random instance every few seconds and starts it again (same environment
    and port); restarts Kafka and PostgreSQL at the given times."""

    def __init__(self, stack, instances, rng, interval, kafka_at, pg_at):
        super().__init__(daemon=True)
        self.stack = stack
        self.instances = instances
        self.rng = rng
        self.interval = interval
        self.kafka_at = kafka_at
        self.pg_at = pg_at
        self.stopping = threading.Event()
        self.kills = 0
        self.restarts = 0
        self.kafka_restarts = 0
        self.pg_restarts = 0
        self.down = []  # (what, from, to): a dependency was away
        self.weights = None  # service -> weight (None: every instance alike)
        self.errors = []
        self.lock = threading.Lock()

    def pick(self):
        cands = self.instances
        if self.weights:
            w = [self.weights.get(i.service, 1) for i in cands]
            return self.rng.choices(cands, w)[0]
        return self.rng.choice(cands)

    def restart_dependency(self, what):
        t0 = time.time()
        log(f"stopping {what}")
        try:
            self.stack.action(f"{what}-stop")
            time.sleep(self.rng.uniform(2, 4))
            self.stack.action(f"{what}-start")
        except subprocess.SubprocessError as e:
            self.errors.append(f"{what} restart: {e}")
        self.down.append((what, t0, time.time()))
        log(f"{what} back after {time.time() - t0:.1f} s")

    def run(self):
        while not self.stopping.wait(self.rng.uniform(0.6, 1.4) * self.interval):
            now = time.time()
            if self.kafka_at and now >= self.kafka_at[0]:
                self.kafka_at.pop(0)
                self.restart_dependency("kafka")
                self.kafka_restarts += 1
                continue
            if self.pg_at and now >= self.pg_at[0]:
                self.pg_at.pop(0)
                self.restart_dependency("pg")
                self.pg_restarts += 1
                continue
            self.strike(self.pick(), self.rng.uniform(0.2, 1.5))

    def strike(self, inst, pause):
        """SIGKILL, a pause, the same instance again (one strike at a time)."""
        with self.lock:
            if inst.kill():
                self.kills += 1
                log(f"killed {inst.name}")
            else:
                self.errors.append(f"{inst.name} had exited by itself ({inst.exit_status()})")
            time.sleep(pause)
            inst.start()
            self.restarts += 1

    def stop(self):
        self.stopping.set()
        self.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--state", required=True, help="the test stack's STATE_DIR")
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--kafka-port", type=int, required=True)
    ap.add_argument("--kafka-controller-port", type=int, required=True)
    ap.add_argument("--port-base", type=int, required=True,
                    help="first of 2 + 3 * INSTANCES daemon/SMTP ports")
    ap.add_argument("--instances", type=int, default=2,
                    help="instances of billing, payment and invoice-mailer each")
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    # SIGTERM (ctest's timeout, run.sh's trap) stops the daemons on the way out too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    t_start = time.time()
    total = a.minutes * 60
    long_run = a.minutes > 5
    contracts = 120 if long_run else 40
    threads = 8 if long_run else 6
    interval = 4.0 if long_run else 6.0
    # Time left after the stack's start-up: load, a month-end run under chaos, the quiet
    # wait, the reconciliation and the stack's stop.
    tail = 45 if long_run else 20
    quiet_limit = 150 if long_run else 75
    # Typical: the stack's start 15 s, the runs and the quiet wait 20 s, the checks 10 s.
    load_s = max(30.0, total - 55 - tail - 25)
    rng = random.Random(a.seed)

    run_dir = os.path.join(a.state, "chaos")
    os.makedirs(run_dir, exist_ok=True)
    mail_dir = os.path.join(run_dir, "mail")
    os.makedirs(mail_dir, exist_ok=True)
    for f in os.listdir(mail_dir):
        os.unlink(os.path.join(mail_dir, f))

    stack = cluster.Stack(a.root, a.state, a.pg_port, a.kafka_port, a.kafka_controller_port)
    stack.create_databases(["contract", "billing", "payment", "mailer"])

    ports = list(range(a.port_base, a.port_base + 2 + 3 * a.instances))
    busy = [p for p in ports if cluster.port_open(p)]
    if busy:
        log(f"ports in use: {busy}")
        return 2
    smtp_port = ports.pop()
    smtp = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(a.root, "tests/support/smtp_sink.py"),
         "--port", str(smtp_port), "--dir", mail_dir],
        stdout=open(os.path.join(run_dir, "smtp.log"), "wb"), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL)

    day = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Paris")).date().isoformat()
    months = 4 if long_run else 3
    periods = [d[:7] for d in load.operation_days(day, months)]
    fail_mandates = load.failing_mandates(contracts)
    insufficient_above = 400000
    extra = {
        "contract": {},
        "billing": {"BP_BILLING_SCHEDULE": "false"},
        "payment": {"BP_PAYMENT_COLLECT": "at-once", "BP_BANK_DELAY_MS": "400",
                    "BP_BANK_FAIL_MANDATES": fail_mandates,
                    "BP_BANK_INSUFFICIENT_ABOVE_MINOR": str(insufficient_above),
                    "BP_PAYMENT_DUE_POLL_MS": "1000",
                    # a refusal is final at once: the reconciliation expects AM04 FAILED
                    "BP_PAYMENT_RETRY_DAYS": "none"},
        "invoice-mailer": {"BP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                           "BP_SMTP_RETRY_MIN_MS": "200", "BP_SMTP_RETRY_MAX_MS": "2000"},
    }
    n_inst = a.instances
    plan = [("contract", 1), ("billing", n_inst), ("payment", n_inst), ("invoice-mailer", n_inst)]
    instances, by_service, late = [], {}, []
    for svc, n in plan:
        for k in range(1, n + 1):
            port = ports.pop(0)
            name = svc if n == 1 else f"{svc}-{k}"
            inst = cluster.Instance(name, svc, a.bin_dir,
                                    cluster.instance_env(stack, svc, port, extra[svc]),
                                    port, run_dir)
            instances.append(inst)
            # From three instances on, the last of each consumer joins its group under load.
            if n >= 3 and k == n:
                late.append(inst)
                by_service.setdefault(svc, [])
            else:
                by_service.setdefault(svc, []).append(inst)

    rc = 1
    monkey = None
    try:
        early = [i for i in instances if i not in late]
        for inst in early:
            inst.start()
        for inst in early:
            if not inst.wait_ready(60):
                log(f"{inst.name} is not ready (log: {inst.log})")
                return 1
        log("ready: " + ", ".join(f"{i.name} :{i.port}" for i in early)
            + (f"; later: {', '.join(i.name for i in late)}" if late else "")
            + f", smtp :{smtp_port}; periods {' '.join(periods)}; {load_s:.0f} s of load")

        recorder = load.Recorder()
        client = load.Client(by_service, recorder)
        driver = load.Load(client, day, months, contracts, threads, 0, 10 ** 9, a.seed)
        created = driver.create_contracts("CTR-CH")
        log(f"{created} contracts created")
        if created == 0:
            return 1

        t_load = time.time()
        driver.deadline = t_load + load_s
        driver.max_requests = int(load_s * driver.rate * 1.5)
        monkey = Monkey(stack, list(early), rng, interval,
                        kafka_at=[t_load + load_s * f for f in ((0.25, 0.7) if long_run else (0.3,))],
                        pg_at=[t_load + load_s * f for f in ((0.45, 0.85) if long_run else (0.6,))])
        monkey.start()

        def add_late():
            time.sleep(load_s / 3)
            for inst in late:
                with monkey.lock:  # not while a strike is under way
                    inst.start()
                if inst.wait_ready(60):
                    by_service[inst.service].append(inst)
                    monkey.instances.append(inst)
                    log(f"added {inst.name}")
                else:
                    monkey.errors.append(f"{inst.name} added, not ready")
        adder = threading.Thread(target=add_late, daemon=True)
        adder.start()
        driver.run()
        adder.join()
        log(f"load done: {len(recorder.requests)} requests, kills so far {monkey.kills}")

        # Month ends, oldest period first, under chaos: each on both billing instances at
        # once, one of which is killed while its run may be under way; then a mailer and a
        # payment instance while the mails and the debits of that run flow.
        monkey.weights = {"billing": 2, "payment": 3, "invoice-mailer": 3, "contract": 0.5}
        monkey.interval = max(1.5, interval / 3)
        for period in periods:
            runs = []

            def run_on(inst, period=period, runs=runs):
                c = load.Client({"billing": [inst]}, recorder, timeout=60, give_up=40)
                runs.append(c.call("billing", "POST", "/billing-runs", {"period": period},
                                   kind="billing-run"))

            rt = [threading.Thread(target=run_on, args=(i,)) for i in by_service["billing"]]
            for t in rt:
                t.start()
            time.sleep(rng.uniform(0.01, 0.3))
            monkey.strike(rng.choice(by_service["billing"]), 0.3)
            monkey.strike(rng.choice(by_service["invoice-mailer"]), 0.3)
            monkey.strike(rng.choice(by_service["payment"]), 0.3)
            for t in rt:
                t.join()
            log(f"billing runs {period}: " + ", ".join(
                f"{st} {(doc or {}).get('counts')}" for st, doc in runs))
            time.sleep(tail / len(periods))
        monkey.stop()
        log(f"chaos over: {monkey.kills} kills, {monkey.restarts} restarts,"
            f" Kafka {monkey.kafka_restarts}, PostgreSQL {monkey.pg_restarts}")
        for inst in instances:
            if not inst.alive():
                log(f"{inst.name} exited by itself ({inst.exit_status()}): started again")
                monkey.errors.append(f"{inst.name} exited by itself ({inst.exit_status()})")
                inst.start()
        for inst in instances:
            if not inst.wait_ready(60):
                log(f"{inst.name} is not ready after the chaos")
        # Whatever an interrupted run left: one more run, after the chaos.
        final = load.Client(by_service, recorder, timeout=60, give_up=60).call(
            "billing", "POST", "/billing-runs", {"period": periods[-1]}, kind="billing-run")
        log(f"final billing run: {final[0]} {((final[1] or {}).get('counts'))}")

        quiet_deadline = time.time() + quiet_limit
        ok, waited = reconcile.wait_quiet(stack, quiet_deadline, log)
        log(("quiet" if ok else "NOT quiet") + f" after {waited:.0f} s")
        if os.environ.get("BP_CHAOS_TAMPER") == "1":
            reconcile.tamper(stack, mail_dir, log)
        ctx = reconcile.Context(stack=stack, recorder=recorder, driver=driver,
                                monkey=monkey, mail_dir=mail_dir,
                                fail_mandates=fail_mandates,
                                insufficient_above=insufficient_above, quiet=ok,
                                instances=instances, root=a.root)
        rc = reconcile.run(ctx)
        log(f"total {time.time() - t_start:.0f} s")
    finally:
        if monkey is not None and monkey.is_alive():
            monkey.stop()
        for inst in instances:
            inst.stop()
        smtp.terminate()
        smtp.wait()
    return rc


if __name__ == "__main__":
    sys.exit(main())
