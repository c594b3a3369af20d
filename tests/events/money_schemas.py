#!/usr/bin/python3
"""Every amount the daemons send is a Money object, in every spec.

Usage:
    money_schemas.py REPO_ROOT        check openapi/*.yaml and asyncapi/*.yaml
    money_schemas.py --self-test      check that the checker catches what it must

Walks every response schema of the OpenAPI documents (each response's
`content.*.schema`, `$ref`s followed, through properties, items, allOf, oneOf,
anyOf, additionalProperties, if/then/else) and every message payload of the
AsyncAPI document, and fails on an amount-like property (its name: amount*,
total* but totalItems/totalPages, *Amount, *Price, *Tax, creditLimit,
outstanding, available, balance, base, tax) that

  - may be a bare JSON number (`type: number`, or an integer where the name
    says money), or
  - is an integer twin `...Minor` of an amount (minorUnits lives in the
    Money object now), or
  - is not the spec's one `Money` schema (an object requiring `amount` a
    string, `currency` and `minorUnits` an integer).

Request bodies are not walked: requests keep accepting numbers or decimal
strings. Prints `ok <file>` or `FAIL <file>: <where>: <why>` lines, then
`N passed, M failed`; exits 1 when anything failed.

Runs with Debian's /usr/bin/python3 (python3-yaml).
"""

import glob
import os
import re
import sys

import yaml

_AMOUNT = re.compile(
    r"^(amount\w*|total\w*|\w+Amount|\w+Price|\w+Tax|creditLimit|outstanding|available"
    r"|balance|base|tax)$"
)
_NOT_AMOUNT = {"totalItems", "totalPages"}


def amount_like(name):
    return name not in _NOT_AMOUNT and bool(_AMOUNT.match(name))


class Walker:
    def __init__(self, doc, where):
        self.doc = doc
        self.where = where
        self.problems = []
        self.seen = set()

    def resolve(self, schema):
        """The schema a `$ref` points to (local refs only), followed to the end."""
        hops = 0
        while isinstance(schema, dict) and "$ref" in schema and hops < 50:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                self.problems.append(f"{ref}: only local $refs are followed")
                return {}
            node = self.doc
            for part in ref[2:].split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            schema = node
            hops += 1
        return schema if isinstance(schema, dict) else {}

    def branches(self, schema):
        """The schema and every schema it is made of (allOf, oneOf, anyOf)."""
        schema = self.resolve(schema)
        out = [schema]
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in schema.get(key) or []:
                out.extend(self.branches(sub))
        return out

    def types(self, schema):
        found = set()
        for part in self.branches(schema):
            t = part.get("type")
            found.update(t if isinstance(t, list) else [t] if t else [])
        return found

    def is_money(self, schema):
        parts = self.branches(schema)
        required, props = set(), {}
        for part in parts:
            required.update(part.get("required") or [])
            for name, sub in (part.get("properties") or {}).items():
                props.setdefault(name, []).append(sub)
        if not {"amount", "currency", "minorUnits"} <= required:
            return False
        amount_types = set().union(*(self.types(s) for s in props.get("amount", [{}])))
        minor_types = set().union(*(self.types(s) for s in props.get("minorUnits", [{}])))
        return amount_types == {"string"} and minor_types == {"integer"}

    def property(self, name, schema, path, constraint=False):
        """`constraint`: under if/then/else, where a property already defined
        is only narrowed (no shape of its own to check, but no number either)."""
        if name.endswith("Minor") and amount_like(name[:-5]):
            self.problems.append(f"{path}: an integer twin of an amount; use a Money object")
            return
        if not amount_like(name):
            self.walk(schema, path)
            return
        if self.types(schema) & {"number", "integer"}:
            self.problems.append(f"{path}: an amount typed as a bare JSON number")
        elif not constraint and not self.is_money(schema):
            self.problems.append(f"{path}: an amount that is not a Money object")
        # a Money object's own members are its shape, not amounts

    def walk(self, schema, path, constraint=False):
        if isinstance(schema, dict) and "$ref" in schema:
            key = (schema["$ref"], path.count("/") > 40)
            if schema["$ref"] in self.seen and key[1]:
                return
        for part in self.branches(schema):
            ident = id(part)
            if (ident, path) in self.seen:
                continue
            self.seen.add((ident, path))
            for name, sub in (part.get("properties") or {}).items():
                self.property(name, sub, f"{path}.{name}", constraint)
            if isinstance(part.get("items"), dict):
                self.walk(part["items"], f"{path}[]")
            if isinstance(part.get("additionalProperties"), dict):
                self.walk(part["additionalProperties"], f"{path}.*")
            for key in ("if", "then", "else", "not"):
                if isinstance(part.get(key), dict):
                    self.walk(part[key], path, True)


