#!/usr/bin/env python3
"""Cross-checks docker-compose.yml and .env.example against the code.

Usage: cross_check.py REPO_ROOT BUILD_DIR

Reads the daemons' variables from the daemons themselves
(BUILD_DIR/services/NAME/boissipay-NAME --print-config), never from a copied list,
and checks that:
  - every services/NAME/ with a main.c has a compose service NAME built from
    docker/Dockerfile with SERVICE=NAME, and every such compose service has a folder;
  - every variable a daemon reads is set in its compose environment, and compose sets
    none it does not read;
  - ports, topic names and every tunable agree with the daemon's defaults, both with
    .env.example and with compose's own fallbacks (`${VAR:-default}`);
  - BP_DATABASE_URL names a PostgreSQL service of compose with the same user, database
    and password, BP_KAFKA_BROKERS the broker service, BP_SMTP_URL (where a daemon reads
    it) the Mailpit service's SMTP port; depends_on waits for them (service_healthy) and
    for kafka-init (service_completed_successfully);
  - stop_grace_period leaves the daemon time to finish its work in hand and flush
    (BP_SHUTDOWN_GRACE_SECONDS, plus BP_BANK_DELAY_MS where a daemon reads it);
  - kafka-init creates every topic a daemon uses, and the same topics with the same
    partition count as the native stack (scripts/stack.sh);
  - the gateway (nginx, deploy/nginx/boissipay.conf.template): a pinned nginx image, every
    ${BP_GW_*} placeholder of the template set and given to envsubst, a route to each daemon
    on its BP_HTTP_PORT, the template and console/ mounted read-only, a healthcheck, and
    depends_on every daemon healthy;
  - every variable compose reads is in .env.example with a comment, and every one there
    is used; secrets are `change-me` placeholders there and required (`${VAR:?...}`) in
    compose; host ports are unique; volumes are declared and used; every long-running
    service has a healthcheck and `restart: unless-stopped`.
Prints one line per check and `N passed, M failed`; exits 1 when a check failed.
Needs python3-yaml only (Debian's /usr/bin/python3 has it).
"""

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import yaml

SECRET_PLACEHOLDER = "change-me"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|API_KEY|TOKEN")
# Variables whose compose value legitimately differs from the daemon's default: wiring to
# the other containers, checked on their own below.
WIRING = {"BP_DATABASE_URL", "BP_KAFKA_BROKERS", "BP_SMTP_URL"}
# Mailpit's SMTP port (its default, MP_SMTP_BIND_ADDR 0.0.0.0:1025).
MAILPIT_SMTP_PORT = 1025


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok


# --- compose interpolation ------------------------------------------------------------

