#!/usr/bin/env bash
# Boissipay: runs every libFuzzer harness for MINUTES each (default 10), two at a time
# (BP_FUZZ_JOBS), after building them (tests/fuzz/build.sh), and prints per harness its
# executions, coverage (cov/ft of libFuzzer's final stats) and crashes. Inputs found
# stay in build-fuzz/fuzz-out/corpus/ for the next run; crashes in
# build-fuzz/fuzz-out/artifacts/. Usage: tests/fuzz/run.sh [MINUTES] [HARNESS...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
minutes="${1:-10}"
shift || true
seconds="$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); print (s < 1 ? 1 : s) }')"
"$here/build.sh" >/dev/null
bin="$root/build-fuzz/tests/fuzz"
if (($# > 0)); then
    names=("$@")
else
    mapfile -t names < <(sed -n 's/^bp_fuzz(\([a-z_]*\).*/\1/p' "$here/CMakeLists.txt")
fi
out="$root/build-fuzz/fuzz-out"
mkdir -p "$out"
echo "fuzzing ${#names[@]} harnesses for $seconds s each, ${BP_FUZZ_JOBS:-2} at a time"
status=0
printf '%s\n' "${names[@]}" |
    xargs -P "${BP_FUZZ_JOBS:-2}" -I{} bash "$here/run_one.sh" "$bin/fuzz_{}" {} "$seconds" "$out" \
        >"$out/run.txt" || status=1
echo
grep '^fuzz ' "$out/run.txt" | sort | sed 's/^fuzz /  /'
((status == 0)) || grep -v '^fuzz ' "$out/run.txt" || true
echo "logs: $out/<harness>.log; crashes: $out/artifacts/"
exit "$status"
