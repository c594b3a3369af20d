"""The chaos run's launcher: the four daemons (several instances of a service share its
database and consumer group), the SMTP sink, the test stack's PostgreSQL and Kafka, and the
queries the reconciliation reads them with. The approach of tests/api/run_schemathesis.sh
(own databases, common environment, wait for /ready), in Python, because instances are
killed and started again with the very same environment and port.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

API_KEY = "chaos-writer-key-0123456789"

SERVICES = {
    # service: (binary under the build tree, database)
    "contract": ("services/contract/boissipay-contract", "contract"),
    "billing": ("services/billing/boissipay-billing", "billing"),
    "payment": ("services/payment/boissipay-payment", "payment"),
    "invoice-mailer": ("services/invoice-mailer/boissipay-invoice-mailer", "mailer"),
}


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """The throw-away PostgreSQL and Kafka of scripts/test-stack.sh, already up."""

    def __init__(self, root, state, pg_port, kafka_port, controller_port):
        self.root = root
        self.state = state
        self.pg_port = pg_port
        self.kafka = f"127.0.0.1:{kafka_port}"
        self.env = dict(
            os.environ,
            BP_TEST_PG_PORT=str(pg_port),
            BP_TEST_KAFKA_PORT=str(kafka_port),
            BP_TEST_KAFKA_CONTROLLER_PORT=str(controller_port),
        )
        self.admin = f"postgresql://boissipay@127.0.0.1:{pg_port}/postgres"

    def db_url(self, db):
        return f"postgresql://boissipay@127.0.0.1:{self.pg_port}/{db}"

    def action(self, what):
        """kafka-stop, kafka-start, pg-stop, pg-start (scripts/test-stack.sh)."""
        subprocess.run(
            [os.path.join(self.root, "scripts/test-stack.sh"), what, self.state],
            env=self.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=180)

    def create_databases(self, names):
        for db in names:
            psql(self.admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", raw=True)
            psql(self.admin, f"CREATE DATABASE {db}", raw=True)

    def query(self, db, sql):
        """Rows of SQL as a list of dicts (through psql: no driver needed)."""
        return psql(self.db_url(db), sql)

    def execute(self, db, sql):
        psql(self.db_url(db), sql, raw=True)

    def topic(self, name):
        """Every message of a topic: dicts with partition, offset, key, value (text)."""
        out = subprocess.run(
            ["kcat", "-b", self.kafka, "-C", "-t", name, "-o", "beginning", "-e", "-q", "-J"],
            check=True, capture_output=True, text=True, timeout=120).stdout
        msgs = []
        for line in out.splitlines():
            if line.strip():
                m = json.loads(line)
                msgs.append({"partition": m["partition"], "offset": m["offset"],
                             "key": m.get("key"), "value": m.get("payload")})
        return msgs

    def consumer_lag(self):
        """{(group, topic, partition): lag} of every consumer group (Kafka's own tool)."""
        libs = os.path.join(self.root, ".stack/kafka-libs/*")
        out = subprocess.run(
            ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             "-Dlog4j.configuration=file:" + os.path.join(self.state, "kafka/tools-log4j.properties"),
             "-cp", libs, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
             "--bootstrap-server", self.kafka, "--describe", "--all-groups"],
            capture_output=True, text=True, timeout=120).stdout
        lag = {}
        for line in out.splitlines():
            f = line.split()
            # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
            if len(f) >= 6 and f[0] != "GROUP" and f[2].isdigit() and f[4].isdigit():
                current = int(f[3]) if f[3].isdigit() else 0
                lag[(f[0], f[1], int(f[2]))] = int(f[4]) - current
        return lag


def psql(url, sql, raw=False):
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c"]
    if raw:
        subprocess.run(cmd + [sql], check=True, capture_output=True, timeout=120)
        return None
    wrapped = f"SELECT coalesce(json_agg(x), '[]') FROM ({sql}) x"
    out = subprocess.run(cmd + [wrapped], check=True, capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, PGCONNECT_TIMEOUT="5")).stdout
    return json.loads(out)


class Instance:
    """One daemon process, started again with the same environment and port after a kill."""

    def __init__(self, name, service, bin_dir, env, port, log_dir):
        self.name = name
        self.service = service
        self.binary = os.path.join(bin_dir, SERVICES[service][0])
        self.env = env
        self.port = port
        self.log = os.path.join(log_dir, f"{name}.log")
        self.proc = None
        self.starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log, "ab") as log:
            log.write(f'{{"chaos": "start {self.name} at {time.time():.3f}"}}\n'.encode())
            log.flush()
            self.proc = subprocess.Popen([self.binary], env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.starts += 1

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL; returns False when it was not running (it died by itself)."""
        if not self.alive():
            return False
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return True

    def stop(self):
        """SIGTERM (SIGKILL after 20 s); the exit status (None: it was not running)."""
        if not self.alive():
            return None
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "still running 20 s after SIGTERM"

    def exit_status(self):
        return None if self.proc is None else self.proc.poll()

    def ready(self):
        try:
            with urllib.request.urlopen(self.url + "/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.ready():
                return True
            if not self.alive():
                return False
            time.sleep(0.2)
        return False


def instance_env(stack, service, port, extra):
    db = SERVICES[service][1]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BP_HTTP_BIND": "127.0.0.1",
        "BP_HTTP_PORT": str(port),
        "BP_DATABASE_URL": stack.db_url(db),
        "BP_KAFKA_BROKERS": stack.kafka,
        "BP_API_KEYS": f"{API_KEY}:rw",
        "BP_OUTBOX_POLL_MS": "200",
        "BP_SHUTDOWN_GRACE_SECONDS": "2",
        "BP_HTTP_ACCESS_LOG": "false",
    }
    env.update(extra)
    return env
