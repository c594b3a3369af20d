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
#   5. billing's database: writes back the invoices issued after the backup from the invoice
#      topic (invoice.issued carries the whole invoice), and lists the operations accepted
#      after the backup, which only Kafka still shows: REPORT/lost-operations-open.jsonl (on
#      no invoice; REPORT/repost-operations.tsv holds the requests that post them again) and
#      REPORT/lost-operations-invoiced.jsonl (on an invoice written back: nothing to do), one
#      CloudEvent a line (docs/operations.md).
# Then start the service again.
#
# --backup: a backup folder (default: the newest under STATE/backups).
# --group DB=GROUP: the consumer group to rewind for DB (default: billing=billing only;
#   payment's and invoice-mailer's consumers act on the outside world, a debit, a mail, which a
#   re-read would repeat: see docs/operations.md before giving --group payment=payment).
#   GROUP "-": no rewind.
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
declare -A group=([billing]=billing)

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

declare -a selected=()
for e in "${entries[@]}"; do
    read -r db _ <<<"$e"
    if ((all == 1)) || [[ " ${only[*]} " == *" $db "* ]]; then
        selected+=("$e")
    fi
done
for db in "${only[@]}"; do
    printf '%s\n' "${entries[@]}" | grep -q "^$db " || bp_die "backup $backup holds no database $db"
done

sql_exists() { # DB TABLE: true when DB has the table
    [[ "$(bk_psql -d "$1" -At -v t="$2" <<<"SELECT to_regclass(:'t') IS NOT NULL")" == t ]]
}

# COPY of one JSON document a line (CSV mode with quote and delimiter bytes JSON never holds
# unescaped, so that its backslashes stay as they are).
copy_json() { # TABLE FILE(key<TAB>event lines)
    printf "CREATE TEMP TABLE %s (e json);\n" "$1"
    printf "COPY %s FROM STDIN WITH (FORMAT csv, QUOTE E'\\\\x01', DELIMITER E'\\\\x02');\n" "$1"
    cut -f2- "$2"
    printf '\\.\n'
}

# Billing's database after its restore: what Kafka holds of what billing wrote after the
# backup. Invoices issued after it (invoice.issued carries the whole document, the very text
# billing stored) are written back, their operations marked invoiced and, for operations the
# dump lacks, their amounts added to the outstanding balance, so that no operation is
# invoiced twice and the replayed payments settle the right invoices. Operations accepted
# after the backup cannot be written back (their decision and idempotency record are
# billing's alone): they are listed, apart those already on an invoice.
billing_recover() {
    local db="$1" work="$report/.work" out
    mkdir -p "$work"
    bk_kafka after "$manifest" "$invoice_topic" invoice.issued invoiceRef >"$work/invoices"
    bk_kafka after "$manifest" "$operation_topic" operation.accepted operationId >"$work/operations"
    out="$(
        {
            copy_json issued "$work/invoices"
            copy_json accepted "$work/operations"
            cat <<'SQL'
BEGIN;
CREATE TEMP TABLE new_inv AS
  SELECT DISTINCT ON (e->'data'->>'invoiceRef') e->'data' AS x FROM issued
   WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.invoice_ref = e->'data'->>'invoiceRef'
                        OR (i.contract_id = (e->'data'->>'contractId')::uuid
                            AND i.period = e->'data'->>'period'))
   ORDER BY e->'data'->>'invoiceRef';
INSERT INTO invoices (invoice_id, invoice_ref, contract_id, contract_ref, period, issue_date,
                      due_date, currency, total_with_tax, status, run_id, doc)
  SELECT (x->>'invoiceId')::uuid, x->>'invoiceRef', (x->>'contractId')::uuid, x->>'contractRef',
         x->>'period', (x->>'issueDate')::date, (x->>'dueDate')::date, x->>'currency',
         (x->'totalWithTax'->>'minorUnits')::bigint, 'ISSUED', NULL, x
    FROM new_inv;
CREATE TEMP TABLE new_lines AS
  SELECT x->>'invoiceRef' AS ref, (x->>'contractId')::uuid AS contract_id,
         (l->>'operationId')::uuid AS op, (l->'amountWithTax'->>'minorUnits')::bigint AS amount
    FROM new_inv, json_array_elements(x->'lines') l;
UPDATE operations o SET invoice_ref = n.ref FROM new_lines n
 WHERE o.operation_id = n.op AND o.invoice_ref IS NULL;
UPDATE accounts a SET outstanding = a.outstanding + m.total
  FROM (SELECT contract_id, sum(amount) AS total FROM new_lines n
         WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.operation_id = n.op)
         GROUP BY contract_id) m
 WHERE a.contract_id = m.contract_id;
COMMIT;
SELECT 'invoices', count(*) FROM new_inv;
SELECT DISTINCT 'lost', e->'data'->>'operationId',
       CASE WHEN EXISTS (SELECT 1 FROM invoices i, json_array_elements(i.doc->'lines') l
                          WHERE i.contract_id = (e->'data'->>'contractId')::uuid
                            AND l->>'operationId' = e->'data'->>'operationId')
            THEN 'invoiced' ELSE 'open' END
  FROM accepted
 WHERE NOT EXISTS (SELECT 1 FROM operations o
                    WHERE o.operation_id = (e->'data'->>'operationId')::uuid);
SQL
        } | bk_psql -d "$db" -At -F ' '
    )" || bp_die "$db: could not write back the invoices issued after the backup"
    local n
    n="$(awk '$1 == "invoices" { print $2 }' <<<"$out")"
    bp_log "$db: ${n:-0} invoices issued after the backup written back from the topic $invoice_topic"
    local kind
    for kind in open invoiced; do
        awk -v kind="$kind" 'NR == FNR { if ($1 == "lost" && $3 == kind) lost[$2] = 1; next }
            { split($0, f, "\t") } (f[1] in lost) { sub(/^[^\t]*\t/, ""); print }' \
            <(printf '%s\n' "$out") "$work/operations" >"$report/lost-operations-$kind.jsonl"
    done
    rm -rf "$work"
    /usr/bin/python3 "$BP_ROOT/scripts/lib/backup_kafka.py" repost \
        "$report/lost-operations-open.jsonl" >"$report/repost-operations.tsv"
    n="$(grep -c . "$report/lost-operations-open.jsonl" || true)"
    if ((n > 0)); then
        bp_warn "$db: $n operations accepted after the backup are lost (on no invoice): $report/lost-operations-open.jsonl; the requests that post them again: $report/repost-operations.tsv (docs/operations.md)"
    fi
    n="$(grep -c . "$report/lost-operations-invoiced.jsonl" || true)"
    if ((n > 0)); then
        bp_log "$db: $n operations accepted after the backup are lost but on an invoice written back (their amounts are in the outstanding balance): $report/lost-operations-invoiced.jsonl"
    fi
}

# Preconditions of every database first: nothing is touched unless all of them hold.
for e in "${selected[@]}"; do
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
for e in "${selected[@]}"; do
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
        billing_recover "$db"
    fi
done
bp_log "restore done (${#selected[@]} databases, $(bp_elapsed "$t0")); report in $report"
