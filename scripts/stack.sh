#!/usr/bin/env bash
# Boissipay: the native development stack, in one command.
#
#   scripts/stack.sh          install what is missing, build, start PostgreSQL, Kafka, the
#                             daemons and the gateway (nginx: the APIs under /api/<daemon>/
#                             and the console), print their URLs, then wait; Ctrl-C stops
#                             everything
#   scripts/stack.sh --observe
#                             the same, plus Prometheus scraping the daemons' /metrics (its web
#                             UI is the native view: Debian has no Grafana; docs/observability.md)
#   scripts/stack.sh stop     stop a stack left running (another terminal, a killed script)
#   scripts/stack.sh status   show what runs
#   scripts/stack.sh --print-prometheus-config
#                             print the Prometheus configuration --observe writes
#
# State (databases, Kafka log, logs, generated secrets) lives in .stack/dev/ (git-ignored).
# BP_SKIP_BUILD=1 starts whatever is already built, without building.
# BP_STACK_PORT_OFFSET=N adds N to every port of the stack (PostgreSQL, Kafka, the daemons,
# the mail catcher, Prometheus), to run beside another stack; stop and status reuse it.
# BP_KAFKA_NODES=3 runs a three-node KRaft cluster instead of the single broker: node i
# (1..3) on 9092 + 2(i-1), its controller on the next port, topics with 3 replicas and
# min.insync.replicas=2 (scripts/lib/kafka.sh). Use it on a fresh .stack/dev/kafka.
set -euo pipefail

# ---------------------------------------------------------------------------------------
# Services: one line each — name, HTTP port, database ("-" when the service has none).
# The daemon is build/services/<name>/boissipay-<name>; its database role and database
# are both named after the database column, with a generated password.
SERVICES=(
    "contract   8080  contract"
    "billing    8181  billing"
    "payment    8282  payment"
    "invoice-mailer 8383 invoice_mailer"
)
# The mail catcher the invoice-mailer sends to (its default BP_SMTP_URL): a real SMTP
# server on localhost that stores each message as a file in .stack/dev/mail/.
SMTP_PORT=1025
# The gateway (Debian's nginx, deploy/nginx/boissipay.conf.template): /api/<service>/... to each
# daemon, / to the console (console/). Its configuration, pid and logs are in .stack/dev/gateway/.
GATEWAY_PORT=8000
# Kafka topics (auto-creation is off on the broker).
TOPICS=(contract operation invoice payment dead-letter)
TOPIC_PARTITIONS=3
PG_PORT=15432
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
# Prometheus of --observe (web UI and API), and how long it keeps the series.
PROMETHEUS_PORT=9090
PROMETHEUS_RETENTION=7d
# Seconds a daemon gets to answer 200 on /ready, and to stop after SIGTERM.
READY_TIMEOUT=60
STOP_TIMEOUT=30
# ---------------------------------------------------------------------------------------

BP_LOG_TAG="stack"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/pg.sh
source "$BP_ROOT/scripts/lib/pg.sh"
# shellcheck source=scripts/lib/kafka.sh
source "$BP_ROOT/scripts/lib/kafka.sh"

KAFKA_NODES="${BP_KAFKA_NODES:-1}"
[[ "$KAFKA_NODES" =~ ^[1-9]$ ]] || {
    printf 'BP_KAFKA_NODES must be 1..9 (got %s)\n' "$KAFKA_NODES" >&2
    exit 2
}
KAFKA_TOPIC_REPLICAS="$(kafka_replicas "$KAFKA_NODES")"
KAFKA_TOPIC_MIN_ISR="$(kafka_min_isr "$KAFKA_NODES")"

DEV="$BP_STACK_DIR/dev"
PG_STATE="$DEV/pg"
KAFKA_STATE="$DEV/kafka"
LOG_DIR="$DEV/logs"
RUN_DIR="$DEV/run"
SECRETS="$DEV/secrets.env"
STACK_PID="$RUN_DIR/stack.pid"
PROM_STATE="$DEV/prometheus"
PORT_OFFSET_FILE="$RUN_DIR/port-offset"

