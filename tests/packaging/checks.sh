#!/usr/bin/env bash
# Boissipay packaging tests that need no Docker engine (ctest label `packaging`).
#
# Usage: tests/packaging/checks.sh CHECK [REPO_ROOT [BUILD_DIR]]
#   compose         docker-compose.yml parses and interpolates with .env.example (Docker
#                   Compose v2 itself, `config`), and refuses to start without each secret
#   hadolint        hadolint on docker/Dockerfile
#   yamllint        yamllint --strict with .yamllint on every YAML file of the repository
#   openapi         openapi-spec-validator on openapi/*.yaml
#   asyncapi        @asyncapi/parser on asyncapi/*.yaml
#   docker-scripts  docker/kafka-init.sh against a stub kafka-topics, docker/init-env.sh
#   k8s             deploy/k8s/: each overlay rendered by kubectl kustomize (and kustomize
#                   itself where Go is installed: the same output), every object against the
#                   Kubernetes schemas and the pinned operator CRDs plus the project's rules
#                   (k8s/k8s_validate.py, with its self-test), then a checkov scan with no
#                   finding (k8s/checkov*.yaml list the skipped checks and why). Needs the
#                   daemons built: BUILD_DIR (third argument) holds them.
# Pinned tools come from tests/packaging/tools.sh (installed once, in a cache shared by clones).
# Prints one line per check and `N passed, M failed`; exits 1 when a check failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check="${1:-}"
root="$(cd "${2:-$here/../..}" && pwd)"
build="${3:-$root/build}"

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    printf 'ok    %s\n' "$1"
}
fail() {
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$1"
    if [[ -n "${2:-}" && -s "$2" ]]; then
        head -c 3000 "$2" | sed 's/^/      /'
        echo
    fi
}
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    ((failed == 0))
    exit
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bp-packaging.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Sets venv to the folder of the pinned Python tools, installing them the first time.
venv=""
python_tools() {
    venv="$("$here/tools.sh" python)" || {
        fail "install the pinned Python tools (tests/packaging/tools.sh python)"
        finish
    }
}

# --- compose ---------------------------------------------------------------------------
check_compose() {
    local compose
    python_tools
    # The wheel's bin/docker-compose wrapper drops the exit status: call the binary itself.
    compose="$("$venv/bin/python" -c \
        'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
    [[ -x "$compose" ]] || {
        fail "Docker Compose binary in $venv" && finish
    }
    # A clean environment: neither the caller's variables nor a local .env take part.
    run_compose() {
        env -i PATH=/usr/bin:/bin HOME="$tmp/home" DOCKER_CONFIG="$tmp/docker" \
            "$compose" --project-directory "$root" -f "$root/docker-compose.yml" "$@"
    }
    mkdir -p "$tmp/home" "$tmp/docker"
    printf 'using %s\n' "$(run_compose version 2>&1 | head -n 1)"

    if run_compose --env-file "$root/.env.example" config --quiet >"$tmp/out" 2>&1; then
        ok "docker compose config with .env.example"
    else
        fail "docker compose config with .env.example" "$tmp/out"
    fi
    if run_compose --env-file "$root/.env.example" config --format json >"$tmp/config.json" 2>"$tmp/out" &&
        /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/config.json"; then
        ok "the resolved configuration is valid JSON ($(/usr/bin/python3 -c \
            'import json, sys; print(len(json.load(open(sys.argv[1]))["services"]))' \
            "$tmp/config.json") services)"
    else
        fail "docker compose config --format json" "$tmp/out"
    fi

    # Each secret is required: without it, compose stops and names it.
    local secrets var
    secrets="$(sed -n 's/^\([A-Z0-9_]*\)=change-me$/\1/p' "$root/.env.example")"
    if [[ -n "$secrets" ]]; then
        ok "secrets found in .env.example: ${secrets//$'\n'/ }"
    else
        fail "no change-me secrets in .env.example"
    fi
    for var in $secrets; do
        grep -v "^$var=" "$root/.env.example" >"$tmp/env"
        if run_compose --env-file "$tmp/env" config --quiet >"$tmp/out" 2>&1; then
            fail "compose starts without $var (it must be \${$var:?...})"
        elif grep -q "$var" "$tmp/out"; then
            ok "compose refuses to start without $var"
        else
            fail "compose fails without $var but does not name it" "$tmp/out"
        fi
    done

    # A Compose plugin on this machine, if any, must agree (it needs no engine for this).
    if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
        if env -i PATH=/usr/bin:/bin:/usr/local/bin HOME="$tmp/home" docker compose \
            --project-directory "$root" -f "$root/docker-compose.yml" \
            --env-file "$root/.env.example" config --quiet >"$tmp/out" 2>&1; then
            ok "the machine's docker compose plugin agrees"
        else
            fail "docker compose (plugin) config" "$tmp/out"
        fi
    else
        echo "(no docker compose plugin on this machine: the pinned binary alone decides)"
    fi
}

