"""Schemathesis hooks of tests/api/run_schemathesis.sh.

1. What a schema cannot state, made right before each call (every phase): amounts in
   their currency's decimals and range (bp_money), generated IBANs
   of a valid shape get correct check digits (ISO 7064 mod 97-10), and a pair of dates the
   server wants in order (activatedAt <= expireAt, mandate signedAt <= expireAt) is put in
   order; an operation's client totals (optional, and refused when they disagree with the
   server's) are left out, and an order whose lines all cost nothing gets a price (its
   total must be above zero). Values of a wrong shape are left as generated, so negative
   cases stay negative. The integration tests cover the server's refusals.
2. With BP_API_SPEC=original (the earlier Java version's specs), the failures that are
   deliberate differences of ours, each named as in docs/compatibility.md, are dropped;
   nothing else is.
"""

import datetime
import decimal
import json
import os
import re

import schemathesis

IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def iban_with_check_digits(text):
    """`text` with correct check digits when its shape is an IBAN's, else None."""
    if not re.fullmatch(r"[ A-Za-z0-9]+", text):
        return None
    compact = text.replace(" ", "").upper()
    if not IBAN_SHAPE.match(compact):
        return None
    rearranged = compact[4:] + compact[:2] + "00"
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return f"{compact[:2]}{98 - int(digits) % 97:02d}{compact[4:]}"


def in_order(holder, first, last):
    """Swaps holder[first] and holder[last] when both are dates and out of order."""
    try:
        a = datetime.date.fromisoformat(holder[first])
        b = datetime.date.fromisoformat(holder[last])
    except (KeyError, TypeError, ValueError):
        return
    if a > b:
        holder[first], holder[last] = holder[last], holder[first]


def fix_mandate(mandate):
    if not isinstance(mandate, dict):
        return
    if isinstance(mandate.get("iban"), str):
        fixed = iban_with_check_digits(mandate["iban"])
        if fixed is not None:
            mandate["iban"] = fixed
    in_order(mandate, "signedAt", "expireAt")


CLIENT_TOTALS = ("totalWithoutTax", "totalTax", "totalWithTax", "amountEcoParticipation")
CLIENT_AMOUNTS = ("amountWithoutTax", "amountTax", "amountWithTax", "amountEcoParticipation")


