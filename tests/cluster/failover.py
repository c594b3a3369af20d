#!/usr/bin/python3
"""Boissipay broker failover run (started by tests/cluster/run.sh, which brings up the test
stack with a three-node Kafka cluster and takes it down): contract, two billing instances,
payment and invoice-mailer on topics of 3 replicas and min.insync.replicas=2; purchases,
refunds and contract changes through the REST APIs while

  1. the leader of the busiest partition is SIGKILLed, and started again 10 s later;
  2. then the new leader of the busiest partition is SIGKILLed and, once it is fenced, a
     second node too: one node left, every partition below its min ISR (and the controller
     quorum lost); the second node comes back after 8 s, the first after it.

Producers (the outbox relays, acks=all + idempotence) wait or retry; the REST writes must
still answer 201, the outbox holding the events. Then the month-end runs, a wait until
quiet, and the chaos run's reconciliation (tests/chaos/reconcile.py: every 201 on the
topic exactly once by event id, every consumer applied it exactly once, balances) plus the
outboxes against the topics. Prints the failover figures (new leader after, producers'
longest wait, catching up). Exit status 0 only when every invariant holds.
"""

import argparse
import collections
import datetime
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "chaos"))

import cluster  # noqa: E402  (tests/chaos)
import load  # noqa: E402
import reconcile  # noqa: E402

TOPICS = ["contract", "operation", "invoice", "payment"]