# --- hadolint ----------------------------------------------------------------------------
check_hadolint() {
    python_tools
    printf 'using %s\n' "$("$venv/bin/hadolint" --version)"
    # Every rule, at every level (info included); exceptions are `# hadolint ignore=` lines
    # with a reason in the Dockerfile.
    if (cd "$root" && "$venv/bin/hadolint" --no-color --failure-threshold info \
        docker/Dockerfile) >"$tmp/out" 2>&1; then
        ok "hadolint docker/Dockerfile"
    else
        fail "hadolint docker/Dockerfile" "$tmp/out"
    fi
}

# --- yamllint -----------------------------------------------------------------------------
check_yamllint() {
    command -v yamllint >/dev/null || {
        fail "yamllint is installed (scripts/install-deps.sh installs it)" && finish
    }
    local files=()
    mapfile -t files < <(find "$root" \
        \( -path "$root/build*" -o -path "$root/.stack" -o -path "$root/.git" \
        -o -path "$root/tests/api/original-openapi" -o -name node_modules \) -prune -o \
        -type f \( -name '*.yml' -o -name '*.yaml' -o -name .yamllint \) -print | sort)
    printf 'using %s on %d files\n' "$(yamllint --version)" "${#files[@]}"
    local f
    for f in "${files[@]}"; do
        if yamllint --strict -c "$root/.yamllint" -f parsable "$f" >"$tmp/out" 2>&1; then
            ok "yamllint ${f#"$root"/}"
        else
            fail "yamllint ${f#"$root"/}" "$tmp/out"
        fi
    done
}

