# shellcheck shell=bash
# Boissipay: private PostgreSQL clusters for the native stack (sourced, not run).
#
# A cluster lives in one folder: data/ (the cluster), postgres.log, and the unix socket.
# It listens on 127.0.0.1 only. PostgreSQL refuses to run as root, so when we are root
# the server runs as the `postgres` system user and the folder belongs to it; when the
# repository is not reachable by that user, the folder moves under
# /var/tmp/boissipay-<hash of the repository path>/.
#
#   pg_dir STATE_DIR                     effective folder of the cluster kept in STATE_DIR
#   pg_start STATE_DIR PORT [hba-mode]   init once (hba-mode: password (default) or trust), start
#   pg_stop STATE_DIR                    fast shutdown; succeeds when nothing runs
#   pg_running STATE_DIR                 true when the cluster runs
#   pg_psql STATE_DIR PORT [psql args]   psql as the bootstrap superuser over the socket
#   pg_ensure_role STATE_DIR PORT ROLE PASSWORD [superuser]
#   pg_ensure_database STATE_DIR PORT DB OWNER

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Newest installed PostgreSQL server binaries (Debian layout), unless PG_BIN is set.
pg_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        printf '%s\n' "$PG_BIN"
        return 0
    fi
    local dir best="" best_ver=0 ver
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/pg_ctl" ]] || continue
        ver="$(basename "$(dirname "$dir")")"
        ver="${ver%%.*}"
        if [[ "$ver" =~ ^[0-9]+$ ]] && ((ver > best_ver)); then
            best_ver="$ver"
            best="$dir"
        fi
    done
    if [[ -z "$best" ]] && bp_have pg_ctl; then
        best="$(dirname "$(command -v pg_ctl)")"
    fi
    [[ -n "$best" ]] || bp_die "PostgreSQL server binaries not found (run scripts/install-deps.sh)"
    printf '%s\n' "$best"
}

