#!/usr/bin/env bash
# Boissipay bench: our contract and billing daemons side by side with the earlier
# Java/Spring Boot version's contract and billing services, in one run, on one private
# PostgreSQL + Kafka (each system its own databases and topics): time from start to
# the first successful request, idle RSS, POST /contracts at 16 connections and POST
# /operations at 32 (wrk: rate, p50, p99), RSS after the load. Prints one table with
# both and the ratios (ours / Java). Prints figures; not a test.
#
#   bench/vs-java.sh [PATH] [SECONDS]   PATH: a checkout of the Java version (or
#                                       BP_JAVA_ORIGINAL); SECONDS per load, default 10
#   BENCH_ROUNDS=3    rounds of each load (medians over them)
#   BENCH_TIMEOUT=540 the whole run stops (and cleans up) after this many seconds, once
#                     the command then running ends (a load: SECONDS at most)
#
# The Java version: https://github.com/pooetitu/boissipay at commit
# e10916de9573a009ea3369dbb83069c2188b8b3e (no licence: built and measured here, never
# copied). It is built with `mvn -B -DskipTests package` (JDK 17), skipped when its jars
# are newer than its sources, and run with plain `java -jar`, as it ships.
set -euo pipefail

BP_LOG_TAG="vs-java"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

JAVA_SRC="${1:-${BP_JAVA_ORIGINAL:-}}"
DURATION="${2:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
TIMEOUT="${BENCH_TIMEOUT:-540}"
[[ -n "$JAVA_SRC" ]] || bp_die "usage: bench/vs-java.sh PATH [SECONDS] (PATH, or BP_JAVA_ORIGINAL: a checkout of pooetitu/boissipay)"
[[ -f "$JAVA_SRC/pom.xml" ]] || bp_die "$JAVA_SRC: no pom.xml (not a checkout of the Java version)"
JAVA_SRC="$(cd "$JAVA_SRC" && pwd -P)"
cd "$BP_ROOT"

STATE="$BP_STACK_DIR/bench-vs-java"
export BP_TEST_PG_PORT=17532 BP_TEST_KAFKA_PORT=19192 BP_TEST_KAFKA_CONTROLLER_PORT=19193
# Ours on their own topics, theirs on the topics its properties name.
export BP_TEST_TOPICS="contract operation invoice payment dead-letter create-contract process-payment payment-success send-invoice invoice-sent"
OUR_CPORT=18990
OUR_BPORT=18991
JAVA_CPORT=18994
JAVA_BPORT=18995
KEY="bench-key-0123456789abcdef"
SEED=200 # contracts the POST /operations loads refer to, on each side
PSQL=(psql -qtA -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay)
JAVA_CONTRACT_JAR="$JAVA_SRC/contract/contract-implementation/target/contract-implementation-0.0.1.jar"
JAVA_BILLING_JAR="$JAVA_SRC/billing/billing-implementation/target/billing-implementation-0.0.1.jar"

pids=()
watchdog=""
paused=0
t_begin="$(bp_now_ms)"
load_begin="$(cut -d' ' -f1-3 /proc/loadavg)"
cleanup() {
    local p
    set +e # a JVM stopped by SIGTERM exits with 143: every process must still be stopped
    [[ -n "$watchdog" ]] && kill "$watchdog" 2>/dev/null
    ((paused)) && kill -CONT "${pid[1]}" "${pid[3]}" 2>/dev/null
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 150); do bp_pid_alive "$p" || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    scripts/test-stack.sh down "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'bp_warn "stopped after ${TIMEOUT} s (BENCH_TIMEOUT)"; exit 124' USR1
# The whole run is bounded: past TIMEOUT the watchdog stops it, and the trap everything.
(
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep "$TIMEOUT" &
    nap=$!
    wait "$nap" && kill -USR1 $$
) 2>/dev/null &
watchdog=$!

