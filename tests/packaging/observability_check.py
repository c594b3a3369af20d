#!/usr/bin/env python3
"""Cross-checks the Prometheus and Grafana files against each other and against the code.

Usage: observability_check.py REPO_ROOT BUILD_DIR
       observability_check.py --live PROMETHEUS_URL REPO_ROOT

Reads what the daemons export from their sources (every bp_metrics_* call of lib/common/
and services/, and the series bp_metrics.c renders itself), never from a copied list, and
the daemons' HTTP ports from their own --print-config, and checks that:
  - docker/prometheus/prometheus.yml has one job per daemon (services/*/main.c), finding
    the compose service of that name on the daemon's port (DNS, so scaled instances too);
  - compose's prometheus and grafana services use pinned images, mount these files where
    the configuration and the dashboard provider look for them;
  - the dashboard JSON is valid, its panels have unique ids and at least one query each;
    every panel and query names the data source by the uid that provisioning declares,
    and that data source points at compose's prometheus service;
  - every metric name a query uses is exported by a daemon (histograms with their
    _bucket/_sum/_count series), and every label it groups by is one the metric has.
With --live, asks a running Prometheus that every metric of the dashboard has series
there (after traffic: a counter appears on its first event).
Prints one line per check and `N passed, M failed`; exits 1 when a check failed.
"""

import glob
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import yaml

# A call's first argument is the name, as a literal or a macro of one (#define X "name"...).
CALL = re.compile(
    r'bp_metrics_(counter_add_label|gauge_set_label|counter_add|gauge_set)\(\s*'
    r'(?:"([a-zA-Z_:][a-zA-Z0-9_:]*)"|([A-Z][A-Z0-9_]*))'
    r'(?:\s*,\s*"([a-zA-Z_][a-zA-Z0-9_]*)")?')
MACRO = re.compile(r'^#define\s+([A-Z][A-Z0-9_]*)\s+(?:\\\n\s*)?"([a-zA-Z_:][a-zA-Z0-9_:]*)"', re.M)
RENDERED = re.compile(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)")
HTTP_LABELS = {"route", "method", "status"}
TARGET_LABELS = {"job", "instance"}
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "rate", "irate", "increase", "delta", "idelta", "histogram_quantile", "by", "without",
    "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
    "abs", "clamp_min", "clamp_max", "vector", "scalar", "time", "label_replace", "inf", "nan",
}


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok


def exported_metrics(root):
    """{series name: (daemons that export it, its labels)} from the sources."""
    found = {}
    daemons = sorted(os.path.basename(os.path.dirname(m))
                     for m in glob.glob(os.path.join(root, "services", "*", "main.c")))

    def add(name, who, labels):
        d, l = found.setdefault(name, (set(), set()))
        d.update(who)
        l.update(labels)

    paths = sorted(glob.glob(os.path.join(root, "lib", "common", "*.[ch]")) +
                   glob.glob(os.path.join(root, "services", "*", "*.[ch]")))
    texts = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            texts[path] = f.read()
    for path, text in texts.items():
        rel = os.path.relpath(path, root).split(os.sep)
        who = daemons if rel[0] == "lib" else [rel[1]]
        # The macros of this file and of the headers of its folder.
        macros = {}
        for other, t in texts.items():
            if other == path or (other.endswith(".h") and
                                 os.path.dirname(other) == os.path.dirname(path)):
                macros.update(MACRO.findall(t))
        for kind, literal, macro, label in CALL.findall(text):
            name = literal or macros.get(macro)
            if name is None:
                raise SystemExit(f"{path}: bp_metrics_{kind}({macro}...: no #define of {macro}")
            add(name, who, {label} if kind.endswith("_label") and label else set())
        if rel[-1] == "bp_metrics.c":
            for name, kind in RENDERED.findall(text):
                if kind == "histogram":
                    for suffix, extra in (("_bucket", {"le"}), ("_sum", set()), ("_count", set())):
                        add(name + suffix, daemons, HTTP_LABELS | extra)
                else:
                    add(name, daemons, HTTP_LABELS if name.startswith("bp_http_requests") else set())
    add("up", daemons, set())  # Prometheus's own, per target
    return daemons, found


