#!/usr/bin/env bash
# Boissipay contract fuzzing: starts the four daemons against the test stack (the ctest
# fixture `stack`: PostgreSQL and Kafka of scripts/test-stack.sh) on free ports, with their
# own databases and topics, then runs schemathesis with every check against each of them.
#
#   run_schemathesis.sh ours       each daemon against its openapi/<daemon>.yaml
#   run_schemathesis.sh original   contract and billing against the earlier Java version's
#                                  specs (tests/api/original-openapi/, or the folder
#                                  BP_ORIGINAL_OPENAPI), minus the differences that
#                                  docs/compatibility.md lists (hooks.py names each)
#
# Bounded: BP_API_EXAMPLES examples per operation (50; three times that for payment and the
# mailer), seed BP_API_SEED (1), each daemon's
# run cut at BP_API_TIME_LIMIT seconds (150). BP_API_ONLY="contract billing" fuzzes only those. Exits non-zero when schemathesis reports a
# failure or an error, or a daemon dies. Environment: the BPT_* variables of ctest
# (tests/CMakeLists.txt). Logs and reports: $BPT_STATE_DIR/api-<mode>/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-}"
case "$mode" in
ours | original) ;;
*)
    printf 'usage: %s ours|original\n' "$0" >&2
    exit 2
    ;;
esac

for v in BPT_PG_ADMIN_URL BPT_KAFKA BPT_BIN_DIR BPT_STATE_DIR; do
    [[ -n "${!v:-}" ]] || {
        printf '[api] ERROR: %s is not set (run through ctest)\n' "$v" >&2
        exit 2
    }
done
examples="${BP_API_EXAMPLES:-50}"
seed="${BP_API_SEED:-1}"
limit="${BP_API_TIME_LIMIT:-150}"
original="${BP_ORIGINAL_OPENAPI:-$here/original-openapi}"
key="api-writer-key-0123456789"
state="$BPT_STATE_DIR/api-$mode"
name="api_$mode"

log() { printf '[api] %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

venv="$(bash "$root/tests/packaging/tools.sh" schemathesis)" || die "schemathesis not installed"
st="$venv/bin/schemathesis"

rm -rf "$state"
mkdir -p "$state"

# --- databases and topics -----------------------------------------------------------------
admin="$BPT_PG_ADMIN_URL"
for db in contract billing payment mailer; do
    psql -q -v ON_ERROR_STOP=1 "$admin" \
        -c "DROP DATABASE IF EXISTS ${name}_$db WITH (FORCE)" \
        -c "CREATE DATABASE ${name}_$db" >/dev/null || die "cannot create database ${name}_$db"
done
db_url() { printf '%s/%s_%s' "${admin%/*}" "$name" "$1"; }

topics=()
for t in contract operation invoice payment dead-letter; do topics+=("$name.$t"); done
(
    BP_LOG_TAG=api
    # shellcheck source=scripts/lib/common.sh
    source "$root/scripts/lib/common.sh"
    # shellcheck source=scripts/lib/kafka.sh
    source "$root/scripts/lib/kafka.sh"
    kafka_create_topics "$BPT_STATE_DIR/kafka" "${BPT_KAFKA##*:}" 3 "${topics[@]}"
) || die "cannot create the topics"

# --- daemons ------------------------------------------------------------------------------
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

common_env=(
    "BP_HTTP_BIND=127.0.0.1"
    "BP_KAFKA_BROKERS=$BPT_KAFKA"
    "BP_API_KEYS=$key:rw"
    "BP_TOPIC_CONTRACT=$name.contract"
    "BP_TOPIC_OPERATION=$name.operation"
    "BP_TOPIC_INVOICE=$name.invoice"
    "BP_TOPIC_PAYMENT=$name.payment"
    "BP_TOPIC_DEAD_LETTER=$name.dead-letter"
    "BP_OUTBOX_POLL_MS=200"
    "BP_SHUTDOWN_GRACE_SECONDS=2"
    "BP_HTTP_ACCESS_LOG=false"
)

declare -A port
# start NAME BINARY DB [VAR=VALUE...]
start() {
    local svc="$1" bin="$BPT_BIN_DIR/services/$2" db="$3"
    shift 3
    port[$svc]="$(free_port)"
    env "${common_env[@]}" "BP_HTTP_PORT=${port[$svc]}" "BP_DATABASE_URL=$(db_url "$db")" \
        "BP_CONSUMER_GROUP=$name-$svc" "$@" "$bin" >"$state/$svc.log" 2>&1 </dev/null &
    pids+=("$!")
}

smtp_port="$(free_port)"
/usr/bin/python3 "$root/tests/support/smtp_sink.py" --port "$smtp_port" --dir "$state/mail" \
    >"$state/smtp.log" 2>&1 </dev/null &
pids+=("$!")
mkdir -p "$state/mail"

start contract contract/boissipay-contract contract
start billing billing/boissipay-billing billing BP_BILLING_SCHEDULE=false
start payment payment/boissipay-payment payment
start invoice-mailer invoice-mailer/boissipay-invoice-mailer mailer \
    "BP_SMTP_URL=smtp://127.0.0.1:$smtp_port"

for svc in contract billing payment invoice-mailer; do
    ok=0
    for _ in $(seq 300); do
        if [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
            "http://127.0.0.1:${port[$svc]}/ready" || true)" == 200 ]]; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if ((ok == 0)); then
        tail -n 30 "$state/$svc.log" >&2 || true
        die "$svc is not ready (log: $state/$svc.log)"
    fi
done
log "daemons ready: contract ${port[contract]}, billing ${port[billing]}," \
    "payment ${port[payment]}, invoice-mailer ${port[invoice-mailer]}"

# --- schemathesis -------------------------------------------------------------------------
# examples_for NAME: examples per operation. Payment and the mailer have few operations (all
# reads): three times as many, so every API gets over a thousand generated cases.
examples_for() {
    case "$1" in
    payment | invoice-mailer) echo $((examples * 3)) ;;
    *) echo "$examples" ;;
    esac
}