scripts/install-deps.sh
bp_have wrk || { bp_log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
bp_have mvn || { bp_log "installing maven"; apt-get install -y -qq maven >/dev/null; }
java -version 2>&1 | grep -q 'version "17' || bp_warn "java is not JDK 17: $(java -version 2>&1 | head -1)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target boissipay-contract boissipay-billing >/dev/null

# The Java build, cached: skipped when both jars are newer than every pom and source.
stale=1
if [[ -f "$JAVA_CONTRACT_JAR" && -f "$JAVA_BILLING_JAR" ]]; then
    oldest="$JAVA_CONTRACT_JAR"
    [[ "$JAVA_BILLING_JAR" -ot "$oldest" ]] && oldest="$JAVA_BILLING_JAR"
    [[ -z "$(find "$JAVA_SRC" -path '*/target' -prune -o -path '*/.git' -prune -o \
        \( -name pom.xml -o -path '*/src/*' \) -type f -newer "$oldest" -print -quit)" ]] && stale=0
fi
mkdir -p "$STATE"
if ((stale)); then
    bp_log "building the Java version (mvn -B -DskipTests package in $JAVA_SRC)"
    (cd "$JAVA_SRC" && nice mvn -B -DskipTests package) >"$STATE/mvn.log" 2>&1 ||
        { tail -40 "$STATE/mvn.log" >&2; bp_die "the Java build failed (log: $STATE/mvn.log)"; }
else
    bp_log "Java jars up to date, not rebuilt"
fi

scripts/test-stack.sh up "$STATE" >"$STATE/stack.log" 2>&1 || { cat "$STATE/stack.log" >&2; exit 1; }
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE our_contract' -c 'CREATE DATABASE our_billing' \
    -c 'CREATE DATABASE java_contract' -c 'CREATE DATABASE java_billing'

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# start NAME URL CMD...: starts CMD in the background (its pid in $started), and sets
# $elapsed to the milliseconds from its start to the first 2xx answer of GET URL.
start() {
    local name="$1" url="$2" t0 deadline
    shift 2
    t0="$(bp_now_ms)"
    "$@" >"$STATE/$name.log" 2>&1 &
    started=$!
    pids+=("$started")
    deadline=$((SECONDS + 90))
    until curl -fs -o /dev/null -H "Authorization: Bearer $KEY" "$url"; do
        bp_pid_alive "$started" || { bp_tail_log "$STATE/$name.log"; bp_die "$name exited at start"; }
        ((SECONDS < deadline)) || { bp_tail_log "$STATE/$name.log"; bp_die "$name: no answer in 90 s"; }
        sleep 0.005
    done
    elapsed=$(($(bp_now_ms) - t0))
}

our_env=(BP_KAFKA_BROKERS="127.0.0.1:$BP_TEST_KAFKA_PORT" BP_API_KEYS="$KEY:rw" BP_HTTP_ACCESS_LOG=false)
java_env=(SPRING_DATASOURCE_USERNAME=boissipay SPRING_DATASOURCE_PASSWORD=boissipay
    SPRING_KAFKA_CONSUMER_BOOTSTRAP_SERVERS="127.0.0.1:$BP_TEST_KAFKA_PORT"
    SPRING_KAFKA_PRODUCER_BOOTSTRAP_SERVERS="127.0.0.1:$BP_TEST_KAFKA_PORT"
    SPRING_KAFKA_CONSUMER_GROUP_ID=bench-java SPRING_JPA_HIBERNATE_DDL_AUTO=update
    INVOICE_SCHEDULING_CRON=-)

# One at a time, so that no start competes with another for the 2 cores. Ours answer
# GET /ready (database and Kafka checked); theirs have no health endpoint: a GET of a
# list, which goes to the database.
bp_log "starting ours, then theirs, one at a time"
start our-contract "http://127.0.0.1:$OUR_CPORT/ready" env "${our_env[@]}" \
    BP_HTTP_PORT=$OUR_CPORT BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/our_contract" \
    build/services/contract/boissipay-contract
start_ms[0]=$elapsed pid[0]=$started
start our-billing "http://127.0.0.1:$OUR_BPORT/ready" env "${our_env[@]}" \
    BP_HTTP_PORT=$OUR_BPORT BP_HTTP_THREADS=32 BP_BILLING_SCHEDULE=false \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/our_billing" \
    build/services/billing/boissipay-billing
start_ms[1]=$elapsed pid[1]=$started
start java-contract "http://127.0.0.1:$JAVA_CPORT/refcontract/v1/contracts" env "${java_env[@]}" \
    SERVER_PORT=$JAVA_CPORT SPRING_DATASOURCE_URL="jdbc:postgresql://127.0.0.1:$BP_TEST_PG_PORT/java_contract" \
    java -jar "$JAVA_CONTRACT_JAR"
start_ms[2]=$elapsed pid[2]=$started
start java-billing "http://127.0.0.1:$JAVA_BPORT/billing/v1/invoices" env "${java_env[@]}" \
    SERVER_PORT=$JAVA_BPORT SPRING_DATASOURCE_URL="jdbc:postgresql://127.0.0.1:$BP_TEST_PG_PORT/java_billing" \
    java -jar "$JAVA_BILLING_JAR"
start_ms[3]=$elapsed pid[3]=$started
sleep 3
for i in 0 1 2 3; do idle_kb[i]=$(rss_kb "${pid[i]}"); done

today="$(date -u +%Y-%m-%d)"
our_contract_body="$(sed -n '/^{/,/^}/p' bench/contract-request.json | tr -d '\n')"
# Theirs answers 500 without status, subscriber.party.professionnal and contactPerson.gender,
# and 400 to `distributorRef` (its spec spells it `disributorRef`).
java_contract_body='{"contractType":"DEFERRED_BILLING","createdAt":"2026-01-02","activatedAt":"2026-01-05",
  "expireAt":"2027-12-31","status":"ACTIVE","distributor":{"disributorRef":"esgi SA"},
  "subscriber":{"subscriberType":"PROFESSIONNAL","subscriberRef":"ACME SA",
  "party":{"professionnal":{"customerId":"PRO-1","customerRef":"BENCH"}},
  "contactPerson":{"gender":"M","lastName":"DOE","firstName":"John","mail":"john.doe@acme.example"}}}'
