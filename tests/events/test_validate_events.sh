#!/usr/bin/env bash
# Self-test of tests/events/validate_events.py against asyncapi/boissipay.yaml.
#
# Builds one valid contract event and many broken variants in a temporary
# folder, and checks that the validator accepts the first and rejects each of
# the others (plus the edge cases: empty file, unknown type, --expect-types,
# an unusable AsyncAPI document). Also checks that every example embedded in
# the AsyncAPI document passes. Prints `N passed, M failed`; exits 1 if any
# check failed.
#
# Usage: tests/events/test_validate_events.sh [ASYNCAPI_FILE]
# The validator runs with /usr/bin/python3 (or $BP_PYTHON when set).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${BP_PYTHON:-/usr/bin/python3}
spec=${1:-$root/asyncapi/boissipay.yaml}
validator=$here/validate_events.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-events-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

# check NAME WANT_RC PATTERN... -- VALIDATOR_ARGS...
# Runs the validator with the spec and VALIDATOR_ARGS; passes when it exits
# with WANT_RC and its output matches every (extended regex) PATTERN.
check() {
    local name=$1 want_rc=$2
    shift 2
    local patterns=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        patterns+=("$1")
        shift
    done
    shift
    local rc=0
    "$py" "$validator" "$spec" "$@" >"$tmp/out" 2>&1 || rc=$?
    local ok=1 p
    [ "$rc" -eq "$want_rc" ] || ok=0
    for p in "${patterns[@]}"; do
        grep -Eq -- "$p" "$tmp/out" || ok=0
    done
    if [ "$ok" -eq 1 ]; then
        passed=$((passed + 1))
        echo "ok - $name"
    else
        failed=$((failed + 1))
        echo "not ok - $name (exit $rc, wanted $want_rc)"
        sed 's/^/    /' "$tmp/out"
    fi
}

# mutate NAME PYTHON_CODE: writes $tmp/NAME.jsonl, the good event after
# PYTHON_CODE has changed it (the event is the dict `e`).
mutate() {
    "$py" - "$tmp/good.jsonl" "$tmp/$1.jsonl" "$2" <<'EOF'
import json
import sys

src, dst, code = sys.argv[1:4]
with open(src, encoding="utf-8") as handle:
    e = json.loads(handle.readline())
exec(code)
with open(dst, "w", encoding="utf-8") as handle:
    handle.write(json.dumps(e) + "\n")
EOF
}

if [ ! -f "$spec" ]; then
    echo "missing AsyncAPI document: $spec" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# One valid contract.created event, on one line as on Kafka.
id=2b0f6c1e-4d7a-4f3b-9a8e-1c2d3e4f5a6b
cid=7d4e2a90-1b3c-4d5e-8f60-718293a4b5c6
tr -d '\n' >"$tmp/good.jsonl" <<EOF
{"specversion":"1.0","id":"$id","source":"/boissipay/contract",
"type":"contract.created","time":"2026-01-02T10:00:00.123Z","subject":"$cid",
"datacontenttype":"application/json","data":{"contractId":"$cid",
"contractRef":"CTR-TEST-001","contractType":"DEFERRED_BILLING",
"createdAt":"2026-01-02","activatedAt":"2026-01-05","expireAt":"2027-01-04",
"status":"ACTIVE","version":1,"updatedAt":"2026-01-02T10:00:00.123Z",
"distributor":{"distributorRef":"esgi SA","disributorRef":"esgi SA"},
"subscriber":{"subscriberRef":"ACME SA","subscriberType":"PROFESSIONNAL",
"customerRef":"ACME","party":{"customerId":"PRO-1","customerRef":"ACME"},
"contactPerson":{"lastName":"DOE","mail":"john.doe@acme.com"}},
"payment":{"mandate":{"reference":"MDT-1","iban":"FR76*******************0189",
"signedAt":"2026-01-02","status":"VALID"}},
"billing":{"creditLimit":{"amount":"5000.00","currency":"EUR","minorUnits":500000},
"paymentTermDays":30,"invoiceEmail":"ap@acme.com"}}}
EOF
echo >>"$tmp/good.jsonl"

