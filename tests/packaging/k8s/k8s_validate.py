#!/usr/bin/env python3
"""Validates the rendered Kubernetes manifests of one overlay of deploy/k8s/.

Usage: k8s_validate.py --overlay NAME --crds DIR --build BUILD_DIR --root REPO_ROOT
                       [--self-test] RENDERED.yaml

RENDERED.yaml is `kustomize build deploy/k8s/overlays/NAME`. Every object is checked
  - against the Kubernetes schemas of each release in K8S_VERSIONS (kubernetes-validate,
    strict: an unknown field is an error), or, for the operators' kinds, against the
    openAPIV3Schema of the pinned CRD (DIR, tools.sh crds), strict in the same way (an
    object schema with properties admits no other field unless it says
    x-kubernetes-preserve-unknown-fields);
  - against the project's rules: every setting each daemon reads (its own
    `--print-config`, BUILD_DIR/services/NAME/boissipay-NAME) is set and no other,
    secrets come from Secrets only and no Secret is rendered, probes on /ready and
    /health, the hardened securityContext, resources, a termination grace that covers the
    preStop pause and the daemon's drain, a PodDisruptionBudget and a Service per daemon,
    billing's HorizontalPodAutoscaler, Kafka and its topics (the daemons' topic names,
    partitions, replication and min.insync.replicas for the overlay), one CloudNativePG
    cluster per database with the daemon's database and role, and its backups.
--self-test breaks copies of the objects one way at a time and checks that each break is
reported (a check that cannot fail is no check).
Prints one line per check and `N passed, M failed`; exits 1 when a check failed.
"""

import argparse
import copy
import glob
import os
import re
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml

NAMESPACE = "boissipay"
DAEMONS = ["contract", "billing", "payment", "invoice-mailer"]
# Consumers scale out in a consumer group; contract only publishes.
CONSUMERS = ["billing", "payment", "invoice-mailer"]
# Secrets created by hand (docs/kubernetes.md lists each with its keys); CloudNativePG
# writes <cluster>-app itself.
HAND_MADE_SECRETS = {
    "boissipay-api-keys": {"BP_API_KEYS"},
    "boissipay-smtp": {"user", "password"},
    "boissipay-backup-s3": {"ACCESS_KEY_ID", "ACCESS_SECRET_KEY"},
}
SECRET_SETTINGS = re.compile(r"PASSWORD|API_KEYS|DATABASE_URL|SECRET|TOKEN")
# What each overlay must give: Kafka nodes, topic replication, min.insync.replicas,
# instances of each consumer daemon (replicas, or the autoscaler's minimum), PostgreSQL
# instances, and whether backups are configured.
EXPECT = {
    "dev": {"brokers": 1, "rf": 1, "min_isr": 1, "consumers": 1, "pg": 1, "backups": False},
    "prod": {"brokers": 3, "rf": 3, "min_isr": 2, "consumers": 3, "pg": 3, "backups": True},
}
PARTITIONS = 6
# Seconds a daemon may spend on its work in hand at SIGTERM besides the outbox flush:
# running HTTP requests (and the mailer's SMTP verdict); payment's debit in hand may take
# BP_BANK_DELAY_MS, up to 60 s (its bound in --print-config's table).
WORK_IN_HAND = {"payment": 70}
DEFAULT_WORK_IN_HAND = 10


class Checks:
    def __init__(self, quiet=False):
        self.passed = 0
        self.failed = 0
        self.quiet = quiet
        self.failures = []

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            if not self.quiet:
                print(f"ok    {what}")
        else:
            self.failed += 1
            self.failures.append(what)
            if not self.quiet:
                print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok


# --- schemas -------------------------------------------------------------------------------

def strict_schema(s):
    """An openAPIV3Schema (structural, as the API server reads it) as a JSON Schema that
    rejects unknown fields, `nullable` and `x-kubernetes-int-or-string` spelled out."""
    if isinstance(s, list):
        return [strict_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: strict_schema(sub) for name, sub in v.items()}
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            out[k] = strict_schema(v)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [strict_schema(x) for x in v]
        elif k in ("description", "example", "externalDocs") or k.startswith("x-kubernetes-"):
            continue
        elif k == "nullable":
            continue
        else:
            out[k] = v
    if s.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        if "anyOf" not in out:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if s.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (s.get("type") == "object" and "properties" in s and "additionalProperties" not in s
            and not s.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


# metadata of a custom resource: the API server checks it as ObjectMeta.
OBJECT_META = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}