java_contract_body="$(tr -d '\n' <<<"$java_contract_body")"

bp_log "creating $SEED contracts on each side for the POST /operations loads"
seq 1 "$SEED" | xargs -P 8 -I NUM curl -fsS -o /dev/null -X POST "http://127.0.0.1:$OUR_CPORT/contracts" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"contractRef":"BENCH-NUM",
    "contractType":"DEFERRED_BILLING","createdAt":"2026-01-01","activatedAt":"2026-01-01",
    "expireAt":"2030-12-31","distributor":{},"subscriber":{"subscriberType":"PROFESSIONNAL",
    "contactPerson":{"lastName":"DOE","mail":"doe@example.com"}},
    "payment":{"mandate":{"reference":"M-NUM","iban":"FR7630006000011234567890189",
    "signedAt":"2026-01-01"}},"billing":{"creditLimit":{"amount":"10000000.00","currency":"EUR"}}}' ||
    bp_die "our contract daemon refused POST /contracts (log: $STATE/our-contract.log)"
# Theirs gives each contract its contractId: one line each, kept for the loads.
# shellcheck disable=SC2016 # $1 and $2 expand in the inner shell
seq 1 "$SEED" | xargs -P 8 -I NUM sh -c 'a="$(curl -fsS -X POST "$1" -H "Content-Type: application/json" \
    -d "$2")" && printf "%s\n" "$a"' _ "http://127.0.0.1:$JAVA_CPORT/refcontract/v1/contracts" \
    "$java_contract_body" | sed -n 's/.*"contractId":"\([^"]*\)".*/\1/p' >"$STATE/java-contract-ids"  || true
[[ "$(wc -l <"$STATE/java-contract-ids")" == "$SEED" ]] || bp_die "the Java contract service did not give $SEED contract ids"

# wait_known DB QUERY N: until QUERY on DB counts N (each billing's copy of the
# contracts, fed by Kafka), for at most 120 s.
wait_known() {
    local deadline=$((SECONDS + 120)) n
    while n="$("${PSQL[@]}" -d "$1" -c "$2" 2>/dev/null || echo 0)"; ((n < $3)); do
        ((SECONDS < deadline)) || { bp_warn "$1: $n of $3 contracts known after 120 s"; return 0; }
        sleep 0.2
    done
}
wait_known our_billing 'SELECT count(*) FROM accounts' "$SEED"
wait_known java_billing "SELECT count(*) FROM contracts WHERE id IN ($(sed "s/.*/'&'/" \
    "$STATE/java-contract-ids" | paste -sd,))" "$SEED"