check "valid event accepted" 0 "^ok contract.created $id\$" '^1 passed, 0 failed$' \
    -- "$tmp/good.jsonl"
check "valid event with --expect-types" 0 '^1 passed, 0 failed$' \
    -- "$tmp/good.jsonl" --expect-types contract.created
check "valid event read from stdin" 0 '^1 passed, 0 failed$' \
    -- - <"$tmp/good.jsonl"

# Broken variants: NAME, change, a pattern the FAIL line must contain.
bad_cases=(
    "status_bogus|e['data']['status'] = 'BOGUS'|/data/status"
    "missing_version|del e['data']['version']|'version' is a required property"
    "amount_number|e['data']['billing']['creditLimit']['amount'] = 5000|not of type 'string'"
    "amount_bad_text|e['data']['billing']['creditLimit']['amount'] = '5,000.00'|does not match"
    "minor_units_negative|e['data']['billing']['creditLimit']['minorUnits'] = -1|minorUnits"
    "minor_units_mismatch|e['data']['billing']['creditLimit']['minorUnits'] = 5000|differ"
    "too_many_decimals|e['data']['billing']['creditLimit'].update(amount='5000.000', minorUnits=5000000)|decimals"
    "currency_lowercase|e['data']['billing']['creditLimit']['currency'] = 'eur'|currency"
    "missing_billing|del e['data']['billing']|'billing' is a required property"
    "term_too_long|e['data']['billing']['paymentTermDays'] = 366|paymentTermDays"
    "extra_envelope_field|e['traceparent'] = '00-abc'|Additional properties"
    "missing_subject|del e['subject']|'subject' is a required property"
    "wrong_specversion|e['specversion'] = '0.3'|/specversion"
    "wrong_source|e['source'] = '/boissipay/billing'|/source"
    "wrong_datacontenttype|e['datacontenttype'] = 'text/plain'|/datacontenttype"
    "id_not_uuid|e['id'] = 'event-1'|is not a 'uuid'"
    "time_not_rfc3339|e['time'] = '2026-01-02 10:00:00'|/time"
    "time_not_utc|e['time'] = '2026-01-02T11:00:00.123+01:00'|/time"
    "bad_calendar_date|e['data']['expireAt'] = '2027-02-30'|/data/expireAt"
    "subject_not_contract|e['subject'] = '00000000-0000-4000-8000-000000000000'|/subject"
    "version_zero|e['data']['version'] = 0|/data/version"
    "created_not_version_1|e['data']['version'] = 2|/data/version"
    "created_suspended|e['data']['status'] = 'SUSPENDED'|/data/status"
    "iban_not_masked|e['data']['payment']['mandate']['iban'] = 'FR7630006000011234567890189'|/data/payment/mandate/iban"
    "revoked_without_date|e['data']['payment']['mandate']['status'] = 'REVOKED'|'revokedAt' is a required property"
    "mandate_status_bogus|e['data']['payment']['mandate']['status'] = 'EXPIRED'|/data/payment/mandate/status"
    "reason_on_active|e['data']['cancellationReason'] = 'oops'|cancellationReason"
    "bad_gender|e['data']['subscriber']['contactPerson']['gender'] = 'X'|gender"
    "missing_mail|del e['data']['subscriber']['contactPerson']['mail']|'mail' is a required property"
    "bad_invoice_email|e['data']['billing']['invoiceEmail'] = 'nobody'|invoiceEmail"
    "data_not_object|e['data'] = 'x'|/data"
    "unknown_type|e['type'] = 'contract.renamed'|contract.renamed $id: unknown event type"
    "no_type|del e['type']|\\? $id: no type"
)
for case in "${bad_cases[@]}"; do
    IFS='|' read -r name code pattern <<<"$case"
    mutate "$name" "$code"
    check "rejects $name" 1 "^FAIL .*$pattern" '^0 passed, 1 failed$' \
        -- "$tmp/$name.jsonl"
