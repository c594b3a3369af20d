#!/usr/bin/env bash
# Boissipay: restore one or all service databases from a backup of scripts/backup.sh.
#
#   scripts/restore.sh (--database DB ... | --all) [--backup DIR] [--group DB=GROUP ...]
#                      [--invoice-topic T] [--operation-topic T] [--report DIR] [--force]
#                      [--state DIR] [--pg-port PORT] [--kafka HOST:PORT]
#
# Stop the service first (scripts/stack.sh stop, or its daemon alone): its database must have
# no connection and its consumer group no member. For each database, restore.sh
#   1. checks the dump against the manifest (sha256) and that its owner role exists;
#   2. restores it into a new database, then drops the old one and renames the new one (a
#      failed restore leaves the old database as it was);
#   3. billing's database (it has invoice_counters): advances each year's invoice counter past
#      the highest invoice number on the invoice topic, so no number is issued twice;
#   4. rewinds the service's consumer group to the offsets the backup recorded, so that its
#      daemon, once started, re-reads every event it had not committed at backup time (the
#      inbox and the version rule make the events it had applied change nothing);
#   5. billing's database: lists what the backup cannot give back and Kafka can only show, the
#      operations accepted and the invoices issued after the backup (REPORT/lost-operations.jsonl,
#      REPORT/lost-invoices.jsonl, one CloudEvent a line; docs/operations.md says what to do).
# Then start the service again.
#
# --backup: a backup folder (default: the newest under STATE/backups).
# --group DB=GROUP: the consumer group of the service owning DB (defaults: billing=billing,
#   payment=payment, invoice_mailer=invoice-mailer; contract has none). GROUP "-": no rewind.
# --invoice-topic, --operation-topic: billing's topics (invoice, operation).
# --report: where the lists of step 5 go (default STATE/restores/<UTC time>).
# --force: restore even though clients are connected to the database (they are cut off).
# --state, --pg-port, --kafka: the stack, as for scripts/backup.sh.
set -euo pipefail

BP_LOG_TAG="restore"
# shellcheck source=scripts/lib/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/backup.sh"

backup=""
report=""
force=0
all=0
invoice_topic="invoice"
operation_topic="operation"
declare -a only=()
declare -A group=([billing]=billing [payment]=payment [invoice_mailer]=invoice-mailer)

usage() {
    sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while (($#)); do
    if bk_parse_common "$1" "${2:-}"; then
        shift "$BK_SHIFT"
        continue
    fi
    case "$1" in
    --backup) backup="${2:?--backup needs a folder}" && shift 2 ;;
    --database) only+=("${2:?--database needs a name}") && shift 2 ;;
    --all) all=1 && shift ;;
    --group)
        [[ "${2:-}" == ?*=?* ]] || bp_die "--group needs DB=GROUP"
        group[${2%%=*}]="${2#*=}"
        shift 2
        ;;
    --invoice-topic) invoice_topic="${2:?}" && shift 2 ;;
    --operation-topic) operation_topic="${2:?}" && shift 2 ;;
    --report) report="${2:?--report needs a folder}" && shift 2 ;;
    --force) force=1 && shift ;;
    *) usage ;;
    esac
