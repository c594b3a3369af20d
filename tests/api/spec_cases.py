"""Spec regression cases: values the OpenAPI specs must accept or refuse, so that spec and
server agree where contract fuzzing (run_schemathesis.sh) found them apart. Each case names
a schema of openapi/<spec>.yaml (a component schema, or a parameter's schema) and a value;
the server's answer to that value is tested by the integration tests.

Usage: python spec_cases.py ROOT   (with openapi-schema-validator: tests/packaging/tools.sh python)
"""

import copy
import re
import sys

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
ITEM = {"productItems": [{"quantity": 1, "unitPrice": 8.4, "vatRate": 5.5}]}
PURCHASE = {"contractRef": "CTR-1", "operationAt": "2026-11-20",
            "order": {"orderRef": "O-1", "orderItems": [ITEM]}}

# (spec, schema, value, valid?, why)
CASES = [
    ("contract", "parameters/CustomerRefQuery", "", False, "empty filter: 400"),
    ("contract", "parameters/CustomerRefQuery", "ACME\x00", False, "a control character: 400"),
    ("contract", "parameters/ContractRefPath", "CTR-1\x1f", False, "a control character: 400"),
    ("contract", "schemas/Currency", "ABC", False, "not an active ISO 4217 code: 400"),
    ("contract", "schemas/Currency", "JPY", True, "an active code"),
    ("contract", "parameters/CustomerRefQuery", "x" * 201, False, "201 characters: 400"),
    ("contract", "parameters/CustomerRefQuery", "ACME", True, "a customer reference"),
    ("contract", "parameters/PageQuery", 2147483646, False, "beyond 1000000: 400"),
    ("contract", "parameters/IdempotencyKey", "clé-1", False, "not ASCII: 400"),
    ("contract", "parameters/IdempotencyKey", "a b", False, "a space: 400"),
    ("contract", "parameters/IdempotencyKey", "6f1d2c8e-create-1", True, "visible ASCII"),
    ("contract", "schemas/MandateRequest/properties/iban", "AA" + "0" * 47, False,
     "49 characters: more than 34 letters and digits"),
    ("contract", "schemas/MandateRequest/properties/iban", "FR76 3000 6000 0112 3456 7890 189",
     True, "spaces allowed"),
    ("contract", "schemas/MandateRequest/properties/iban", "FR76-3000", False, "no dash"),
    ("contract", "schemas/LocalDate", "0229-09-26", False, "before 1900: 400"),
    ("contract", "schemas/LocalDate", "1900-01-01", True, "first day accepted"),
    ("billing", "schemas/LocalDate", "1899-12-31", False, "before 1900: 400"),
    ("billing", "parameters/ToQuery", "0229-09-26", False, "before 1900: 400"),
    ("billing", "parameters/FromQuery", "2026-11-01", True, "a date"),
    ("billing", "schemas/BillingPeriod", "1544-12", False, "before 2000-01: 400"),
    ("billing", "schemas/BillingPeriod", "2000-01", True, "first period"),
    ("billing", "schemas/OperationAt", "1900-00-00", False, "no month 00"),
    ("billing", "schemas/OperationAt", "1899-12-31T10:00:00Z", False, "before 1900"),
    ("billing", "schemas/OperationAt", "2026-11-20T23:30:00+01:00", True, "a timestamp"),
    ("billing", "schemas/OperationAt", "2026-11-20", True, "a date"),
    ("billing", "parameters/IdempotencyKey", "ключ", False, "not ASCII: 400"),
    ("billing", "schemas/OperationRequest", dict(PURCHASE, refundOf="O-0"), False,
     "refundOf on the default PURCHASE: 400"),
    ("billing", "schemas/OperationRequest",
     dict(PURCHASE, operationType="PURCHASE", refundOf="O-0"), False, "refundOf on a PURCHASE"),
    ("billing", "schemas/OperationRequest", dict(PURCHASE, operationType="REFUND"), False,
     "REFUND without refundOf: 400"),
    ("billing", "schemas/OperationRequest",
     dict(PURCHASE, operationType="REFUND", refundOf="O-0"), True, "a refund"),
    ("billing", "schemas/OperationRequest", PURCHASE, True, "a purchase"),
    ("payment", "parameters/InvoiceRefQuery", "0" * 101, False, "101 characters: 400"),
    ("payment", "parameters/ContractRefQuery", "", False, "empty filter: 400"),
]


def resolve(node, doc):
    """`node` with every local $ref replaced by its target (the specs have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node and len(node) == 1:
            target = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(target, doc)
        return {k: resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc) for v in node]
    return node


def schema_of(doc, where):
    kind, name, *rest = where.split("/")
    node = doc["components"][kind][name]
    if kind == "parameters":
        node = node["schema"]
    for part in rest:
        node = node[part]
    return resolve(copy.deepcopy(node), doc)


def main():
    docs, failed = {}, 0
    for spec, where, value, valid, why in CASES:
        if spec not in docs:
            with open(f"{ROOT}/openapi/{spec}.yaml", encoding="utf-8") as f:
                docs[spec] = yaml.safe_load(f)
        validator = OAS30Validator(schema_of(docs[spec], where), format_checker=oas30_format_checker)
        got = validator.is_valid(value)
        if got != valid:
            failed += 1
            print(f"FAIL {spec} {where}: {value!r} should be {'valid' if valid else 'invalid'}"
                  f" ({why})")
    print(f"{len(CASES) - failed}/{len(CASES)} spec cases hold")
    failed += currencies_agree()
    return 1 if failed else 0


def currencies_agree():
    """The specs' Currency enum is bp_money's table of active ISO 4217 codes, exactly."""
    with open(f"{ROOT}/lib/common/bp_money.c", encoding="utf-8") as f:
        known = re.findall(r'\{"([A-Z]{3})", \d\}', f.read())
    bad = 0
    for spec in ("contract", "billing"):
        with open(f"{ROOT}/openapi/{spec}.yaml", encoding="utf-8") as f:
            enum = yaml.safe_load(f)["components"]["schemas"]["Currency"].get("enum")
        if enum != known:
            bad += 1
            print(f"FAIL {spec} Currency enum differs from lib/common/bp_money.c's table")
    print(f"Currency enums: {2 - bad}/2 agree with bp_money ({len(known)} codes)")
    return bad


if __name__ == "__main__":
    sys.exit(main())
