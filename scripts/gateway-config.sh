#!/usr/bin/env bash
# Boissipay: writes the gateway's nginx configuration from deploy/nginx/boissipay.conf.template.
#
#   scripts/gateway-config.sh OUT PREFIX LISTEN CONTRACT BILLING PAYMENT MAILER [CONSOLE]
#
# PREFIX: the folder of nginx's pid, temporary files and logs (created, with logs/ and tmp/);
# LISTEN: what `listen` takes (8000, 127.0.0.1:8000); CONTRACT ... MAILER: host:port of each
# daemon; CONSOLE: the console's folder (default: console/ of this clone). The logs are
# PREFIX/logs/access.log and error.log. Then: nginx -p PREFIX -e PREFIX/logs/error.log -c OUT [-t].
# Only the ${BP_GW_*} placeholders are replaced, as the compose service's envsubst does.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if (($# < 7)); then
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
out="$1" prefix="$2" listen="$3"
contract="$4" billing="$5" payment="$6" mailer="$7"
console="${8:-$root/console}"
mkdir -p "$prefix/logs" "$prefix/tmp"
prefix="$(cd "$prefix" && pwd)"
console="$(cd "$console" && pwd)"
for v in "$prefix" "$listen" "$contract" "$billing" "$payment" "$mailer" "$console"; do
    [[ "$v" != *[\|\;\{\}\'\"[:space:]]* ]] || {
        printf 'gateway-config.sh: unusable value %q\n' "$v" >&2
        exit 2
    }
done
sed -e "s|\${BP_GW_PREFIX}|$prefix|g" \
    -e "s|\${BP_GW_ACCESS_LOG}|$prefix/logs/access.log|g" \
    -e "s|\${BP_GW_ERROR_LOG}|$prefix/logs/error.log|g" \
    -e "s|\${BP_GW_LISTEN}|$listen|g" \
    -e "s|\${BP_GW_CONTRACT}|$contract|g" \
    -e "s|\${BP_GW_BILLING}|$billing|g" \
    -e "s|\${BP_GW_PAYMENT}|$payment|g" \
    -e "s|\${BP_GW_MAILER}|$mailer|g" \
    -e "s|\${BP_GW_CONSOLE}|$console|g" \
    "$root/deploy/nginx/boissipay.conf.template" >"$out.tmp"
# shellcheck disable=SC2016 # the placeholders are literal text
if grep -q '\${BP_GW_[A-Z_]*}' "$out.tmp"; then
    # shellcheck disable=SC2016
    printf 'gateway-config.sh: placeholders left: %s\n' "$(grep -o '\${BP_GW_[A-Z_]*}' "$out.tmp" | sort -u | tr '\n' ' ')" >&2
    rm -f "$out.tmp"
    exit 1
fi
mv "$out.tmp" "$out"