# fuzz NAME SPEC [OPTION...]: one daemon against one spec; 0 when schemathesis found nothing.
fuzz() {
    local svc="$1" spec="$2" rc=0 t0
    shift 2
    if [[ -n "${BP_API_ONLY:-}" && " $BP_API_ONLY " != *" $svc "* ]]; then
        return 0
    fi
    t0="$(date +%s)"
    log "schemathesis: $svc against ${spec#"$root"/}"
    (
        cd "$state"
        # Hypothesis keeps its example database here, not in the source tree.
        timeout --kill-after=10 "$limit" "$st" --config-file "$here/schemathesis.toml" \
            run "$spec" \
            --url "http://127.0.0.1:${port[$svc]}" \
            --header "Authorization: Bearer $key" \
            --checks all --max-examples "$(examples_for "$svc")" --seed "$seed" \
            --generation-database none --request-timeout 10 --workers 2 \
            --no-color --report junit --report-dir "$state/report-$svc" "$@"
    ) 2>&1 | tee "$state/schemathesis-$svc.log" || rc=$?
    if ((rc == 124 || rc == 137)); then
        log "$svc: schemathesis did not finish within $limit s"
    fi
    log "$svc: exit $rc in $(($(date +%s) - t0)) s," \
        "$(grep -Eo '[0-9]+ generated' "$state/schemathesis-$svc.log" | tail -1 || echo '? generated') cases"
    return "$rc"
}

# fuzz_once_more NAME SPEC: fuzz, and once more when schemathesis stopped on a known fault of
# the interpreter rather than of ours (CPython 3.11's ast module: "AST constructor recursion
# depth mismatch", met by Hypothesis when it describes a strategy): said in the log.
fuzz_once_more() {
    fuzz "$@" && return 0
    if grep -q "AST constructor recursion depth mismatch" "$state/schemathesis-$1.log"; then
        log "$1: schemathesis stopped on CPython's AST recursion fault, not on a finding; again"
        fuzz "$@"
        return
    fi
    return 1
}

export SCHEMATHESIS_HOOKS="$here/hooks.py" BP_API_SPEC="$mode"
failed=()
if [[ "$mode" == ours ]]; then
    for svc in contract billing payment invoice-mailer; do
        fuzz_once_more "$svc" "$root/openapi/$svc.yaml" || failed+=("$svc")
    done
else
    for svc in contract billing; do
        fuzz_once_more "$svc" "$original/$svc.yaml" || failed+=("$svc")
    done
fi

# A daemon that died during the run fails it too, whatever schemathesis saw.
for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || failed+=("process ${pids[$i]} died")
done
if ((${#failed[@]} > 0)); then
    die "failures: ${failed[*]} (logs and reports in $state)"
fi
log "no failure"
