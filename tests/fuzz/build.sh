#!/usr/bin/env bash
# Boissipay: configures and builds the libFuzzer harnesses with clang into build-fuzz/
# (the daemons' libraries compiled with coverage, AddressSanitizer and
# UndefinedBehaviorSanitizer; nothing else). Extra arguments go to cmake's configure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v clang >/dev/null || {
    echo "clang is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
}
cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_C_COMPILER=clang -DBP_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$root/build-fuzz" -j "$(nproc 2>/dev/null || echo 2)"