done

# Other event types: a good cancellation, then one without its reason.
mutate cancelled "e['type'] = 'contract.cancelled'; e['data'].update(status='CANCELLED', version=5, cancellationReason='Customer left')"
check "valid contract.cancelled accepted" 0 '^ok contract.cancelled ' -- "$tmp/cancelled.jsonl"
mutate cancelled_no_reason "e['type'] = 'contract.cancelled'; e['data'].update(status='CANCELLED', version=5)"
check "rejects contract.cancelled without reason" 1 "cancellationReason" \
    -- "$tmp/cancelled_no_reason.jsonl"
mutate revoked_wrong_state "e['type'] = 'contract.mandate-revoked'; e['data']['version'] = 3"
check "rejects contract.mandate-revoked with a VALID mandate" 1 "/data/payment/mandate/status" \
    -- "$tmp/revoked_wrong_state.jsonl"

# Mixed file, garbage lines, empty file, --expect-types.
cat "$tmp/good.jsonl" "$tmp/status_bogus.jsonl" >"$tmp/mixed.jsonl"
check "mixed file counts both" 1 '^ok contract.created ' '^1 passed, 1 failed$' \
    -- "$tmp/mixed.jsonl"
{ cat "$tmp/good.jsonl"; echo; echo 'not json'; echo '[1, 2]'; } >"$tmp/garbage.jsonl"
check "rejects lines that are not JSON objects" 1 '^FAIL \? line3: not JSON' \
    '^FAIL \? line4: not a JSON object' '^1 passed, 2 failed$' -- "$tmp/garbage.jsonl"
: >"$tmp/empty.jsonl"
check "rejects an empty file" 1 '^FAIL no events' '^0 passed, 1 failed$' -- "$tmp/empty.jsonl"
printf '\n  \n' >"$tmp/blank.jsonl"
check "rejects a file of blank lines" 1 '^FAIL no events' -- "$tmp/blank.jsonl"
check "rejects a missing expected type" 1 '^FAIL contract.expired -: expected type never appeared' \
    '^1 passed, 1 failed$' -- "$tmp/good.jsonl" --expect-types contract.created,contract.expired
check "missing events file is an error" 2 'cannot read' -- "$tmp/absent.jsonl"

# An unusable AsyncAPI document.
sed 's|#/components/schemas/ContractState|#/components/schemas/NoSuchSchema|' "$spec" >"$tmp/broken.yaml"
rc=0
"$py" "$validator" "$tmp/broken.yaml" "$tmp/good.jsonl" >"$tmp/out" 2>&1 || rc=$?
if [ "$rc" -eq 2 ] && grep -q 'NoSuchSchema' "$tmp/out"; then
    passed=$((passed + 1)); echo "ok - unresolved \$ref rejected"
else
    failed=$((failed + 1)); echo "not ok - unresolved \$ref rejected (exit $rc)"; sed 's/^/    /' "$tmp/out"
fi

# Every example of the AsyncAPI document is itself valid, and the nine
# contract event types all have one.
"$py" - "$spec" >"$tmp/examples.jsonl" <<'EOF'
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    doc = yaml.safe_load(handle)
for message in (doc.get("components", {}).get("messages") or {}).values():
    for example in message.get("examples") or []:
        if "payload" in example:
            print(json.dumps(example["payload"], separators=(",", ":")))
EOF
contract_types=contract.created,contract.activated,contract.suspended,contract.reactivated
contract_types+=,contract.cancelled,contract.expired,contract.mandate-signed
contract_types+=,contract.mandate-revoked,contract.credit-limit-changed
check "AsyncAPI examples are valid" 0 '^[0-9]+ passed, 0 failed$' \
    -- "$tmp/examples.jsonl" --expect-types "$contract_types"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