# Minor-unit digits of the currencies that do not have two (bp_money's table).
DIGITS = {"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "BIF": 0,
          "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
          "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0}


MAX_MINOR = 10**15  # bp_money's largest amount, in minor units


def to_currency(value, digits, share=1):
    """An amount of a valid shape cut to the currency's decimals and to 1/share of the
    largest amount in that currency (rules that depend on another member, which no
    schema states); other shapes are left as they are."""
    try:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value >= 0:
            exact = decimal.Decimal(repr(value)) if isinstance(value, float) else decimal.Decimal(value)
        elif isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
            exact = decimal.Decimal(value)
        else:
            return value
        step = decimal.Decimal(1).scaleb(-digits)
        cut = min(exact, decimal.Decimal(MAX_MINOR // max(share, 1)) * step)
        cut = cut.quantize(step, rounding=decimal.ROUND_DOWN)
        if isinstance(value, str):
            return str(cut)
        return float(cut) if digits else int(cut)
    except (decimal.InvalidOperation, ValueError, OverflowError):
        return value


def fix_credit_limit(limit):
    """A credit limit's amount within its currency's decimals and range."""
    if isinstance(limit, dict) and "amount" in limit:
        currency = limit.get("currency", "EUR")
        digits = DIGITS.get(currency, 2) if isinstance(currency, str) else 2
        limit["amount"] = to_currency(limit["amount"], digits)


def fix_order(order):
    """No client totals; prices in the currency's decimals; a price on the first line
    when every line is free."""
    if not isinstance(order, dict) or not isinstance(order.get("orderItems"), list):
        return
    for k in CLIENT_TOTALS:
        order.pop(k, None)
    currency = order.get("currencyCode")
    digits = DIGITS.get(currency, 2) if isinstance(currency, str) else 2
    lines = [
        p
        for item in order["orderItems"]
        if isinstance(item, dict) and isinstance(item.get("productItems"), list)
        for p in item["productItems"]
        if isinstance(p, dict)
    ]
    # every line's quantity × price, VAT (at most 100 %) on top, within the largest amount
    quantities = [p.get("quantity") for p in lines]
    share = 2 * sum(q for q in quantities if isinstance(q, int) and not isinstance(q, bool) and q > 0) or 2
    for line in lines:
        for k in CLIENT_AMOUNTS:
            line.pop(k, None)
        if "unitPrice" in line:
            line["unitPrice"] = to_currency(line["unitPrice"], digits, share)
        # "at most 2 decimals" cannot be stated for a binary number (multipleOf 0.01 makes
        # 0.5700000000000001): the rate is rounded as a client would write it.
        rate = line.get("vatRate")
        if isinstance(rate, float) and 0 <= rate <= 100:
            line["vatRate"] = round(rate, 2)
    # At most 16 different VAT rates in one order (billing's breakdown), across its lines.
    seen = []
    for line in lines:
        rate = line.get("vatRate")
        if isinstance(rate, (int, float, str)) and not isinstance(rate, bool):
            if rate not in seen and len(seen) == 16:
                line["vatRate"] = seen[0]
            elif rate not in seen:
                seen.append(rate)
    try:
        free = all(float(p.get("unitPrice", 0)) == 0 for p in lines)
    except (TypeError, ValueError):
        return
    if lines and free:
        lines[0]["unitPrice"] = "1.00"


@schemathesis.hook
def before_call(ctx, case, kwargs):
    op = ctx.operation
    body = case.body
    if op is None or not isinstance(body, dict):
        return
    method, path = op.method.upper(), op.path
    if method == "POST" and path == "/contracts":
        in_order(body, "activatedAt", "expireAt")
        payment = body.get("payment")
        fix_mandate(payment.get("mandate") if isinstance(payment, dict) else None)
        billing = body.get("billing")
        fix_credit_limit(billing.get("creditLimit") if isinstance(billing, dict) else None)
    elif method == "PUT" and path == "/contracts/{contractRef}/mandate":
        fix_mandate(body)
    elif method == "PUT" and path == "/contracts/{contractRef}/credit-limit":
        fix_credit_limit(body)
    elif method == "POST" and path == "/operations":
        fix_order(body.get("order"))


# --- the earlier API's specs: deliberate differences (docs/compatibility.md) ----------------

ORIGINAL = os.environ.get("BP_API_SPEC") == "original"

# name (as in docs/compatibility.md) -> predicate(failure, case, response)
DIFFERENCES = {}


def difference(name):
    def register(predicate):
        DIFFERENCES[name] = predicate
        return predicate

    return register


if ORIGINAL:

    @schemathesis.hook
    def filter_failure(ctx, failure, case, response):
        for name, predicate in DIFFERENCES.items():
            if predicate(failure, case, response):
                print(f"[listed difference: {name}] {case.method} {case.path}: {failure.title}")
                return False
        return True


def _text(failure):
    return f"{failure.title}\n{failure.message}"


def _status(response):
    return getattr(response, "status_code", None)


def _required(text, name):
    return f"'{name}' is a required property" in text or f'"{name}" is a required property' in text


@difference("Amounts are Money objects")
def _amounts(failure, case, response):
    text = _text(failure)
    return failure.code == "ST108" and "is not of type 'number'" in text and "minorUnits" in text


@difference("Currency codes are active ISO 4217 codes")
def _currency_codes(failure, case, response):
    return (
        failure.code == "ST202"
        and _status(response) == 400
        and re.search(r"currency(Code)? (must be 3 to 3 characters long|is not an ISO 4217)",
                      response.text) is not None
    )


@difference("Control characters in paths and query values")
def _control_characters(failure, case, response):
    return (
        failure.code == "ST202"
        and _status(response) == 400
        and "contains a control character" in response.text
    )


@difference("`\\u0000` in texts the service reads")
def _nul_in_texts(failure, case, response):
    return (
        failure.code == "ST202"
        and _status(response) == 400
        and "must not contain NUL characters" in response.text
    )


@difference("`payment` is an object")
def _payment_object(failure, case, response):
    return (
        failure.code == "ST202"
        and _status(response) == 400
        and "payment must be an object" in response.text
    )


@difference("400, 404 and 422 answers")
def _undocumented_400_404_422(failure, case, response):
    return failure.code == "ST103" and _status(response) in (400, 404, 422)


@difference("Country codes are ISO 3166-1 alpha-2")
def _country_code(failure, case, response):
    return failure.code == "ST202" and _status(response) == 400 and "countryCode" in response.text


OPTIONAL_PARTS = ("payment", "contactAddress", "billingAddress", "ccuid", "contactId")


@difference("Optional parts of a contract")
def _optional_parts(failure, case, response):
    text = _text(failure)
    missing = any(_required(text, name) for name in OPTIONAL_PARTS)
    return case.operation.path.startswith("/contracts") and missing


@difference("`CANCELLED` status")
def _cancelled(failure, case, response):
    text = _text(failure)
    return "'CANCELLED' is not one of" in text or '"CANCELLED" is not one of' in text


@difference("Invoice list items without `operations`")
def _invoice_list_items(failure, case, response):
    return (
        case.operation.path == "/invoices"
        and _required(_text(failure), "operations")
    )


@difference("Orders need lines")
def _orders_need_lines(failure, case, response):
    return (
        case.operation.path == "/operations"
        and _status(response) == 400
        and "must be a non-empty array" in response.text
    )


@difference("Texts are not empty")
def _texts_not_empty(failure, case, response):
    return (
        failure.code == "ST202"
        and _status(response) == 400
        and "must be 1 to " in response.text
    )


@difference("An operation names its contract and its order")
def _operation_names_contract(failure, case, response):
    return (
        case.operation.path == "/operations"
        and _status(response) == 400
        and (
            "contractRef or contractId is required" in response.text
            or "order.orderRef is required" in response.text
        )
    )


@difference("A new contract is CREATED or ACTIVE")
def _new_contract_status(failure, case, response):
    return (
        case.operation.path == "/contracts"
        and _status(response) == 400
        and "a new contract is CREATED or ACTIVE" in response.text
    )


@difference("Bodies and their key members are required")
def _bodies_required(failure, case, response):
    return (
        case.operation.method.upper() == "POST"
        and case.operation.path in ("/contracts", "/operations")
        and _status(response) == 400
        and ("a JSON object body is required" in response.text or " is required\"" in response.text)
    )


@difference("Dates are years 1900 to 9999")
def _date_range(failure, case, response):
    return (
        failure.code == "ST202"
        and _status(response) == 400
        and "years 1900 to 9999" in response.text
        and re.search(r'"1[0-8][0-9]{2}-|"0[0-9]{3}-', json.dumps(case.body, default=str)) is not None
    )
