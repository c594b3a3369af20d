#!/usr/bin/env python3
"""Kafka side of scripts/backup.sh and scripts/restore.sh (run by them, not by hand).

A backup records, before the first pg_dump starts, every topic's end offsets and every
consumer group's committed offsets; a restore rewinds a service's group to those offsets
(its consumers then re-read everything they had not committed when the backup began) and
reads the topics for what the restored database cannot know: the invoice numbers issued
since, the operations and invoices published since. Reads topics with kcat; group offsets
through Kafka's own ConsumerGroupCommand (its jars: BP_KAFKA_CP, its log settings:
BP_KAFKA_LOG4J).

  capture BROKERS                      JSON of the offsets on stdout
  manifest OUT KAFKA_JSON DBS_TSV      write manifest.json (KAFKA_JSON may be "-": none)
  group-state BROKERS GROUP            Empty, Stable, ... or Dead (no such group)
  rewind BROKERS GROUP MANIFEST        reset GROUP to the manifest's offsets (group stopped)
  after BROKERS MANIFEST TOPIC TYPE FIELD   events of TYPE published after the backup, one a
                                       line: data.FIELD, a tab, the event
  invoice-numbers BROKERS TOPIC...     "YEAR HIGHEST" for every invoice number on the topics
  repost EVENTS                        for each operation.accepted of the file, its operationId,
                                       a tab, the POST /operations body that asks for it again
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

GROUP_TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
INVOICE_REF = re.compile(r"^INV-(\d{4})-(\d+)$")


def die(msg):
    print(f"[backup] ERROR: {msg}", file=sys.stderr)
    sys.exit(1)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def group_tool(brokers, *args):
    cp = os.environ.get("BP_KAFKA_CP")
    log4j = os.environ.get("BP_KAFKA_LOG4J")
    if not cp:
        die("BP_KAFKA_CP is not set (the Kafka jars)")
    cmd = ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           "-Djava.awt.headless=true"]
    if log4j:
        cmd.append(f"-Dlog4j.configuration=file:{log4j}")
    cmd += ["-cp", cp, GROUP_TOOL, "--bootstrap-server", brokers, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def topic_partitions(brokers):
    """{topic: [partition, ...]} of the cluster, internal topics left out."""
    p = subprocess.run(["kcat", "-b", brokers, "-L", "-J", "-m", "10"], capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0:
        die(f"Kafka at {brokers} does not answer: {p.stderr.strip()}")
    meta = json.loads(p.stdout)
    return {t["topic"]: sorted(x["partition"] for x in t["partitions"])
            for t in meta.get("topics", []) if not t["topic"].startswith("__")}


def end_offsets(brokers, parts):
    """{topic: {partition: end offset}}."""
    args = [f"{t}:{p}:-1" for t, ps in parts.items() for p in ps]
    out = {t: {} for t in parts}
    if not args:
        return out
    cmd = ["kcat", "-b", brokers, "-Q", "-m", "10"]
    for a in args:
        cmd += ["-t", a]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        die(f"kcat -Q failed: {p.stderr.strip()}")
    for line in p.stdout.splitlines():
        m = re.match(r"^(\S+) \[(\d+)\] offset (-?\d+)$", line.strip())
        if m:
            out[m.group(1)][m.group(2)] = int(m.group(3))
    return out


def parse_offsets(text):
    """{group: {topic: {partition: committed}}} from `--describe --offsets` output."""
    groups = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 5 and f[0] != "GROUP" and f[2].isdigit() and f[3].isdigit():
            groups.setdefault(f[0], {}).setdefault(f[1], {})[f[2]] = int(f[3])
    return groups


def cmd_capture(brokers):
    captured = now_utc()
    # Group offsets first: a committed offset only grows, so reading the groups before the
    # databases are dumped keeps every group's offset at or below what its database holds.
    rc, out, err = group_tool(brokers, "--describe", "--all-groups", "--offsets")
    if rc != 0:
        die(f"could not read the consumer groups: {err.strip()}")
    groups = parse_offsets(out)
    topics = end_offsets(brokers, topic_partitions(brokers))
    json.dump({"brokers": brokers, "capturedAt": captured, "topics": topics, "groups": groups},
              sys.stdout, indent=1, sort_keys=True)
    print()


def cmd_manifest(out, kafka_json, dbs_tsv):
    kafka = None
    if kafka_json != "-":
        with open(kafka_json) as f:
            kafka = json.load(f)
    dbs = []
    meta = {}
    with open(dbs_tsv) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "meta":
                meta[fields[1]] = fields[2]
                continue
            name, owner, file, size, sha, started, finished = fields
            dbs.append({"name": name, "owner": owner, "file": file, "bytes": int(size),
                        "sha256": sha, "dumpStartedAt": started, "dumpFinishedAt": finished})
    manifest = {
        "format": 1,
        "createdAt": meta.get("createdAt"),
        "finishedAt": now_utc(),
        "postgres": {"port": int(meta.get("pgPort", 0)), "serverVersion": meta.get("serverVersion"),
                     "pgDumpVersion": meta.get("pgDumpVersion")},
        "consistency": ("one pg_dump snapshot per database; the databases are independent of "
                        "each other and Kafka is the source of replay: the offsets below were "
                        "read before the first dump began"),
        "databases": dbs,
        "kafka": kafka,
    }
    with open(out, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def cmd_group_state(brokers, group):
    rc, out, err = group_tool(brokers, "--describe", "--group", group, "--state")
    if "does not exist" in out + err:
        print("Dead")
        return
    if rc != 0:
        die(f"could not describe group {group}: {err.strip()}")
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == group:
            # GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
            print(f[-2])
            return
    die(f"unexpected output of the group tool: {out.strip()}")


def load_manifest(path):
    with open(path) as f:
        return json.load(f)


def cmd_rewind(brokers, group, manifest_path):
    """Every partition the group has an offset for, now or at the backup, goes back to the
    backup's offset; a partition it had none for then goes back to the beginning (where its
    consumers, which start at the earliest offset, would have begun)."""
    kafka = load_manifest(manifest_path).get("kafka")
    if not kafka:
        die("the backup holds no Kafka offsets: rewind by time instead (see docs/operations.md)")
    then = kafka["groups"].get(group, {})
    rc, out, err = group_tool(brokers, "--describe", "--group", group, "--offsets")
    now = {} if "does not exist" in out + err else parse_offsets(out).get(group, {})
    plan = {}
    for t, ps in now.items():
        for p in ps:
            plan[(t, p)] = 0
    for t, ps in then.items():
        for p, off in ps.items():
            plan[(t, p)] = off
    if not plan:
        print(f"group {group}: no offsets then or now, nothing to rewind")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        for (t, p), off in sorted(plan.items()):
            f.write(f"{t},{p},{off}\n")
        csv = f.name
    try:
        rc, out, err = group_tool(brokers, "--reset-offsets", "--group", group, "--from-file",
                                  csv, "--execute")
    finally:
        os.unlink(csv)
    if rc != 0 or "Error" in out:
        die(f"could not rewind group {group}: {(err or out).strip()}")
    back = sum(1 for (t, p) in plan if p not in then.get(t, {}))
    print(f"group {group}: {len(plan)} partitions rewound to the backup's offsets"
          + (f" ({back} to the beginning)" if back else ""))


def read_topic(brokers, topic):
    """[(partition, offset, value)] of every message of a topic."""
    p = subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                        "-J", "-m", "10"], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        die(f"could not read topic {topic}: {p.stderr.strip()}")
    msgs = []
    for line in p.stdout.splitlines():
        if line.strip():
            m = json.loads(line)
            msgs.append((m["partition"], m["offset"], m.get("payload")))
    return msgs


def event_of(value):
    try:
        e = json.loads(value) if value else None
    except ValueError:
        return None
    return e if isinstance(e, dict) else None


def cmd_after(brokers, manifest_path, topic, etype, field):
    kafka = load_manifest(manifest_path).get("kafka")
    if not kafka:
        die("the backup holds no Kafka offsets")
    ends = kafka["topics"].get(topic, {})
    for part, off, value in read_topic(brokers, topic):
        if off < ends.get(str(part), 0):
            continue
        e = event_of(value)
        data = e.get("data") if e is not None and e.get("type") == etype else None
        key = data.get(field) if isinstance(data, dict) else None
        if isinstance(key, str) and "\t" not in key:
            print(key + "\t" + json.dumps(e, separators=(",", ":")))


def cmd_invoice_numbers(brokers, topics):
    highest = {}
    for topic in topics:
        for _, _, value in read_topic(brokers, topic):
            e = event_of(value)
            data = e.get("data") if e else None
            ref = data.get("invoiceRef") if isinstance(data, dict) else None
            m = INVOICE_REF.match(ref) if isinstance(ref, str) else None
            if m:
                y, n = int(m.group(1)), int(m.group(2))
                highest[y] = max(highest.get(y, 0), n)
    for y in sorted(highest):
        print(y, highest[y])


# What a POST /operations body holds, as the operation's document names it; amounts the
# server computes (line and order totals) are left out, a Money object becomes its amount.
REQUEST_KEYS = ("contractRef", "customerRef", "operationType", "refundOf", "operationAt", "order")
COMPUTED = {"amountWithoutTax", "amountTax", "amountWithTax", "totalWithoutTax", "totalTax",
            "totalWithTax"}


def as_request(v):
    if isinstance(v, dict):
        if set(v) == {"amount", "currency", "minorUnits"}:
            return v["amount"]
        return {k: as_request(x) for k, x in v.items() if k not in COMPUTED}
    if isinstance(v, list):
        return [as_request(x) for x in v]
    return v


def cmd_repost(events):
    with open(events) as f:
        for line in f:
            e = event_of(line)
            data = e.get("data") if e else None
            if not isinstance(data, dict) or "operationId" not in data:
                continue
            body = {k: as_request(data[k]) for k in REQUEST_KEYS if k in data}
            print(data["operationId"] + "\t" + json.dumps(body, separators=(",", ":")))


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    table = {"capture": (cmd_capture, 1), "manifest": (cmd_manifest, 3),
             "group-state": (cmd_group_state, 2), "rewind": (cmd_rewind, 3),
             "after": (cmd_after, 5)}
    if cmd == "repost" and len(args) == 1:
        return cmd_repost(args[0])
    if cmd == "invoice-numbers" and len(args) >= 2:
        return cmd_invoice_numbers(args[0], args[1:])
    if cmd not in table or len(args) != table[cmd][1]:
        die(f"usage: {__doc__}")
    return table[cmd][0](*args)


if __name__ == "__main__":
    main(sys.argv)
