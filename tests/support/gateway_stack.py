"""The four daemons, an SMTP sink and the gateway (nginx with deploy/nginx/), started by a test
against the ctest `stack` fixture (PostgreSQL and Kafka of scripts/test-stack.sh), each daemon
on a free port with a fresh database and topics of its own (prefixed with the test's name).

    stack = GatewayStack("browser_console", state_dir)
    stack.prepare(); stack.start()        # daemons ready, then the gateway ready
    stack.ports                           # {daemon: its own port} (start(gateway=False): no nginx)
    stack.url                             # http://127.0.0.1:<gateway port>
    ...
    problems = stack.stop()               # [] when every daemon and nginx exited cleanly

Environment: the BPT_* variables of ctest (tests/CMakeLists.txt).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

# daemon: (binary below BPT_BIN_DIR/services, database suffix)
DAEMONS = {
    "contract": ("contract/boissipay-contract", "contract"),
    "billing": ("billing/boissipay-billing", "billing"),
    "payment": ("payment/boissipay-payment", "payment"),
    "invoice-mailer": ("invoice-mailer/boissipay-invoice-mailer", "mailer"),
}
TOPICS = ("contract", "operation", "invoice", "payment", "dead-letter")
NGINX = os.environ.get("BP_NGINX", shutil.which("nginx") or "/usr/sbin/nginx")


class StackError(Exception):
    pass


def env(name):
    v = os.environ.get(name)
    if not v:
        raise StackError(f"{name} is not set (run through ctest)")
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


def call(method, url, key=None, body=None, headers=None, accept="application/json"):
    """(status, headers, parsed JSON or bytes) of one request."""
    h = {"Accept": accept, **(headers or {})}
    if key:
        h["Authorization"] = f"Bearer {key}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, hdrs, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    if "json" in (hdrs.get("Content-Type") or ""):
        return status, hdrs, json.loads(raw)
    return status, hdrs, raw


class GatewayStack:
    def __init__(self, name, state, key, daemon_env=None):
        self.name, self.state, self.key = name, state, key
        self.root, self.bin_dir = env("BPT_SOURCE_DIR"), env("BPT_BIN_DIR")
        self.daemon_env = daemon_env or {}
        self.procs, self.ports = [], {}
        self.mail_dir = os.path.join(state, "mail")
        self.gateway_dir = os.path.join(state, "gateway")
        self.url = None

    def prepare(self):
        admin = env("BPT_PG_ADMIN_URL")
        for db in {d[1] for d in DAEMONS.values()}:
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", admin,
                 "-c", f"DROP DATABASE IF EXISTS {self.name}_{db} WITH (FORCE)",
                 "-c", f"CREATE DATABASE {self.name}_{db}"],
                check=True, stdout=subprocess.DEVNULL,
                env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"})
        topics = " ".join(f"{self.name}.{t}" for t in TOPICS)
        kafka_port = env("BPT_KAFKA").rsplit(":", 1)[1]
        subprocess.run(
            ["bash", "-c",
             f'BP_LOG_TAG={self.name}; source "$0/scripts/lib/common.sh"; '
             'source "$0/scripts/lib/kafka.sh"; '
             f'kafka_create_topics "$1/kafka" {kafka_port} 1 {topics}',
             self.root, env("BPT_STATE_DIR")],
            check=True)

    def spawn(self, name, argv, extra):
        out = open(os.path.join(self.state, f"{name}.log"), "ab")
        p = subprocess.Popen(argv, env={**os.environ, **extra}, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append((name, p))
        return p

    def start(self, gateway=True):
        """The SMTP sink and the four daemons, ready; then the gateway unless gateway=False."""
        smtp = free_port()
        os.makedirs(self.mail_dir, exist_ok=True)
        self.spawn("smtp", ["/usr/bin/python3", os.path.join(self.root, "tests/support/smtp_sink.py"),
                            "--port", str(smtp), "--dir", self.mail_dir], {})
        admin = env("BPT_PG_ADMIN_URL")
        common = {
            "BP_HTTP_BIND": "127.0.0.1",
            "BP_KAFKA_BROKERS": env("BPT_KAFKA"),
            "BP_API_KEYS": f"{self.key}:rw",
            "BP_OUTBOX_POLL_MS": "200",
            "BP_SHUTDOWN_GRACE_SECONDS": "2",
            "BP_HTTP_ACCESS_LOG": "true",
            "BP_BILLING_SCHEDULE": "false",
            "BP_SMTP_URL": f"smtp://127.0.0.1:{smtp}",
            "BP_SMTP_POLL_MS": "200",
            "BP_PAYMENT_DUE_POLL_MS": "300",
            **self.daemon_env,
        }
        for t in TOPICS:
            common["BP_TOPIC_" + t.upper().replace("-", "_")] = f"{self.name}.{t}"
        for svc, (binary, db) in DAEMONS.items():
            self.ports[svc] = free_port()
            self.spawn(svc, [os.path.join(self.bin_dir, "services", binary)], {
                **common,
                "BP_HTTP_PORT": str(self.ports[svc]),
                "BP_DATABASE_URL": f"{admin.rsplit('/', 1)[0]}/{self.name}_{db}",
                "BP_CONSUMER_GROUP": f"{self.name}-{svc}",
            })
        for svc, port in self.ports.items():
            deadline = time.monotonic() + 60
            while http_status(f"http://127.0.0.1:{port}/ready") != 200:
                if time.monotonic() > deadline:
                    raise StackError(f"{svc} is not ready (log: {self.state}/{svc}.log)")
                time.sleep(0.1)
        if gateway:
            self.start_gateway()

    def start_gateway(self):
        """nginx with the configuration scripts/gateway-config.sh writes from the template."""
        port = free_port()
        conf = os.path.join(self.gateway_dir, "nginx.conf")
        addr = {s: f"127.0.0.1:{p}" for s, p in self.ports.items()}
        subprocess.run([os.path.join(self.root, "scripts", "gateway-config.sh"), conf,
                        self.gateway_dir, f"127.0.0.1:{port}", addr["contract"], addr["billing"],
                        addr["payment"], addr["invoice-mailer"]], check=True)
        args = [NGINX, "-p", self.gateway_dir, "-e", os.path.join(self.gateway_dir, "logs", "error.log"),
                "-c", conf]
        # As root the workers would run as nobody, who may not read the clone's console/.
        user = "user root; " if os.geteuid() == 0 else ""
        if user:
            subprocess.run(args + ["-g", user, "-t"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        else:
            subprocess.run(args + ["-t"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        self.spawn("gateway", args + ["-g", user + "daemon off;"], {})
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while http_status(f"{self.url}/gateway/health") != 200:
            if time.monotonic() > deadline:
                raise StackError(f"the gateway did not start (log: {self.gateway_dir}/logs/error.log)")
            time.sleep(0.05)

    def access_log(self):
        """The gateway's access log, one parsed JSON object a line."""
        with open(os.path.join(self.gateway_dir, "logs", "access.log"), encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def api(self, service, path):
        return f"{self.url}/api/{service}{path}"

    def stop(self):
        for _, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGQUIT if _ == "gateway" else signal.SIGTERM)
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