# Runs a command as the cluster owner: `postgres` when we are root, ourselves otherwise.
# The working directory is the cluster folder so that the owner can always read it.
_pg_as_owner() {
    local dir="$1"
    shift
    if ((EUID == 0)); then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# Sets _PG_DIR to the effective cluster folder for STATE_DIR (for example
# .stack/dev/pg), remembering the answer. Creates the parent folder.
declare -gA _PG_DIRS=()
_pg_resolve() {
    local state="$1" parent
    [[ "$state" == /* ]] || state="$PWD/$state"
    if [[ -n "${_PG_DIRS[$state]:-}" ]]; then
        _PG_DIR="${_PG_DIRS[$state]}"
        return 0
    fi
    parent="$(dirname "$state")"
    mkdir -p "$parent"
    _PG_DIR="$state"
    if ((EUID != 0)); then
        _PG_DIRS[$state]="$_PG_DIR"
        return 0
    fi
    id postgres >/dev/null 2>&1 || bp_die "the postgres system user does not exist (install the postgresql package)"
    # Folders the stack created itself may need to be traversable by postgres.
    local d="$parent"
    while [[ "$d" == "$BP_STACK_DIR"* ]]; do
        chmod a+x "$d" 2>/dev/null || true
        d="$(dirname "$d")"
    done
    # A unix socket path is limited to 107 bytes.
    local sock_len=$((${#state} + 16))
    if runuser -u postgres -- test -x "$parent" && ((sock_len < 100)); then
        _PG_DIRS[$state]="$_PG_DIR"
        return 0
    fi
    local fallback
    fallback="/var/tmp/boissipay-$(bp_hash "$BP_ROOT")"
    mkdir -p "$fallback"
    chmod 755 "$fallback"
    # Folder name from the state path below .stack/, e.g. dev-pg.
    local rel="${state#"$BP_STACK_DIR"/}"
    rel="${rel//\//-}"
    _PG_DIR="$fallback/$rel"
    _PG_DIRS[$state]="$_PG_DIR"
    bp_log "postgres cannot use $state (path not traversable by postgres, or too long for a socket): using $_PG_DIR"
}

# Prints the effective cluster folder for STATE_DIR.
pg_dir() {
    _pg_resolve "$1"
    printf '%s\n' "$_PG_DIR"
}

pg_running() {
    local dir bin
    _pg_resolve "$1"
    dir="$_PG_DIR"
    [[ -f "$dir/data/postmaster.pid" ]] || return 1
    bin="$(pg_bin)"
    _pg_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# Initialises the cluster (once) and starts it.
# Settings of every server we start (on the command line, so existing clusters
# get them too): memory for the working set, and checkpoints spaced out so that
# a month-end run does not write each page image again after every checkpoint.
# Durability is untouched (fsync and synchronous_commit stay on).
PG_TUNING="-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=15min -c wal_compression=lz4"

pg_start() {
    local state="$1" port="$2" hba="${3:-password}" dir bin
    _pg_resolve "$state"
    dir="$_PG_DIR"
    bin="$(pg_bin)"
    mkdir -p "$dir"
    if ((EUID == 0)); then
        chown postgres:postgres "$dir"
    fi
    chmod 700 "$dir"

    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        local auth_host="scram-sha-256"
        [[ "$hba" == "trust" ]] && auth_host="trust"
        bp_log "initialising PostgreSQL cluster in $dir/data"
        rm -rf "$dir/data"
        if ! _pg_as_owner "$dir" "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host="$auth_host" >"$dir/initdb.log" 2>&1; then
            bp_tail_log "$dir/initdb.log"
            bp_die "initdb failed"
        fi
        # Durable settings for every cluster of ours.
        cat >>"$dir/data/postgresql.conf" <<'EOF'

# Boissipay native stack
fsync = on
synchronous_commit = on
max_connections = 200
EOF
    fi

    if pg_running "$state"; then
        bp_log "PostgreSQL already running in $dir (port $port)"
        return 0
    fi
    if bp_port_open 127.0.0.1 "$port"; then
        bp_die "port $port is already in use by another program; cannot start PostgreSQL"
    fi
    # A stale pid file from a killed server would block the start.
    rm -f "$dir/data/postmaster.pid"
    if ! _pg_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
        -o "-p $port -k '$dir' -c listen_addresses=127.0.0.1 $PG_TUNING" >/dev/null; then
        bp_tail_log "$dir/postgres.log"
        bp_die "PostgreSQL did not start (log: $dir/postgres.log)"
    fi
}

pg_stop() {
    local state="$1" dir bin
    _pg_resolve "$state"
    dir="$_PG_DIR"
    if ! pg_running "$state"; then
        return 0
    fi
    bin="$(pg_bin)"
    bp_log "stopping PostgreSQL ($dir)"
    _pg_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
        bp_warn "pg_ctl stop failed (log: $dir/postgres.log)"
}

# psql as the bootstrap superuser `postgres`, over the unix socket of the cluster.
pg_psql() {
    local state="$1" port="$2" dir bin
    shift 2
    _pg_resolve "$state"
    dir="$_PG_DIR"
    bin="$(pg_bin)"
    PGCONNECT_TIMEOUT=10 "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

# Creates ROLE (login) when missing and sets its password; idempotent.
# An empty PASSWORD leaves the role without one (trust authentication only).
pg_ensure_role() {
    local state="$1" port="$2" role="$3" password="$4" super="${5:-}"
    local attrs="LOGIN"
    [[ "$super" == "superuser" ]] && attrs="LOGIN SUPERUSER CREATEDB CREATEROLE"
    pg_psql "$state" "$port" -v role="$role" -v pw="$password" -v attrs="$attrs" <<'SQL'
SELECT format('CREATE ROLE %I ' || :'attrs', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I ' || :'attrs', :'role') \gexec
SELECT CASE WHEN :'pw' = '' THEN format('ALTER ROLE %I PASSWORD NULL', :'role')
            ELSE format('ALTER ROLE %I PASSWORD %L', :'role', :'pw') END \gexec
SQL
}

# Creates DB owned by OWNER when missing; idempotent.
pg_ensure_database() {
    local state="$1" port="$2" db="$3" owner="$4"
    pg_psql "$state" "$port" -v db="$db" -v owner="$owner" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
}
