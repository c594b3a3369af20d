#!/usr/bin/env bash
# Boissipay packaging tests: installs their pinned tools once and prints where they are.
#
#   tools.sh python        a venv (Debian's /usr/bin/python3) with requirements.txt
#   tools.sh schemathesis  a venv of its own with tests/api/requirements.txt (contract fuzzing)
#   tools.sh node          a folder with node_modules/ from package.json + package-lock.json
#   tools.sh k8s           a venv of its own with requirements-k8s.txt (kubernetes-validate, checkov)
#   tools.sh browser       a venv of its own with tests/browser/requirements.txt (Selenium)
#   tools.sh kustomize     a folder with bin/kustomize (go install, version in k8s/pins.env)
#   tools.sh crds          a folder with the Strimzi and CloudNativePG CRDs of k8s/pins.env
#                          (strimzi/*.yaml generated from Maven Central's jars, cnpg/*.yaml
#                          from the operator's Go module), checked against k8s/crds.sha256
#
# Prints the folder on stdout. Installs live in the user's cache, shared by every clone
# (${XDG_CACHE_HOME:-~/.cache}/boissipay/tools; .stack/tools/ in the clone when that is not
# writable; BP_TOOLS_DIR overrides), named by a hash of the pins, so a change of pins
# installs afresh. A lock serialises concurrent tests; every install step is bounded in
# time (BP_TOOLS_TIMEOUT seconds, 300 by default). When nothing is missing it only checks a
# stamp file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/boissipay/tools"
if [[ -n "${BP_TOOLS_DIR:-}" ]]; then
    tools_dir="$BP_TOOLS_DIR"
elif mkdir -p "$cache" 2>/dev/null && [[ -w "$cache" ]]; then
    tools_dir="$cache"
else
    tools_dir="$root/.stack/tools"
fi
limit="${BP_TOOLS_TIMEOUT:-300}"
python="${BP_PYTHON:-/usr/bin/python3}"

log() { printf '[packaging-tools] %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

kind="${1:-}"
case "$kind" in
python)
    inputs=("$here/requirements.txt")
    salt="$("$python" -c 'import sys; print(sys.version)')"
    ;;
schemathesis)
    inputs=("$root/tests/api/requirements.txt")
    salt="$("$python" -c 'import sys; print(sys.version)')"
    ;;
k8s)
    inputs=("$here/requirements-k8s.txt")
    salt="$("$python" -c 'import sys; print(sys.version)')"
    ;;
browser)
    inputs=("$root/tests/browser/requirements.txt")
    salt="$("$python" -c 'import sys; print(sys.version)')"
    ;;
kustomize)
    command -v go >/dev/null || die "go is needed to build kustomize (the machine's Go toolchain)"
    inputs=("$here/k8s/pins.env")
    salt="$(go version)"
    ;;
crds)
    for t in go java mvn; do
        command -v "$t" >/dev/null || die "$t is needed for the CRDs (scripts/install-deps.sh installs Java and Maven)"
    done
    inputs=("$here/k8s/pins.env" "$here/k8s/strimzi-crds.pom.xml" "$here/k8s/make_crds.sh" "$here/k8s/crds.sha256")
    salt=""
    ;;
node)
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        die "node and npm are needed (scripts/install-deps.sh installs them)"
    fi
    inputs=("$here/package.json" "$here/package-lock.json")
    salt="$(node --version)"
    ;;
*) die "usage: $0 python|schemathesis|k8s|browser|kustomize|crds|node" ;;
esac

hash="$({ cat "${inputs[@]}"; printf '%s\n' "$salt"; } | sha256sum | cut -c1-12)"
dir="$tools_dir/$kind-$hash"

mkdir -p "$tools_dir"
exec 9>"$tools_dir/.lock"
flock -w "$((limit * 2))" 9 || die "another install holds $tools_dir/.lock"

if [[ -f "$dir/.installed" ]]; then
    touch "$dir" 2>/dev/null || true # in use: not "unused for a month"
    printf '%s\n' "$dir"
    exit 0
fi

rm -rf "$dir"
t0="$(date +%s)"
log "installing the $kind tools into ${dir#"$root"/} (first run only)"
case "$kind" in
python | schemathesis | k8s | browser)
    "$python" -m venv "$dir" ||
        die "could not create a venv with $python (Debian: apt-get install python3-venv)"
    if ! timeout "$limit" "$dir/bin/pip" install --disable-pip-version-check --no-input \
        --quiet --timeout 30 --retries 2 -r "${inputs[0]}" >&2; then
        rm -rf "$dir"
        die "pip install failed or took more than $limit s"
    fi
    ;;
kustomize)
    # shellcheck source=tests/packaging/k8s/pins.env
    source "$here/k8s/pins.env"
    mkdir -p "$dir/bin"
    # The machine's own Go (no toolchain download); modules from the Go module proxy.
    if ! GOBIN="$dir/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod timeout "$limit" \
        go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2; then
        rm -rf "$dir"
        die "go install kustomize $KUSTOMIZE_VERSION failed or took more than $limit s"
    fi
    ;;
crds)
    # shellcheck source=tests/packaging/k8s/pins.env
    source "$here/k8s/pins.env"
    mkdir -p "$dir/strimzi" "$dir/cnpg"
    if ! timeout "$limit" "$here/k8s/make_crds.sh" "$dir" >&2; then
        rm -rf "$dir"
        die "the CRDs could not be made (tests/packaging/k8s/make_crds.sh)"
    fi
    if ! (cd "$dir" && sha256sum --quiet -c "$here/k8s/crds.sha256" >&2); then
        rm -rf "$dir"
        die "the CRDs made differ from tests/packaging/k8s/crds.sha256 (see docs/kubernetes.md to update the pins)"
    fi
    ;;
node)
    mkdir -p "$dir"
    cp "$here/package.json" "$here/package-lock.json" "$dir/"
    if ! (cd "$dir" && timeout "$limit" npm ci --no-audit --no-fund --loglevel=error \
        --fetch-timeout=30000 --fetch-retries=2 >&2); then
        rm -rf "$dir"
        die "npm ci failed or took more than $limit s"
    fi
    ;;
esac
touch "$dir/.installed"
log "installed in $(($(date +%s) - t0)) s"

# Older pins of the same kind, unused for a month (other clones may still use recent ones).
find "$tools_dir" -mindepth 1 -maxdepth 1 -type d -name "$kind-*" ! -path "$dir" -mtime +30 \
    -exec rm -rf {} + 2>/dev/null || true
printf '%s\n' "$dir"
