# shellcheck shell=bash
# Boissipay: helpers shared by the native-stack scripts (sourced, not run):
# repository root, logging, timing, waiting for ports and HTTP endpoints, stopping
# processes by pid.

if [[ -n "${BP_COMMON_SH_LOADED:-}" ]]; then
    return 0
fi
BP_COMMON_SH_LOADED=1

# Repository root: this file lives in scripts/lib/.
BP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
export BP_ROOT
# Everything the native stack writes lives here (git-ignored).
# shellcheck disable=SC2034 # used by the scripts that source this file
BP_STACK_DIR="$BP_ROOT/.stack"
# Prefix of every log line; scripts set it to their own name.
: "${BP_LOG_TAG:=stack}"

bp_log() { printf '[%s] %s\n' "$BP_LOG_TAG" "$*" >&2; }
bp_warn() { printf '[%s] WARNING: %s\n' "$BP_LOG_TAG" "$*" >&2; }
bp_die() {
    printf '[%s] ERROR: %s\n' "$BP_LOG_TAG" "$*" >&2
    exit 1
}

# Milliseconds since the epoch, and a "1.234 s" rendering of a duration.
bp_now_ms() { date +%s%3N; }
bp_elapsed() {
    local ms=$(($(bp_now_ms) - $1))
    printf '%d.%03d s' $((ms / 1000)) $((ms % 1000))
}

bp_have() { command -v "$1" >/dev/null 2>&1; }

# 32 random hex characters (secrets, API keys).
bp_random_hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

# Shows the last lines of a log file, indented, on stderr.
bp_tail_log() {
    local file="$1" lines="${2:-30}"
    if [[ -r "$file" ]]; then
        bp_log "last lines of $file:"
        tail -n "$lines" "$file" | sed 's/^/    /' >&2
    fi
}

# True when PID names a live process.
bp_pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null
}

# Pid stored in a pid file, or nothing.
bp_read_pid() {
    local file="$1" pid=""
    if [[ -r "$file" ]]; then
        read -r pid <"$file" || true
    fi
    if [[ "$pid" =~ ^[0-9]+$ ]]; then
        printf '%s\n' "$pid"
    fi
}

# True when something accepts TCP connections on HOST:PORT.
bp_port_open() {
    local host="$1" port="$2"
    # shellcheck disable=SC2016 # $1 and $2 expand in the inner shell
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# Waits until HOST:PORT accepts connections. Gives up after TIMEOUT seconds, or as
# soon as the optional PID dies.
bp_wait_port() {
    local host="$1" port="$2" timeout="$3" pid="${4:-}"
    local deadline=$((SECONDS + timeout))
    until bp_port_open "$host" "$port"; do
        if [[ -n "$pid" ]] && ! bp_pid_alive "$pid"; then
            bp_warn "process $pid exited while waiting for $host:$port"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            bp_warn "$host:$port did not open within ${timeout} s"
            return 1
        fi
        sleep 0.2
    done
}

# Waits until URL answers HTTP 200. Gives up after TIMEOUT seconds, or as soon as
# the optional PID dies.
bp_wait_http() {
    local url="$1" timeout="$2" pid="${3:-}"
    local deadline=$((SECONDS + timeout)) code=""
    while :; do
        code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null || true)"
        if [[ "$code" == "200" ]]; then
            return 0
        fi
        if [[ -n "$pid" ]] && ! bp_pid_alive "$pid"; then
            bp_warn "process $pid exited while waiting for $url"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            bp_warn "$url did not answer 200 within ${timeout} s (last status: ${code:-none})"
            return 1
        fi
        sleep 0.3
    done
}

# Stops PID: SIGTERM, then SIGKILL after TIMEOUT seconds. Succeeds when it is gone.
bp_stop_pid() {
    local pid="$1" name="$2" timeout="${3:-30}"
    if ! bp_pid_alive "$pid"; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while bp_pid_alive "$pid"; do
        # Reap it when it is our own child so that it does not linger as a zombie.
        if ! ps -p "$pid" -o stat= 2>/dev/null | grep -qv Z; then
            wait "$pid" 2>/dev/null || true
            break
        fi
        if ((SECONDS >= deadline)); then
            bp_warn "$name (pid $pid) still running after ${timeout} s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.2
    done
    wait "$pid" 2>/dev/null || true
    return 0
}

# Stops the process named in a pid file (see bp_stop_pid) and removes the file.
bp_stop_pidfile() {
    local file="$1" name="$2" timeout="${3:-30}" pid
    pid="$(bp_read_pid "$file")"
    if [[ -n "$pid" ]] && bp_pid_alive "$pid"; then
        bp_log "stopping $name (pid $pid)"
        bp_stop_pid "$pid" "$name" "$timeout"
    fi
    rm -f "$file"
}

# Short stable hash of a string (used to name fallback folders).
bp_hash() { printf '%s' "$1" | sha256sum | cut -c1-12; }
