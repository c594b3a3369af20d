# shellcheck shell=bash
# Boissipay: what scripts/backup.sh and scripts/restore.sh share (sourced, not run): the
# stack they point at (a state folder with its PostgreSQL cluster in pg/ and its Kafka in
# kafka/, as scripts/stack.sh and scripts/test-stack.sh lay them out), the PostgreSQL client
# tools of the cluster's version, and the Kafka helper (scripts/lib/backup_kafka.py).
#
#   bk_parse_common NAME VALUE   handles --state, --pg-port, --kafka; false for other options
#   bk_init                      resolves the stack; dies when its PostgreSQL does not run
#   bk_psql [psql args]          psql as the cluster's superuser over its socket
#   bk_kafka_up                  true when the broker answers
#   bk_kafka CMD ARGS...         scripts/lib/backup_kafka.py CMD ARGS (brokers added)

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=scripts/lib/pg.sh
source "$BP_ROOT/scripts/lib/pg.sh"
# shellcheck source=scripts/lib/kafka.sh
source "$BP_ROOT/scripts/lib/kafka.sh"

# Defaults: the native development stack of scripts/stack.sh.
BK_STATE="${BP_BACKUP_STATE_DIR:-$BP_STACK_DIR/dev}"
BK_PG_PORT="${BP_BACKUP_PG_PORT:-15432}"
BK_KAFKA="${BP_BACKUP_KAFKA:-127.0.0.1:9092}"

# Options every backup script takes. Sets BK_SHIFT to the number of words consumed.
bk_parse_common() {
    # shellcheck disable=SC2034 # read by the scripts that source this file
    BK_SHIFT=2
    case "$1" in
    --state) BK_STATE="$2" ;;
    --pg-port) BK_PG_PORT="$2" ;;
    --kafka) BK_KAFKA="$2" ;;
    *) return 1 ;;
    esac
    [[ -n "$2" ]] || bp_die "$1 needs a value"
}

bk_init() {
    [[ -d "$BK_STATE" ]] || bp_die "no stack state in $BK_STATE (--state)"
    BK_STATE="$(cd "$BK_STATE" && pwd -P)"
    [[ "$BK_PG_PORT" =~ ^[0-9]+$ ]] || bp_die "--pg-port: not a port: $BK_PG_PORT"
    BK_PG="$BK_STATE/pg"
    pg_running "$BK_PG" || bp_die "PostgreSQL of $BK_STATE is not running (start the stack first)"
    BK_PG_BIN="$(pg_bin)"
    BK_SOCKET="$(pg_dir "$BK_PG")"
    export BP_KAFKA_CP="$KAFKA_LIBS/*" BP_KAFKA_LOG4J="$BK_STATE/kafka/tools-log4j.properties"
}

bk_psql() { PGOPTIONS="-c client_min_messages=warning" pg_psql "$BK_PG" "$BK_PG_PORT" "$@"; }

# Runs a PostgreSQL client tool (pg_dump, pg_restore) of the cluster's version as its
# superuser over its socket.
bk_pg_tool() {
    local tool="$1"
    shift
    PGCONNECT_TIMEOUT=10 "$BK_PG_BIN/$tool" -h "$BK_SOCKET" -p "$BK_PG_PORT" -U postgres "$@"
}

bk_kafka_up() { kcat -b "$BK_KAFKA" -L -t __none -m 5 >/dev/null 2>&1; }

bk_kafka() {
    local cmd="$1"
    shift
    kafka_ensure_libs
    /usr/bin/python3 "$BP_ROOT/scripts/lib/backup_kafka.py" "$cmd" "$BK_KAFKA" "$@"
}

# Backups are folders named by their UTC start time, e.g. 20261207T235901Z.
# shellcheck disable=SC2034 # read by the scripts that source this file
BK_NAME_RE='^[0-9]{8}T[0-9]{6}Z$'
