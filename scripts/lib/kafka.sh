# shellcheck shell=bash
# Boissipay: Apache Kafka in KRaft mode for the native and the test stack (sourced, not run):
# by default a single node (broker and controller in one process); optionally a cluster of
# NODES such nodes, each its own JVM, ports and log directory, with a NODES-voter controller
# quorum. The jars come from Maven Central through scripts/kafka/pom.xml into
# .stack/kafka-libs/.
#
#   kafka_ensure_libs                       fetch the jars once (a stamp file marks success)
#   kafka_start STATE_DIR PORT CPORT        write the config, format once, start, wait until it answers
#   kafka_stop STATE_DIR                    SIGTERM, SIGKILL after 30 s; succeeds when nothing runs
#   kafka_running STATE_DIR                 true when the broker of STATE_DIR runs
#   kafka_topics PORT                       names of the existing topics, one a line
#   kafka_create_topics STATE_DIR PORT PARTITIONS TOPIC...   create the missing ones
#
# The cluster (NODES > 1): node i (1..NODES) lives in STATE_DIR/node-i, its broker listens on
# PORT + 2(i-1) and its controller on PORT + 2(i-1) + 1 (three nodes: PORT..PORT+5). Topics
# get min(NODES, 3) replicas and min.insync.replicas 2 (1 below three nodes); the internal
# topics (consumer offsets, transactions) alike. STATE_DIR itself holds the tool settings.
#
#   kafka_cluster_start STATE_DIR NODES PORT     start every node at once, wait until all answer
#   kafka_cluster_stop STATE_DIR                 stop every node
#   kafka_node_start STATE_DIR NODES PORT I      start node I again (keeping its data)
#   kafka_node_stop STATE_DIR I                  stop node I (SIGTERM)
#   kafka_cluster_brokers NODES PORT             the bootstrap list host:port,host:port,...
#   kafka_replicas NODES / kafka_min_isr NODES   the replication of the topics
#
# kafka_create_topics uses KAFKA_TOPIC_REPLICAS (1) and KAFKA_TOPIC_MIN_ISR (1).

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_LIBS="$BP_STACK_DIR/kafka-libs"
KAFKA_POM="$BP_ROOT/scripts/kafka/pom.xml"
# Seconds to wait for the broker to answer metadata requests.
: "${KAFKA_START_TIMEOUT:=90}"
# Options of the short-lived tool JVMs (format, topic creation): start fast, stay small.
KAFKA_TOOL_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true)

_kafka_stamp_value() { sha256sum "$KAFKA_POM" | cut -c1-64; }