def log(msg):
    print(f"[failover] {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


class Brokers:
    """The nodes of the test stack's Kafka cluster: metadata through kcat, SIGKILL through
    the pid file, start again through scripts/test-stack.sh kafka-node-start."""

    def __init__(self, stack, nodes, port):
        self.stack = stack
        self.nodes = nodes
        self.ports = {i: port + 2 * (i - 1) for i in range(1, nodes + 1)}
        self.alive = set(self.ports)

    def bootstrap(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.ports.values())

    def _any(self):
        return ",".join(f"127.0.0.1:{self.ports[i]}" for i in sorted(self.alive) or self.ports)

    def partitions(self, replicas=None):
        """{(topic, partition): (leader, [isr])} of TOPICS (None when unreadable); REPLICAS,
        a dict, gets {(topic, partition): [replicas]}."""
        try:
            # (kcat -L takes one -t: every topic, filtered below)
            out = subprocess.run(["kcat", "-b", self._any(), "-L", "-m", "3"],
                                 capture_output=True, text=True, timeout=10).stdout
        except subprocess.TimeoutExpired:
            return None
        res, topic = {}, None
        for line in out.splitlines():
            m = re.match(r'\s*topic "([^"]+)"', line)
            if m:
                topic = m.group(1)
                continue
            m = re.match(r"\s*partition (\d+), leader (-?\d+), replicas: ([\d,]*), isrs: ([\d,]*)", line)
            if m and topic in TOPICS:
                res[(topic, int(m.group(1)))] = (int(m.group(2)),
                                                 [int(x) for x in m.group(4).split(",") if x])
                if replicas is not None:
                    replicas[(topic, int(m.group(1)))] = [int(x) for x in m.group(3).split(",") if x]
        return res or None

    def busiest_leader(self):
        """The partition of TOPICS with the most messages, their number, its leader."""
        counts = collections.Counter()
        for t in TOPICS:
            out = subprocess.run(["kcat", "-b", self._any(), "-C", "-t", t, "-o", "beginning",
                                  "-e", "-q", "-f", "%p\\n"],
                                 capture_output=True, text=True, timeout=60).stdout
            for line in out.split():
                counts[(t, int(line))] += 1
        parts = self.partitions()
        (t, p), n = max(counts.items(), key=lambda kv: kv[1])
        return (t, p), n, parts[(t, p)][0]

    def kill(self, i):
        pid = int(open(os.path.join(self.stack.state, "kafka", f"node-{i}", "kafka.pid")).read())
        os.kill(pid, signal.SIGKILL)
        self.alive.discard(i)

    def start(self, i):
        subprocess.run([os.path.join(self.stack.root, "scripts/test-stack.sh"), "kafka-node-start",
                        str(i), self.stack.state], env=self.stack.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=150)
        self.alive.add(i)

    def wait(self, pred, timeout):
        """Seconds until pred(partitions) holds (None: not within timeout)."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            parts = self.partitions()
            if parts and pred(parts):
                return time.time() - t0
            time.sleep(0.25)
        return None


class BrokerMonkey(threading.Thread):
    """The two failover phases, at the given times; what reconcile.run reads of a monkey."""

    def __init__(self, brokers, t_load, warmup):
        super().__init__(daemon=True)
        self.b = brokers
        self.t_load = t_load
        self.warmup = warmup
        self.kills = 0
        self.restarts = 0
        self.kafka_restarts = 0
        self.pg_restarts = 0
        self.down = []  # (what, from, to): a broker was away (not a 503 window)
        self.errors = []
        self.figures = collections.OrderedDict()
        self.windows = []  # (name, from, to): producers could be held up

    def full_isr(self, parts):
        return all(len(isr) == self.b.nodes and leader > 0 for leader, isr in parts.values())

    def run(self):
        try:
            self.phase_one()
            self.phase_two()
        except Exception as e:  # reported by the reconciliation's last line
            self.errors.append(f"broker monkey: {type(e).__name__}: {e}")
            log(f"broker monkey failed: {e}")

    def start_noting(self, i):
        try:
            self.b.start(i)
        except Exception as e:
            self.errors.append(f"start of node {i}: {type(e).__name__}: {e}")

    def phase_one(self):
        b = self.b
        delay = self.t_load + self.warmup - time.time()
        if delay > 0:
            time.sleep(delay)
        tp, n, leader = b.busiest_leader()
        log(f"busiest partition {tp[0]}/{tp[1]} ({n} messages), leader node {leader}: SIGKILL")
        t0 = time.time()
        b.kill(leader)
        self.kills += 1
        moved = b.wait(lambda p: p.get(tp, (leader,))[0] not in (leader, -1), 30)
        self.figures["phase 1: new leader elected after"] = moved
        log(f"new leader of {tp[0]}/{tp[1]} after {moved} s")
        time.sleep(max(0.0, 10 - (time.time() - t0)))
        t1 = time.time()
        b.start(leader)
        self.restarts += 1
        self.figures["phase 1: node start took"] = time.time() - t1
        back = b.wait(self.full_isr, 60)
        self.figures["phase 1: every ISR full again after the start"] = (
            None if back is None else time.time() - t1)
        self.down.append(("kafka-node", t0, time.time()))
        self.windows.append(("phase 1", t0, time.time()))
        log(f"node {leader} back in every ISR after {time.time() - t1:.1f} s")

    def phase_two(self):
        b = self.b
        time.sleep(3)
        tp, n, first = b.busiest_leader()
        log(f"busiest partition {tp[0]}/{tp[1]} ({n} messages), leader node {first}: SIGKILL")
        t0 = time.time()
        b.kill(first)
        self.kills += 1
        # Fenced: no partition led by it any more, none with it in the ISR.
        fenced = b.wait(lambda p: all(first != ld and first not in isr for ld, isr in p.values()), 30)
        self.figures["phase 2: first node fenced after"] = fenced
        second = next(i for i in sorted(b.alive))
        log(f"node {first} fenced after {fenced} s; SIGKILL node {second} too:"
            f" below min ISR, no quorum")
        t_below = time.time()
        b.kill(second)
        self.kills += 1
        time.sleep(5)
        # Both started again at once; the second's start ends the time below min ISR.
        t1 = time.time()
        first_start = threading.Thread(target=self.start_noting, args=(first,))
        first_start.start()
        b.start(second)
        self.restarts += 1
        self.figures["phase 2: below min ISR for"] = time.time() - t_below
        self.figures["phase 2: second node start took"] = time.time() - t1
        log(f"node {second} back after {time.time() - t_below:.1f} s below min ISR")
        first_start.join()
        self.restarts += 1
        back = b.wait(self.full_isr, 60)
        self.figures["phase 2: every ISR full again after the nodes' start"] = (
            None if back is None else time.time() - t1)
        self.down.append(("kafka-node", t0, time.time()))
        self.windows.append(("phase 2", t0, time.time()))
        log(f"node {first} back, every ISR full: {back is not None}")


def topic_min_isr(stack):
    """{topic: its min.insync.replicas setting} (Kafka's own topic tool)."""
    out = subprocess.run(
        ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
         "-Dlog4j.configuration=file:" + os.path.join(stack.state, "kafka/tools-log4j.properties"),
         "-cp", os.path.join(stack.root, ".stack/kafka-libs/*"),
         "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", stack.kafka, "--describe"],
        capture_output=True, text=True, timeout=120).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"Topic: (\S+)\s+TopicId:.*Configs:.*min\.insync\.replicas=(\d+)", line)
        if m:
            res[m.group(1)] = m.group(2)
    return res


