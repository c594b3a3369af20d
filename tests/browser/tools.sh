#!/usr/bin/env bash
# Boissipay browser tests: installs their pinned Python packages (requirements.txt beside
# this file: Selenium and what it pulls in) once into a venv and prints its folder.
#
# The venv lives in the user's cache, shared by every clone:
# ${XDG_CACHE_HOME:-~/.cache}/boissipay/browser/<hash of requirements.txt and Python's
# version> (.stack/browser/ in the clone when the cache is not writable; BP_BROWSER_DIR
# overrides the parent folder), so a change of pins installs afresh. A lock serialises
# concurrent installs; pip is bounded in time (BP_TOOLS_TIMEOUT seconds, 300). When
# nothing is missing it only checks a stamp file. It also checks that Debian's chromium
# and chromium-driver are installed (scripts/install-deps.sh): the tests drive that
# browser with that driver and never download one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/boissipay/browser"
if [[ -n "${BP_BROWSER_DIR:-}" ]]; then
    parent="$BP_BROWSER_DIR"
elif mkdir -p "$cache" 2>/dev/null && [[ -w "$cache" ]]; then
    parent="$cache"
else
    parent="$root/.stack/browser"
fi
limit="${BP_TOOLS_TIMEOUT:-300}"
python="${BP_PYTHON:-/usr/bin/python3}"

log() { printf '[browser-tools] %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

for tool in chromium chromedriver; do
    command -v "$tool" >/dev/null ||
        die "$tool is missing (scripts/install-deps.sh installs chromium and chromium-driver)"
done

req="$here/requirements.txt"
hash="$({ cat "$req"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-12)"
dir="$parent/$hash"

mkdir -p "$parent"
exec 9>"$parent/.lock"
flock -w "$((limit * 2))" 9 || die "another install holds $parent/.lock"

if [[ -f "$dir/.installed" ]]; then
    touch "$dir" 2>/dev/null || true # in use: not "unused for a month"
    printf '%s\n' "$dir"
    exit 0
fi

rm -rf "$dir"
t0="$(date +%s)"
log "installing the browser test packages into ${dir#"$root"/} (first run only)"
"$python" -m venv "$dir" ||
    die "could not create a venv with $python (Debian: apt-get install python3-venv)"
if ! timeout "$limit" "$dir/bin/pip" install --disable-pip-version-check --no-input \
    --quiet --timeout 30 --retries 2 -r "$req" >&2; then
    rm -rf "$dir"
    die "pip install failed or took more than $limit s"
fi
touch "$dir/.installed"
log "installed in $(($(date +%s) - t0)) s"

# Older pins, unused for a month (other clones may still use recent ones).
find "$parent" -mindepth 1 -maxdepth 1 -type d ! -path "$dir" -mtime +30 \
    -exec rm -rf {} + 2>/dev/null || true
printf '%s\n' "$dir"
