#!/usr/bin/env bash
# Boissipay: back up every service database of a running stack (pg_dump, custom format).
#
#   scripts/backup.sh [--out DIR] [--keep N] [--databases "A B"] [--no-kafka]
#                     [--state DIR] [--pg-port PORT] [--kafka HOST:PORT]
#
# Writes DIR/<UTC time>/ (DIR: .stack/dev/backups): one <database>.dump per database and a
# manifest.json with the time, each dump's owner, size and sha256, and the Kafka offsets read
# just before the first dump (every topic's end, every consumer group's committed offset),
# which scripts/restore.sh rewinds a service's consumers to. Then keeps the N newest backups
# of DIR (--keep, BP_BACKUP_KEEP, 7) and deletes older ones; 0 keeps all.
#
# Consistency: each dump is one snapshot of its database (pg_dump runs in one repeatable-read
# transaction), taken while the daemons keep running. The databases are not dumped at one
# instant and need not be: each service owns its database and they share nothing but Kafka,
# which is the source of replay between them (docs/operations.md says what comes back after a
# restore and what does not).
#
# --databases: the databases to dump (default: every database of the cluster but `postgres`).
# --state, --pg-port, --kafka: the stack (default: the native one, .stack/dev, 15432,
# 127.0.0.1:9092); a test points them at its own stack.
set -euo pipefail

BP_LOG_TAG="backup"
# shellcheck source=scripts/lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

out=""
keep="${BP_BACKUP_KEEP:-7}"
databases=""
use_kafka=1

usage() {
    awk 'NR > 1 && /^set -euo/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while (($#)); do
    if bk_parse_common "$1" "${2:-}"; then
        shift "$BK_SHIFT"
        continue
    fi
    case "$1" in
    --out) out="${2:?--out needs a folder}" && shift 2 ;;
    --keep) keep="${2:?--keep needs a number}" && shift 2 ;;
    --databases) databases="${2:?--databases needs names}" && shift 2 ;;
    --no-kafka) use_kafka=0 && shift ;;
    -h | --help) usage ;;
    *) usage ;;
    esac
done
[[ "$keep" =~ ^[0-9]+$ ]] || bp_die "--keep: not a number: $keep"

bk_init
out="${out:-$BK_STATE/backups}"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"

if [[ -z "$databases" ]]; then
    databases="$(bk_psql -At -c "SELECT datname FROM pg_database WHERE NOT datistemplate
        AND datname <> 'postgres' ORDER BY datname" | tr '\n' ' ')"
fi
read -r -a dbs <<<"$databases"
((${#dbs[@]} > 0)) || bp_die "no database to back up"

t0="$(bp_now_ms)"
name="$(date -u +%Y%m%dT%H%M%SZ)"
created="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
final="$out/$name"
[[ ! -e "$final" ]] || bp_die "$final exists already (one backup per second at most)"
work="$out/.$name.partial"
rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"
# A failed run leaves no half backup that restore.sh or the retention could take for one.
trap 'rm -rf "$work"' EXIT

# 1. Kafka offsets, before any dump begins (see scripts/lib/backup_kafka.py).
kafka_json="-"
if ((use_kafka == 0)); then
    bp_warn "--no-kafka: the backup records no offsets; a restore will have to rewind by time"
elif bk_kafka_up; then
    bk_kafka capture >"$work/kafka.json"
    kafka_json="$work/kafka.json"
    bp_log "Kafka offsets read (topic ends and consumer groups of $BK_KAFKA)"
else
    bp_die "Kafka does not answer on $BK_KAFKA (--no-kafka backs up without its offsets)"
fi

# 2. One dump per database.
tsv="$work/databases.tsv"
{
    printf 'meta\tcreatedAt\t%s\n' "$created"
    printf 'meta\tpgPort\t%s\n' "$BK_PG_PORT"
    printf 'meta\tserverVersion\t%s\n' "$(bk_psql -At -c 'SHOW server_version')"
    printf 'meta\tpgDumpVersion\t%s\n' "$("$BK_PG_BIN/pg_dump" --version)"
} >"$tsv"
for db in "${dbs[@]}"; do
    owner="$(bk_psql -At -v db="$db" <<'SQL'
SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'db';
SQL
)"
    [[ -n "$owner" ]] || bp_die "no database $db in the cluster"
    started="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
    t1="$(bp_now_ms)"
    if ! bk_pg_tool pg_dump --format=custom --compress=6 --file="$work/$db.dump" "$db" \
        2>"$work/$db.err"; then
        bp_tail_log "$work/$db.err"
        bp_die "pg_dump of $db failed"
    fi
    rm -f "$work/$db.err"
    size="$(stat -c %s "$work/$db.dump")"
    sha="$(sha256sum "$work/$db.dump" | cut -c1-64)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$db" "$owner" "$db.dump" "$size" "$sha" "$started" \
        "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" >>"$tsv"
    bp_log "dumped $db ($size bytes, $(bp_elapsed "$t1"))"
done

# 3. The manifest, then the folder under its final name.
/usr/bin/python3 "$BP_ROOT/scripts/lib/backup_kafka.py" manifest "$work/manifest.json" \
    "$kafka_json" "$tsv"
rm -f "$tsv" "$work/kafka.json"
mv "$work" "$final"
trap - EXIT
bp_log "backup $final done (${#dbs[@]} databases, $(bp_elapsed "$t0"))"

# 4. Retention: the KEEP newest backups of the folder stay (0: all of them).
if ((keep > 0)); then
    mapfile -t all < <(find "$out" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
        grep -E "$BK_NAME_RE" | sort -r)
    for old in "${all[@]:keep}"; do
        [[ -f "$out/$old/manifest.json" ]] || continue
        rm -rf "${out:?}/$old"
        bp_log "retention (keep $keep): deleted backup $old"
    done
fi
printf '%s\n' "$final"