def outbox_check(stack, rep, windows):
    """Every event of every outbox is on its topic (by event id); the copies published again
    (a relay retrying after a delivery it could not confirm) are counted apart. The
    producers' longest wait (created -> published) inside and outside the failover windows."""
    on_topic = collections.defaultdict(collections.Counter)
    for t in TOPICS + ["dead-letter"]:
        for e in reconcile.events(stack, t):
            on_topic[t][e.get("id")] += 1
    problems, lost, copies, total = [], 0, 0, 0
    waits = collections.defaultdict(float)
    for db in reconcile.DBS:
        rows = stack.query(db, "SELECT event_id::text AS id, topic,"
                               " extract(epoch FROM created_at)::float8 AS c,"
                               " extract(epoch FROM published_at)::float8 AS p FROM outbox")
        for r in rows:
            total += 1
            n = on_topic[r["topic"]].get(r["id"], 0)
            if n == 0:
                lost += 1
                problems.append(f"{db}: event {r['id']} ({r['topic']}) is not on its topic")
            copies += max(0, n - 1)
            if r["p"] is not None:
                w = r["p"] - r["c"]
                name = next((nm for nm, t0, t1 in windows if r["c"] <= t1 and r["p"] >= t0),
                            "outside the failovers")
                waits[name] = max(waits[name], w)
    rep.lost += lost
    rep.line(not problems, "every outbox event is on its topic (by event id)",
             f"{total} events, lost {lost}, {copies} extra copies (dropped by the inboxes)", problems)
    return waits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--state", required=True, help="the test stack's STATE_DIR")
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--kafka-port", type=int, required=True, help="node 1's port")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--port-base", type=int, required=True, help="first of 6 daemon/SMTP ports")
    ap.add_argument("--warmup-seconds", type=float, default=8,
                    help="load before the first kill; the second phase follows the first")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t_start = time.time()

    run_dir = os.path.join(a.state, "failover")
    mail_dir = os.path.join(run_dir, "mail")
    os.makedirs(mail_dir, exist_ok=True)
    for f in os.listdir(mail_dir):
        os.unlink(os.path.join(mail_dir, f))

    stack = cluster.Stack(a.root, a.state, a.pg_port, a.kafka_port, a.kafka_port + 1)
    stack.env["BP_TEST_KAFKA_NODES"] = str(a.nodes)
    brokers = Brokers(stack, a.nodes, a.kafka_port)
    stack.kafka = brokers.bootstrap()
    stack.create_databases(reconcile.DBS)

    ports = list(range(a.port_base, a.port_base + 6))
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
    months = 2
    periods = [d[:7] for d in load.operation_days(day, months)]
    contracts = 30
    fail_mandates = load.failing_mandates(contracts)
    insufficient_above = 400000
    extra = {
        "contract": {},
        "billing": {"BP_BILLING_SCHEDULE": "false"},
        "payment": {"BP_PAYMENT_COLLECT": "at-once", "BP_BANK_DELAY_MS": "200",
                    "BP_BANK_FAIL_MANDATES": fail_mandates,
                    "BP_BANK_INSUFFICIENT_ABOVE_MINOR": str(insufficient_above),
                    "BP_PAYMENT_DUE_POLL_MS": "1000"},
        "invoice-mailer": {"BP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                           "BP_SMTP_RETRY_MIN_MS": "200", "BP_SMTP_RETRY_MAX_MS": "2000"},
    }
    plan = [("contract", 1), ("billing", 2), ("payment", 1), ("invoice-mailer", 1)]
    instances, by_service = [], {}
    for svc, n in plan:
        for k in range(1, n + 1):
            port = ports.pop(0)
            name = svc if n == 1 else f"{svc}-{k}"
            inst = cluster.Instance(name, svc, a.bin_dir,
                                    cluster.instance_env(stack, svc, port, extra[svc]),
                                    port, run_dir)
            instances.append(inst)
            by_service.setdefault(svc, []).append(inst)

    rc = 1
    monkey = None
    try:
        for inst in instances:
            inst.start()
        for inst in instances:
            if not inst.wait_ready(60):
                log(f"{inst.name} is not ready (log: {inst.log})")
                return 1
        log("ready: " + ", ".join(f"{i.name} :{i.port}" for i in instances)
            + f", smtp :{smtp_port}; Kafka {stack.kafka}")

        recorder = load.Recorder()
        client = load.Client(by_service, recorder, timeout=10, give_up=60)
        driver = load.Load(client, day, months, contracts, 4, 0, 10 ** 9, a.seed, rate=30.0)
        if driver.create_contracts("CTR-FO") == 0:
            return 1
        # The load runs until both phases are over (and a few seconds more).
        t_load = time.time()
        driver.deadline = t_load + 240
        monkey = BrokerMonkey(brokers, t_load, a.warmup_seconds)
        monkey.start()
        loader = threading.Thread(target=driver.run, daemon=True)
        loader.start()
        monkey.join(timeout=200)
        if monkey.is_alive():
            monkey.errors.append("the broker monkey did not finish")
        driver.deadline = time.time() + 5
        loader.join()
        log(f"load done: {len(recorder.requests)} requests in {time.time() - t_load:.0f} s")

        for period in periods:
            st, doc = load.Client(by_service, recorder, timeout=60, give_up=60).call(
                "billing", "POST", "/billing-runs", {"period": period}, kind="billing-run")
            log(f"billing run {period}: {st} {(doc or {}).get('counts')}")
        ok, waited = reconcile.wait_quiet(stack, time.time() + 60, log)
        log(("quiet" if ok else "NOT quiet") + f" after {waited:.0f} s")
        ctx = reconcile.Context(stack=stack, recorder=recorder, driver=driver, monkey=monkey,
                                mail_dir=mail_dir, fail_mandates=fail_mandates,
                                insufficient_above=insufficient_above, quiet=ok,
                                instances=instances, root=a.root)
        if os.environ.get("BP_CHAOS_TAMPER") == "1":
            reconcile.tamper(stack, mail_dir, log)
            stack.execute("contract", "INSERT INTO outbox (event_id, topic, msg_key, payload,"
                                      " published_at) VALUES (gen_random_uuid(), 'contract',"
                                      " 'tampered', '{}', now())")
        rep = reconcile.Report()
        replicas = {}
        brokers.partitions(replicas)
        short = [f"{tp}: replicas {r}" for tp, r in sorted(replicas.items()) if len(r) != a.nodes]
        isr = topic_min_isr(stack)
        short += [f"{t}: min.insync.replicas {isr.get(t)}" for t in TOPICS if isr.get(t) != "2"]
        rep.line(replicas and not short, f"every partition has {a.nodes} replicas, every topic"
                 " min.insync.replicas=2", f"{len(replicas)} partitions of {', '.join(TOPICS)}",
                 short)
        waits = outbox_check(stack, rep, monkey.windows)
        rc = reconcile.run(ctx)
        if rep.failed or rep.lost:
            rc = 1
        writes = [r for r in recorder.requests if r["method"] in ("POST", "PUT")
                  and r["kind"] != "billing-run"]
        in_windows = [r for r in writes if any(t0 <= r["t"] <= t1 for _, t0, t1 in monkey.windows)]
        st = collections.Counter(
            "no answer" if r["status"] is None else f"{r['status'] // 100}xx" for r in in_windows)
        slowest = max((r["t"] - r["start"] for r in in_windows), default=0)
        print(f"REST writes while a broker was away: {len(in_windows)} {dict(sorted(st.items()))},"
              f" slowest {slowest:.2f} s", flush=True)
        if st.get("5xx") or st.get("no answer"):
            rc = 1
        for k, v in monkey.figures.items():
            print(f"{k}: {'not within the limit' if v is None else f'{v:.1f} s'}", flush=True)
        for k, v in waits.items():
            print(f"producers' longest wait (outbox created -> published), {k}: {v:.1f} s",
                  flush=True)
        log(f"total {time.time() - t_start:.0f} s")
    finally:
        if monkey is not None and monkey.is_alive():
            monkey.join(timeout=5)
        for inst in instances:
            inst.stop()
        smtp.terminate()
        smtp.wait()
    return rc


if __name__ == "__main__":
    sys.exit(main())