VAR = re.compile(
    r"\$(?:(?P<esc>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?+])(?P<arg>[^{}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class Interpolator:
    """Compose's ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?m}, ${VAR?m}, ${VAR:+a}, $VAR, $$."""

    def __init__(self, env):
        self.env = env
        self.refs = {}  # name -> set of operators used ("" for a plain reference)
        self.errors = []

    def string(self, s):
        def repl(m):
            if m.group("esc"):
                return "$"
            name = m.group("name") or m.group("bare")
            op = m.group("op") or ""
            arg = m.group("arg") or ""
            self.refs.setdefault(name, set()).add(op)
            val = self.env.get(name)
            if op == ":-":
                return val if val else arg
            if op == "-":
                return val if val is not None else arg
            if op in (":?", "?"):
                if val is None or (op == ":?" and val == ""):
                    self.errors.append(f"{name}: {arg}")
                    return ""
                return val
            if op == ":+":
                return arg if val else ""
            if op == "+":
                return arg if val is not None else ""
            return val or ""

        return VAR.sub(repl, s)

    def walk(self, node):
        if isinstance(node, dict):
            return {k: self.walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.walk(v) for v in node]
        if isinstance(node, str):
            return self.string(node)
        return node


def read_env_file(path):
    """KEY=VALUE lines of .env.example: (values, comment-documented keys, problems)."""
    values, documented, problems = {}, set(), []
    prev_kind = None  # "comment", "blank", "assign"
    block_documented = False
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip():
                prev_kind = "blank"
                continue
            if line.lstrip().startswith("#"):
                prev_kind = "comment"
                continue
            m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
            if not m:
                problems.append(f"line {n} is not KEY=VALUE: {line!r}")
                continue
            key, val = m.group(1), m.group(2)
            if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
                val = val[1:-1]
            if key in values:
                problems.append(f"{key} is set twice (line {n})")
            values[key] = val
            if prev_kind == "comment":
                block_documented = True
            elif prev_kind != "assign":
                block_documented = False
            if block_documented:
                documented.add(key)
            prev_kind = "assign"
    return values, documented, problems


# --- helpers ---------------------------------------------------------------------------


def env_dict(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends(service):
    dep = service.get("depends_on") or {}
    if isinstance(dep, list):
        return {d: "service_started" for d in dep}
    return {k: (v or {}).get("condition", "service_started") for k, v in dep.items()}


def port_mappings(service):
    """(host_ip, published, target) of each `ports` entry in short syntax."""
    out = []
    for p in service.get("ports") or []:
        if isinstance(p, dict):
            out.append((p.get("host_ip", ""), str(p.get("published", "")), str(p.get("target"))))
            continue
        parts = str(p).split("/")[0].split(":")
        if len(parts) == 3:
            out.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            out.append(("", parts[0], parts[1]))
        else:
            out.append(("", "", parts[0]))
    return out


def seconds(duration):
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", str(duration or ""))
    if not m or not any(m.groups()):
        return None
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def print_config(binary):
    """NAME -> (default, required) from `BINARY --print-config`."""
    out = subprocess.run([binary, "--print-config"], check=True, capture_output=True,
                         text=True, timeout=30, env={"PATH": "/usr/bin:/bin"}).stdout
    conf = {}
    for line in out.splitlines():
        m = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*?)  # (.*)", line)
        if m:
            conf[m.group(1)] = (m.group(2), m.group(3).startswith("(required)"))
    return conf


def native_topics(stack_sh):
    text = open(stack_sh, encoding="utf-8").read()
    m = re.search(r"^TOPICS=\(([^)]*)\)", text, re.M)
    p = re.search(r"^TOPIC_PARTITIONS=(\d+)", text, re.M)
    return (m.group(1).split() if m else None), (p.group(1) if p else None)


# --- the checks -------------------------------------------------------------------------


# The gateway's placeholder naming each daemon's address (deploy/nginx/boissipay.conf.template).
GATEWAY_ROUTES = {"contract": "BP_GW_CONTRACT", "billing": "BP_GW_BILLING",
                  "payment": "BP_GW_PAYMENT", "invoice-mailer": "BP_GW_MAILER"}


def gateway_checks(c, root, services, built):
    gw = services.get("gateway")
    if not c.check(gw is not None, "compose has the gateway service"):
        return
    image = str(gw.get("image", ""))
    c.check(re.fullmatch(r"nginx:\d+\.\d+\.\d+(-[a-z0-9]+)?", image) is not None,
            "gateway: the official nginx image pinned by version", image)
    with open(os.path.join(root, "deploy", "nginx", "boissipay.conf.template"), encoding="utf-8") as f:
        placeholders = set(re.findall(r"\$\{(BP_GW_[A-Z_]+)\}", f.read()))
    env = env_dict(gw)
    command = " ".join(map(str, gw.get("command") or [])) + " ".join(map(str, gw.get("entrypoint") or []))
    c.check(placeholders and placeholders <= set(env),
            "gateway: every placeholder of the template is set", ", ".join(sorted(placeholders - set(env))))
    given = set(re.findall(r"\$\{(BP_GW_[A-Z_]+)\}", command))
    c.check(placeholders == given, "gateway: envsubst fills exactly the template's placeholders",
            f"template {sorted(placeholders)}, envsubst {sorted(given)}")
    for name in sorted(built):
        var = GATEWAY_ROUTES.get(name)
        if not c.check(var is not None, f"gateway: a route to {name}", "no BP_GW_ placeholder for it"):
            continue
        port = env_dict(services[name]).get("BP_HTTP_PORT")
        c.check(env.get(var) == f"{name}:{port}", f"gateway: {var} is {name}:{port}", env.get(var))
        c.check(depends(gw).get(name) == "service_healthy", f"gateway: waits for a healthy {name}",
                str(depends(gw)))
    mounts = {str(v).split(":")[0]: str(v) for v in gw.get("volumes") or []}
    for src in ("./deploy/nginx/boissipay.conf.template", "./console"):
        c.check(src in mounts and mounts[src].endswith(":ro"), f"gateway: {src} mounted read-only",
                str(gw.get("volumes")))
    c.check(bool(gw.get("healthcheck")), "gateway: a healthcheck")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    c = Checks()

    with open(os.path.join(root, "docker-compose.yml"), encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    example, documented, problems = read_env_file(os.path.join(root, ".env.example"))
    c.check(not problems, ".env.example is KEY=VALUE lines and comments", "; ".join(problems))

    secrets = sorted(k for k, v in example.items() if v == SECRET_PLACEHOLDER)
    # Two views of compose: with .env.example, and with its own fallbacks (secrets only).
    with_example = Interpolator(dict(example))
    compose = with_example.walk(raw)
    fallbacks = Interpolator({k: example[k] for k in secrets})
    compose_fb = fallbacks.walk(raw)
    c.check(not with_example.errors, "compose interpolates with .env.example",
            "; ".join(with_example.errors))
    c.check(not fallbacks.errors, "compose's fallbacks cover every non-secret variable",
            "; ".join(fallbacks.errors))

    # .env.example <-> compose
    refs = with_example.refs
    c.check(not (set(refs) - set(example)), "every variable compose reads is in .env.example",
            ", ".join(sorted(set(refs) - set(example))))
    c.check(not (set(example) - set(refs)), "every variable of .env.example is used by compose",
            ", ".join(sorted(set(example) - set(refs))))
    c.check(set(example) <= documented, "every variable of .env.example has a comment",
            ", ".join(sorted(set(example) - documented)))
    leaked = sorted(k for k, v in example.items()
                    if SECRET_NAME.search(k) and v != SECRET_PLACEHOLDER)
    c.check(not leaked, f"secret-looking variables of .env.example are '{SECRET_PLACEHOLDER}'",
            ", ".join(leaked))
    c.check(bool(secrets), "the secrets are the change-me variables", "none found")
    for s in secrets:
        ops = refs.get(s, set())
        c.check(ops == {":?"}, f"{s} is required wherever compose reads it (${{{s}:?...}})",
                f"operators used: {sorted(ops)}")

    services = compose.get("services") or {}
    services_fb = compose_fb.get("services") or {}

    # services/*/main.c <-> compose services built from docker/Dockerfile
    code = sorted(d for d in os.listdir(os.path.join(root, "services"))
                  if os.path.isfile(os.path.join(root, "services", d, "main.c")))
    built = {}
    for name, svc in services.items():
        b = svc.get("build")
        if isinstance(b, dict) and "SERVICE" in (b.get("args") or {}):
            built[name] = b
    c.check(bool(code), "services/ has daemons", "no services/*/main.c")
    for name in code:
        b = built.get(name)
        if not c.check(b is not None, f"{name}: compose service built from docker/Dockerfile",
                       "missing (copy the contract block)"):
            continue
        c.check(b.get("context") == "." and b.get("dockerfile") == "docker/Dockerfile"
                and str(b["args"].get("SERVICE")) == name,
                f"{name}: build context ., docker/Dockerfile, SERVICE={name}",
                f"got {b}")
    for name in sorted(set(built) - set(code)):
        c.check(False, f"compose service {name} has a services/{name}/main.c", "no such daemon")

    # kafka-init and the native stack's topics
    init = services.get("kafka-init", {})
    init_env = env_dict(init)
    init_fb = env_dict(services_fb.get("kafka-init", {}))
    topics = init_env.get("TOPICS", "").split()
    partitions = init_env.get("TOPIC_PARTITIONS")
    nat_topics, nat_partitions = native_topics(os.path.join(root, "scripts", "stack.sh"))
    c.check(bool(topics), "kafka-init has TOPICS", "missing")
    c.check(nat_topics is not None and topics == nat_topics
            and init_fb.get("TOPICS", "").split() == nat_topics,
            "kafka-init creates the native stack's topics (scripts/stack.sh TOPICS)",
            f"compose {topics} (fallbacks {init_fb.get('TOPICS', '').split()}), native {nat_topics}")
    c.check(partitions == nat_partitions and init_fb.get("TOPIC_PARTITIONS") == nat_partitions,
            f"kafka-init's partition count is the native stack's ({nat_partitions})",
            f"compose {partitions}")
    c.check(depends(init).get("kafka") == "service_healthy",
            "kafka-init waits for a healthy broker", str(depends(init)))
    for vol in init.get("volumes") or []:
        src = str(vol).split(":")[0]
        if src.startswith("./"):
            c.check(os.path.isfile(os.path.join(root, src)), f"kafka-init mounts {src}",
                    "no such file")

    # the broker
    kafka = services.get("kafka", {})
    kenv = env_dict(kafka)
    c.check(str(kafka.get("image", "")).startswith("landoop/fast-data-dev:")
            and not str(kafka.get("image")).endswith(":latest"),
            "kafka is a pinned landoop/fast-data-dev", str(kafka.get("image")))
    c.check(kenv.get("ADV_HOST") == "kafka", "kafka advertises itself by its service name",
            f"ADV_HOST={kenv.get('ADV_HOST')}")
    c.check(all(kenv.get(k) == "0" for k in ("SAMPLEDATA", "RUNTESTS", "FORWARDLOGS")),
            "kafka: SAMPLEDATA, RUNTESTS, FORWARDLOGS are 0")
    ktest = " ".join(map(str, (kafka.get("healthcheck") or {}).get("test") or []))
    c.check("kafka-topics" in ktest and "--bootstrap-server" in ktest,
            "kafka's healthcheck asks the broker (kafka-topics --bootstrap-server)", ktest)

    # each daemon against its own --print-config
    for name in code:
        svc, svc_fb = services.get(name), services_fb.get(name)
        if svc is None:
            continue
        binary = os.path.join(build, "services", name, f"boissipay-{name}")
        if not c.check(os.access(binary, os.X_OK), f"{name}: {binary} is built", "missing"):
            continue
        conf = print_config(binary)
        c.check(bool(conf), f"{name}: --print-config lists variables", "nothing parsed")
        env, env_fb = env_dict(svc), env_dict(svc_fb)
        c.check(not (set(conf) - set(env)), f"{name}: compose sets every variable the daemon reads",
                ", ".join(sorted(set(conf) - set(env))))
        c.check(not (set(env) - set(conf)), f"{name}: compose sets no variable the daemon ignores",
                ", ".join(sorted(set(env) - set(conf))))
        for var, (default, required) in sorted(conf.items()):
            if var not in env or var in WIRING:
                continue
            if required:
                c.check(env[var] != "" and SECRET_PLACEHOLDER in env[var],
                        f"{name}: {var} (required) comes from a secret of .env", env[var])
                continue
            c.check(env[var] == default and env_fb.get(var) == default,
                    f"{name}: {var} = daemon default {default!r}",
                    f".env.example gives {env[var]!r}, compose's fallback {env_fb.get(var)!r}")

        port = conf.get("BP_HTTP_PORT", ("", False))[0]
        args = (svc.get("build") or {}).get("args") or {}
        c.check(str(args.get("PORT")) == port, f"{name}: build arg PORT = {port}",
                f"got {args.get('PORT')}")
        maps = port_mappings(svc)
        maps_fb = port_mappings(svc_fb)
        c.check(any(t == port and h == port for _, h, t in maps)
                and any(t == port and h == port for _, h, t in maps_fb),
                f"{name}: host port {port} maps to container port {port}", str(maps))

        deps = depends(svc)
        brokers = env.get("BP_KAFKA_BROKERS", "")
        hosts = [b.rsplit(":", 1) for b in brokers.split(",") if b]
        c.check(bool(hosts) and all(len(h) == 2 and h[0] in services and h[1] == "9092"
                                    for h in hosts),
                f"{name}: BP_KAFKA_BROKERS names the compose broker", brokers)
        for h in hosts:
            if h[0] in services:
                c.check(deps.get(h[0]) == "service_healthy",
                        f"{name}: waits for a healthy {h[0]}", str(deps))
        c.check(deps.get("kafka-init") == "service_completed_successfully",
                f"{name}: waits for kafka-init to complete", str(deps))

        url = urlsplit(env.get("BP_DATABASE_URL", ""))
        db = services.get(url.hostname or "")
        if c.check(url.scheme in ("postgresql", "postgres") and db is not None,
                   f"{name}: BP_DATABASE_URL names a compose service", env.get("BP_DATABASE_URL")):
            denv = env_dict(db)
            c.check(str(db.get("image", "")).startswith("postgres:"),
                    f"{name}: {url.hostname} is PostgreSQL", str(db.get("image")))
            c.check(url.username == denv.get("POSTGRES_USER")
                    and url.path.lstrip("/") == denv.get("POSTGRES_DB")
                    and url.password == denv.get("POSTGRES_PASSWORD")
                    and (url.port or 5432) == 5432,
                    f"{name}: database URL matches {url.hostname}'s user, database, password",
                    f"url user={url.username} db={url.path}")
            c.check(deps.get(url.hostname) == "service_healthy",
                    f"{name}: waits for a healthy {url.hostname}", str(deps))
            dtest = " ".join(map(str, (db.get("healthcheck") or {}).get("test") or []))
            c.check("pg_isready" in dtest, f"{url.hostname}: pg_isready healthcheck", dtest)
            c.check(any(str(v).endswith(":/var/lib/postgresql/data") for v in db.get("volumes") or []),
                    f"{url.hostname}: data on a volume", str(db.get("volumes")))

        if "BP_SMTP_URL" in conf:
            smtp = urlsplit(env.get("BP_SMTP_URL", ""))
            relay = services.get(smtp.hostname or "")
            if c.check(smtp.scheme in ("smtp", "smtps") and relay is not None,
                       f"{name}: BP_SMTP_URL names a compose service", env.get("BP_SMTP_URL")):
                mailpit = str(relay.get("image", "")).startswith("axllent/mailpit:")
                c.check(mailpit and smtp.port == MAILPIT_SMTP_PORT
                        and "MP_SMTP_BIND_ADDR" not in env_dict(relay),
                        f"{name}: BP_SMTP_URL is {smtp.hostname}'s SMTP port (Mailpit, "
                        f"{MAILPIT_SMTP_PORT})", f"image {relay.get('image')}, port {smtp.port}")
                # Mailpit has no certificate and no accounts here: clear text, no AUTH.
                c.check(smtp.scheme == "smtp" and env.get("BP_SMTP_STARTTLS") == "false"
                        and not env.get("BP_SMTP_USER") and not env.get("BP_SMTP_PASSWORD"),
                        f"{name}: SMTP to {smtp.hostname} without TLS or AUTH (as Mailpit takes it)",
                        f"scheme {smtp.scheme}, STARTTLS {env.get('BP_SMTP_STARTTLS')}")
                c.check(deps.get(smtp.hostname) == "service_healthy",
                        f"{name}: waits for a healthy {smtp.hostname}", str(deps))

        for var, (default, _) in sorted(conf.items()):
            if var.startswith("BP_TOPIC_"):
                c.check(env.get(var) in topics, f"{name}: kafka-init creates {var}={env.get(var)}",
                        f"TOPICS={topics}")

        c.check(svc.get("restart") == "unless-stopped", f"{name}: restart unless-stopped")
        grace = seconds(svc.get("stop_grace_period"))
        flush = int(env.get("BP_SHUTDOWN_GRACE_SECONDS", "10") or 10)
        c.check(grace is not None and grace > flush,
                f"{name}: stop_grace_period exceeds BP_SHUTDOWN_GRACE_SECONDS ({flush} s)",
                f"stop_grace_period={svc.get('stop_grace_period')}")
        if "BP_BANK_DELAY_MS" in conf:
            # SIGTERM lets the debit in hand finish (the bank's delay) before the flush.
            bank = -(-int(env.get("BP_BANK_DELAY_MS") or 0) // 1000)
            c.check(grace is not None and grace > flush + bank,
                    f"{name}: stop_grace_period exceeds BP_BANK_DELAY_MS + "
                    f"BP_SHUTDOWN_GRACE_SECONDS ({bank + flush} s)",
                    f"stop_grace_period={svc.get('stop_grace_period')}")
        c.check(str(svc.get("image", "")).endswith(f"/{name}:{example.get('BP_IMAGE_TAG')}"),
                f"{name}: image <prefix>/{name}:<tag>", str(svc.get("image")))

    gateway_checks(c, root, services, built)

    # every service
    published = {}
    for name, svc in services.items():
        one_shot = name == "kafka-init"
        if not one_shot:
            c.check(svc.get("restart") == "unless-stopped", f"{name}: restart unless-stopped",
                    str(svc.get("restart")))
            has_hc = bool(svc.get("healthcheck")) or name in built
            c.check(has_hc, f"{name}: healthcheck (in compose, or in docker/Dockerfile)")
        for ip, host, _ in port_mappings(svc):
            if host:
                c.check(host not in published, f"{name}: host port {host} is not taken",
                        f"also {published.get(host)}")
                published[host] = name
                c.check(ip == example.get("BP_PUBLISH_ADDRESS"),
                        f"{name}: port {host} published on BP_PUBLISH_ADDRESS", ip)
    with open(os.path.join(root, "docker", "Dockerfile"), encoding="utf-8") as f:
        c.check(re.search(r"^HEALTHCHECK ", f.read(), re.M) is not None,
                "docker/Dockerfile has the daemons' HEALTHCHECK")

    declared = set((compose.get("volumes") or {}).keys())
    used = set()
    for svc in services.values():
        for v in svc.get("volumes") or []:
            src = str(v).split(":")[0]
            if not src.startswith((".", "/")):
                used.add(src)
    c.check(used <= declared, "named volumes are declared", ", ".join(sorted(used - declared)))
    c.check(declared <= used, "declared volumes are used", ", ".join(sorted(declared - used)))

    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
