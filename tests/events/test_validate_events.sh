#!/usr/bin/env bash
# Self-test of tests/events/validate_events.py against asyncapi/boissipay.yaml.
#
# Builds one valid contract event, valid operation events (accepted and
# rejected) and many broken variants of each in a temporary folder, and checks
# that the validator accepts the valid ones and rejects each of the others
# (plus the edge cases: empty file, unknown type, --expect-types, an unusable
# AsyncAPI document). Also checks that every example embedded in the AsyncAPI
# document passes. Prints `N passed, M failed`; exits 1 if any check failed.
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
    mutate_from good "$@"
}

# mutate_from SOURCE NAME PYTHON_CODE: the same, from $tmp/SOURCE.jsonl.
mutate_from() {
    "$py" - "$tmp/$1.jsonl" "$tmp/$2.jsonl" "$3" <<'EOF'
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

# Operation events: a valid operation.accepted (a purchase whose VAT is rounded
# per line: 16.80 at 5.5 % is 0.924 -> 0.92) and a valid operation.rejected
# for a contract billing does not know (empty contractId, key = contractRef).
oid=5d0c2b8e-7f1a-4e3b-9c6d-2a4f8e1b3c70
eid=8e3f1a2b-6c4d-4e5f-9a0b-1c2d3e4f5a6b
tr -d '\n' >"$tmp/op_good.jsonl" <<EOF
{"specversion":"1.0","id":"$eid","source":"/boissipay/billing",
"type":"operation.accepted","time":"2026-11-20T09:15:00.125Z","subject":"$oid",
"datacontenttype":"application/json","data":{"operationId":"$oid",
"status":"ACCEPTED","contractId":"$cid","contractRef":"CTR-TEST-001",
"operationType":"PURCHASE","operationAt":"2026-11-20T10:14:58+01:00",
"operationDate":"2026-11-20","customerRef":"ACME",
"contact":{"firstName":"John","lastName":"DOE"},
"order":{"orderRef":"ORD-1","currencyCode":"EUR","orderType":"PS",
"orderItems":[{"deliveredOn":"2026-11-20","productItems":[
{"productRef":"TGV-PARIS-LYON","quantity":2,"unitPrice":8.4,"vatRate":5.5,
"amountWithoutTax":16.8,"amountTax":0.92,"amountWithTax":17.72},
{"productLabel":"Frais de port","packaging":"PCE","quantity":1,"unitPrice":2.8,
"vatRate":20.0,"amountWithoutTax":2.8,"amountTax":0.56,"amountWithTax":3.36}]}],
"totalWithoutTax":19.6,"totalTax":1.48,"totalWithTax":21.08,"totalWithTaxMinor":2108},
"createdAt":"2026-11-20T09:15:00.123Z"}}
EOF
echo >>"$tmp/op_good.jsonl"
mutate_from op_good op_rejected "e['type'] = 'operation.rejected'; e['data'].update(status='REJECTED', contractId='', contractRef='CTR-NOPE', rejection={'code': 'CONTRACT_UNKNOWN', 'message': 'billing knows no such contract'})"

check "valid operation.accepted accepted" 0 "^ok operation.accepted $eid\$" '^1 passed, 0 failed$' \
    -- "$tmp/op_good.jsonl" --expect-types operation.accepted
check "valid operation.rejected (unknown contract) accepted" 0 "^ok operation.rejected $eid\$" \
    '^1 passed, 0 failed$' -- "$tmp/op_rejected.jsonl"
mutate_from op_good op_refund "e['data'].update(operationType='REFUND', refundOf='ORD-0')"
check "valid refund accepted" 0 '^1 passed, 0 failed$' -- "$tmp/op_refund.jsonl"
mutate_from op_rejected op_unknown_by_id "e['data'].update(contractId='CONTRACT-HGDU12687628', contractRef='')"
check "valid rejection of an unknown contractId accepted" 0 '^1 passed, 0 failed$' \
    -- "$tmp/op_unknown_by_id.jsonl"
mutate_from op_good op_limit "e['type'] = 'operation.rejected'; e['data'].update(status='REJECTED', rejection={'code': 'CREDIT_LIMIT_EXCEEDED', 'message': 'too much'})"
check "valid credit-limit rejection accepted" 0 '^1 passed, 0 failed$' -- "$tmp/op_limit.jsonl"
mutate_from op_good op_jpy "o = e['data']['order']; o.update(currencyCode='JPY', orderItems=[{'productItems': [{'quantity': 3, 'unitPrice': 1500.0, 'vatRate': 10.0, 'amountWithoutTax': 4500.0, 'amountTax': 450.0, 'amountWithTax': 4950.0}]}], totalWithoutTax=4500.0, totalTax=450.0, totalWithTax=4950.0, totalWithTaxMinor=4950)"
check "valid JPY operation accepted" 0 '^1 passed, 0 failed$' -- "$tmp/op_jpy.jsonl"

# Broken operation events: SOURCE, NAME, change, a pattern the FAIL line must contain.
op_bad_cases=(
    "op_good|op_wrong_source|e['source'] = '/boissipay/contract'|/source"
    "op_good|op_subject_is_contract|e['subject'] = e['data']['contractId']|/subject: .* is not data.operationId"
    "op_good|op_subject_not_uuid|e['subject'] = 'ORD-1'|/subject"
    "op_good|op_extra_envelope_field|e['partitionkey'] = 'x'|Additional properties"
    "op_good|op_minor_mismatch|e['data']['order']['totalWithTaxMinor'] = 2107|totalWithTaxMinor 2107 is not totalWithTax"
    "op_good|op_minor_missing|del e['data']['order']['totalWithTaxMinor']|'totalWithTaxMinor' is a required property"
    "op_good|op_total_as_string|e['data']['order']['totalWithTax'] = '21.08'|not of type 'number'"
    "op_good|op_order_array|e['data']['order'] = [e['data']['order']]|/data/order: an array is not of type 'object'"
    "op_good|op_line_tax_wrong|e['data']['order']['orderItems'][0]['productItems'][1].update(amountTax=0.59, amountWithTax=3.39)|productItems/1/amountTax: 0.59 should be 0.56"
    "op_good|op_tax_not_rounded|e['data']['order']['orderItems'][0]['productItems'][0].update(amountTax=0.924)|more decimals"
    "op_good|op_total_not_sum|e['data']['order']['totalTax'] = 1.49|totalTax: 1.49 is not the sum"
    "op_good|op_negative_price|e['data']['order']['orderItems'][0]['productItems'][0]['unitPrice'] = -8.4|unitPrice"
    "op_good|op_quantity_zero|e['data']['order']['orderItems'][0]['productItems'][0]['quantity'] = 0|quantity"
    "op_good|op_no_lines|e['data']['order']['orderItems'] = []|orderItems"
    "op_good|op_accepted_with_rejection|e['data']['rejection'] = {'code': 'CONTRACT_UNKNOWN', 'message': 'x'}|'rejection' must not be present"
    "op_good|op_accepted_but_rejected_status|e['data'].update(status='REJECTED', rejection={'code': 'MANDATE_INVALID', 'message': 'x'})|/data/status"
    "op_good|op_accepted_no_contract_id|e['data']['contractId'] = ''|/data/contractId"
    "op_good|op_accepted_no_contract_ref|e['data']['contractRef'] = ''|/data/contractRef"
    "op_good|op_refund_without_refund_of|e['data']['operationType'] = 'REFUND'|'refundOf' is a required property"
    "op_good|op_purchase_with_refund_of|e['data']['refundOf'] = 'ORD-0'|'refundOf' must not be present"
    "op_good|op_status_bogus|e['data']['status'] = 'PENDING'|/data/status"
    "op_good|op_operation_at_no_offset|e['data']['operationAt'] = '2026-11-20T10:14:58'|/data/operationAt"
    "op_good|op_operation_date_bad|e['data']['operationDate'] = '2026-02-30'|/data/operationDate"
    "op_good|op_created_at_not_utc|e['data']['createdAt'] = '2026-11-20T10:15:00.123+01:00'|/data/createdAt"
    "op_good|op_missing_operation_id|del e['data']['operationId']|'operationId' is a required property"
    "op_jpy|op_jpy_cents|e['data']['order']['totalWithTaxMinor'] = 495000|totalWithTaxMinor 495000 is not totalWithTax"
    "op_rejected|op_rejected_without_rejection|del e['data']['rejection']|'rejection' is a required property"
    "op_rejected|op_rejection_code_bogus|e['data']['rejection']['code'] = 'BOGUS'|/data/rejection/code"
    "op_rejected|op_rejection_no_message|del e['data']['rejection']['message']|'message' is a required property"
    "op_rejected|op_rejected_but_accepted_status|e['data']['status'] = 'ACCEPTED'|/data/status"
    "op_rejected|op_unknown_without_any_contract|e['data']['contractRef'] = ''|/data: an object is not valid under any"
    "op_limit|op_known_contract_empty_id|e['data']['contractId'] = ''|/data/contractId"
)
for case in "${op_bad_cases[@]}"; do
    IFS='|' read -r src name code pattern <<<"$case"
    mutate_from "$src" "$name" "$code"
    check "rejects $name" 1 "^FAIL .*$pattern" '^0 passed, 1 failed$' \
        -- "$tmp/$name.jsonl"
done

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
# contract event types and the two operation event types all have one.
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
    -- "$tmp/examples.jsonl" --expect-types "$contract_types,operation.accepted,operation.rejected"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