def load_crds(crd_dir):
    """(group/version, kind) -> JSON Schema validator, from every CRD file under crd_dir."""
    out = {}
    for path in sorted(glob.glob(os.path.join(crd_dir, "**", "*.yaml"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for v in crd["spec"]["versions"]:
                    if not v.get("served", True):
                        continue
                    schema = strict_schema(v["schema"]["openAPIV3Schema"])
                    schema["properties"]["metadata"] = OBJECT_META
                    schema.setdefault("required", [])
                    for r in ("apiVersion", "kind", "metadata", "spec"):
                        if r not in schema["required"]:
                            schema["required"].append(r)
                    out[(f"{group}/{v['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return out


def schema_errors(obj, crds, versions):
    """Error strings of obj against its schema: the CRD's, or Kubernetes' of each release."""
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in crds:
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in sorted(crds[key].iter_errors(obj), key=lambda e: list(e.absolute_path))][:5]
    errors = []
    for v in versions:
        try:
            kubernetes_validate.validate(obj, v, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = "/".join(str(p) for p in e.path) or "(root)"
            errors.append(f"Kubernetes {v}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"no schema for {key[0]} {key[1]} in Kubernetes {v} nor in the pinned CRDs")
    return errors


# --- the daemons' own settings ---------------------------------------------------------------

def print_config(binary):
    """NAME -> (default, required) from `BINARY --print-config`."""
    out = subprocess.run([binary, "--print-config"], check=True, capture_output=True, text=True,
                         timeout=30, env={"PATH": "/usr/bin:/bin"}).stdout
    conf = {}
    for line in out.splitlines():
        m = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*?)  # (.*)", line)
        if m:
            conf[m.group(1)] = (m.group(2), m.group(3).startswith("(required)"))
    return conf


def native_topics(root):
    text = open(os.path.join(root, "scripts", "stack.sh"), encoding="utf-8").read()
    m = re.search(r"^TOPICS=\(([^)]*)\)", text, re.M)
    return m.group(1).split() if m else []


def compose_databases(root):
    """daemon -> (role, database) of its PostgreSQL service in docker-compose.yml."""
    with open(os.path.join(root, "docker-compose.yml"), encoding="utf-8") as f:
        compose = yaml.safe_load(f)
    out = {}
    for name, svc in compose.get("services", {}).items():
        env = svc.get("environment") or {}
        if name.endswith("-db") and isinstance(env, dict) and "POSTGRES_DB" in env:
            out[name[:-3]] = (env.get("POSTGRES_USER"), env.get("POSTGRES_DB"))
    return out


# --- the rules ---------------------------------------------------------------------------------

def index(objs):
    return {(o.get("kind"), o.get("metadata", {}).get("name")): o for o in objs}


def container_env(dep, objs_by_key):
    """name -> ('value', v) | ('configmap', v) | ('secret', (name, key, optional)) for the
    first container of dep, envFrom ConfigMaps resolved from the rendered objects."""
    c = dep["spec"]["template"]["spec"]["containers"][0]
    env = {}
    for src in c.get("envFrom", []):
        ref = src.get("configMapRef", {}).get("name")
        cm = objs_by_key.get(("ConfigMap", ref))
        if ref is not None and cm is not None:
            for k, v in (cm.get("data") or {}).items():
                env[k] = ("configmap", v)
        elif "secretRef" in src:
            env[f"<every key of Secret {src['secretRef'].get('name')}>"] = ("secret", None)
        else:
            env[f"<missing ConfigMap {ref}>"] = ("value", None)
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = ("value", e["value"])
        elif "secretKeyRef" in e.get("valueFrom", {}):
            r = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = ("secret", (r.get("name"), r.get("key"), r.get("optional", False)))
        elif "configMapKeyRef" in e.get("valueFrom", {}):
            r = e["valueFrom"]["configMapKeyRef"]
            cm = objs_by_key.get(("ConfigMap", r.get("name"))) or {}
            env[e["name"]] = ("configmap", (cm.get("data") or {}).get(r.get("key")))
        else:
            env[e["name"]] = ("value", None)
    return env


def probe_path(c, kind):
    p = c.get(kind) or {}
    return (p.get("httpGet") or {}).get("path"), (p.get("httpGet") or {}).get("port")


def prestop_seconds(c):
    pre = (c.get("lifecycle") or {}).get("preStop") or {}
    if "sleep" in pre:
        return int(pre["sleep"].get("seconds", 0))
    cmd = (pre.get("exec") or {}).get("command") or []
    if len(cmd) == 2 and cmd[0].endswith("sleep") and str(cmd[1]).isdigit():
        return int(cmd[1])
    return None


def check_security(c, pod, what, checks):
    psc = pod.get("securityContext") or {}
    csc = c.get("securityContext") or {}
    seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    problems = []
    if not (csc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
        problems.append("runAsNonRoot is not true")
    if uid is None or uid == 0:
        problems.append("no non-zero runAsUser")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if csc.get("privileged"):
        problems.append("privileged")
    if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
        problems.append("capabilities do not drop ALL")
    if (csc.get("capabilities") or {}).get("add"):
        problems.append("capabilities added")
    if seccomp != "RuntimeDefault":
        problems.append(f"seccompProfile {seccomp!r}, not RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("automountServiceAccountToken is not false")
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        problems.append("shares a host namespace")
    checks.check(not problems, f"{what}: hardened securityContext", "; ".join(problems))


def check_resources(c, what, checks):
    r = c.get("resources") or {}
    missing = [f"{k}.{m}" for k in ("requests", "limits") for m in ("cpu", "memory")
               if m not in (r.get(k) or {})]
    checks.check(not missing, f"{what}: resource requests and limits", "missing " + ", ".join(missing))


def check_daemon(name, objs, by_key, conf, topics, checks, expect):
    dep = by_key.get(("Deployment", name))
    if not checks.check(dep is not None, f"{name}: a Deployment"):
        return
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    what = f"{name}"
    env = container_env(dep, by_key)

    # settings: exactly what the daemon reads
    missing = sorted(v for v, (_, required) in conf.items() if v not in env)
    extra = sorted(v for v in env if v not in conf)
    checks.check(not missing, f"{what}: sets every variable the daemon reads", ", ".join(missing))
    checks.check(not extra, f"{what}: sets no variable the daemon ignores", ", ".join(extra))
    # secrets from Secrets only, and only the known ones
    bad = []
    for var, (how, val) in env.items():
        if SECRET_SETTINGS.search(var) and how != "secret":
            bad.append(f"{var} is not from a Secret")
        if how == "secret" and val is not None:
            sname, key, _ = val
            if sname in HAND_MADE_SECRETS:
                if key not in HAND_MADE_SECRETS[sname]:
                    bad.append(f"{var}: key {key} of {sname} is not documented")
            elif sname.endswith("-app") and ("Cluster", sname[:-4]) in by_key:
                if key != "uri":
                    bad.append(f"{var}: key {key} of the CloudNativePG Secret {sname}")
            else:
                bad.append(f"{var}: Secret {sname} is neither documented nor written by an operator")
    checks.check(not bad, f"{what}: secrets come from Secrets, each one known", "; ".join(bad))
    db = env.get("BP_DATABASE_URL")
    checks.check(db is not None and db[0] == "secret" and db[1][0] == f"{name}-db-app",
                 f"{what}: BP_DATABASE_URL from the CloudNativePG cluster {name}-db", str(db))
    checks.check(not (env.get("BP_API_KEYS", ("", (None,)))[1] or (None,))[2],
                 f"{what}: BP_API_KEYS is required (not an optional Secret key)")

    # port: the daemon's setting = containerPort = Service targetPort
    port = env.get("BP_HTTP_PORT", (None, None))[1]
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    checks.check(port is not None and ports.get("http") == int(port),
                 f"{what}: containerPort http is BP_HTTP_PORT ({port})", str(ports))
    checks.check(port == conf.get("BP_HTTP_PORT", (None,))[0],
                 f"{what}: BP_HTTP_PORT is the daemon's default (the image's EXPOSE)",
                 f"{port} vs {conf.get('BP_HTTP_PORT')}")
    svc = by_key.get(("Service", name))
    sel = (svc or {}).get("spec", {}).get("selector") or {}
    labels = dep["spec"]["template"]["metadata"].get("labels") or {}
    checks.check(svc is not None and sel and all(labels.get(k) == v for k, v in sel.items())
                 and any(p.get("targetPort") in ("http", ports.get("http"))
                         for p in svc["spec"].get("ports", [])),
                 f"{what}: a Service selects its pods on port http")

    # topics and the Kafka wiring
    for var, (how, val) in env.items():
        if var.startswith("BP_TOPIC_"):
            checks.check(val in topics, f"{what}: {var}={val} is a KafkaTopic", ", ".join(sorted(topics)))
    brokers = env.get("BP_KAFKA_BROKERS", (None, ""))[1] or ""
    kafka = [o for o in objs if o.get("kind") == "Kafka"]
    want = set()
    for k in kafka:
        for lst in k["spec"]["kafka"].get("listeners", []):
            if lst.get("type") == "internal" and not lst.get("tls") and "authentication" not in lst:
                want.add(f"{k['metadata']['name']}-kafka-bootstrap:{lst['port']}")
    checks.check(brokers in want, f"{what}: BP_KAFKA_BROKERS is the plain listener's bootstrap Service",
                 f"{brokers!r}, expected one of {sorted(want)}")

    # probes, shutdown
    checks.check(probe_path(c, "readinessProbe") == ("/ready", "http"), f"{what}: readiness on /ready",
                 str(probe_path(c, "readinessProbe")))
    checks.check(probe_path(c, "livenessProbe") == ("/health", "http"), f"{what}: liveness on /health",
                 str(probe_path(c, "livenessProbe")))
    checks.check(probe_path(c, "startupProbe")[0] == "/health", f"{what}: startup probe on /health")
    pre = prestop_seconds(c)
    grace_setting = int(env.get("BP_SHUTDOWN_GRACE_SECONDS", (None, conf["BP_SHUTDOWN_GRACE_SECONDS"][0]))[1])
    need = (pre or 0) + grace_setting + WORK_IN_HAND.get(name, DEFAULT_WORK_IN_HAND)
    tgps = pod.get("terminationGracePeriodSeconds", 30)
    checks.check(pre is not None and pre >= 5, f"{what}: a preStop pause before SIGTERM", str(pre))
    checks.check(tgps >= need, f"{what}: terminationGracePeriodSeconds {tgps} covers preStop + drain + "
                 f"BP_SHUTDOWN_GRACE_SECONDS ({need})")
    check_security(c, pod, what, checks)
    check_resources(c, what, checks)

    # availability: a PDB, instances for the overlay
    pdbs = [o for o in objs if o.get("kind") == "PodDisruptionBudget"
            and all(labels.get(k) == v for k, v in
                    (o["spec"].get("selector", {}).get("matchLabels") or {"-": "-"}).items())]
    checks.check(len(pdbs) == 1, f"{what}: one PodDisruptionBudget", str(len(pdbs)))
    hpa = [o for o in objs if o.get("kind") == "HorizontalPodAutoscaler"
           and o["spec"]["scaleTargetRef"].get("kind") == "Deployment"
           and o["spec"]["scaleTargetRef"].get("name") == name]
    if name == "billing":
        checks.check(len(hpa) == 1, f"{what}: a HorizontalPodAutoscaler")
        checks.check("replicas" not in dep["spec"], f"{what}: the autoscaler alone sets replicas")
    if hpa:
        consumed = [v for k, (_, v) in env.items() if k.startswith("BP_TOPIC_") and k != "BP_TOPIC_DEAD_LETTER"]
        parts = min((topics.get(t, {}).get("partitions", 0) for t in consumed), default=0)
        checks.check(hpa[0]["spec"]["maxReplicas"] <= max(parts, 1),
                     f"{what}: autoscaler's maximum ({hpa[0]['spec']['maxReplicas']}) <= partitions ({parts})")
    instances = hpa[0]["spec"].get("minReplicas", 1) if hpa else dep["spec"].get("replicas", 1)
    if name in CONSUMERS:
        checks.check(instances == expect["consumers"],
                     f"{what}: {expect['consumers']} instance(s) in this overlay", str(instances))


def check_kafka(objs, topics, native, expect, checks):
    kafka = [o for o in objs if o.get("kind") == "Kafka"]
    if not checks.check(len(kafka) == 1, "one Kafka cluster"):
        return
    k = kafka[0]
    cname = k["metadata"]["name"]
    pools = [o for o in objs if o.get("kind") == "KafkaNodePool"
             and o["metadata"].get("labels", {}).get("strimzi.io/cluster") == cname]
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    checks.check(brokers == expect["brokers"], f"Kafka: {expect['brokers']} broker(s)", str(brokers))
    checks.check(controllers % 2 == 1, f"Kafka: an odd number of KRaft controllers ({controllers})")
    conf = k["spec"]["kafka"].get("config", {})
    for key, want in [("default.replication.factor", expect["rf"]),
                      ("offsets.topic.replication.factor", expect["rf"]),
                      ("transaction.state.log.replication.factor", expect["rf"]),
                      ("min.insync.replicas", expect["min_isr"]),
                      ("transaction.state.log.min.isr", expect["min_isr"]),
                      ("auto.create.topics.enable", False)]:
        checks.check(conf.get(key) == want, f"Kafka config {key}={want}", str(conf.get(key)))
    checks.check(int(conf.get("message.max.bytes", 0)) >= 16777216,
                 "Kafka accepts the producers' 16 MiB messages")
    checks.check("topicOperator" in (k["spec"].get("entityOperator") or {}),
                 "Kafka: the topic operator manages the KafkaTopic resources")
    checks.check(sorted(topics) == sorted(native), "the KafkaTopics are the native stack's topics",
                 f"{sorted(topics)} vs {sorted(native)}")
    for t, spec in topics.items():
        cfg = spec.get("config") or {}
        problems = []
        if spec.get("partitions") != PARTITIONS:
            problems.append(f"partitions {spec.get('partitions')}")
        if spec.get("replicas") != expect["rf"]:
            problems.append(f"replicas {spec.get('replicas')}")
        if cfg.get("min.insync.replicas") != expect["min_isr"]:
            problems.append(f"min.insync.replicas {cfg.get('min.insync.replicas')}")
        if spec.get("replicas", 0) > brokers:
            problems.append("more replicas than brokers")
        if int(cfg.get("max.message.bytes", 0)) < 16777216:
            problems.append("max.message.bytes below 16 MiB")
        checks.check(not problems, f"KafkaTopic {t}: {PARTITIONS} partitions, RF {expect['rf']}, "
                     f"min.insync.replicas {expect['min_isr']}", "; ".join(problems))


def check_postgres(objs, dbs, expect, checks):
    clusters = {o["metadata"]["name"]: o for o in objs if o.get("kind") == "Cluster"}
    backups = [o for o in objs if o.get("kind") == "ScheduledBackup"]
    for daemon, (role, db) in sorted(dbs.items()):
        c = clusters.get(f"{daemon}-db")
        if not checks.check(c is not None, f"{daemon}: a CloudNativePG Cluster {daemon}-db"):
            continue
        init = c["spec"].get("bootstrap", {}).get("initdb", {})
        checks.check((init.get("owner"), init.get("database")) == (role, db),
                     f"{daemon}-db: role and database {role}/{db} (docker-compose.yml's)",
                     f"{init.get('owner')}/{init.get('database')}")
        checks.check(c["spec"].get("instances") == expect["pg"],
                     f"{daemon}-db: {expect['pg']} instance(s)", str(c["spec"].get("instances")))
        checks.check(not c["spec"].get("enableSuperuserAccess"), f"{daemon}-db: no superuser access")
        sb = [b for b in backups if b["spec"]["cluster"]["name"] == f"{daemon}-db"]
        if expect["backups"]:
            store = (c["spec"].get("backup") or {}).get("barmanObjectStore") or {}
            creds = store.get("s3Credentials") or {}
            checks.check(bool(store.get("destinationPath")) and
                         all(creds.get(k, {}).get("name") in HAND_MADE_SECRETS for k in creds) and creds,
                         f"{daemon}-db: WAL archive and base backups to an object store (credentials from a Secret)")
            checks.check(len(sb) == 1 and sb[0]["spec"].get("method") == "barmanObjectStore",
                         f"{daemon}-db: a ScheduledBackup")
        else:
            checks.check(not sb and "backup" not in c["spec"], f"{daemon}-db: no backup in this overlay")
    checks.check(sorted(clusters) == sorted(f"{d}-db" for d in dbs),
                 "one Cluster per database-owning daemon, no other", str(sorted(clusters)))


def check_objects(objs, args, crds, confs, checks, versions):
    by_key = index(objs)
    for o in objs:
        md = o.get("metadata", {})
        what = f"{o.get('kind')} {md.get('name')}"
        errs = schema_errors(o, crds, versions)
        checks.check(not errs, f"{what}: valid ({'CRD' if (o.get('apiVersion'), o.get('kind')) in crds else 'Kubernetes ' + ', '.join(versions)})",
                     "; ".join(errs))
        if o.get("kind") != "Namespace":
            checks.check(md.get("namespace") == NAMESPACE, f"{what}: in namespace {NAMESPACE}",
                         str(md.get("namespace")))
    secrets = [o["metadata"]["name"] for o in objs if o.get("kind") == "Secret"]
    checks.check(not secrets, "no Secret in the manifests (created by hand)", ", ".join(secrets))
    # every other workload: hardened too (Mailpit in dev)
    for o in objs:
        if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"):
            pod = o["spec"]["template"]["spec"]
            for c in pod.get("containers", []):
                if o["metadata"]["name"] not in DAEMONS:
                    check_security(c, pod, f"{o['kind']} {o['metadata']['name']}/{c['name']}", checks)
                    check_resources(c, f"{o['kind']} {o['metadata']['name']}/{c['name']}", checks)
                    checks.check(c.get("readinessProbe") and c.get("livenessProbe"),
                                 f"{o['metadata']['name']}/{c['name']}: probes")
    topics = {(o["spec"].get("topicName") or o["metadata"]["name"]): o["spec"]
              for o in objs if o.get("kind") == "KafkaTopic"}
    expect = EXPECT[args.overlay]
    rules = [(name, lambda n=name: check_daemon(n, objs, by_key, confs[n], topics, checks, expect))
             for name in DAEMONS]
    rules.append(("Kafka", lambda: check_kafka(objs, topics, native_topics(args.root), expect, checks)))
    rules.append(("PostgreSQL", lambda: check_postgres(objs, compose_databases(args.root), expect, checks)))
    for what, rule in rules:
        try:
            rule()
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            # an object too malformed for the rules (its schema check failed already)
            checks.check(False, f"{what}: the rules could be applied", repr(e))


# --- self-test -----------------------------------------------------------------------------------

def find(objs, kind, name=None):
    return next(o for o in objs if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name))


def container(objs, name):
    return find(objs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


# (what is broken, the check expected to catch it, how)
BREAKS = [
    ("a misspelt Deployment field (Kubernetes schema, strict)", 'Deployment billing: valid (Kubernetes',
     lambda o: container(o, "billing").__setitem__("readinesProbe", container(o, "billing")["readinessProbe"])),
    ("a wrong type in a Service (Kubernetes schema)", 'Service payment: valid (Kubernetes',
     lambda o: find(o, "Service", "payment")["spec"]["ports"][0].__setitem__("port", "eighty")),
    ("partitions as a string in a KafkaTopic (Strimzi CRD)", 'KafkaTopic invoice: valid (CRD)',
     lambda o: find(o, "KafkaTopic", "invoice")["spec"].__setitem__("partitions", "six")),
    ("an unknown field in the Kafka listener (Strimzi CRD, strict)", 'Kafka boissipay: valid (CRD)',
     lambda o: find(o, "Kafka")["spec"]["kafka"]["listeners"][0].__setitem__("tsl", False)),
    ("a node pool without roles (Strimzi CRD, required)", 'KafkaNodePool kafka: valid (CRD)',
     lambda o: find(o, "KafkaNodePool")["spec"].pop("roles")),
    ("zero PostgreSQL instances (CloudNativePG CRD, minimum)", 'Cluster billing-db: valid (CRD)',
     lambda o: find(o, "Cluster", "billing-db")["spec"].__setitem__("instances", 0)),
    ("an unknown ScheduledBackup method (CloudNativePG CRD, enum)", 'valid (CRD)',
     lambda o: find(o, "ScheduledBackup")["spec"].__setitem__("method", "tarball")),
    ("readiness on /health", 'payment: readiness on /ready',
     lambda o: container(o, "payment")["readinessProbe"]["httpGet"].__setitem__("path", "/health")),
    ("a writable root filesystem", 'contract: hardened securityContext',
     lambda o: container(o, "contract")["securityContext"].__setitem__("readOnlyRootFilesystem", False)),
    ("a container that may escalate", 'invoice-mailer: hardened securityContext',
     lambda o: container(o, "invoice-mailer")["securityContext"].pop("allowPrivilegeEscalation")),
    ("a termination grace shorter than the drain", 'payment: terminationGracePeriodSeconds',
     lambda o: find(o, "Deployment", "payment")["spec"]["template"]["spec"].__setitem__(
         "terminationGracePeriodSeconds", 30)),
    ("a password in a plain env value", 'invoice-mailer: secrets come from Secrets',
     lambda o: container(o, "invoice-mailer")["env"].append({"name": "BP_SMTP_PASSWORD", "value": "x"})),
    ("a variable the daemon does not read", 'contract: sets no variable the daemon ignores',
     lambda o: container(o, "contract")["env"].append({"name": "BP_TOPIC_OPERATION", "value": "operation"})),
    ("a daemon's topic missing from the KafkaTopics", 'is a KafkaTopic',
     lambda o: find(o, "KafkaTopic", "payment")["metadata"].__setitem__("name", "payments")),
    ("a Secret with its value in the manifests", 'no Secret in the manifests',
     lambda o: o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": NAMESPACE},
                         "stringData": {"BP_API_KEYS": "0123456789abcdef:rw"}})),
    ("a topic with fewer replicas than the overlay's", 'KafkaTopic contract:',
     lambda o: find(o, "KafkaTopic", "contract")["spec"].__setitem__("replicas", 2)),
    ("the autoscaler beyond the partitions", "billing: autoscaler's maximum",
     lambda o: find(o, "HorizontalPodAutoscaler", "billing")["spec"].__setitem__("maxReplicas", 12)),
    ("a database without its daemon's role", 'payment-db: role and database',
     lambda o: find(o, "Cluster", "payment-db")["spec"]["bootstrap"]["initdb"].__setitem__("owner", "app")),
]


def self_test(objs, args, crds, confs, versions):
    c = Checks()
    clean = Checks(quiet=True)
    check_objects(copy.deepcopy(objs), args, crds, confs, clean, versions)
    c.check(clean.failed == 0, "self-test: the unbroken manifests pass", ", ".join(clean.failures[:3]))
    for what, expected, brk in BREAKS:
        broken = copy.deepcopy(objs)
        try:
            brk(broken)
        except StopIteration:
            print(f"skip  self-test: {what} (no such object in this overlay)")
            continue
        run = Checks(quiet=True)
        check_objects(broken, args, crds, confs, run, versions)
        hit = [f for f in run.failures if expected in f]
        c.check(bool(hit), f"self-test: {what} is caught by '{expected}'",
                "caught by " + "; ".join(run.failures[:3]) if run.failures else "no check failed")
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--overlay", required=True, choices=sorted(EXPECT))
    ap.add_argument("--crds", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--kubernetes-versions", default="1.37.0")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--write-broken", metavar="OUT",
                    help="write the manifests with one container privileged and root, for the "
                         "policy scan's own self-test, and exit")
    ap.add_argument("rendered")
    args = ap.parse_args()
    versions = args.kubernetes_versions.split()

    with open(args.rendered, encoding="utf-8") as f:
        objs = [o for o in yaml.safe_load_all(f) if o]
    if args.write_broken:
        c = container(objs, "billing")
        c["securityContext"].update({"privileged": True, "allowPrivilegeEscalation": True,
                                     "runAsNonRoot": False, "runAsUser": 0})
        with open(args.write_broken, "w", encoding="utf-8") as f:
            yaml.safe_dump_all(objs, f, sort_keys=False)
        return 0
    crds = load_crds(args.crds)
    confs = {}
    for name in DAEMONS:
        binary = os.path.join(args.build, "services", name, f"boissipay-{name}")
        if not os.access(binary, os.X_OK):
            print(f"FAIL  {binary} is built (its --print-config is the reference)")
            print("0 passed, 1 failed")
            return 1
        confs[name] = print_config(binary)
    for key in [("kafka.strimzi.io/v1", k) for k in ("Kafka", "KafkaNodePool", "KafkaTopic")] + \
               [("postgresql.cnpg.io/v1", k) for k in ("Cluster", "ScheduledBackup")]:
        if key not in crds:
            print(f"FAIL  the CRD of {key[1]} {key[0]} is in {args.crds}")
            print("0 passed, 1 failed")
            return 1
    if args.self_test:
        c = self_test(objs, args, crds, confs, versions[:1])
    else:
        c = Checks()
        print(f"{len(objs)} objects in {args.rendered}")
        check_objects(objs, args, crds, confs, c, versions)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