def strip_promql(expr):
    """The expression without strings, label matchers, ranges and grouping clauses."""
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    return e


def grouping_labels(expr):
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    labels = set()
    for m in re.finditer(r"\b(by|without)\s*\(([^)]*)\)", e):
        labels.update(x.strip() for x in m.group(2).split(",") if x.strip())
    return labels


def metric_names(expr):
    e = strip_promql(expr)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if word in PROMQL_WORDS or word.startswith("$") or rest.startswith("("):
            continue
        if re.fullmatch(r"[0-9]+[smhdwy]", word):
            continue
        names.add(word)
    return names


def panels_of(dash):
    for p in dash.get("panels") or []:
        yield p
        for q in p.get("panels") or []:  # rows
            yield q


def print_config_port(build, name):
    binary = os.path.join(build, "services", name, f"boissipay-{name}")
    out = subprocess.run([binary, "--print-config"], capture_output=True, text=True,
                         timeout=20, check=False).stdout
    m = re.search(r"^BP_HTTP_PORT=(\d+)", out, re.M)
    return int(m.group(1)) if m else None


def dashboard_exprs(root):
    with open(os.path.join(root, "docker", "grafana", "dashboards", "boissipay.json"),
              encoding="utf-8") as f:
        dash = json.load(f)
    return dash, [(p.get("title"), t.get("expr", "")) for p in panels_of(dash)
                  for t in p.get("targets") or []]


