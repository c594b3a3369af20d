#!/usr/bin/env bash
# Boissipay: runs every test — THE README's second command, and what CI runs.
#
# Installs what is missing (scripts/install-deps.sh), builds three times (an optimised
# build in build/, an AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/,
# and the libFuzzer harnesses with clang in build-fuzz/), and runs ctest in each: unit
# tests, then integration and fault tests against a real PostgreSQL and Kafka that the
# tests start on their own ports (16432, 29092) and stop; then every fuzz harness for a
# few seconds from its seed corpus (tests/fuzz).
set -euo pipefail

BP_LOG_TAG="test"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$BP_ROOT"

t0="$(bp_now_ms)"
scripts/install-deps.sh

jobs="$(nproc 2>/dev/null || echo 2)"
build() { # build DIR CMAKE-ARGS...
    local dir="$1"
    shift
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
build build-asan -DCMAKE_BUILD_TYPE=Debug -DBP_SANITIZE=ON
build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DBP_FUZZ=ON

status=0
bp_log "ctest (optimised build)"
(cd build && ctest --output-on-failure --timeout 600) || status=1
bp_log "ctest (sanitizer build)"
(cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure --timeout 900) || status=1
bp_log "ctest (fuzz harnesses, $jobs at a time)"
(cd build-fuzz && ctest -L fuzz -j "$jobs" --output-on-failure) || status=1

bp_log "all tests done in $(bp_elapsed "$t0") (status $status)"
exit "$status"