def check_openapi(doc, walker):
    count = 0
    for route, item in (doc.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for status, response in op["responses"].items():
                response = walker.resolve(response)
                for media, body in (response.get("content") or {}).items():
                    if "schema" in body:
                        count += 1
                        walker.walk(body["schema"], f"{method.upper()} {route} {status} {media}")
    return count


def check_asyncapi(doc, walker):
    count = 0
    for name, message in ((doc.get("components") or {}).get("messages") or {}).items():
        message = walker.resolve(message)
        if "payload" in message:
            count += 1
            walker.walk(message["payload"], f"message {name}")
    return count


def check_file(path):
    with open(path, encoding="utf-8") as handle:
        doc = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    walker = Walker(doc, path)
    count = check_asyncapi(doc, walker) if "asyncapi" in doc else check_openapi(doc, walker)
    if count == 0:
        walker.problems.append("no response or payload schema found")
    return walker.problems, count


def self_test():
    """The checker refuses a bare number, a twin and a look-alike; accepts Money."""
    money = {"type": "object", "required": ["amount", "currency", "minorUnits"],
             "properties": {"amount": {"type": "string"}, "currency": {"type": "string"},
                            "minorUnits": {"type": "integer"}}}
    def spec(prop):
        return {"openapi": "3.0.3", "components": {"schemas": {"Money": money}},
                "paths": {"/x": {"get": {"responses": {"200": {"content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "lines": {"type": "array", "items": {"properties": prop}}}}}}}}}}}}
    cases = [
        ({"totalWithTax": {"type": "number"}}, "bare JSON number"),
        ({"unitPrice": {"oneOf": [{"type": "string"}, {"type": "number"}]}}, "bare JSON number"),
        ({"amountWithTaxMinor": {"type": "integer"}}, "integer twin"),
        ({"tax": {"type": "string"}}, "not a Money object"),
        ({"base": {"allOf": [{"$ref": "#/components/schemas/Money"}]}}, None),
        ({"amount": {"$ref": "#/components/schemas/Money"}, "totalItems": {"type": "integer"},
          "vatRate": {"type": "number"}}, None),
        ({"amountTax": {"$ref": "#/components/schemas/Money"}},
         None),
    ]
    failures = 0
    for prop, want in cases:
        doc = spec(prop)
        walker = Walker(doc, "self-test")
        check_openapi(doc, walker)
        got = "; ".join(walker.problems)
        if (want is None and got) or (want is not None and want not in got):
            failures += 1
            print(f"FAIL self-test {sorted(prop)}: wanted {want!r}, got {got!r}")
        else:
            print(f"ok self-test {sorted(prop)}")
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    files = sorted(glob.glob(os.path.join(root, "openapi", "*.yaml")))
    files += sorted(glob.glob(os.path.join(root, "asyncapi", "*.yaml")))
    passed = failed = 0
    for path in files:
        problems, count = check_file(path)
        name = os.path.relpath(path, root)
        if problems:
            failed += 1
            for problem in problems:
                print(f"FAIL {name}: {problem}")
        else:
            passed += 1
            print(f"ok {name} ({count} schemas)")
    if not files:
        failed += 1
        print("FAIL no spec found")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
