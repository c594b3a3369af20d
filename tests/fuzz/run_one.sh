#!/usr/bin/env bash
# Boissipay: runs one libFuzzer harness for a bounded time (what `ctest -L fuzz` and
# tests/fuzz/run.sh call): BIN NAME SECONDS OUT. New inputs go to OUT/corpus/NAME, the
# checked-in seeds (tests/fuzz/corpus/NAME) are read only; a crash, leak or hang is saved
# as OUT/artifacts/NAME-* and fails the run. Prints one line: executions, coverage
# (cov, ft: libFuzzer's final stats) and crashes; the whole log is OUT/NAME.log.
set -uo pipefail
bin="$1" name="$2" seconds="$3" out="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out/corpus/$name" "$out/artifacts"
opts=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
    -artifact_prefix="$out/artifacts/$name-")
[[ -f "$here/dict/$name.dict" ]] && opts+=(-dict="$here/dict/$name.dict")
case "$name" in
http_head) opts+=(-max_len=40000) ;; # heads past the 8 KiB target and 32 KiB head limits
esac
log="$out/$name.log"
"$bin" "${opts[@]}" "$out/corpus/$name" "$here/corpus/$name" >"$log" 2>&1
rc=$?
execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
stats="$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')"
crashes="$(find "$out/artifacts" -name "$name-*" -newer "$bin" | wc -l)"
echo "fuzz $name: ${execs:-?} executions, ${stats:-no stats}, $crashes crashes, exit $rc" \
    "($seconds s)"
if ((rc != 0)); then
    grep -E 'ERROR|SUMMARY|invariant|^ *#[0-9]+ 0x' "$log" | head -40
    tail -5 "$log"
fi
exit "$rc"