def live(url, root):
    c = Checks()
    _, exprs = dashboard_exprs(root)
    names = sorted(set().union(*(metric_names(e) for _, e in exprs)))
    for name in names:
        q = urllib.parse.urlencode({"match[]": name})
        with urllib.request.urlopen(f"{url}/api/v1/series?{q}", timeout=10) as r:
            data = json.load(r)["data"]
        jobs = sorted({s.get("job", "?") for s in data})
        c.check(bool(data), f"Prometheus has series of {name}" + (f" ({', '.join(jobs)})" if jobs else ""))
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--live":
        return live(sys.argv[2].rstrip("/"), os.path.abspath(sys.argv[3]))
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    c = Checks()
    daemons, exported = exported_metrics(root)
    c.check(bool(daemons) and len(exported) > 10, "metrics found in the sources",
            f"{len(exported)} names")

    with open(os.path.join(root, "docker-compose.yml"), encoding="utf-8") as f:
        compose = yaml.safe_load(f)
    services = compose.get("services") or {}

    # Prometheus: one job per daemon, on the compose service's name and the daemon's port.
    with open(os.path.join(root, "docker", "prometheus", "prometheus.yml"), encoding="utf-8") as f:
        prom = yaml.safe_load(f)
    jobs = {j.get("job_name"): j for j in prom.get("scrape_configs") or []}
    for name in daemons:
        job = jobs.get(name)
        if not c.check(job is not None, f"prometheus.yml has a job {name}"):
            continue
        sd = (job.get("dns_sd_configs") or [{}])[0]
        port = print_config_port(build, name)
        c.check(sd.get("names") == [name] and sd.get("type") == "A" and name in services,
                f"job {name} finds every instance of compose service {name} (DNS type A)", str(sd))
        c.check(port is not None and sd.get("port") == port,
                f"job {name} scrapes the daemon's BP_HTTP_PORT ({port}, --print-config)",
                f"port {sd.get('port')}")
        c.check(job.get("metrics_path", "/metrics") == "/metrics", f"job {name} reads /metrics")

    # compose: pinned images, the files mounted where they are read.
    def mounts(svc):
        out = {}
        for v in svc.get("volumes") or []:
            parts = str(v).split(":")
            out[parts[1]] = parts[0]
        return out

    prom_svc, graf_svc = services.get("prometheus") or {}, services.get("grafana") or {}
    for name, svc, image in (("prometheus", prom_svc, "prom/prometheus:v"),
                             ("grafana", graf_svc, "grafana/grafana:")):
        img = str(svc.get("image", ""))
        c.check(img.startswith(image) and re.search(r":v?\d+\.\d+\.\d+$", img) is not None,
                f"compose {name}: image pinned by version ({image}X.Y.Z)", img)
    pm = mounts(prom_svc)
    cmd = " ".join(map(str, prom_svc.get("command") or []))
    conf_in = re.search(r"--config\.file=(\S+)", cmd)
    c.check(conf_in is not None and pm.get(conf_in.group(1)) == "./docker/prometheus/prometheus.yml",
            "compose prometheus reads docker/prometheus/prometheus.yml", f"{cmd} / {pm}")
    gm = mounts(graf_svc)
    c.check(gm.get("/etc/grafana/provisioning") == "./docker/grafana/provisioning",
            "compose grafana mounts docker/grafana/provisioning", str(gm))

    # Provisioning: the data source, the dashboard provider.
    with open(os.path.join(root, "docker", "grafana", "provisioning", "datasources",
                           "prometheus.yml"), encoding="utf-8") as f:
        sources = yaml.safe_load(f).get("datasources") or []
    proms = [s for s in sources if s.get("type") == "prometheus"]
    uid = proms[0].get("uid") if proms else None
    c.check(len(proms) == 1 and uid, "provisioning declares one Prometheus data source with a uid")
    src = urllib.parse.urlsplit(str(proms[0].get("url", ""))) if proms else None
    c.check(src is not None and src.hostname == "prometheus" and src.port == 9090
            and "prometheus" in services,
            "the data source points at compose's prometheus service (prometheus:9090)",
            str(proms[0].get("url") if proms else None))
    with open(os.path.join(root, "docker", "grafana", "provisioning", "dashboards",
                           "boissipay.yml"), encoding="utf-8") as f:
        providers = yaml.safe_load(f).get("providers") or []
    path = ((providers[0] if providers else {}).get("options") or {}).get("path")
    c.check(path is not None and gm.get(path) == "./docker/grafana/dashboards",
            "the dashboard provider reads the mounted docker/grafana/dashboards", f"{path} / {gm}")

    # The dashboard.
    try:
        dash, exprs = dashboard_exprs(root)
    except (OSError, ValueError) as e:
        c.check(False, "docker/grafana/dashboards/boissipay.json is valid JSON", str(e))
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    c.check(True, "docker/grafana/dashboards/boissipay.json is valid JSON")
    c.check(bool(dash.get("uid")) and bool(dash.get("title")), "the dashboard has a uid and a title")
    panels = list(panels_of(dash))
    ids = [p.get("id") for p in panels]
    c.check(len(ids) == len(set(ids)) and None not in ids, "panel ids are unique", str(ids))
    for p in panels:
        title = p.get("title")
        targets = p.get("targets") or []
        c.check(bool(targets) and all(t.get("expr") for t in targets), f"panel '{title}' has queries")
        uids = {(p.get("datasource") or {}).get("uid")} | {(t.get("datasource") or {}).get("uid")
                                                          for t in targets}
        c.check(uids == {uid}, f"panel '{title}' uses data source uid {uid}", str(uids))
    for title, expr in exprs:
        names = metric_names(expr)
        unknown = sorted(n for n in names if n not in exported)
        c.check(bool(names) and not unknown, f"'{title}': {', '.join(sorted(names))} exported by a daemon",
                f"not exported: {unknown}" if unknown else "no metric found in the query")
        have = TARGET_LABELS.union(*(exported[n][1] for n in names if n in exported))
        missing = sorted(grouping_labels(expr) - have)
        c.check(not missing, f"'{title}': grouped by labels the metrics have",
                f"{missing} not in {sorted(have)}: {expr}")
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