cat >"$STATE/our-contract.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.body = [[$our_contract_body]]
LUA
cat >"$STATE/java-contract.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$java_contract_body]]
LUA
# One purchase per request, a new order reference each time, round-robin over the
# seeded contracts: ours by contractRef, theirs by the contractId its service gave.
lua_prelude='local n, prefix = 0, ""
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  prefix = tostring(math.random(1, 1000000000))
end'
cat >"$STATE/our-operation.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
$lua_prelude
request = function()
  n = n + 1
  local body = string.format('{"contractRef":"BENCH-%d","operationAt":"$today","order":{'
    .. '"orderRef":"W-%s-%d","currencyCode":"EUR","orderType":"PS","orderItems":[{"productItems":['
    .. '{"productRef":"TGV","productLabel":"Paris-Lyon","quantity":2,"unitPrice":"8.40","vatRate":10},'
    .. '{"productLabel":"Fee","quantity":1,"unitPrice":"2.80","vatRate":20}]}]}}',
    (n % $SEED) + 1, prefix, n)
  return wrk.format(nil, "/operations", nil, body)
end
LUA
cat >"$STATE/java-operation.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local ids = { $(sed 's/.*/"&"/' "$STATE/java-contract-ids" | paste -sd,) }
$lua_prelude
request = function()
  n = n + 1
  local body = string.format('{"contractId":"%s","operationAt":"$today","contact":{"ccuid":"CCUID-1",'
    .. '"gender":"M","firstName":"John","lastName":"DOE","mail":"john.doe@acme.example"},"order":{'
    .. '"orderRef":"W-%s-%d","currencyCode":"EUR","orderType":"PS","orderItems":[{"productItems":['
    .. '{"productRef":"TGV","productLabel":"Paris-Lyon","quantity":2,"unitPrice":8.40,"vatRate":10,'
    .. '"amountWithoutTax":16.80,"amountTax":1.68,"amountWithTax":18.48},'
    .. '{"productLabel":"Fee","quantity":1,"unitPrice":2.80,"vatRate":20,'
    .. '"amountWithoutTax":2.80,"amountTax":0.56,"amountWithTax":3.36}]}]}}',
    ids[(n % #ids) + 1], prefix, n)
  return wrk.format(nil, "/billing/v1/operations", nil, body)
end
LUA

# load SIDE WHAT CONNECTIONS SECONDS URL: wrk; prints "rate p50 p99 non2xx" (ms).
load() {
    wrk -t2 -c"$3" -d"$4s" --latency -s "$STATE/$1-$2.lua" "$5" >"$STATE/wrk-$1-$2.txt"
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                          if (v ~ /s$/) return v * 1000; return v }
         /Requests\/sec/ {rps = $2} /^ +50%/ {p50 = ms($2)} /^ +99%/ {p99 = ms($2)}
         /Non-2xx/ {bad = $NF} /Socket errors/ {bad += 0}
         END {printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad}' "$STATE/wrk-$1-$2.txt"
}
declare -A url=([our-contract]="http://127.0.0.1:$OUR_CPORT/contracts"
    [java-contract]="http://127.0.0.1:$JAVA_CPORT/refcontract/v1/contracts"
    [our-operation]="http://127.0.0.1:$OUR_BPORT" [java-operation]="http://127.0.0.1:$JAVA_BPORT")

: >"$STATE/results.txt"
# POST /operations first: only the seeded contracts are on Kafka, no billing is still
# reading contract events while the other side is measured.
bp_log "warm-up: 3 s of each load on each side (the JVM's JIT needs it more than we do)"
for side in our java; do
    load "$side" operation 32 3 "${url[$side-operation]}" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
    for side in our java; do
        bp_log "round $round/$ROUNDS: POST /operations, $side, 32 connections, ${DURATION} s"
        echo "$side operation $(load "$side" operation 32 "$DURATION" "${url[$side-operation]}")" \
            >>"$STATE/results.txt"
    done
done
after_kb[1]=$(rss_kb "${pid[1]}") after_kb[3]=$(rss_kb "${pid[3]}")

# POST /contracts: both billings are paused (SIGSTOP) meanwhile, so that neither reads
# the contract events of one side's load while the other side is measured.
kill -STOP "${pid[1]}" "${pid[3]}"
paused=1
for side in our java; do
    load "$side" contract 16 3 "${url[$side-contract]}" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
    for side in our java; do
        bp_log "round $round/$ROUNDS: POST /contracts, $side, 16 connections, ${DURATION} s"
        echo "$side contract $(load "$side" contract 16 "$DURATION" "${url[$side-contract]}")" \
            >>"$STATE/results.txt"
        if [[ "$side" == our ]]; then after_kb[0]=$(rss_kb "${pid[0]}"); else after_kb[2]=$(rss_kb "${pid[2]}"); fi
    done
done
for i in 0 1 2 3; do peak_kb[i]=$(hwm_kb "${pid[i]}"); done

# median SIDE WHAT FIELD: the median over the rounds of one figure (1 rate, 2 p50, 3 p99);
# field 4: the non-2xx answers of all rounds.
median() {
    awk -v s="$1" -v w="$2" -v f=$(($3 + 2)) '$1 == s && $2 == w {print $f}' "$STATE/results.txt" |
        sort -g | awk -v sum="$([[ $3 == 4 ]] && echo 1 || echo 0)" \
        '{v[NR] = $1; t += $1} END {if (sum) print t; else print v[int((NR + 1) / 2)]}'
}
# row LABEL OURS JAVA UNIT [DECIMALS]: one line, with ours / Java (and 1/N below 1).
row() {
    awk -v l="$1" -v o="$2" -v j="$3" -v u="$4" -v d="${5:-0}" 'BEGIN {
        r = "-"
        if (j > 0 && o >= j) r = sprintf("%.2f", o / j)
        if (j > 0 && o < j) r = sprintf("%.3f", o / j)
        if (j > 0 && o > 0 && o < j) r = r sprintf(" (1/%.0f)", j / o)
        printf "  %-48s %10." d "f %-3s %10." d "f %-3s  %s\n", l, o, u, j, u, r}'
}
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

printf '\nours (C daemons) against the earlier Java/Spring Boot version (%s, %s cores, %s s per load,\n' \
    "$(uname -m)" "$(nproc)" "$DURATION"
printf '%s round(s), medians; same PostgreSQL and Kafka, same run; machine shared, figures are noisy)\n' "$ROUNDS"
printf '  %-48s %14s %14s  %s\n' "" ours Java "ours/Java"
row "contract: start to first successful request" "${start_ms[0]}" "${start_ms[2]}" ms
row "contract: RSS idle" "$(mb "${idle_kb[0]}")" "$(mb "${idle_kb[2]}")" MB 1
row "POST /contracts, 16 connections: per s" "$(median our contract 1)" "$(median java contract 1)" ""
row "POST /contracts: p50" "$(median our contract 2)" "$(median java contract 2)" ms 2
row "POST /contracts: p99" "$(median our contract 3)" "$(median java contract 3)" ms 2
row "POST /contracts: non-2xx answers (all rounds)" "$(median our contract 4)" "$(median java contract 4)" ""
row "contract: RSS after the load" "$(mb "${after_kb[0]}")" "$(mb "${after_kb[2]}")" MB 1
row "contract: RSS peak" "$(mb "${peak_kb[0]}")" "$(mb "${peak_kb[2]}")" MB 1
row "billing: start to first successful request" "${start_ms[1]}" "${start_ms[3]}" ms
row "billing: RSS idle" "$(mb "${idle_kb[1]}")" "$(mb "${idle_kb[3]}")" MB 1
row "POST /operations, 32 connections: per s (*)" "$(median our operation 1)" "$(median java operation 1)" ""
row "POST /operations: p50" "$(median our operation 2)" "$(median java operation 2)" ms 2
row "POST /operations: p99" "$(median our operation 3)" "$(median java operation 3)" ms 2
row "POST /operations: non-2xx answers (all rounds)" "$(median our operation 4)" "$(median java operation 4)" ""
row "billing: RSS after the load" "$(mb "${after_kb[1]}")" "$(mb "${after_kb[3]}")" MB 1
row "billing: RSS peak" "$(mb "${peak_kb[1]}")" "$(mb "${peak_kb[3]}")" MB 1
printf '  (*) theirs checks no rule: no contract lookup, no state, no credit limit; it saves the\n'
printf '      operation, its order and a payment, and sends process-payment. Ours refuses a purchase\n'
printf '      over the contract'\''s credit limit or on a contract not active, and commits the purchase\n'
printf '      with its event (outbox) before it answers.\n'
printf '  whole run: %s; load average (1, 5, 15 min) at its start %s, at its end %s\n' \
    "$(bp_elapsed "$t_begin")" "$load_begin" "$(cut -d' ' -f1-3 /proc/loadavg)"