# --- OpenAPI, AsyncAPI ---------------------------------------------------------------------
check_openapi() {
    local f
    python_tools
    for f in "$root"/openapi/*.yaml; do
        if "$venv/bin/openapi-spec-validator" "$f" >"$tmp/out" 2>&1; then
            ok "OpenAPI ${f#"$root"/}"
        else
            fail "OpenAPI ${f#"$root"/}" "$tmp/out"
        fi
    done
}

check_asyncapi() {
    local dir out
    dir="$("$here/tools.sh" node)" || {
        fail "install the pinned Node tools (tests/packaging/tools.sh node)" && finish
    }
    out="$(node "$here/validate_asyncapi.cjs" "$dir" "$root"/asyncapi/*.yaml)"
    local rc=$?
    printf '%s\n' "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
    passed=$((passed + $(grep -c '^ok ' <<<"$out")))
    failed=$((failed + $(grep -c '^FAIL ' <<<"$out")))
    if ((rc != 0)) && ! grep -q '^FAIL ' <<<"$out"; then
        fail "the AsyncAPI validator ran (exit status $rc)"
    fi
}

# --- docker/kafka-init.sh and docker/init-env.sh --------------------------------------------
# A stub of kafka-topics that keeps its topics in $STUB_DIR: `name partitions` lines.
write_stub() {
    cat >"$tmp/kafka-topics" <<'EOF'
#!/usr/bin/env bash
set -u
echo "$*" >>"$STUB_DIR/calls"
if [[ -f "$STUB_DIR/down" ]]; then
    n=$(cat "$STUB_DIR/down")
    if ((n != 0)); then
        echo $((n - 1)) >"$STUB_DIR/down"
        echo "broker not available" >&2
        exit 1
    fi
fi
touch "$STUB_DIR/topics"
topic="" partitions="" action=""
while (($#)); do
    case "$1" in
    --list | --create | --describe) action="$1" ;;
    --topic) topic="$2"; shift ;;
    --partitions) partitions="$2"; shift ;;
    esac
    shift
done
case "$action" in
--list) cut -d' ' -f1 "$STUB_DIR/topics" ;;
--create) grep -q "^$topic " "$STUB_DIR/topics" || echo "$topic $partitions" >>"$STUB_DIR/topics" ;;
--describe)
    p=$(sed -n "s/^$topic //p" "$STUB_DIR/topics")
    [[ -n "$p" ]] || { echo "topic $topic does not exist" >&2; exit 1; }
    printf 'Topic: %s\tTopicId: x\tPartitionCount: %s\tReplicationFactor: 1\tConfigs: \n' "$topic" "$p"
    for ((i = 0; i < p; i++)); do printf '\tTopic: %s\tPartition: %d\tLeader: 0\n' "$topic" "$i"; done
    ;;
esac
EOF
    chmod +x "$tmp/kafka-topics"
}

run_init() { # run_init STUB_DIR [VAR=value...]
    local dir="$1"
    shift
    env -i PATH=/usr/bin:/bin STUB_DIR="$dir" KAFKA_TOPICS_BIN="$tmp/kafka-topics" \
        KAFKA_BOOTSTRAP=kafka:9092 TOPICS="contract operation invoice payment dead-letter" \
        TOPIC_PARTITIONS=3 KAFKA_INIT_RETRY_SECONDS=0 KAFKA_INIT_ATTEMPTS=5 "$@" \
        bash "$root/docker/kafka-init.sh" >"$dir/out" 2>&1
}

check_docker_scripts() {
    write_stub
    local s="$tmp/s1"
    mkdir -p "$s"
    if run_init "$s" && [[ "$(sort "$s/topics" | tr '\n' ' ')" == \
        "contract 3 dead-letter 3 invoice 3 operation 3 payment 3 " ]]; then
        ok "kafka-init creates the five topics with 3 partitions"
    else
        fail "kafka-init on an empty broker" "$s/out"
    fi
    : >"$s/calls"
    if run_init "$s" && ! grep -q -- --create "$s/calls"; then
        ok "kafka-init run again creates nothing and succeeds"
    else
        fail "kafka-init run again" "$s/out"
    fi

    s="$tmp/s2"
    mkdir -p "$s"
    echo "operation 1" >"$s/topics"
    if ! run_init "$s" && grep -q "operation has 1 partitions, 3 expected" "$s/out" &&
        grep -q "down -v" "$s/out"; then
        ok "kafka-init fails on a topic with another partition count"
    else
        fail "kafka-init with a 1-partition topic" "$s/out"
    fi

    s="$tmp/s3"
    mkdir -p "$s"
    echo 3 >"$s/down"
    if run_init "$s" && [[ "$(wc -l <"$s/topics")" == 5 ]]; then
        ok "kafka-init waits for the broker to answer"
    else
        fail "kafka-init with a broker that answers at the 4th attempt" "$s/out"
    fi

    s="$tmp/s4"
    mkdir -p "$s"
    echo 99 >"$s/down"
    if ! run_init "$s" && grep -q "did not answer after 5 attempts" "$s/out"; then
        ok "kafka-init gives up on a broker that never answers"
    else
        fail "kafka-init with a broker that never answers" "$s/out"
    fi

    s="$tmp/s5"
    mkdir -p "$s"
    run_init "$s" TOPIC_PARTITIONS=zero
    if [[ $? == 2 ]]; then
        ok "kafka-init rejects a bad TOPIC_PARTITIONS"
    else
        fail "kafka-init with TOPIC_PARTITIONS=zero" "$s/out"
    fi

    # init-env.sh in a scratch copy of the repository's top level.
    local r="$tmp/repo"
    mkdir -p "$r/docker"
    cp "$root/docker/init-env.sh" "$r/docker/"
    cp "$root/.env.example" "$r/"
    if bash "$r/docker/init-env.sh" >"$tmp/out" 2>&1 && [[ -f "$r/.env" ]]; then
        ok "init-env.sh writes .env"
    else
        fail "init-env.sh" "$tmp/out"
        finish
    fi
    if [[ "$(stat -c %a "$r/.env")" == 600 ]]; then
        ok ".env is private (mode 600)"
    else
        fail ".env mode is $(stat -c %a "$r/.env")"
    fi
    if ! grep -q "=change-me$" "$r/.env"; then
        ok ".env has no change-me value left"
    else
        fail ".env still has change-me" "$r/.env"
    fi
    local nsecrets nunique
    nsecrets="$(grep -c '=change-me$' "$r/.env.example")"
    nunique="$(grep -E '^[A-Z0-9_]+=[0-9a-f]{32}$' "$r/.env" | cut -d= -f2 | sort -u | wc -l)"
    if [[ "$nunique" == "$nsecrets" ]]; then
        ok "each of the $nsecrets secrets is its own 32-hex value"
    else
        fail "$nunique distinct 32-hex secrets for $nsecrets placeholders"
    fi
    if diff <(grep -v '=change-me$' "$r/.env.example") \
        <(grep -v -E '^[A-Z0-9_]+=[0-9a-f]{32}$' "$r/.env") >"$tmp/out"; then
        ok "init-env.sh keeps every other line"
    else
        fail "init-env.sh changed other lines" "$tmp/out"
    fi
    cp "$r/.env" "$tmp/env1"
    bash "$r/docker/init-env.sh" >/dev/null 2>&1
    if cmp -s "$r/.env" "$tmp/env1"; then
        ok "init-env.sh keeps an existing .env"
    else
        fail "init-env.sh replaced an existing .env without --force"
    fi
    bash "$r/docker/init-env.sh" --force >/dev/null 2>&1
    if ! cmp -s "$r/.env" "$tmp/env1"; then
        ok "init-env.sh --force writes new secrets"
    else
        fail "init-env.sh --force kept the old secrets"
    fi
}

# --- deploy/k8s ---------------------------------------------------------------------------------
# Runs a command without a network where the machine allows it (checkov looks for updates
# and guidelines otherwise; --skip-download should spare that anyway).
offline() {
    if unshare -n true 2>/dev/null; then
        unshare -n "$@"
    else
        "$@"
    fi
}

check_k8s() {
    local kdir="" crds kvenv overlay cfg
    kvenv="$("$here/tools.sh" k8s)" || {
        fail "install the pinned Kubernetes tools (tests/packaging/tools.sh k8s)" && finish
    }
    crds="$("$here/tools.sh" crds)" || {
        fail "make the pinned CRDs (tests/packaging/tools.sh crds)" && finish
    }
    # kustomize itself (the Go module) where a Go new enough for it is installed
    # (KUSTOMIZE_GO in pins.env), to agree with kubectl's.
    # shellcheck source=tests/packaging/k8s/pins.env
    source "$here/k8s/pins.env"
    local gominor=0
    if command -v go >/dev/null; then
        gominor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
    fi
    if ((${gominor:-0} >= ${KUSTOMIZE_GO#1.})); then
        kdir="$("$here/tools.sh" kustomize)" || {
            fail "install kustomize (tests/packaging/tools.sh kustomize)" && finish
        }
    fi
    printf 'using kubectl %s (kustomize %s), kubernetes-validate %s (Kubernetes %s), checkov %s,\n' \
        "$("$kvenv/bin/kubectl" version --client | sed -n 's/^Client Version: //p')" \
        "$("$kvenv/bin/kubectl" version --client | sed -n 's/^Kustomize Version: //p')" \
        "$("$kvenv/bin/kubernetes-validate" --version)" "$KUBERNETES_VERSIONS" \
        "$("$kvenv/bin/checkov" --version)"
    local second="no Go $KUSTOMIZE_GO here for kustomize $KUSTOMIZE_VERSION: kubectl kustomize alone renders"
    [[ -n "$kdir" ]] && second="kustomize $("$kdir/bin/kustomize" version) renders too"
    printf '      Strimzi %s CRDs (generator %s), CloudNativePG %s CRDs; %s\n' \
        "$STRIMZI_API_VERSION" "$STRIMZI_CRD_GENERATOR_VERSION" "$CNPG_VERSION" "$second"

    relay() { # relay OUTPUT_FILE: its ok/FAIL lines counted here, its summary line dropped
        grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$1"
        passed=$((passed + $(grep -c '^ok ' "$1")))
        failed=$((failed + $(grep -c '^FAIL ' "$1")))
    }
    for overlay in dev prod; do
        if "$kvenv/bin/kubectl" kustomize "$root/deploy/k8s/overlays/$overlay" \
            >"$tmp/$overlay.yaml" 2>"$tmp/out"; then
            ok "kubectl kustomize deploy/k8s/overlays/$overlay ($(grep -c '^kind:' "$tmp/$overlay.yaml") objects)"
        else
            fail "kubectl kustomize deploy/k8s/overlays/$overlay" "$tmp/out"
            continue
        fi
        if [[ -n "$kdir" ]]; then
            if "$kdir/bin/kustomize" build "$root/deploy/k8s/overlays/$overlay" >"$tmp/k.yaml" 2>"$tmp/out" &&
                diff "$tmp/$overlay.yaml" "$tmp/k.yaml" >"$tmp/out"; then
                ok "kustomize build deploy/k8s/overlays/$overlay renders the same objects"
            else
                fail "kustomize build deploy/k8s/overlays/$overlay differs from kubectl kustomize" "$tmp/out"
            fi
        fi
        local args=(--overlay "$overlay" --crds "$crds" --build "$build" --root "$root"
            --kubernetes-versions "$KUBERNETES_VERSIONS")
        local mode
        for mode in check self-test; do
            local extra=()
            [[ "$mode" == self-test ]] && extra=(--self-test)
            "$kvenv/bin/python" "$here/k8s/k8s_validate.py" "${args[@]}" "${extra[@]}" \
                "$tmp/$overlay.yaml" >"$tmp/v.out" 2>&1
            local rc=$?
            sed -i "s/^\(ok \|FAIL\)\(  *\)/\1\2[$overlay] /" "$tmp/v.out"
            relay "$tmp/v.out"
            if ((rc != 0)) && ! grep -q '^FAIL ' "$tmp/v.out"; then
                fail "[$overlay] k8s_validate.py $mode ran (exit status $rc)" "$tmp/v.out"
            fi
        done

        cfg="$here/k8s/checkov.yaml"
        [[ "$overlay" == dev ]] && cfg="$here/k8s/checkov-dev.yaml"
        local skips
        skips="$(sed -n 's/^  - \(CKV[0-9A-Z_]*\)$/\1/p' "$cfg" | tr '\n' ' ')"
        checkov_scan() { # checkov_scan FILE -> prints the number of failed checks, or "error"
            offline "$kvenv/bin/checkov" --config-file "$cfg" -f "$1" -o json >"$tmp/ck.json" 2>"$tmp/ck.err"
            "$kvenv/bin/python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
s = d["summary"]
print(s["failed"], s["passed"], s["parsing_errors"])
for c in d["results"]["failed_checks"]:
    print("      ", c["check_id"], c["check_name"], "-", c["resource"], file=sys.stderr)
' "$tmp/ck.json" 2>"$tmp/ck.failed" || echo "error"
        }
        local res nfail npass nparse
        res="$(checkov_scan "$tmp/$overlay.yaml")"
        read -r nfail npass nparse <<<"$res"
        if [[ "$nfail" == 0 && "$nparse" == 0 && "$npass" -gt 0 ]]; then
            ok "[$overlay] checkov: $npass checks passed, 0 failed (skipped with a reason: $skips)"
        elif [[ "$res" == error ]]; then
            fail "[$overlay] checkov ran" "$tmp/ck.err"
        else
            fail "[$overlay] checkov: $nfail failed, $nparse parsing errors" "$tmp/ck.failed"
        fi
        # and it does see a privileged root container
        "$kvenv/bin/python" "$here/k8s/k8s_validate.py" "${args[@]}" --write-broken "$tmp/broken.yaml" \
            "$tmp/$overlay.yaml"
        res="$(checkov_scan "$tmp/broken.yaml")"
        read -r nfail npass nparse <<<"$res"
        if [[ "$res" != error && "$nfail" -gt 0 ]]; then
            ok "[$overlay] checkov self-test: a privileged root container fails $nfail checks"
        else
            fail "[$overlay] checkov self-test: a privileged root container is not reported" "$tmp/ck.err"
        fi
    done
}

case "$check" in
compose) check_compose ;;
hadolint) check_hadolint ;;
yamllint) check_yamllint ;;
openapi) check_openapi ;;
asyncapi) check_asyncapi ;;
docker-scripts) check_docker_scripts ;;
k8s) check_k8s ;;
*)
    echo "usage: $0 compose|hadolint|yamllint|openapi|asyncapi|docker-scripts|k8s [REPO_ROOT [BUILD_DIR]]" >&2
    exit 2
    ;;
esac
finish