# Downloads the broker jars when missing or when the pom changed. Quiet when present.
kafka_ensure_libs() {
    local stamp="$KAFKA_LIBS/.stamp" want have=""
    want="$(_kafka_stamp_value)"
    [[ -r "$stamp" ]] && have="$(cat "$stamp")"
    if [[ "$have" == "$want" ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
        return 0
    fi
    bp_have mvn || bp_die "mvn not found (run scripts/install-deps.sh)"
    bp_have java || bp_die "java not found (run scripts/install-deps.sh)"
    local tmp="$KAFKA_LIBS.tmp.$$" t0
    t0="$(bp_now_ms)"
    bp_log "fetching the Kafka jars with Maven into $KAFKA_LIBS"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
        bp_tail_log "$tmp.log" 40
        rm -rf "$tmp"
        bp_die "could not fetch the Kafka jars (mvn failed)"
    fi
    rm -f "$tmp.log"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
    printf '%s\n' "$want" >"$stamp"
    bp_log "Kafka jars ready ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars, $(bp_elapsed "$t0"))"
}

_kafka_classpath() { printf '%s/*' "$KAFKA_LIBS"; }

_kafka_abs() {
    if [[ "$1" == /* ]]; then printf '%s\n' "$1"; else printf '%s/%s\n' "$PWD" "$1"; fi
}

kafka_pid() {
    local dir pid
    dir="$(_kafka_abs "$1")"
    pid="$(bp_read_pid "$dir/kafka.pid")"
    [[ -n "$pid" ]] || return 1
    # Guards against a recycled pid.
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
    printf '%s\n' "$pid"
}

kafka_running() { kafka_pid "$1" >/dev/null; }

kafka_replicas() { if (($1 >= 3)); then echo 3; else echo "$1"; fi; }
kafka_min_isr() { if (($1 >= 3)); then echo 2; else echo 1; fi; }
_kafka_node_port() { echo $(($2 + 2 * ($1 - 1))); }
kafka_cluster_brokers() {
    local i out=""
    for ((i = 1; i <= $1; i++)); do
        out+="${out:+,}127.0.0.1:$(_kafka_node_port "$i" "$2")"
    done
    printf '%s\n' "$out"
}

# _kafka_write_config DIR PORT CPORT [NODE_ID VOTERS NODES]
_kafka_write_config() {
    local dir="$1" port="$2" cport="$3" node="${4:-1}" voters="${5:-1@127.0.0.1:$3}" nodes="${6:-1}"
    local rf isr
    rf="$(kafka_replicas "$nodes")"
    isr="$(kafka_min_isr "$nodes")"
    {
        if ((nodes == 1)); then
            printf '%s\n' "# Boissipay native stack: single-node KRaft broker + controller (written by scripts/lib/kafka.sh)"
        else
            printf '%s\n' "# Boissipay: node $node of a $nodes-node KRaft cluster, broker + controller (written by scripts/lib/kafka.sh)"
        fi
        cat <<EOF
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
log.retention.hours=168
# An invoice.issued carries every line of the month: up to 16 MiB (LZ4-compressed on the wire).
message.max.bytes=16777216
EOF
        if ((nodes > 1)); then
            cat <<EOF
# Several JVMs share a small machine: few threads each. A node that stops heartbeating is
# fenced after 6 s (its partitions get a new leader among the in-sync replicas).
num.network.threads=2
num.io.threads=2
background.threads=2
num.replica.fetchers=1
replica.fetch.max.bytes=16777216
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
unclean.leader.election.enable=false
EOF
        fi
    } >"$dir/server.properties"
    _kafka_write_log4j "$dir"
}

_kafka_write_log4j() {
    local dir="$1"
    cat >"$dir/log4j.properties" <<'EOF'
# Boissipay native stack: broker logs to its standard output (redirected to kafka.log).
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
    cat >"$dir/tools-log4j.properties" <<'EOF'
# Boissipay native stack: Kafka command-line tools only report problems.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# Runs a Kafka command-line class with the tool options.
_kafka_tool() {
    local dir="$1"
    shift
    java "${KAFKA_TOOL_OPTS[@]}" -Dlog4j.configuration="file:$dir/tools-log4j.properties" \
        -cp "$(_kafka_classpath)" "$@"
}

# True when the broker on PORT answers a metadata request.
_kafka_answers() {
    kcat -b "127.0.0.1:$1" -L -t __none -m 5 >/dev/null 2>&1
}

# _kafka_prepare DIR PORT CPORT [NODE_ID VOTERS NODES [CLUSTER_ID]]: checks the ports, writes
# the config, formats the storage when it has never been (with CLUSTER_ID, else a new one).
_kafka_prepare() {
    local dir="$1" port="$2" cport="$3" node="${4:-1}" voters="${5:-}" nodes="${6:-1}" uuid="${7:-}"
    local p
    for p in "$port" "$cport"; do
        if bp_port_open 127.0.0.1 "$p"; then
            bp_die "port $p is already in use by another program; cannot start Kafka"
        fi
    done
    _kafka_write_config "$dir" "$port" "$cport" "$node" "${voters:-1@127.0.0.1:$cport}" "$nodes"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
        if [[ -z "$uuid" ]]; then
            uuid="$(_kafka_tool "$dir" kafka.tools.StorageTool random-uuid)" || bp_die "kafka StorageTool random-uuid failed"
        fi
        bp_log "formatting Kafka storage in $dir/data (cluster $uuid)"
        rm -rf "$dir/data"
        if ! _kafka_tool "$dir" kafka.tools.StorageTool format -t "$uuid" -c "$dir/server.properties" \
            >"$dir/format.log" 2>&1; then
            bp_tail_log "$dir/format.log"
            bp_die "kafka storage format failed"
        fi
    fi
}

# _kafka_launch DIR HEAP...: starts the JVM in the background, writes DIR/kafka.pid.
_kafka_launch() {
    local dir="$1"
    shift
    printf '\n===== start %s =====\n' "$(date -Is)" >>"$dir/kafka.log"
    # setsid: a Ctrl-C in the terminal reaches the scripts only; they stop the broker in order.
    setsid java "$@" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true -Dlog4j.configuration="file:$dir/log4j.properties" \
        -Dkafka.logs.dir="$dir" -cp "$(_kafka_classpath)" \
        kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$dir/kafka.pid"
}

# _kafka_wait DIR PORT: until the broker answers; dies (stopping it) when it exits or times out.
_kafka_wait() {
    local dir="$1" port="$2" pid
    pid="$(bp_read_pid "$dir/kafka.pid")"
    local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    until _kafka_answers "$port"; do
        if ! bp_pid_alive "$pid"; then
            wait "$pid" 2>/dev/null || true
            rm -f "$dir/kafka.pid"
            bp_tail_log "$dir/kafka.log"
            bp_die "Kafka exited during start (log: $dir/kafka.log)"
        fi
        if ((SECONDS >= deadline)); then
            bp_tail_log "$dir/kafka.log"
            kafka_stop "$dir"
            bp_die "Kafka did not answer on 127.0.0.1:$port within ${KAFKA_START_TIMEOUT} s"
        fi
        sleep 0.3
    done
}

_kafka_check_tools() {
    kafka_ensure_libs
    bp_have kcat || bp_die "kcat not found (run scripts/install-deps.sh)"
}

kafka_start() {
    local dir port="$2" cport="$3" pid
    dir="$(_kafka_abs "$1")"
    _kafka_check_tools
    mkdir -p "$dir"
    if pid="$(kafka_pid "$dir")"; then
        bp_log "Kafka already running (pid $pid, port $port)"
        return 0
    fi
    _kafka_prepare "$dir" "$port" "$cport"
    _kafka_launch "$dir" -Xmx512m -Xms256m
    _kafka_wait "$dir" "$port"
}

# Heap of a cluster node: three of them and the daemons fit a small machine.
KAFKA_NODE_HEAP=(-Xmx320m -Xms128m)

_kafka_voters() {
    local nodes="$1" port="$2" i out=""
    for ((i = 1; i <= nodes; i++)); do
        out+="${out:+,}$i@127.0.0.1:$(($(_kafka_node_port "$i" "$port") + 1))"
    done
    printf '%s\n' "$out"
}

# _kafka_node_up BASE NODES PORT I UUID: prepares node I and launches it (no wait).
_kafka_node_up() {
    local base="$1" nodes="$2" port="$3" i="$4" uuid="${5:-}" dir np pid
    dir="$base/node-$i"
    np="$(_kafka_node_port "$i" "$port")"
    mkdir -p "$dir"
    if pid="$(kafka_pid "$dir")"; then
        bp_log "Kafka node $i already running (pid $pid, port $np)"
        return 0
    fi
    _kafka_prepare "$dir" "$np" "$((np + 1))" "$i" "$(_kafka_voters "$nodes" "$port")" "$nodes" "$uuid"
    _kafka_launch "$dir" "${KAFKA_NODE_HEAP[@]}"
}

kafka_cluster_start() {
    local base nodes="$2" port="$3" i uuid=""
    base="$(_kafka_abs "$1")"
    _kafka_check_tools
    mkdir -p "$base"
    _kafka_write_log4j "$base"
    if [[ ! -f "$base/node-1/data/meta.properties" ]]; then
        # A cluster id as Kafka writes them: 16 random bytes, URL-safe base64 without padding
        # (not starting with '-', which the format tool would take for an option).
        uuid="-"
        while [[ "$uuid" == -* ]]; do
            uuid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        done
    fi
    # The storage of every node formatted at once (one tool JVM each), then every node
    # started at once: none answers before a majority of the quorum runs.
    local -a jobs=()
    for ((i = 1; i <= nodes; i++)); do
        mkdir -p "$base/node-$i"
        if ! kafka_running "$base/node-$i"; then
            local np
            np="$(_kafka_node_port "$i" "$port")"
            _kafka_prepare "$base/node-$i" "$np" "$((np + 1))" "$i" "$(_kafka_voters "$nodes" "$port")" \
                "$nodes" "$uuid" &
            jobs+=("$!")
        fi
    done
    local j
    for j in "${jobs[@]}"; do
        wait "$j" || bp_die "could not prepare every Kafka node"
    done
    for ((i = 1; i <= nodes; i++)); do
        _kafka_node_up "$base" "$nodes" "$port" "$i" "$uuid"
    done
    for ((i = 1; i <= nodes; i++)); do
        _kafka_wait "$base/node-$i" "$(_kafka_node_port "$i" "$port")"
    done
    printf '%s\n' "$nodes" >"$base/nodes"
}

kafka_node_start() {
    local base nodes="$2" port="$3" i="$4"
    base="$(_kafka_abs "$1")"
    _kafka_check_tools
    _kafka_node_up "$base" "$nodes" "$port" "$i"
    _kafka_wait "$base/node-$i" "$(_kafka_node_port "$i" "$port")"
}

kafka_node_stop() {
    local base
    base="$(_kafka_abs "$1")"
    kafka_stop "$base/node-$2"
}

kafka_cluster_stop() {
    local base d
    base="$(_kafka_abs "$1")"
    # All at once: a node waits for the others' controlled shutdown otherwise.
    local -a jobs=()
    for d in "$base"/node-*; do
        [[ -d "$d" ]] || continue
        kafka_stop "$d" &
        jobs+=("$!")
    done
    local j
    for j in "${jobs[@]}"; do
        wait "$j" || true
    done
}

kafka_stop() {
    local dir pid
    dir="$(_kafka_abs "$1")"
    if pid="$(kafka_pid "$dir")"; then
        bp_log "stopping Kafka (pid $pid)"
        bp_stop_pid "$pid" "Kafka" 30
    fi
    rm -f "$dir/kafka.pid"
}

kafka_topics() {
    kcat -b "127.0.0.1:$1" -L -m 5 2>/dev/null | sed -n 's/^ *topic "\([^"]*\)" with .*/\1/p'
}

# Creates the TOPICs missing on the broker, all at once (one tool JVM per topic, in parallel).
kafka_create_topics() {
    local dir port="$2" partitions="$3" t existing pid failed=0
    dir="$(_kafka_abs "$1")"
    shift 3
    existing="$(kafka_topics "$port")"
    local -a pids=() names=() extra=()
    # (a single broker: its own default, as before)
    if ((${KAFKA_TOPIC_MIN_ISR:-1} > 1)); then
        extra=(--config "min.insync.replicas=$KAFKA_TOPIC_MIN_ISR")
    fi
    for t in "$@"; do
        if grep -qxF -- "$t" <<<"$existing"; then
            continue
        fi
        _kafka_tool "$dir" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" \
            --create --if-not-exists --topic "$t" --partitions "$partitions" \
            --replication-factor "${KAFKA_TOPIC_REPLICAS:-1}" "${extra[@]}" \
            >"$dir/topic-$t.log" 2>&1 &
        pids+=("$!")
        names+=("$t")
    done
    local i
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            bp_tail_log "$dir/topic-${names[$i]}.log"
            failed=1
        fi
        rm -f "$dir/topic-${names[$i]}.log"
    done
    ((failed == 0)) || bp_die "could not create every Kafka topic"
    if ((${#names[@]} > 0)); then
        bp_log "created topics: ${names[*]} ($partitions partitions, ${KAFKA_TOPIC_REPLICAS:-1} replicas each)"
    fi
}