# The port offset: BP_STACK_PORT_OFFSET, else the one the running stack was started with.
PORT_OFFSET="${BP_STACK_PORT_OFFSET:-}"
if [[ -z "$PORT_OFFSET" && -f "$PORT_OFFSET_FILE" ]]; then
    PORT_OFFSET="$(tr -dc '0-9' <"$PORT_OFFSET_FILE")"
fi
PORT_OFFSET="${PORT_OFFSET:-0}"
if [[ ! "$PORT_OFFSET" =~ ^[0-9]+$ ]] || ((PORT_OFFSET > 50000)); then
    bp_die "BP_STACK_PORT_OFFSET must be a number from 0 to 50000 (got '$PORT_OFFSET')"
fi
PG_PORT=$((PG_PORT + PORT_OFFSET))
KAFKA_PORT=$((KAFKA_PORT + PORT_OFFSET))
KAFKA_CONTROLLER_PORT=$((KAFKA_CONTROLLER_PORT + PORT_OFFSET))
SMTP_PORT=$((SMTP_PORT + PORT_OFFSET))
PROMETHEUS_PORT=$((PROMETHEUS_PORT + PORT_OFFSET))
GATEWAY_PORT=$((GATEWAY_PORT + PORT_OFFSET))
# The daemons' bootstrap list (after the offset: node i listens on KAFKA_PORT + 2(i-1)).
if ((KAFKA_NODES == 1)); then
    KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
else
    KAFKA_BOOTSTRAP="$(kafka_cluster_brokers "$KAFKA_NODES" "$KAFKA_PORT")"
fi

# Fields of a SERVICES line.
svc_name() { awk '{print $1}' <<<"$1"; }
svc_port() { awk -v off="$PORT_OFFSET" '{print $2 + off}' <<<"$1"; }
svc_db() { awk '{print $3}' <<<"$1"; }
# Name of the secrets variable holding a database password.
pw_var() {
    local v="${1^^}"
    printf 'BP_DB_PASSWORD_%s\n' "${v//[^A-Z0-9]/_}"
}
rel() { printf '%s\n' "${1#"$BP_ROOT"/}"; }

# Generates the API key and database passwords once; later runs reuse them.
ensure_secrets() {
    mkdir -p "$DEV"
    (
        umask 077
        touch "$SECRETS"
    )
    chmod 600 "$SECRETS"
    # shellcheck disable=SC1090
    source "$SECRETS"
    local line db var
    if [[ -z "${BP_API_KEY:-}" ]]; then
        BP_API_KEY="$(bp_random_hex)"
        printf 'BP_API_KEY=%s\n' "$BP_API_KEY" >>"$SECRETS"
        bp_log "generated the API key (kept in $(rel "$SECRETS"))"
    fi
    for line in "${SERVICES[@]}"; do
        db="$(svc_db "$line")"
        [[ "$db" == "-" ]] && continue
        var="$(pw_var "$db")"
        if [[ -z "${!var:-}" ]]; then
            printf -v "$var" '%s' "$(bp_random_hex)"
            printf '%s=%s\n' "$var" "${!var}" >>"$SECRETS"
            bp_log "generated the password of database role $db"
        fi
    done
}

build() {
    if [[ -n "${BP_SKIP_BUILD:-}" ]]; then
        bp_log "BP_SKIP_BUILD is set: not building"
        return 0
    fi
    if [[ ! -f "$BP_ROOT/CMakeLists.txt" ]]; then
        bp_warn "no CMakeLists.txt yet: skipping the build (only PostgreSQL and Kafka will run)"
        return 0
    fi
    local t0
    t0="$(bp_now_ms)"
    bp_log "building (cmake, RelWithDebInfo)"
    if ! (cd "$BP_ROOT" && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build build -j2); then
        bp_die "build failed (BP_SKIP_BUILD=1 starts the stack without building)"
    fi
    bp_log "build done ($(bp_elapsed "$t0"))"
}

