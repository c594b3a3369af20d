#!/usr/bin/python3
"""Check Kafka message values against the AsyncAPI document.

Usage:
    validate_events.py ASYNCAPI_FILE EVENTS_FILE [--expect-types t1,t2,...]
                       [--channel CHANNEL]

EVENTS_FILE holds one JSON object per line (the Kafka message values; blank
lines are skipped; "-" reads standard input). For each CloudEvent the message
of the AsyncAPI document whose payload has `properties.type.const` equal to the
event's `type` is looked up, and the event is validated against that payload
(JSON Schema draft-07, local `$ref`s resolved in the whole document, formats
date, date-time, uuid and email checked).

--channel CHANNEL restricts the lookup to the messages of that channel (an
event of a type defined only elsewhere fails). A channel whose message has no
`type` const (`dead-letter`: its values are not CloudEvents) validates every
line against that message, and reports it under the message's `name`
(`ok dead-letter <topic>/<partition>@<offset>`); --expect-types may name it.

Rules that JSON Schema cannot express are checked as well:
  - `subject` repeats a member of `data`: `data.contractId` for `contract.*`,
    `data.operationId` for `operation.*`, `data.invoiceRef` for `invoice.*`
    and `payment.*`;
  - every Money object (an object with a decimal-string `amount` and an
    integer `minorUnits`) says the same value twice (and, for a few
    well-known currencies, `amount` has exactly the currency's decimals; for
    the others, every Money object of the event has the same decimals);
  - every Money object of an `operation.*` event is in
    `data.order.currencyCode`, of an `invoice.*` or `payment.*` event in
    `data.currency`;
  - in an `operation.*` event the order's arithmetic holds, in minor units:
    per product line `amountWithoutTax` = `quantity` × `unitPrice`,
    `amountTax` = `amountWithoutTax` × `vatRate` / 100 rounded half up to the
    minor unit, `amountWithTax` = the two added, and the order totals are the
    sums of the lines;
  - in an `invoice.issued` event: `totalWithTax` = `totalWithoutTax` +
    `totalTax`, the same per line, the three totals are the sums of the
    lines, the `vatBreakdown` bases and taxes add up to `totalWithoutTax`
    and `totalTax` with each rate once, each `operationId` is on one line
    only, no line is dated after the period, the issue date is not before the
    period starts, `dueDate` is not before `issueDate`, and the year in
    `invoiceRef` is the year of `issueDate`;
  - in an `invoice.sent` event, `data.messageId` is `<` invoiceRef
    `@boissipay>`.

Prints `ok <type> <id>` or `FAIL <type> <id>: <reasons>` per event, then
`N passed, M failed`. Exits 1 when anything failed: an invalid event, an event
of an unknown type, an empty file, or a type named in --expect-types that never
appeared (each of these counts in M). Exits 2 when the AsyncAPI document
cannot be used (unreadable, a `$ref` that does not resolve, or an unknown
--channel).

Runs with Debian's /usr/bin/python3 (python3-yaml, python3-jsonschema 4.10).
"""

import argparse
import datetime
import decimal
import json
import re
import sys

import yaml
from jsonschema import Draft7Validator, FormatChecker, RefResolver
from jsonschema.exceptions import SchemaError, relevance

# ---------------------------------------------------------------- formats

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-]\d{2}:\d{2})$"
)
_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _is_date(value):
    if not isinstance(value, str):
        return True
    m = _DATE_RE.match(value)
    if not m:
        return False
    try:
        datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def _is_datetime(value):
    if not isinstance(value, str):
        return True
    m = _DATETIME_RE.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    try:
        datetime.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return False
    offset = m.group(8)
    if offset not in ("Z", "z"):
        if int(offset[1:3]) > 23 or int(offset[4:6]) > 59:
            return False
    return True


def _is_uuid(value):
    return not isinstance(value, str) or bool(_UUID_RE.match(value))


def _is_email(value):
    return not isinstance(value, str) or (
        len(value) <= 254 and bool(_EMAIL_RE.match(value))
    )


