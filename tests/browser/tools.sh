#!/usr/bin/env bash
# Boissipay browser tests: prints the folder of the venv with their pinned Python packages
# (requirements.txt beside this file: Selenium and what it pulls in), installed once per user
# by tests/packaging/tools.sh (kind `browser`: cached, locked, bounded in time, like the
# other pinned tools). First it checks that Debian's chromium and chromium-driver are
# installed (scripts/install-deps.sh): the tests drive that browser with that driver and
# never download one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in chromium chromedriver; do
    command -v "$tool" >/dev/null || {
        printf '[browser-tools] ERROR: %s is missing (scripts/install-deps.sh installs chromium and chromium-driver)\n' \
            "$tool" >&2
        exit 1
    }
done
exec bash "$here/../packaging/tools.sh" browser
