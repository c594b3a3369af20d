#!/usr/bin/env bash
# Boissipay: every C file of the repository is formatted as .clang-format says
# (`clang-format --dry-run --Werror`); prints the files that are not, and how to fix them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v clang-format >/dev/null || {
    echo "clang-format is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
}
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null ||
    find lib services tests bench -name '*.[ch]' -not -path '*/build*')
bad=()
for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
echo "$(clang-format --version): ${#files[@]} files, ${#bad[@]} not formatted"
if ((${#bad[@]} > 0)); then
    printf '  %s\n' "${bad[@]}"
    echo "fix with: clang-format -i ${bad[*]}"
    exit 1
fi
