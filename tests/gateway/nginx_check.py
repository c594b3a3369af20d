#!/usr/bin/env python3
"""The gateway's nginx configuration, checked without running it (ctest `packaging.gateway_config`):

- scripts/gateway-config.sh writes it from deploy/nginx/boissipay.conf.template (into
  BUILD_DIR/gateway-check/, with free ports) and Debian's `nginx -t` accepts it; a
  configuration broken on purpose (a bad `listen`) is refused, so the check can fail;
- its limits are no looser than the daemons' own defaults, read from
  `boissipay-contract --print-config` (never copied): client_max_body_size <=
  BP_HTTP_MAX_BODY_BYTES, client_header_timeout and keepalive_timeout <=
  BP_HTTP_HEADER_TIMEOUT_SECONDS, client_body_timeout <= BP_HTTP_BODY_TIMEOUT_SECONDS,
  proxy_read_timeout and proxy_send_timeout <= BP_HTTP_TIMEOUT_SECONDS, limit_conn <=
  BP_HTTP_MAX_CONNECTIONS_PER_CLIENT, a head of at most 32 KiB and a request line of 8 KiB;
- one route per daemon of services/, /api/<daemon>/ with the prefix stripped (proxy_pass to
  a URI `/`), Authorization and Idempotency-Key passed on, the access log in JSON
  (log_format escape=json), / served from console/ (which has index.html).

Usage: nginx_check.py ROOT BUILD_DIR
"""

import os
import re
import shutil
import socket
import subprocess
import sys

failed = 0


def check(ok, what, detail=""):
    global failed
    print(f"{'ok  ' if ok else 'FAIL'}  {what}{(': ' + str(detail)) if detail and not ok else ''}")
    failed += not ok
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def size(v):
    m = re.fullmatch(r"(\d+)([kKmM]?)", v)
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1 << 20}[m.group(2).lower()]


def secs(v):
    m = re.fullmatch(r"(\d+)(s?)", v)
    return int(m.group(1))


def directive(conf, name):
    """Every value of a directive (`name value...;`), comments left out."""
    body = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    return [m.group(1).strip() for m in re.finditer(rf"(?m)^\s*{name}\s+([^;]*);", body)]


def main():
    root, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not check(os.access(nginx, os.X_OK), "nginx is installed (scripts/install-deps.sh)", nginx):
        return 1
    out = os.path.join(build, "gateway-check")
    shutil.rmtree(out, ignore_errors=True)
    conf = os.path.join(out, "nginx.conf")
    ports = [f"127.0.0.1:{free_port()}" for _ in range(5)]
    render = [os.path.join(root, "scripts", "gateway-config.sh"), conf, out, *ports]
    subprocess.run(render, check=True)
    run = subprocess.run([nginx, "-p", out, "-e", os.path.join(out, "logs", "error.log"), "-c", conf, "-t"],
                         capture_output=True, text=True)
    check(run.returncode == 0 and "test is successful" in run.stderr, "nginx -t accepts the gateway's configuration",
          run.stderr.strip())
    check("[warn]" not in run.stderr and "[emerg]" not in run.stderr, "nginx -t has no warning", run.stderr.strip())
    bad = os.path.join(out, "broken.conf")
    subprocess.run([*render[:1], bad, out, "127.0.0.1:notaport", *ports[1:]], check=True)
    run = subprocess.run([nginx, "-p", out, "-e", os.path.join(out, "logs", "error.log"), "-c", bad, "-t"],
                         capture_output=True, text=True)
    check(run.returncode != 0, "nginx -t refuses a configuration with a bad listen (the check can fail)")

    with open(conf, encoding="utf-8") as f:
        text = f.read()
    printed = subprocess.run([os.path.join(build, "services", "contract", "boissipay-contract"), "--print-config"],
                             capture_output=True, text=True, check=True).stdout
    d = {m.group(1): m.group(2) for m in re.finditer(r"(?m)^(BP_[A-Z_]+)=(\S*)", printed)}
    limits = [
        ("client_max_body_size", size, "BP_HTTP_MAX_BODY_BYTES"),
        ("client_header_timeout", secs, "BP_HTTP_HEADER_TIMEOUT_SECONDS"),
        ("keepalive_timeout", secs, "BP_HTTP_HEADER_TIMEOUT_SECONDS"),
        ("client_body_timeout", secs, "BP_HTTP_BODY_TIMEOUT_SECONDS"),
        ("proxy_read_timeout", secs, "BP_HTTP_TIMEOUT_SECONDS"),
        ("proxy_send_timeout", secs, "BP_HTTP_TIMEOUT_SECONDS"),
    ]
    for name, parse, var in limits:
        vals = directive(text, name)
        ok = bool(vals) and var in d and all(parse(v.split()[0]) <= int(d[var]) for v in vals)
        check(ok, f"{name} {vals} is no looser than {var}={d.get(var)}")
    conn = directive(text, "limit_conn")
    check(conn and all(int(v.split()[1]) <= int(d["BP_HTTP_MAX_CONNECTIONS_PER_CLIENT"]) for v in conn),
          f"limit_conn {conn} is no looser than BP_HTTP_MAX_CONNECTIONS_PER_CLIENT="
          f"{d.get('BP_HTTP_MAX_CONNECTIONS_PER_CLIENT')}")
    big = directive(text, "large_client_header_buffers")
    ok = len(big) == 1 and int(big[0].split()[0]) * size(big[0].split()[1]) <= 32 * 1024 \
        and size(big[0].split()[1]) <= 8192
    check(ok, f"large_client_header_buffers {big}: a head of at most 32 KiB, a request line of at most 8 KiB")

    daemons = sorted(x for x in os.listdir(os.path.join(root, "services"))
                     if os.path.isfile(os.path.join(root, "services", x, "main.c")))
    for name in daemons:
        m = re.search(rf"location /api/{re.escape(name)}/ \{{(.*?)\}}", text, re.S)
        check(m is not None and re.search(r"proxy_pass http://[a-z_]+/;", m.group(1)) is not None,
              f"/api/{name}/ goes to {name} with the prefix stripped")
    for h in ("Authorization $http_authorization", "Idempotency-Key $http_idempotency_key"):
        check(h in " ".join(directive(text, "proxy_set_header")), f"proxy_set_header {h}")
    fmt = " ".join(directive(text, "log_format"))
    check("escape=json" in fmt and "bp_json" in fmt, "the access log format is JSON (escape=json)")
    check(any(v.endswith(" bp_json") for v in directive(text, "access_log")), "the access log uses it")
    check("authorization" not in fmt.lower(), "the access log leaves Authorization out")
    roots = directive(text, "root")
    check(roots == [os.path.realpath(os.path.join(root, "console"))] and
          os.path.isfile(os.path.join(root, "console", "index.html")), "/ serves console/ (index.html)", roots)
    print(f"{'FAILED' if failed else 'passed'}: {failed} checks failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