def make_format_checker():
    """A format checker that does not depend on optional packages.

    jsonschema checks date-time only when rfc3339-validator is installed, which
    Debian's python3-jsonschema does not pull in; so the formats we rely on are
    registered here with strict checks of our own.
    """
    checker = FormatChecker()
    checker.checks("date")(_is_date)
    checker.checks("date-time")(_is_datetime)
    checker.checks("uuid")(_is_uuid)
    checker.checks("email")(_is_email)
    return checker


# ------------------------------------------------------------- the document


class SpecError(Exception):
    """The AsyncAPI document cannot be used."""


def _pointer_get(doc, ref):
    if not ref.startswith("#"):
        raise SpecError(f"$ref {ref!r} is not local to the document")
    node = doc
    pointer = ref[1:]
    if pointer == "":
        return doc
    if not pointer.startswith("/"):
        raise SpecError(f"$ref {ref!r} is not a JSON pointer")
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise SpecError(f"$ref {ref!r} does not resolve")
    return node


def deref(doc, node):
    """Follows a chain of `$ref`s to the node it designates."""
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise SpecError(f"$ref cycle through {ref!r}")
        seen.add(ref)
        node = _pointer_get(doc, ref)
    return node


def check_all_refs(doc):
    """Returns a list of the `$ref`s of the document that do not resolve."""
    problems = []

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    _pointer_get(doc, ref)
                except SpecError as exc:
                    problems.append(f"{where}: {exc}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(doc, "#")
    return problems


def _payload_schema(doc, message):
    payload = deref(doc, message.get("payload"))
    # AsyncAPI 3 Multi Format Schema Object: {schemaFormat, schema}.
    if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
        payload = deref(doc, payload["schema"])
    return payload


def _type_of_payload(doc, payload):
    if not isinstance(payload, dict):
        return None
    props = payload.get("properties")
    if not isinstance(props, dict) or "type" not in props:
        return None
    type_schema = deref(doc, props["type"])
    if not isinstance(type_schema, dict):
        return None
    if "const" in type_schema:
        return type_schema["const"]
    enum = type_schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return enum[0]
    return None


def collect_messages(doc):
    """Maps each event type to (message name, payload schema)."""
    candidates = []
    components = doc.get("components") or {}
    for name, message in (components.get("messages") or {}).items():
        candidates.append((f"components/messages/{name}", message))
    for cname, channel in (doc.get("channels") or {}).items():
        channel = deref(doc, channel)
        for name, message in ((channel or {}).get("messages") or {}).items():
            candidates.append((f"channels/{cname}/messages/{name}", message))

    by_type = {}
    for where, message in candidates:
        message = deref(doc, message)
        if not isinstance(message, dict):
            continue
        payload = _payload_schema(doc, message)
        event_type = _type_of_payload(doc, payload)
        if event_type is None:
            continue
        if event_type in by_type and by_type[event_type][1] != payload:
            raise SpecError(
                f"two messages define type {event_type!r}: "
                f"{by_type[event_type][0]} and {where}"
            )
        by_type.setdefault(event_type, (where, payload))
    return by_type


def collect_channel(doc, cname):
    """The messages of channel `cname`: (set of event types, untyped messages).

    An untyped message is (where, shown name, payload schema) for a message
    whose payload has no `type` const (its values are not CloudEvents)."""
    channels = doc.get("channels") or {}
    if cname not in channels:
        known = ", ".join(sorted(channels)) or "none"
        raise SpecError(f"no channel {cname!r} in the document (channels: {known})")
    channel = deref(doc, channels[cname]) or {}
    types, untyped = set(), []
    for name, message in (channel.get("messages") or {}).items():
        where = f"channels/{cname}/messages/{name}"
        message = deref(doc, message)
        if not isinstance(message, dict):
            continue
        payload = _payload_schema(doc, message)
        event_type = _type_of_payload(doc, payload)
        if event_type is not None:
            types.add(event_type)
        elif isinstance(payload, dict):
            shown = message.get("name") if isinstance(message.get("name"), str) else name
            untyped.append((where, shown, payload))
    if len(untyped) > 1:
        raise SpecError(f"channel {cname!r} has more than one message without a type const")
    if untyped and types:
        raise SpecError(f"channel {cname!r} mixes typed and untyped messages")
    return types, untyped


class Spec:
    """The validators of a usable AsyncAPI document.

    `validators` maps each event type to its validator; with a channel,
    `channel_types` is the set of the channel's types (None without a channel)
    and `untyped` is (shown name, validator) when the channel's values are not
    CloudEvents (None otherwise)."""

    def __init__(self, validators, channel_types=None, untyped=None):
        self.validators = validators
        self.channel_types = channel_types
        self.untyped = untyped


def _validator(doc, resolver, checker, where, payload):
    try:
        Draft7Validator.check_schema(payload)
    except SchemaError as exc:
        raise SpecError(f"{where}: invalid JSON Schema: {exc.message}") from exc
    return Draft7Validator(payload, resolver=resolver, format_checker=checker)


def load_spec(path, channel=None):
    try:
        with open(path, encoding="utf-8") as handle:
            # libyaml's loader when present: the document is long, and the
            # pure-Python loader takes most of a run's time.
            doc = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read {path}: {exc}") from exc
    if not isinstance(doc, dict) or "asyncapi" not in doc:
        raise SpecError(f"{path} is not an AsyncAPI document")
    problems = check_all_refs(doc)
    if problems:
        raise SpecError("unresolved $ref:\n  " + "\n  ".join(problems))
    messages = collect_messages(doc)
    if not messages:
        raise SpecError(f"{path} defines no message with a payload type const")
    resolver = RefResolver.from_schema(doc, id_of=lambda _schema: "")
    checker = make_format_checker()
    validators = {}
    for event_type, (where, payload) in messages.items():
        validators[event_type] = _validator(doc, resolver, checker, where, payload)
    if channel is None:
        return Spec(validators)
    types, untyped = collect_channel(doc, channel)
    if untyped:
        where, shown, payload = untyped[0]
        return Spec(validators, types,
                    (shown, _validator(doc, resolver, checker, where, payload)))
    return Spec(validators, types)


# ---------------------------------------------------------- extra rules

# Decimals of a few currencies; others are only checked for consistency.
CURRENCY_DECIMALS = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "PLN": 2, "CZK": 2, "AUD": 2, "JPY": 0, "KRW": 0, "ISK": 0,
    "KWD": 3, "BHD": 3, "TND": 3,
}
_AMOUNT_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _money_objects(node, path, found):
    """Collects (path, object) for every Money object at any depth."""
    if isinstance(node, dict):
        if isinstance(node.get("amount"), str) and _int(node.get("minorUnits")) is not None:
            found.append((path or "/", node))
            return
        for key, value in node.items():
            _money_objects(value, f"{path}/{key}", found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _money_objects(value, f"{path}/{i}", found)


def _money_problems(node, path, out, currency=None):
    """Each Money object says one value twice, with its currency's decimals, in
    `currency` when given."""
    found = []
    _money_objects(node, path, found)
    unknown_decimals = {}
    for where, money in found:
        amount, minor, code = money["amount"], money["minorUnits"], money.get("currency")
        if not _AMOUNT_RE.match(amount):
            continue  # the schema reports it
        if int(amount.replace(".", "")) != minor:
            out.append(f"{where}: amount {amount!r} and minorUnits {minor} differ")
        decimals = CURRENCY_DECIMALS.get(code)
        have = len(amount.split(".")[1]) if "." in amount else 0
        if decimals is not None and have != decimals:
            out.append(f"{where}: amount {amount!r} should have {decimals} decimals for {code}")
        elif decimals is None:
            unknown_decimals.setdefault(have, where)
        if currency is not None and code != currency:
            out.append(f"{where}: currency {code!r} is not the event's {currency!r}")
    if len(unknown_decimals) > 1:
        out.append(
            f"{path}: amounts of one currency with different decimals "
            f"({', '.join(sorted(unknown_decimals.values()))})"
        )


def _minor(obj, key):
    """minorUnits of the Money object obj[key] (None when it is not one)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return _int(value.get("minorUnits")) if isinstance(value, dict) else None


def _number(value):
    """A JSON number as an exact Decimal (None for anything else)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        # repr() of a float is the shortest text that reads back the same,
        # i.e. the text the producer wrote.
        return decimal.Decimal(repr(value) if isinstance(value, float) else value)
    except decimal.InvalidOperation:
        return None


def _order_problems(order, out):
    """The arithmetic of an operation's order (data.order), in minor units."""
    where = "/data/order"
    if not isinstance(order, dict):
        return
    sums = {"totalWithoutTax": 0, "totalTax": 0, "totalWithTax": 0}
    items = order.get("orderItems")
    for i, item in enumerate(items if isinstance(items, list) else []):
        products = item.get("productItems") if isinstance(item, dict) else None
        for k, line in enumerate(products if isinstance(products, list) else []):
            path = f"{where}/orderItems/{i}/productItems/{k}"
            if not isinstance(line, dict):
                return
            quantity = _int(line.get("quantity"))
            rate = _number(line.get("vatRate"))
            values = {
                name: _minor(line, name)
                for name in ("unitPrice", "amountWithoutTax", "amountTax", "amountWithTax")
            }
            if quantity is None or rate is None or any(v is None for v in values.values()):
                return  # the schema reports it
            without = quantity * values["unitPrice"]
            tax = int((decimal.Decimal(without) * rate / 100).quantize(
                decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))
            for name, want in (("amountWithoutTax", without), ("amountTax", tax),
                               ("amountWithTax", without + tax)):
                if values[name] != want:
                    out.append(
                        f"{path}/{name}: minorUnits {values[name]} should be {want}")
            sums["totalWithoutTax"] += without
            sums["totalTax"] += tax
            sums["totalWithTax"] += without + tax
    for name, want in sums.items():
        have = _minor(order, name)
        if have is None:
            return
        if have != want:
            out.append(f"{where}/{name}: minorUnits {have} is not the sum of the lines, {want}")


def _int(value):
    """An integer JSON value (None for anything else, booleans included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(value):
    if isinstance(value, str) and _is_date(value) and _DATE_RE.match(value):
        return datetime.date.fromisoformat(value)
    return None


def _period_bounds(value):
    """First and last day of a `YYYY-MM` period (None when it is not one)."""
    m = re.match(r"^(\d{4})-(\d{2})$", value) if isinstance(value, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    first = datetime.date(year, month, 1)
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


_INVOICE_AMOUNTS = ("WithoutTax", "Tax", "WithTax")


def _invoice_problems(data, out):
    """The arithmetic and the dates of an issued invoice (data of invoice.issued)."""
    totals = {k: _minor(data, f"total{k}") for k in _INVOICE_AMOUNTS}
    if None not in totals.values() and totals["WithoutTax"] + totals["Tax"] != totals["WithTax"]:
        out.append(
            f"/data/totalWithTax: {totals['WithTax']} is not totalWithoutTax + "
            f"totalTax, {totals['WithoutTax'] + totals['Tax']}"
        )
    period = _period_bounds(data.get("period"))
    lines = data.get("lines")
    sums = dict.fromkeys(_INVOICE_AMOUNTS, 0)
    complete = isinstance(lines, list) and len(lines) > 0
    seen_ops = set()
    for i, line in enumerate(lines if isinstance(lines, list) else []):
        path = f"/data/lines/{i}"
        if not isinstance(line, dict):
            complete = False
            continue
        amounts = {k: _minor(line, f"amount{k}") for k in _INVOICE_AMOUNTS}
        if None in amounts.values():
            complete = False
        else:
            if amounts["WithoutTax"] + amounts["Tax"] != amounts["WithTax"]:
                out.append(
                    f"{path}/amountWithTax: {amounts['WithTax']} is not "
                    f"amountWithoutTax + amountTax, "
                    f"{amounts['WithoutTax'] + amounts['Tax']}"
                )
            for k in _INVOICE_AMOUNTS:
                sums[k] += amounts[k]
        op = line.get("operationId")
        if isinstance(op, str):
            if op in seen_ops:
                out.append(f"{path}/operationId: {op} is on another line too")
            seen_ops.add(op)
        day = _date(line.get("operationDate"))
        if period is not None and day is not None and day > period[1]:
            out.append(
                f"{path}/operationDate: {day} is after the period {data.get('period')}"
            )
    if complete and None not in totals.values():
        for k in _INVOICE_AMOUNTS:
            if totals[k] != sums[k]:
                out.append(
                    f"/data/total{k}: {totals[k]} is not the sum of the lines, {sums[k]}"
                )
    vat = data.get("vatBreakdown")
    if isinstance(vat, list):
        base = tax = 0
        rates = set()
        whole = True
        for i, entry in enumerate(vat):
            if not isinstance(entry, dict):
                whole = False
                continue
            rate = _number(entry.get("vatRate"))
            if rate is not None:
                if rate in rates:
                    out.append(f"/data/vatBreakdown/{i}/vatRate: {rate} appears twice")
                rates.add(rate)
            b, t = _minor(entry, "base"), _minor(entry, "tax")
            if b is None or t is None:
                whole = False
            else:
                base += b
                tax += t
        if whole and totals["WithoutTax"] is not None and base != totals["WithoutTax"]:
            out.append(
                f"/data/vatBreakdown: the bases add up to {base}, not "
                f"totalWithoutTax {totals['WithoutTax']}"
            )
        if whole and totals["Tax"] is not None and tax != totals["Tax"]:
            out.append(
                f"/data/vatBreakdown: the taxes add up to {tax}, not "
                f"totalTax {totals['Tax']}"
            )
    issue, due = _date(data.get("issueDate")), _date(data.get("dueDate"))
    if period is not None and issue is not None and issue < period[0]:
        out.append(
            f"/data/issueDate: {issue} is before the period {data.get('period')} starts"
        )
    if issue is not None and due is not None and due < issue:
        out.append(f"/data/dueDate: {due} is before the issue date {issue}")
    ref = data.get("invoiceRef")
    m = re.match(r"^INV-(\d{4})-", ref) if isinstance(ref, str) else None
    if m and issue is not None and int(m.group(1)) != issue.year:
        out.append(
            f"/data/invoiceRef: {ref} is not numbered in the year of issue {issue.year}"
        )


# The member of `data` that `subject` repeats, per family of event types.
SUBJECT_MEMBER = {
    "contract.": "contractId",
    "operation.": "operationId",
    "invoice.": "invoiceRef",
    "payment.": "invoiceRef",
}


def extra_problems(event):
    out = []
    data = event.get("data")
    event_type = event.get("type")
    family = None
    if isinstance(event_type, str):
        family = next((f for f in SUBJECT_MEMBER if event_type.startswith(f)), None)
    if family is not None and isinstance(data, dict) and "subject" in event:
        member = SUBJECT_MEMBER[family]
        if member in data and event["subject"] != data[member]:
            out.append(
                f"/subject: {event['subject']!r} is not data.{member} "
                f"{data[member]!r}"
            )
    currency = None
    if family == "operation." and isinstance(data, dict):
        order = data.get("order")
        currency = order.get("currencyCode") if isinstance(order, dict) else None
    elif family in ("invoice.", "payment.") and isinstance(data, dict):
        currency = data.get("currency")
    _money_problems(data, "/data", out, currency if isinstance(currency, str) else None)
    if family == "operation." and isinstance(data, dict):
        _order_problems(data.get("order"), out)
    if event_type == "invoice.issued" and isinstance(data, dict):
        _invoice_problems(data, out)
    if event_type == "invoice.sent" and isinstance(data, dict):
        ref, message_id = data.get("invoiceRef"), data.get("messageId")
        if isinstance(ref, str) and isinstance(message_id, str):
            if message_id != f"<{ref}@boissipay>":
                out.append(
                    f"/data/messageId: {message_id!r} is not '<{ref}@boissipay>'"
                )
    return out


# ------------------------------------------------------------------ main


def _describe(error):
    path = "".join(f"/{p}" for p in error.absolute_path) or "/"
    message = error.message
    if error.validator == "not":
        # The default text repeats the whole instance; say what is forbidden.
        forbidden = error.validator_value
        if isinstance(forbidden, dict) and set(forbidden) == {"required"}:
            names = ", ".join(repr(n) for n in forbidden["required"])
            message = f"{names} must not be present here"
        else:
            message = f"must not match {json.dumps(forbidden, sort_keys=True)}"
    elif len(message) > 200 and message.startswith(repr(error.instance)):
        # The default text starts with the whole instance; name its type instead.
        kind = {dict: "an object", list: "an array"}.get(type(error.instance), "the value")
        message = kind + message[len(repr(error.instance)):]
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{path}: {message}"


def schema_problems(validator, event):
    errors = sorted(validator.iter_errors(event), key=relevance, reverse=True)
    seen = []
    for error in errors:
        text = _describe(error)
        if text not in seen:
            seen.append(text)
    return seen


def _one_line(text):
    return " ".join(str(text).split())


def _message_place(value, lineno):
    """`topic/partition@offset` of a dead letter, or `lineN`."""
    topic, partition, offset = (value.get(k) for k in ("topic", "partition", "offset"))
    if isinstance(topic, str) and _int(partition) is not None and _int(offset) is not None:
        return f"{topic}/{partition}@{offset}"
    return f"line{lineno}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Validate Kafka message values (one JSON object per line) "
        "against an AsyncAPI document."
    )
    parser.add_argument("asyncapi_file")
    parser.add_argument("events_file", help='one event per line; "-" for stdin')
    parser.add_argument(
        "--expect-types",
        default="",
        help="comma-separated event types that must each appear at least once",
    )
    parser.add_argument(
        "--channel",
        default=None,
        help="only the messages of this channel (dead-letter: values that are "
        "not CloudEvents)",
    )
    args = parser.parse_args(argv)

    try:
        spec = load_spec(args.asyncapi_file, args.channel)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    try:
        if args.events_file == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(args.events_file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.events_file}: {exc}", file=sys.stderr)
        return 2

    expected = [t.strip() for t in args.expect_types.split(",") if t.strip()]
    passed = failed = 0
    seen_types = set()
    events = 0

    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        events += 1
        try:
            event = json.loads(line)
        except ValueError as exc:
            print(f"FAIL ? line{lineno}: not JSON: {_one_line(exc)}")
            failed += 1
            continue
        if not isinstance(event, dict):
            print(f"FAIL ? line{lineno}: not a JSON object")
            failed += 1
            continue
        if spec.untyped is not None:
            # Not CloudEvents: every value is one message of the channel.
            shown_type, validator = spec.untyped
            shown_id = _message_place(event, lineno)
            seen_types.add(shown_type)
            problems = schema_problems(validator, event)
        else:
            event_type = event.get("type")
            event_id = event.get("id")
            shown_type = event_type if isinstance(event_type, str) else "?"
            shown_id = event_id if isinstance(event_id, str) else f"line{lineno}"
            if isinstance(event_type, str):
                seen_types.add(event_type)
            validator = (
                spec.validators.get(event_type) if isinstance(event_type, str) else None
            )
            reason = "no type" if event_type is None else "unknown event type"
            if (validator is not None and spec.channel_types is not None
                    and event_type not in spec.channel_types):
                validator = None
                reason = f"not a message of channel {args.channel}"
            if validator is None:
                print(f"FAIL {_one_line(shown_type)} {_one_line(shown_id)}: {reason}")
                failed += 1
                continue
            problems = schema_problems(validator, event) + extra_problems(event)
        if problems:
            detail = _one_line("; ".join(problems))
            print(f"FAIL {shown_type} {_one_line(shown_id)}: {detail}")
            failed += 1
        else:
            print(f"ok {shown_type} {_one_line(shown_id)}")
            passed += 1

    if events == 0:
        print(f"FAIL no events in {args.events_file}")
        failed += 1
    for event_type in expected:
        if event_type not in seen_types:
            print(f"FAIL {event_type} -: expected type never appeared")
            failed += 1

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
