#!/usr/bin/env bash
# Self-test of tests/events/validate_events.py against asyncapi/boissipay.yaml.
#
# Builds one valid contract event, valid operation events (accepted and
# rejected), one valid event of each type of the month-end cycle
# (invoice.issued, invoice.sent, payment.requested, payment.succeeded,
# payment.failed), a valid dead letter, and many broken variants of each in a
# temporary folder, and checks that the validator accepts the valid ones and
# rejects each of the others (plus the edge cases: empty file, unknown type,
# --expect-types, --channel, an unusable AsyncAPI document). Also checks that
# every example embedded in the AsyncAPI document passes. Prints
# `N passed, M failed`; exits 1 if any check failed.
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


def M(minor, currency="EUR"):
    """A Money object: minor units of `currency` (EUR 2, JPY 0, KWD 3, CLF 4 decimals)."""
    e = {"EUR": 2, "JPY": 0, "KWD": 3, "CLF": 4}[currency]
    sign, m = ("-" if minor < 0 else ""), abs(minor)
    text = str(m) if e == 0 else f"{m // 10**e}.{m % 10**e:0{e}d}"
    return {"amount": sign + text, "currency": currency, "minorUnits": minor}

src, dst, code = sys.argv[1:4]
with open(src, encoding="utf-8") as handle:
    e = json.loads(handle.readline())
exec(code)
with open(dst, "w", encoding="utf-8") as handle:
    handle.write(json.dumps(e) + "\n")
EOF
}

# batch WANT CASE...: the cases, each "SOURCE|NAME|CHANGE|PATTERN", checked with
# one run of the validator (each run costs a Python start-up). Each case is
# the first event of $tmp/SOURCE.jsonl with an `id` of its own (a UUID made
# from NAME) after CHANGE (Python code changing the event `e`); the case passes
# when its own result line is `ok` (WANT ok) or a FAIL line containing PATTERN
# (WANT fail), and the totals count every case.
batch() {
    local want=$1
    shift
    "$py" - "$tmp" "$@" >"$tmp/batch.ids" <<'EOF'
import json
import sys
import uuid


def M(minor, currency="EUR"):
    """A Money object: minor units of `currency` (EUR 2, JPY 0, KWD 3, CLF 4 decimals)."""
    e = {"EUR": 2, "JPY": 0, "KWD": 3, "CLF": 4}[currency]
    sign, m = ("-" if minor < 0 else ""), abs(minor)
    text = str(m) if e == 0 else f"{m // 10**e}.{m % 10**e:0{e}d}"
    return {"amount": sign + text, "currency": currency, "minorUnits": minor}

tmp = sys.argv[1]
with open(f"{tmp}/batch.jsonl", "w", encoding="utf-8") as out:
    for case in sys.argv[2:]:
        src, name, code = case.split("|")[:3]
        with open(f"{tmp}/{src}.jsonl", encoding="utf-8") as handle:
            e = json.loads(handle.readline())
        e["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "bp-events-test/" + name))
        exec(code, {"e": e, "M": M})
        out.write(json.dumps(e) + "\n")
        print(e["id"])
EOF
    local rc=0 n=$#
    "$py" "$validator" "$spec" "$tmp/batch.jsonl" >"$tmp/out" 2>&1 || rc=$?
    local ids=() case src name code pattern line i=0
    mapfile -t ids <"$tmp/batch.ids"
    for case in "$@"; do
        IFS='|' read -r src name code pattern <<<"$case"
        if [ "$want" = ok ]; then
            line=$(grep -E "^(ok|FAIL) [^ ]+ ${ids[$i]}(:|\$)" "$tmp/out")
            if grep -Eq "^ok [^ ]+ ${ids[$i]}\$" <<<"$line"; then
                passed=$((passed + 1)); echo "ok - accepts $name"
            else
                failed=$((failed + 1)); echo "not ok - accepts $name"; echo "    $line"
            fi
        else
            line=$(grep -E "^(ok|FAIL) [^ ]+ ${ids[$i]}(:|\$)" "$tmp/out")
            if grep -Eq -- "^FAIL [^ ]+ ${ids[$i]}: .*$pattern" <<<"$line"; then
                passed=$((passed + 1)); echo "ok - rejects $name"
            else
                failed=$((failed + 1)); echo "not ok - rejects $name"; echo "    $line"
            fi
        fi
        i=$((i + 1))
    done
    local want_rc=0 totals="^$n passed, 0 failed\$"
    if [ "$want" != ok ]; then
        want_rc=1 totals="^0 passed, $n failed\$"
    fi
    if [ "$rc" -eq "$want_rc" ] && grep -Eq "$totals" "$tmp/out"; then
        passed=$((passed + 1)); echo "ok - $n cases in one run: exit $rc, totals"
    else
        failed=$((failed + 1)); echo "not ok - $n cases in one run (exit $rc, wanted $want_rc)"
        tail -n 1 "$tmp/out" | sed 's/^/    /'
    fi
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
{"productRef":"TGV-PARIS-LYON","quantity":2,"unitPrice":{"amount":"8.40","currency":"EUR","minorUnits":840},"vatRate":5.5,
"amountWithoutTax":{"amount":"16.80","currency":"EUR","minorUnits":1680},"amountTax":{"amount":"0.92","currency":"EUR","minorUnits":92},
"amountWithTax":{"amount":"17.72","currency":"EUR","minorUnits":1772}},
{"productLabel":"Frais de port","packaging":"PCE","quantity":1,"unitPrice":{"amount":"2.80","currency":"EUR","minorUnits":280},
"vatRate":20.0,"amountWithoutTax":{"amount":"2.80","currency":"EUR","minorUnits":280},"amountTax":{"amount":"0.56","currency":"EUR","minorUnits":56},
"amountWithTax":{"amount":"3.36","currency":"EUR","minorUnits":336}}]}],
"totalWithoutTax":{"amount":"19.60","currency":"EUR","minorUnits":1960},"totalTax":{"amount":"1.48","currency":"EUR","minorUnits":148},
"totalWithTax":{"amount":"21.08","currency":"EUR","minorUnits":2108}},
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
mutate_from op_good op_jpy "o = e['data']['order']; o.update(currencyCode='JPY', orderItems=[{'productItems': [{'quantity': 3, 'unitPrice': M(1500, 'JPY'), 'vatRate': 10.0, 'amountWithoutTax': M(4500, 'JPY'), 'amountTax': M(450, 'JPY'), 'amountWithTax': M(4950, 'JPY')}]}], totalWithoutTax=M(4500, 'JPY'), totalTax=M(450, 'JPY'), totalWithTax=M(4950, 'JPY'))"
check "valid JPY operation accepted" 0 '^1 passed, 0 failed$' -- "$tmp/op_jpy.jsonl"