daemon_bin() { printf '%s/build/services/%s/boissipay-%s\n' "$BP_ROOT" "$1" "$1"; }

daemon_pid() {
    local pid
    pid="$(bp_read_pid "$RUN_DIR/$1.pid")"
    [[ -n "$pid" ]] && bp_pid_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

stack_pid() {
    local pid
    pid="$(bp_read_pid "$STACK_PID")"
    [[ -n "$pid" && "$pid" != "$$" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'stack\.sh' || return 1
    printf '%s\n' "$pid"
}

STARTED=()
start_daemons() {
    local line name port db bin url pid var
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    for line in "${SERVICES[@]}"; do
        name="$(svc_name "$line")"
        port="$(svc_port "$line")"
        db="$(svc_db "$line")"
        bin="$(daemon_bin "$name")"
        if [[ ! -x "$bin" || -d "$bin" ]]; then
            bp_warn "$(rel "$bin") not built: $name not started"
            continue
        fi
        if bp_port_open 127.0.0.1 "$port"; then
            bp_die "port $port is already in use: cannot start $name"
        fi
        local -a env=(
            "BP_HTTP_PORT=$port"
            "BP_KAFKA_BROKERS=$KAFKA_BOOTSTRAP"
            "BP_API_KEYS=$BP_API_KEY:rw"
        )
        # The mail catcher's port (the daemon's own default is its unshifted port).
        [[ "$name" == invoice-mailer ]] && env+=("BP_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT")
        if [[ "$db" != "-" ]]; then
            var="$(pw_var "$db")"
            env+=("BP_DATABASE_URL=postgresql://$db:${!var}@127.0.0.1:$PG_PORT/$db")
        fi
        printf '\n===== start %s =====\n' "$(date -Is)" >>"$LOG_DIR/$name.log"
        # setsid: Ctrl-C reaches this script only, which stops the daemons in order.
        (cd "$BP_ROOT" && exec setsid env "${env[@]}" "$bin") >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
        pid=$!
        printf '%s\n' "$pid" >"$RUN_DIR/$name.pid"
        STARTED+=("$name")
        bp_log "started $name (pid $pid, port $port)"
    done
    # Binaries that the table does not know about are not started.
    for bin in "$BP_ROOT"/build/services/*/boissipay-*; do
        [[ -f "$bin" && -x "$bin" ]] || continue
        name="${bin##*/boissipay-}"
        [[ "$bin" == "$(daemon_bin "$name")" ]] || continue
        if ! printf '%s\n' "${SERVICES[@]}" | awk '{print $1}' | grep -qxF -- "$name"; then
            bp_warn "$(rel "$bin") has no line in SERVICES (scripts/stack.sh): not started"
        fi
    done
    for line in "${SERVICES[@]}"; do
        name="$(svc_name "$line")"
        port="$(svc_port "$line")"
        pid="$(daemon_pid "$name")" || continue
        url="http://127.0.0.1:$port/ready"
        if ! bp_wait_http "$url" "$READY_TIMEOUT" "$pid"; then
            bp_tail_log "$LOG_DIR/$name.log"
            bp_die "$name is not ready (log: $(rel "$LOG_DIR/$name.log"))"
        fi
        bp_log "$name ready"
    done
}

stop_daemons() {
    local line name pid
    for line in "${SERVICES[@]}"; do
        name="$(svc_name "$line")"
        bp_stop_pidfile "$RUN_DIR/$name.pid" "$name" "$STOP_TIMEOUT"
    done
}

start_mail_catcher() {
    if bp_port_open 127.0.0.1 "$SMTP_PORT"; then
        bp_warn "port $SMTP_PORT is taken: invoice-mailer will send to whatever listens there"
        return 0
    fi
    mkdir -p "$DEV/mail"
    setsid /usr/bin/python3 "$BP_ROOT/tests/support/smtp_sink.py" --port "$SMTP_PORT" \
        --dir "$DEV/mail" >>"$LOG_DIR/mail-catcher.log" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$RUN_DIR/mail-catcher.pid"
    bp_wait_port 127.0.0.1 "$SMTP_PORT" 20 || bp_warn "the mail catcher did not start"
}

# --- observability (--observe) ---------------------------------------------------------
# The Prometheus configuration: one job per daemon of SERVICES, on its native port.
prometheus_config() {
    local line
    printf '# Written by scripts/stack.sh --observe: scrapes the native stack'"'"'s daemons.\n'
    printf 'global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n\nscrape_configs:\n'
    for line in "${SERVICES[@]}"; do
        printf '  - job_name: %s\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' \
            "$(svc_name "$line")" "$(svc_port "$line")"
    done
    printf '  - job_name: prometheus\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' \
        "$PROMETHEUS_PORT"
}

prometheus_pid() {
    local pid
    pid="$(bp_read_pid "$RUN_DIR/prometheus.pid")"
    [[ -n "$pid" ]] && bp_pid_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

start_prometheus() {
    local bin
    bin="$(command -v prometheus || true)"
    [[ -n "$bin" ]] || bp_die "--observe needs Debian's prometheus (scripts/install-deps.sh installs it)"
    if bp_port_open 127.0.0.1 "$PROMETHEUS_PORT"; then
        bp_die "port $PROMETHEUS_PORT is already in use: cannot start Prometheus"
    fi
    mkdir -p "$PROM_STATE/data" "$LOG_DIR" "$RUN_DIR"
    prometheus_config >"$PROM_STATE/prometheus.yml"
    printf '\n===== start %s =====\n' "$(date -Is)" >>"$LOG_DIR/prometheus.log"
    setsid "$bin" --config.file="$PROM_STATE/prometheus.yml" \
        --storage.tsdb.path="$PROM_STATE/data" \
        --storage.tsdb.retention.time="$PROMETHEUS_RETENTION" \
        --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
        >>"$LOG_DIR/prometheus.log" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$RUN_DIR/prometheus.pid"
    if ! bp_wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 60 "$!"; then
        bp_tail_log "$LOG_DIR/prometheus.log"
        bp_die "Prometheus is not ready (log: $(rel "$LOG_DIR/prometheus.log"))"
    fi
    bp_log "Prometheus ready on http://127.0.0.1:$PROMETHEUS_PORT (config $(rel "$PROM_STATE/prometheus.yml"))"
}

# "N/M up": the scrape targets Prometheus reports healthy.
prometheus_targets() {
    curl -s -m 3 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" |
        /usr/bin/python3 -c 'import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print("%d/%d targets up" % (sum(x["health"] == "up" for x in t), len(t)))' 2>/dev/null ||
        echo "targets unknown"
}

GATEWAY_DIR="$DEV/gateway"

# Routes are named after SERVICES; the template knows the four daemons.
svc_addr() {
    local line
    for line in "${SERVICES[@]}"; do
        [[ "$(svc_name "$line")" == "$1" ]] && printf '127.0.0.1:%s\n' "$(svc_port "$line")"
    done
}

start_gateway() {
    if ! bp_have nginx && [[ ! -x /usr/sbin/nginx ]]; then
        bp_warn "nginx is missing (scripts/install-deps.sh installs it): no gateway, no console"
        return 0
    fi
    if bp_port_open 127.0.0.1 "$GATEWAY_PORT"; then
        bp_die "port $GATEWAY_PORT is already in use: cannot start the gateway"
    fi
    local nginx conf="$GATEWAY_DIR/nginx.conf" pid
    nginx="$(command -v nginx || printf /usr/sbin/nginx)"
    "$BP_ROOT/scripts/gateway-config.sh" "$conf" "$GATEWAY_DIR" "127.0.0.1:$GATEWAY_PORT" \
        "$(svc_addr contract)" "$(svc_addr billing)" "$(svc_addr payment)" \
        "$(svc_addr invoice-mailer)"
    local -a args=(-p "$GATEWAY_DIR" -e "$GATEWAY_DIR/logs/error.log" -c "$conf")
    # As root, the workers run as nobody when nobody can read the console, else as root.
    if ((EUID == 0)) && ! runuser -u nobody -- test -r "$BP_ROOT/console/index.html" 2>/dev/null; then
        args+=(-g "user root;")
    fi
    if ! "$nginx" "${args[@]}" -t >>"$LOG_DIR/gateway.log" 2>&1; then
        bp_tail_log "$LOG_DIR/gateway.log"
        bp_die "the gateway's configuration is refused by nginx -t ($(rel "$conf"))"
    fi
    setsid "$nginx" "${args[@]}" -g "daemon off;" >>"$LOG_DIR/gateway.log" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$RUN_DIR/gateway.pid"
    if ! bp_wait_http "http://127.0.0.1:$GATEWAY_PORT/gateway/health" 20 "$pid"; then
        bp_tail_log "$GATEWAY_DIR/logs/error.log"
        bp_die "the gateway did not start (log: $(rel "$GATEWAY_DIR/logs/error.log"))"
    fi
    bp_log "gateway ready (pid $pid, port $GATEWAY_PORT)"
}

stop_all() {
    bp_stop_pidfile "$RUN_DIR/gateway.pid" "gateway" 10
    bp_stop_pidfile "$RUN_DIR/prometheus.pid" "Prometheus" 20
    stop_daemons
    bp_stop_pidfile "$RUN_DIR/mail-catcher.pid" "mail catcher" 10
    if [[ -d "$KAFKA_STATE/node-1" ]]; then
        kafka_cluster_stop "$KAFKA_STATE"
    fi
    kafka_stop "$KAFKA_STATE"
    pg_stop "$PG_STATE"
}

CLEANED=0
cleanup() {
    ((CLEANED == 0)) || return 0
    CLEANED=1
    trap '' INT TERM
    local t0
    t0="$(bp_now_ms)"
    bp_log "stopping the stack"
    stop_all
    rm -f "$STACK_PID" "$PORT_OFFSET_FILE"
    bp_log "stopped ($(bp_elapsed "$t0"))"
}

on_signal() {
    cleanup
    exit 0
}

print_summary() {
    local line name port db dbs="" running=""
    for line in "${SERVICES[@]}"; do
        db="$(svc_db "$line")"
        [[ "$db" != "-" ]] && dbs+="${dbs:+, }$db"
    done
    printf '\n'
    printf 'Boissipay dev stack is up.\n'
    for line in "${SERVICES[@]}"; do
        name="$(svc_name "$line")"
        port="$(svc_port "$line")"
        if daemon_pid "$name" >/dev/null; then
            printf '  %-12s http://127.0.0.1:%s   docs: http://127.0.0.1:%s/docs   log: %s\n' \
                "$name" "$port" "$port" "$(rel "$LOG_DIR/$name.log")"
            running=1
        fi
    done
    [[ -n "$running" ]] || printf '  (no daemon built yet)\n'
    if bp_pid_alive "$(bp_read_pid "$RUN_DIR/gateway.pid")"; then
        printf '  %-12s http://127.0.0.1:%s/   (the console; APIs under /api/<service>/)   log: %s\n' \
            "gateway" "$GATEWAY_PORT" "$(rel "$GATEWAY_DIR/logs/access.log")"
    fi
    printf '  %-12s 127.0.0.1:%s   databases: %s   log: %s\n' "PostgreSQL" "$PG_PORT" "${dbs:-none}" \
        "$(rel "$(pg_dir "$PG_STATE")/postgres.log")"
    if ((KAFKA_NODES == 1)); then
        printf '  %-12s 127.0.0.1:%s   topics: %s   log: %s\n' "Kafka" "$KAFKA_PORT" "${TOPICS[*]}" \
            "$(rel "$KAFKA_STATE/kafka.log")"
    else
        printf '  %-12s %s   topics: %s (%s replicas)   logs: %s\n' "Kafka" "$KAFKA_BOOTSTRAP" \
            "${TOPICS[*]}" "$KAFKA_TOPIC_REPLICAS" "$(rel "$KAFKA_STATE")/node-*/kafka.log"
    fi
    printf '  %-12s smtp://127.0.0.1:%s   mails: %s\n' "mail catcher" "$SMTP_PORT" "$(rel "$DEV/mail")"
    if prometheus_pid >/dev/null; then
        printf '  %-12s http://127.0.0.1:%s   targets: http://127.0.0.1:%s/classic/targets   log: %s\n' \
            "Prometheus" "$PROMETHEUS_PORT" "$PROMETHEUS_PORT" "$(rel "$LOG_DIR/prometheus.log")"
        printf '  %-12s none natively (Debian has no package); the compose stack has one\n' "Grafana"
    fi
    printf '  %-12s %s (read-write; secrets in %s)\n' "API key" "$BP_API_KEY" "$(rel "$SECRETS")"
    printf '\n  export BP_API_KEY=%s\n\n' "$BP_API_KEY"
    printf 'Ctrl-C stops everything (or: scripts/stack.sh stop).\n'
}

cmd_start() {
    local t0 pid
    t0="$(bp_now_ms)"
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    if pid="$(stack_pid)"; then
        bp_die "the stack is already running (pid $pid); use scripts/stack.sh stop"
    fi
    printf '%s\n' "$$" >"$STACK_PID"
    printf '%s\n' "$PORT_OFFSET" >"$PORT_OFFSET_FILE"
    trap cleanup EXIT
    trap on_signal INT TERM

    "$BP_ROOT/scripts/install-deps.sh"
    build
    ensure_secrets
    # Daemons (and a gateway) left by a killed run would hold their ports.
    bp_stop_pidfile "$RUN_DIR/gateway.pid" "gateway" 10
    stop_daemons

    pg_start "$PG_STATE" "$PG_PORT"
    local line db var
    for line in "${SERVICES[@]}"; do
        db="$(svc_db "$line")"
        [[ "$db" == "-" ]] && continue
        var="$(pw_var "$db")"
        pg_ensure_role "$PG_STATE" "$PG_PORT" "$db" "${!var}"
        pg_ensure_database "$PG_STATE" "$PG_PORT" "$db" "$db"
    done
    bp_log "PostgreSQL ready on 127.0.0.1:$PG_PORT"

    if ((KAFKA_NODES == 1)); then
        kafka_start "$KAFKA_STATE" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
    else
        kafka_cluster_start "$KAFKA_STATE" "$KAFKA_NODES" "$KAFKA_PORT"
    fi
    kafka_create_topics "$KAFKA_STATE" "$KAFKA_PORT" "$TOPIC_PARTITIONS" "${TOPICS[@]}"
    bp_log "Kafka ready on $KAFKA_BOOTSTRAP"

    start_mail_catcher
    start_daemons
    start_gateway
    ((OBSERVE == 0)) || start_prometheus
    bp_log "stack up in $(bp_elapsed "$t0")"
    print_summary

    local name dead=()
    while :; do
        sleep 1 &
        wait $! || true
        for name in "${STARTED[@]}"; do
            if [[ " ${dead[*]} " != *" $name "* ]] && ! daemon_pid "$name" >/dev/null; then
                dead+=("$name")
                bp_warn "$name exited (log: $(rel "$LOG_DIR/$name.log")); the rest keeps running"
                bp_tail_log "$LOG_DIR/$name.log" 10
            fi
        done
    done
}

cmd_stop() {
    local pid
    if pid="$(stack_pid)"; then
        bp_log "asking the running stack (pid $pid) to stop"
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + STOP_TIMEOUT + 100))
        while bp_pid_alive "$pid" && ((SECONDS < deadline)); do
            sleep 0.3
        done
    fi
    # Whatever is still there (a killed script leaves its servers running).
    stop_all
    rm -f "$STACK_PID" "$PORT_OFFSET_FILE"
    bp_log "stopped"
}

cmd_status() {
    local all=0 pid line name port code
    if pid="$(stack_pid)"; then
        printf '%-12s running (pid %s)\n' "stack.sh" "$pid"
    else
        printf '%-12s not running\n' "stack.sh"
    fi
    if pg_running "$PG_STATE"; then
        printf '%-12s running on 127.0.0.1:%s (%s)\n' "PostgreSQL" "$PG_PORT" "$(rel "$(pg_dir "$PG_STATE")")"
    else
        printf '%-12s stopped\n' "PostgreSQL"
        all=3
    fi
    if pid="$(kafka_pid "$KAFKA_STATE")" || pid="$(kafka_pid "$KAFKA_STATE/node-1")"; then
        printf '%-12s running on 127.0.0.1:%s (pid %s), topics: %s\n' "Kafka" "$KAFKA_PORT" "$pid" \
            "$(kafka_topics "$KAFKA_PORT" | grep -v '^__' | sort | tr '\n' ' ')"
    else
        printf '%-12s stopped\n' "Kafka"
        all=3
    fi
    for line in "${SERVICES[@]}"; do
        name="$(svc_name "$line")"
        port="$(svc_port "$line")"
        if pid="$(daemon_pid "$name")"; then
            code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/ready" || true)"
            printf '%-12s running on http://127.0.0.1:%s (pid %s), /ready: %s\n' "$name" "$port" "$pid" "$code"
        elif [[ -x "$(daemon_bin "$name")" ]]; then
            printf '%-12s stopped\n' "$name"
            all=3
        else
            printf '%-12s not built\n' "$name"
        fi
    done
    if pid="$(bp_read_pid "$RUN_DIR/gateway.pid")" && [[ -n "$pid" ]] && bp_pid_alive "$pid"; then
        code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/api/contract/ready" || true)"
        printf '%-12s running on http://127.0.0.1:%s (pid %s), console /: %s, /api/contract/ready: %s\n' \
            "gateway" "$GATEWAY_PORT" "$pid" \
            "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/" || true)" "$code"
    elif bp_have nginx || [[ -x /usr/sbin/nginx ]]; then
        printf '%-12s stopped\n' "gateway"
        all=3
    else
        printf '%-12s not installed (nginx)\n' "gateway"
    fi
    if pid="$(prometheus_pid)"; then
        printf '%-12s running on http://127.0.0.1:%s (pid %s), %s\n' "Prometheus" "$PROMETHEUS_PORT" \
            "$pid" "$(prometheus_targets)"
    elif [[ -f "$RUN_DIR/prometheus.pid" ]]; then
        printf '%-12s stopped\n' "Prometheus"
        all=3
    fi
    return "$all"
}

OBSERVE=0
cmd=""
for arg in "$@"; do
    case "$arg" in
    --observe) OBSERVE=1 ;;
    start | stop | status | --print-prometheus-config | -h | --help | help)
        [[ -z "$cmd" ]] || bp_die "one command at a time (got $cmd and $arg)"
        cmd="$arg"
        ;;
    *)
        printf 'usage: %s [start] [--observe] | stop | status | --print-prometheus-config\n' "$0" >&2
        exit 2
        ;;
    esac
done
case "${cmd:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
--print-prometheus-config) prometheus_config ;;
-h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
esac
