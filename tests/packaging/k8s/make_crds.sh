#!/usr/bin/env bash
# Boissipay: makes the operator CRDs the Kubernetes packaging check validates against, from
# the versions pinned in pins.env, into DIR (tools.sh crds calls it, then checks every file
# against crds.sha256):
#   DIR/strimzi/{040-Crd-kafka,043-Crd-kafkatopic,045-Crd-kafkanodepool}.yaml
#       Strimzi publishes no CRD file to a package registry, but its `api` artifact (Maven
#       Central) holds the classes the CRDs are generated from, and its pom the generator's
#       arguments: the same arguments here, with the newest generator published there.
#   DIR/cnpg/postgresql.cnpg.io_{clusters,scheduledbackups}.yaml
#       as CloudNativePG's Go module ships them (config/crd/bases/), from the Go module proxy
#       (go verifies the module against its checksum database).
#
# Usage: make_crds.sh DIR        (to update a pin: edit pins.env, run this, then
#                                  `(cd DIR && sha256sum strimzi/*.yaml cnpg/*.yaml) > crds.sha256`)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:?usage: make_crds.sh DIR}"
# shellcheck source=tests/packaging/k8s/pins.env
source "$here/pins.env"
mkdir -p "$dir/strimzi" "$dir/cnpg" "$dir/strimzi-libs"

# --- Strimzi ------------------------------------------------------------------------------
if ! mvn -q -B -Dstyle.color=never -f "$here/strimzi-crds.pom.xml" dependency:copy-dependencies \
    -Dstrimzi.api.version="$STRIMZI_API_VERSION" -Dstrimzi.crdgen.version="$STRIMZI_CRD_GENERATOR_VERSION" \
    -DoutputDirectory="$dir/strimzi-libs" >"$dir/mvn.log" 2>&1; then
    cat "$dir/mvn.log" >&2
    exit 1
fi
rm -f "$dir/mvn.log"
generate() { # generate API_VERSIONS STORAGE_VERSION CLASS=FILE [extra arguments...]
    local versions="$1" storage="$2" target="$3"
    shift 3
    java -cp "$dir/strimzi-libs/*" io.strimzi.crdgenerator.CrdGenerator \
        --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
        --crd-api-version v1 --api-versions "$versions" --storage-version "$storage" "$@" \
        --yaml "$target" 2>"$dir/strimzi/generator.log"
}
generate v1beta2,v1 v1beta2 \
    "io.strimzi.api.kafka.model.kafka.Kafka=$dir/strimzi/040-Crd-kafka.yaml" \
    --describe-api-versions v1alpha1
generate v1alpha1,v1beta1,v1beta2,v1 v1beta2 \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$dir/strimzi/043-Crd-kafkatopic.yaml"
generate v1beta2,v1 v1beta2 \
    "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$dir/strimzi/045-Crd-kafkanodepool.yaml"
rm -rf "$dir/strimzi-libs" "$dir/strimzi/generator.log"

# --- CloudNativePG ---------------------------------------------------------------------------
module="github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION"
moddir="$(cd "$dir" && GOTOOLCHAIN=local go mod download -json "$module" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "$moddir" && -d "$moddir/config/crd/bases" ]] || {
    echo "make_crds.sh: no config/crd/bases in $module" >&2
    exit 1
}
for crd in clusters scheduledbackups; do
    cp "$moddir/config/crd/bases/postgresql.cnpg.io_$crd.yaml" "$dir/cnpg/"
done
chmod 0644 "$dir"/cnpg/*.yaml
