#!/usr/bin/env bash
# Boissipay: writes .env for docker compose from .env.example, replacing every `change-me`
# placeholder with its own random value (32 hex characters). Refuses to overwrite an
# existing .env unless --force is given.
#
# Usage: docker/init-env.sh [--force]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="$root/.env.example"
target="$root/.env"

if [[ -e "$target" && "${1:-}" != "--force" ]]; then
    echo "init-env: $target exists; keeping it (--force replaces it)" >&2
    exit 0
fi

random_hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

tmp="$(mktemp "$root/.env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
chmod 600 "$tmp"
while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^([A-Z0-9_]+)=change-me$ ]]; then
        line="${BASH_REMATCH[1]}=$(random_hex)"
    fi
    printf '%s\n' "$line"
done <"$example" >"$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "init-env: wrote $target with fresh secrets" >&2