# Broken operation events: SOURCE, NAME, change, a pattern the FAIL line must contain.
op_bad_cases=(
    "op_good|op_wrong_source|e['source'] = '/boissipay/contract'|/source"
    "op_good|op_subject_is_contract|e['subject'] = e['data']['contractId']|/subject: .* is not data.operationId"
    "op_good|op_subject_not_uuid|e['subject'] = 'ORD-1'|/subject"
    "op_good|op_extra_envelope_field|e['partitionkey'] = 'x'|Additional properties"
    "op_good|op_minor_mismatch|e['data']['order']['totalWithTax']['minorUnits'] = 2107|totalWithTax: amount '21.08' and minorUnits 2107 differ"
    "op_good|op_total_missing|del e['data']['order']['totalWithTax']|'totalWithTax' is a required property"
    "op_good|op_total_as_string|e['data']['order']['totalWithTax'] = '21.08'|totalWithTax: '21.08' is not of type 'object'"
    "op_good|op_total_as_number|e['data']['order']['totalWithTax'] = 21.08|totalWithTax: 21.08 is not of type 'object'"
    "op_good|op_total_old_twin|e['data']['order'].update(totalWithTax=21.08, totalWithTaxMinor=2108)|totalWithTax: 21.08 is not of type 'object'"
    "op_good|op_money_amount_number|e['data']['order']['totalTax']['amount'] = 1.48|totalTax/amount: 1.48 is not of type 'string'"
    "op_good|op_money_no_minor|del e['data']['order']['totalTax']['minorUnits']|'minorUnits' is a required property"
    "op_good|op_money_extra|e['data']['order']['totalTax']['cents'] = 148|Additional properties"
    "op_good|op_money_other_currency|e['data']['order']['totalTax']['currency'] = 'USD'|totalTax: currency 'USD' is not the event's 'EUR'"
    "op_good|op_money_decimals|e['data']['order']['totalTax']['amount'] = '1.480'|amount '1.480' should have 2 decimals for EUR"
    "op_good|op_order_array|e['data']['order'] = [e['data']['order']]|/data/order: an array is not of type 'object'"
    "op_good|op_line_tax_wrong|e['data']['order']['orderItems'][0]['productItems'][1].update(amountTax=M(59), amountWithTax=M(339))|productItems/1/amountTax: minorUnits 59 should be 56"
    "op_good|op_tax_not_rounded|e['data']['order']['orderItems'][0]['productItems'][0]['amountTax']['amount'] = '0.924'|amount '0.924' and minorUnits 92 differ"
    "op_good|op_total_not_sum|e['data']['order']['totalTax'] = M(149)|totalTax: minorUnits 149 is not the sum"
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
    "op_jpy|op_jpy_cents|e['data']['order']['totalWithTax'] = M(495000)|totalWithTax: currency 'EUR' is not the event's 'JPY'"
    "op_jpy|op_jpy_decimals|e['data']['order']['totalWithTax']['amount'] = '49.50'|amount '49.50' should have 0 decimals for JPY"
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

# Month-end cycle events (docs/cycle-events.md): one valid event of each type,
# an invoice with a purchase and the refund of its shipping fee (VAT per rate,
# refunds negative, every amount in minor units and as a number).
inv=INV-2026-000042
pid=4b6c2d1e-8f7a-4e3b-9c6d-2a4f8e1b3c71
tr -d '\n' >"$tmp/inv_good.jsonl" <<EOF
{"specversion":"1.0","id":"$eid","source":"/boissipay/billing",
"type":"invoice.issued","time":"2026-11-30T23:05:00.412Z","subject":"$inv",
"datacontenttype":"application/json","data":{"invoiceRef":"$inv",
"invoiceId":"$id","contractId":"$cid","contractRef":"CTR-TEST-001",
"customerRef":"ACME","period":"2026-11","issueDate":"2026-12-01",
"dueDate":"2026-12-31","currency":"EUR",
"totalWithoutTax":{"amount":"16.80","currency":"EUR","minorUnits":1680},"totalTax":{"amount":"0.92","currency":"EUR","minorUnits":92},
"totalWithTax":{"amount":"17.72","currency":"EUR","minorUnits":1772},
"vatBreakdown":[{"vatRate":5.5,"base":{"amount":"16.80","currency":"EUR","minorUnits":1680},
"tax":{"amount":"0.92","currency":"EUR","minorUnits":92}},
{"vatRate":20.0,"base":{"amount":"0.00","currency":"EUR","minorUnits":0},"tax":{"amount":"0.00","currency":"EUR","minorUnits":0}}],
"lines":[{"operationId":"$oid","orderRef":"ORD-1","operationType":"PURCHASE",
"operationDate":"2026-11-20","amountWithoutTax":{"amount":"19.60","currency":"EUR","minorUnits":1960},
"amountTax":{"amount":"1.48","currency":"EUR","minorUnits":148},"amountWithTax":{"amount":"21.08","currency":"EUR","minorUnits":2108}},
{"operationId":"$pid","orderRef":"ORD-1-R1","operationType":"REFUND",
"operationDate":"2026-10-31","amountWithoutTax":{"amount":"-2.80","currency":"EUR","minorUnits":-280},
"amountTax":{"amount":"-0.56","currency":"EUR","minorUnits":-56},"amountWithTax":{"amount":"-3.36","currency":"EUR","minorUnits":-336}}],
"invoiceEmail":"ap@acme.com","mandateReference":"MDT-1","status":"ISSUED"}}
EOF
echo >>"$tmp/inv_good.jsonl"
tr -d '\n' >"$tmp/req_good.jsonl" <<EOF
{"specversion":"1.0","id":"$eid","source":"/boissipay/billing",
"type":"payment.requested","time":"2026-11-30T23:05:00.413Z","subject":"$inv",
"datacontenttype":"application/json","data":{"invoiceRef":"$inv","contractId":"$cid",
"contractRef":"CTR-TEST-001","amount":{"amount":"17.72","currency":"EUR","minorUnits":1772},"currency":"EUR",
"dueDate":"2026-12-31","mandateReference":"MDT-1"}}
EOF
echo >>"$tmp/req_good.jsonl"
tr -d '\n' >"$tmp/sent_good.jsonl" <<EOF
{"specversion":"1.0","id":"$eid","source":"/boissipay/invoice-mailer",
"type":"invoice.sent","time":"2026-11-30T23:05:03.121Z","subject":"$inv",
"datacontenttype":"application/json","data":{"invoiceRef":"$inv","contractId":"$cid",
"to":"ap@acme.com","messageId":"<$inv@boissipay>","sentAt":"2026-11-30T23:05:03.120Z"}}
EOF
echo >>"$tmp/sent_good.jsonl"
tr -d '\n' >"$tmp/paid_good.jsonl" <<EOF
{"specversion":"1.0","id":"$eid","source":"/boissipay/payment",
"type":"payment.succeeded","time":"2026-11-30T23:05:01.344Z","subject":"$inv",
"datacontenttype":"application/json","data":{"paymentId":"$pid","invoiceRef":"$inv",
"contractId":"$cid","amount":{"amount":"17.72","currency":"EUR","minorUnits":1772},"currency":"EUR",
"mandateReference":"MDT-1","status":"SUCCEEDED","collectedAt":"2026-11-30T23:05:01.342Z"}}
EOF
echo >>"$tmp/paid_good.jsonl"
mutate_from paid_good failed_good "e['type'] = 'payment.failed'; d = e['data']; del d['collectedAt']; d.update(status='FAILED', reasonCode='AM04', reason='insufficient funds', failedAt='2026-11-30T23:05:01.342Z')"

check "valid invoice.issued accepted" 0 "^ok invoice.issued $eid\$" '^1 passed, 0 failed$' \
    -- "$tmp/inv_good.jsonl" --expect-types invoice.issued
check "valid payment.requested accepted" 0 "^ok payment.requested $eid\$" '^1 passed, 0 failed$' \
    -- "$tmp/req_good.jsonl" --expect-types payment.requested
check "valid invoice.sent accepted" 0 "^ok invoice.sent $eid\$" '^1 passed, 0 failed$' \
    -- "$tmp/sent_good.jsonl"
check "valid payment.succeeded accepted" 0 "^ok payment.succeeded $eid\$" '^1 passed, 0 failed$' \
    -- "$tmp/paid_good.jsonl"
check "valid payment.failed accepted" 0 "^ok payment.failed $eid\$" '^1 passed, 0 failed$' \
    -- "$tmp/failed_good.jsonl"

# Other valid cycle events: SOURCE, NAME, change (checked in one run).
cycle_good_cases=(
    "inv_good|inv_without_optionals|del e['data']['customerRef'], e['data']['mandateReference']"
    "inv_good|inv_new_data_field|e['data']['note'] = 'data stays open to new fields'"
    "inv_good|inv_refunds_only|d = e['data']; d['lines'] = d['lines'][1:]; d['vatBreakdown'] = [{'vatRate': 20.0, 'base': M(-280), 'tax': M(-56)}]; d.update(totalWithoutTax=M(-280), totalTax=M(-56), totalWithTax=M(-336))"
    "inv_good|inv_jpy|d = e['data']; d['currency'] = 'JPY'; d['lines'] = d['lines'][:1]; d['lines'][0].update(amountWithoutTax=M(1500, 'JPY'), amountTax=M(150, 'JPY'), amountWithTax=M(1650, 'JPY')); d['vatBreakdown'] = [{'vatRate': 10.0, 'base': M(1500, 'JPY'), 'tax': M(150, 'JPY')}]; d.update(totalWithoutTax=M(1500, 'JPY'), totalTax=M(150, 'JPY'), totalWithTax=M(1650, 'JPY'))"
    "inv_good|inv_late_operation|e['data']['lines'][0]['operationDate'] = '2026-09-30'"
    "inv_good|inv_many_digits|e['subject'] = e['data']['invoiceRef'] = 'INV-2026-1000000'"
    "req_good|req_without_mandate|del e['data']['mandateReference']"
    "req_good|req_three_decimals|e['data'].update(currency='KWD', amount=M(1772, 'KWD'))"
    "req_good|req_other_currency|e['data'].update(currency='CLF', amount=M(17725, 'CLF'))"
    "failed_good|failed_no_mandate|del e['data']['mandateReference']; e['data'].update(reasonCode='MD01', reason='no valid mandate')"
    "failed_good|failed_other_code|e['data'].update(reasonCode='XT99', reason='rejected by the bank')"
)
batch ok "${cycle_good_cases[@]}"

# Broken cycle events: SOURCE, NAME, change, a pattern the FAIL line must
# contain (checked in one run).
cycle_bad_cases=(
    "inv_good|inv_subject_not_ref|e['subject'] = 'INV-2026-000043'|/subject: .* is not data.invoiceRef"
    "inv_good|inv_wrong_source|e['source'] = '/boissipay/payment'|/source"
    "inv_good|inv_extra_envelope_field|e['traceparent'] = '00-abc'|Additional properties"
    "inv_good|inv_ref_format|e['subject'] = e['data']['invoiceRef'] = 'BIL-42'|/data/invoiceRef"
    "inv_good|inv_ref_wrong_year|e['subject'] = e['data']['invoiceRef'] = 'INV-2025-000042'|not numbered in the year of issue 2026"
    "inv_good|inv_minor_as_text|e['data']['totalWithTax']['minorUnits'] = '1772'|not of type 'integer'"
    "inv_good|inv_total_as_text|e['data']['totalWithTax'] = '17.72'|not of type 'object'"
    "inv_good|inv_total_as_number|e['data']['totalWithTax'] = 17.72|totalWithTax: 17.72 is not of type 'object'"
    "inv_good|inv_old_twins|d = e['data']; d.update(totalWithTax=17.72, totalWithTaxMinor=1772)|totalWithTax: 17.72 is not of type 'object'"
    "inv_good|inv_number_not_minor|e['data']['totalWithTax']['amount'] = '17.73'|totalWithTax: amount '17.73' and minorUnits 1772 differ"
    "inv_good|inv_line_decimals|e['data']['lines'][0]['amountTax']['amount'] = '1.485'|lines/0/amountTax: amount '1.485' and minorUnits 148 differ"
    "inv_good|inv_vat_number_not_minor|e['data']['vatBreakdown'][0]['tax']['amount'] = '0.93'|vatBreakdown/0/tax: amount '0.93' and minorUnits 92 differ"
    "inv_good|inv_other_currency|e['data']['lines'][0]['amountTax']['currency'] = 'USD'|lines/0/amountTax: currency 'USD' is not the event's 'EUR'"
    "inv_good|inv_total_not_parts|e['data'].update(totalWithTax=M(1773))|totalWithTax: 1773 is not totalWithoutTax \\+ totalTax"
    "inv_good|inv_totals_not_lines|e['data'].update(totalTax=M(93), totalWithTax=M(1773))|totalTax: 93 is not the sum of the lines, 92"
    "inv_good|inv_line_not_parts|e['data']['lines'][0].update(amountWithTax=M(2109))|lines/0/amountWithTax: 2109 is not amountWithoutTax \\+ amountTax"
    "inv_good|inv_refund_positive|l = e['data']['lines'][1]; l.update({k: M(-v['minorUnits']) for k, v in l.items() if k.startswith('amount')})|/data/lines/1/amount"
    "inv_good|inv_purchase_negative|e['data']['lines'][0]['operationType'] = 'REFUND'|/data/lines/0/amount"
    "inv_good|inv_vat_bases|e['data']['vatBreakdown'][0].update(base=M(1681))|the bases add up to 1681, not totalWithoutTax 1680"
    "inv_good|inv_vat_taxes|e['data']['vatBreakdown'][1].update(tax=M(1))|the taxes add up to 93, not totalTax 92"
    "inv_good|inv_vat_rate_twice|e['data']['vatBreakdown'][1]['vatRate'] = 5.5|vatRate: 5.5 appears twice"
    "inv_good|inv_operation_twice|e['data']['lines'][1]['operationId'] = e['data']['lines'][0]['operationId']|is on another line too"
    "inv_good|inv_line_after_period|e['data']['lines'][1]['operationDate'] = '2026-12-01'|lines/1/operationDate: 2026-12-01 is after the period 2026-11"
    "inv_good|inv_issued_before_period|e['data']['issueDate'] = '2026-10-31'|issueDate: 2026-10-31 is before the period 2026-11 starts"
    "inv_good|inv_due_before_issue|e['data']['dueDate'] = '2026-11-30'|dueDate: 2026-11-30 is before the issue date"
    "inv_good|inv_status_sent|e['data']['status'] = 'SENT'|/data/status"
    "inv_good|inv_no_lines|e['data']['lines'] = []|/data/lines"
    "inv_good|inv_missing_email|del e['data']['invoiceEmail']|'invoiceEmail' is a required property"
    "inv_good|inv_missing_tax|del e['data']['totalTax']|'totalTax' is a required property"
    "inv_good|inv_missing_vat|del e['data']['vatBreakdown']|'vatBreakdown' is a required property"
    "inv_good|inv_bad_period|e['data']['period'] = '2026-13'|/data/period"
    "inv_good|inv_bad_currency|e['data']['currency'] = 'eur'|/data/currency"
    "inv_good|inv_id_not_uuid|e['data']['invoiceId'] = 'INV-1'|/data/invoiceId"
    "inv_good|inv_contract_not_uuid|e['data']['contractId'] = 'CTR-TEST-001'|/data/contractId"
    "inv_good|inv_bad_line_date|e['data']['lines'][0]['operationDate'] = '2026-11-31'|/data/lines/0/operationDate"
    "inv_good|inv_bad_email|e['data']['invoiceEmail'] = 'nobody'|/data/invoiceEmail"
    "req_good|req_subject_not_ref|e['subject'] = 'INV-2026-000001'|/subject: .* is not data.invoiceRef"
    "req_good|req_wrong_source|e['source'] = '/boissipay/payment'|/source"
    "req_good|req_amount_not_minor|e['data']['amount']['amount'] = '17.71'|amount: amount '17.71' and minorUnits 1772 differ"
    "req_good|req_kwd_as_cents|e['data']['currency'] = 'KWD'|amount: currency 'EUR' is not the event's 'KWD'"
    "req_good|req_kwd_decimals|e['data'].update(currency='KWD', amount=dict(M(1772), currency='KWD'))|amount '17.72' should have 3 decimals for KWD"
    "req_good|req_zero|e['data'].update(amount=M(0))|/data/amount/minorUnits"
    "req_good|req_old_shape|d = e['data']; d.update(amount=17.72, amountMinor=1772)|/data/amount: 17.72 is not of type 'object'"
    "req_good|req_missing_due|del e['data']['dueDate']|'dueDate' is a required property"
    "req_good|req_missing_contract_ref|del e['data']['contractRef']|'contractRef' is a required property"
    "req_good|req_missing_amount|del e['data']['amount']|'amount' is a required property"
    "sent_good|sent_wrong_message_id|e['data']['messageId'] = '<INV-2026-000043@boissipay>'|/data/messageId: .* is not"
    "sent_good|sent_bad_to|e['data']['to'] = 'nobody'|/data/to"
    "sent_good|sent_missing_to|del e['data']['to']|'to' is a required property"
    "sent_good|sent_wrong_source|e['source'] = '/boissipay/billing'|/source"
    "sent_good|sent_at_not_utc|e['data']['sentAt'] = '2026-12-01T00:05:03.120+01:00'|/data/sentAt"
    "sent_good|sent_subject_not_ref|e['subject'] = e['data']['contractId']|/subject"
    "paid_good|paid_with_reason|e['data']['reasonCode'] = 'AM04'|'reasonCode' must not be present"
    "paid_good|paid_without_collected_at|del e['data']['collectedAt']|'collectedAt' is a required property"
    "paid_good|paid_status_failed|e['data']['status'] = 'FAILED'|/data/status"
    "paid_good|paid_amount_not_minor|e['data']['amount']['amount'] = '177.20'|amount: amount '177.20' and minorUnits 1772 differ"
    "paid_good|paid_amount_number|e['data']['amount'] = 17.72|/data/amount: 17.72 is not of type 'object'"
    "paid_good|paid_id_not_uuid|e['data']['paymentId'] = 'PAY-1'|/data/paymentId"
    "paid_good|paid_wrong_source|e['source'] = '/boissipay/billing'|/source"
    "paid_good|paid_subject_not_ref|e['subject'] = 'INV-2026-000001'|/subject: .* is not data.invoiceRef"
    "failed_good|failed_without_code|del e['data']['reasonCode']|'reasonCode' is a required property"
    "failed_good|failed_without_failed_at|del e['data']['failedAt']|'failedAt' is a required property"
    "failed_good|failed_bad_code|e['data']['reasonCode'] = 'am04'|/data/reasonCode"
    "failed_good|failed_with_collected_at|e['data']['collectedAt'] = e['data']['failedAt']|'collectedAt' must not be present"
    "failed_good|failed_status_succeeded|e['data']['status'] = 'SUCCEEDED'|/data/status"
)
batch fail "${cycle_bad_cases[@]}"

# --channel: only that channel's messages.
cat "$tmp/req_good.jsonl" "$tmp/paid_good.jsonl" "$tmp/failed_good.jsonl" >"$tmp/payment_topic.jsonl"
check "a channel's own types accepted" 0 '^3 passed, 0 failed$' \
    -- "$tmp/payment_topic.jsonl" --channel payment \
    --expect-types payment.requested,payment.succeeded,payment.failed
check "rejects a type of another channel" 1 \
    "^FAIL invoice.issued $eid: not a message of channel payment" '^0 passed, 1 failed$' \
    -- "$tmp/inv_good.jsonl" --channel payment
check "an unknown channel is an error" 2 "no channel 'nope'" -- "$tmp/inv_good.jsonl" --channel nope

# Dead letters: not CloudEvents; validated with --channel dead-letter.
tr -d '\n' >"$tmp/dl_good.jsonl" <<EOF
{"consumer":"invoice-mailer","topic":"invoice","partition":2,"offset":118,
"key":"$cid","reason":"data.invoiceEmail is missing",
"value":"{\"type\":\"invoice.issued\",\"data\":{}}","valueBytes":35,"valueTruncated":false}
EOF
echo >>"$tmp/dl_good.jsonl"
check "valid dead letter accepted" 0 '^ok dead-letter invoice/2@118$' '^1 passed, 0 failed$' \
    -- "$tmp/dl_good.jsonl" --channel dead-letter --expect-types dead-letter
mutate_from dl_good dl_no_key "e.update(key=None, value='not json at all \\u00e9')"
check "dead letter without a key accepted" 0 '^1 passed, 0 failed$' \
    -- "$tmp/dl_no_key.jsonl" --channel dead-letter
check "a dead letter is not a CloudEvent" 1 '^FAIL \? line1: no type' \
    -- "$tmp/dl_good.jsonl"
dl_bad_cases=(
    "dl_missing_reason|del e['reason']|'reason' is a required property"
    "dl_missing_key|del e['key']|'key' is a required property"
    "dl_missing_value_bytes|del e['valueBytes']|'valueBytes' is a required property"
    "dl_truncated_text|e['valueTruncated'] = 'no'|/valueTruncated"
    "dl_extra_member|e['time'] = '2026-11-30T23:05:00.000Z'|Additional properties"
    "dl_negative_offset|e['offset'] = -1|/offset"
    "dl_partition_text|e['partition'] = '2'|/partition"
    "dl_key_number|e['key'] = 42|/key"
    "dl_empty_consumer|e['consumer'] = ''|/consumer"
)
for case in "${dl_bad_cases[@]}"; do
    IFS='|' read -r name code pattern <<<"$case"
    mutate_from dl_good "$name" "$code"
    check "rejects $name" 1 "^FAIL dead-letter .*$pattern" '^0 passed, 1 failed$' \
        -- "$tmp/$name.jsonl" --channel dead-letter
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

# Every example of the AsyncAPI document is itself valid, and every event type
# has one: the nine contract event types, the two operation event types, the
# five of the month-end cycle, and the dead letter (checked on its channel).
"$py" - "$spec" "$tmp/examples.jsonl" "$tmp/dead_letters.jsonl" <<'EOF'
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    doc = yaml.safe_load(handle)
with open(sys.argv[2], "w", encoding="utf-8") as events, \
        open(sys.argv[3], "w", encoding="utf-8") as letters:
    for message in (doc.get("components", {}).get("messages") or {}).values():
        for example in message.get("examples") or []:
            if "payload" in example:
                out = events if "type" in example["payload"] else letters
                out.write(json.dumps(example["payload"], separators=(",", ":")) + "\n")
EOF
contract_types=contract.created,contract.activated,contract.suspended,contract.reactivated
contract_types+=,contract.cancelled,contract.expired,contract.mandate-signed
contract_types+=,contract.mandate-revoked,contract.credit-limit-changed
cycle_types=invoice.issued,invoice.sent,payment.requested,payment.succeeded,payment.failed
check "AsyncAPI examples are valid" 0 '^[0-9]+ passed, 0 failed$' \
    -- "$tmp/examples.jsonl" \
    --expect-types "$contract_types,operation.accepted,operation.rejected,$cycle_types"
check "AsyncAPI dead-letter examples are valid" 0 '^[0-9]+ passed, 0 failed$' \
    -- "$tmp/dead_letters.jsonl" --channel dead-letter --expect-types dead-letter

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