done
((all == 1 || ${#only[@]} > 0)) || usage
((all == 0 || ${#only[@]} == 0)) || bp_die "--all and --database exclude each other"

bk_init
if [[ -z "$backup" ]]; then
    backup="$(find "$BK_STATE/backups" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null |
        grep -E "$BK_NAME_RE" | sort | tail -n 1 || true)"
    [[ -n "$backup" ]] || bp_die "no backup under $BK_STATE/backups (--backup DIR)"
    backup="$BK_STATE/backups/$backup"
fi
manifest="$backup/manifest.json"
[[ -f "$manifest" ]] || bp_die "no manifest.json in $backup"
backup="$(cd "$backup" && pwd -P)"
manifest="$backup/manifest.json"
report="${report:-$BK_STATE/restores/$(date -u +%Y%m%dT%H%M%SZ)}"

# "name owner file sha256" of each database in the manifest.
mapfile -t entries < <(/usr/bin/python3 -c '
import json, sys
for d in json.load(open(sys.argv[1]))["databases"]:
    print(d["name"], d["owner"], d["file"], d["sha256"])' "$manifest")
has_kafka="$(/usr/bin/python3 -c '
import json, sys
print(1 if json.load(open(sys.argv[1])).get("kafka") else 0)' "$manifest")"

declare -a todo=()
for e in "${entries[@]}"; do
    read -r db _ <<<"$e"
    if ((all == 1)) || [[ " ${only[*]} " == *" $db "* ]]; then
        todo+=("$e")
    fi
done
for db in "${only[@]}"; do
    printf '%s\n' "${entries[@]}" | grep -q "^$db " || bp_die "backup $backup holds no database $db"
done

sql_exists() { # DB TABLE: true when DB has the table
    [[ "$(bk_psql -d "$1" -At -v t="$2" <<<"SELECT to_regclass(:'t') IS NOT NULL")" == t ]]
}

# Preconditions of every database first: nothing is touched unless all of them hold.
for e in "${todo[@]}"; do
    read -r db owner file sha <<<"$e"
    [[ -f "$backup/$file" ]] || bp_die "$backup/$file is missing"
    [[ "$(sha256sum "$backup/$file" | cut -c1-64)" == "$sha" ]] ||
        bp_die "$backup/$file does not match its sha256 in the manifest"
    [[ "$(bk_psql -At -v r="$owner" <<<"SELECT count(*) FROM pg_roles WHERE rolname = :'r'")" == 1 ]] ||
        bp_die "role $owner (owner of $db) does not exist (scripts/stack.sh creates the roles)"
    conns="$(bk_psql -At -v db="$db" <<<"SELECT count(*) FROM pg_stat_activity
        WHERE datname = :'db' AND pid <> pg_backend_pid()")"
    if ((conns > 0 && force == 0)); then
        bp_die "$conns clients are connected to $db: stop its service first (or --force)"
    fi
    g="${group[$db]:--}"
    if [[ "$g" != "-" ]]; then
        ((has_kafka == 1)) || bp_die "the backup has no Kafka offsets: give --group $db=- and rewind by hand (docs/operations.md)"
        bk_kafka_up || bp_die "Kafka does not answer on $BK_KAFKA: it is needed to rewind group $g"
        state="$(bk_kafka group-state "$g")"
        [[ "$state" == Empty || "$state" == Dead ]] ||
            bp_die "consumer group $g is $state: stop the daemons of $db first"
    fi
done

mkdir -p "$report"
t0="$(bp_now_ms)"
for e in "${todo[@]}"; do
    read -r db owner file _ <<<"$e"
    t1="$(bp_now_ms)"
    tmp="${db:0:50}__restoring"
    bk_psql -v db="$tmp" -v owner="$owner" <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner') \gexec
SQL
    if ! bk_pg_tool pg_restore --dbname="$tmp" --exit-on-error --single-transaction \
        "$backup/$file" 2>"$report/$db.pg_restore.log"; then
        bp_tail_log "$report/$db.pg_restore.log"
        bk_psql -v db="$tmp" <<<"SELECT format('DROP DATABASE IF EXISTS %I', :'db') \gexec" || true
        bp_die "pg_restore of $db failed; the database $db is untouched"
    fi
    [[ -s "$report/$db.pg_restore.log" ]] || rm -f "$report/$db.pg_restore.log"
    bk_psql -v db="$db" -v tmp="$tmp" <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \gexec
SELECT format('ALTER DATABASE %I RENAME TO %I', :'tmp', :'db') \gexec
SQL
    bp_log "restored $db from $backup/$file ($(bp_elapsed "$t1"))"

    if sql_exists "$db" invoice_counters; then
        bk_kafka_up || bp_die "Kafka does not answer on $BK_KAFKA: cannot read the invoice numbers"
        while read -r year highest; do
            [[ -n "$year" ]] || continue
            before="$(bk_psql -d "$db" -At -v y="$year" <<<"SELECT coalesce((SELECT last FROM invoice_counters WHERE year = :'y'), 0)")"
            bk_psql -d "$db" -v y="$year" -v n="$highest" <<'SQL'
INSERT INTO invoice_counters (year, last) VALUES (:'y'::int, :'n'::bigint)
    ON CONFLICT (year) DO UPDATE SET last = greatest(invoice_counters.last, excluded.last);
SQL
            if ((highest > before)); then
                bp_log "$db: invoice counter of $year advanced from $before to $highest (numbers issued after the backup)"
            fi
        done < <(bk_kafka invoice-numbers "$invoice_topic")
    fi

    g="${group[$db]:--}"
    if [[ "$g" != "-" ]]; then
        bp_log "$(bk_kafka rewind "$g" "$manifest")"
    fi

    if ((has_kafka == 1)) && sql_exists "$db" operations; then
        # Candidates: the events published after the backup's offsets; lost: those whose
        # operation (invoice) the restored database does not hold.
        for kind in operations invoices; do
            if [[ "$kind" == operations ]]; then
                topic="$operation_topic" type=operation.accepted field=operationId
                check="SELECT c.k FROM cand c WHERE NOT EXISTS
                    (SELECT 1 FROM operations o WHERE o.operation_id::text = c.k)"
            else
                topic="$invoice_topic" type=invoice.issued field=invoiceRef
                check="SELECT c.k FROM cand c WHERE NOT EXISTS
                    (SELECT 1 FROM invoices i WHERE i.invoice_ref = c.k)"
            fi
            bk_kafka after "$manifest" "$topic" "$type" "$field" >"$report/$kind.candidates"
            lost="$(
                {
                    printf 'CREATE TEMP TABLE cand (k text);\nCOPY cand FROM STDIN;\n'
                    cut -f1 "$report/$kind.candidates"
                    printf '\\.\n%s;\n' "$check"
                } | bk_psql -d "$db" -At
            )"
            awk -F'\t' 'NR == FNR { lost[$1] = 1; next } ($1 in lost) { sub(/^[^\t]*\t/, ""); print }' \
                <(printf '%s\n' "$lost") "$report/$kind.candidates" >"$report/lost-$kind.jsonl"
            rm -f "$report/$kind.candidates"
            n="$(grep -c . "$report/lost-$kind.jsonl" || true)"
            if ((n > 0)); then
                bp_warn "$db: $n $kind (topic $topic), published after the backup, are not in the restored database: $report/lost-$kind.jsonl"
            else
                bp_log "$db: no $kind lost (none after the backup missing from the restored database)"
            fi
        done
    fi
done
bp_log "restore done (${#todo[@]} databases, $(bp_elapsed "$t0")); report in $report"
