#!/usr/bin/env bash
# Boissipay: installs what building, testing and running the native stack needs
# (Debian packages, then the Kafka broker jars from Maven Central). Idempotent and quick
# when nothing is missing; works unattended (CI=true, no terminal).
set -euo pipefail

BP_LOG_TAG="install-deps"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/kafka.sh
source "$BP_ROOT/scripts/lib/kafka.sh"

# BP_DEPS_BUILD_ONLY=1 (the build stage of docker/Dockerfile): only what compiling the
# daemons needs; no PostgreSQL server, no Java, Maven or Kafka jars, no test tools.
BUILD_PACKAGES=(
    build-essential cmake pkg-config
    librdkafka-dev libmicrohttpd-dev libpq-dev libjansson-dev libcmocka-dev libcurl4-openssl-dev
    # The PDF invoices (lib/common/bp_invoice_pdf.c): cairo and pango, the font they use,
    # and fontconfig's system font cache (fc-cache).
    libcairo2-dev libpango1.0-dev fonts-dejavu-core fontconfig
)
if [[ "${BP_DEPS_BUILD_ONLY:-0}" == 1 ]]; then
    PACKAGES=("${BUILD_PACKAGES[@]}")
else
    PACKAGES=(
        "${BUILD_PACKAGES[@]}"
        postgresql postgresql-contrib kcat curl maven clang-format
        python3-jsonschema python3-yaml python3-venv python3-aiosmtpd yamllint procps tzdata openssl
        # pdftotext: the tests read the text back out of the PDF invoices.
        poppler-utils
        # Prometheus for `scripts/stack.sh --observe`; its promtool for the packaging checks.
        prometheus
        # The libFuzzer harnesses (tests/fuzz): clang and its runtime (-fsanitize=fuzzer).
        clang libclang-rt-14-dev
        # The browser tests (tests/browser): a real headless Chromium and its WebDriver,
        # driven by Selenium (PyPI, tests/browser/requirements.txt).
        chromium chromium-driver
        # The gateway in front of the daemons, serving the console (deploy/nginx/).
        nginx
    )
    # Maven and Kafka need a Java runtime; any java already on PATH will do.
    if ! bp_have java; then
        PACKAGES+=(default-jre-headless)
    fi
    # The Kubernetes packaging check takes CloudNativePG's CRDs from its Go module
    # (go mod download); any go will do.
    if ! bp_have go; then
        PACKAGES+=(golang-go)
    fi
    # The packaging tests validate the AsyncAPI spec with Node; any node and npm will do.
    if ! bp_have node || ! bp_have npm; then
        PACKAGES+=(nodejs npm)
    fi
fi

installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    bp_log "Debian packages: all ${#PACKAGES[@]} present"
else
    SUDO=()
    if ((EUID != 0)); then
        bp_have sudo || bp_die "not root and no sudo: install ${missing[*]} by hand"
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    t0="$(bp_now_ms)"
    # The postgresql package would start the system cluster on port 5432; we run our own
    # clusters only, so services stay down while packages install.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
        trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    bp_log "installing ${missing[*]}"
    mkdir -p "$BP_STACK_DIR"
    apt_log="$BP_STACK_DIR/install-deps.log"
    if ! { "${SUDO[@]}" apt-get update -q &&
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; } \
        </dev/null >"$apt_log" 2>&1; then
        bp_tail_log "$apt_log" 40
        bp_die "apt-get failed (log: $apt_log)"
    fi
    bp_log "Debian packages installed ($(bp_elapsed "$t0"))"
fi

if [[ "${BP_DEPS_BUILD_ONLY:-0}" != 1 ]]; then
    kafka_ensure_libs
    bp_log "Kafka jars: present in ${KAFKA_LIBS#"$BP_ROOT"/}"
fi
