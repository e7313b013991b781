"""Reading what clients send, one rule each: whole numbers in query strings and forms, amounts,
JSON bodies, and keys that match in any case (SKUs). Its own module: DRF reads the parser and
the negotiation class from settings while it loads, so this imports no models."""

import json
import re
from decimal import Decimal

from rest_framework import negotiation, parsers
from rest_framework.utils.mediatypes import _MediaType

from kernel.errors import InvalidInput

DIGITS = re.compile(r"[0-9]+")


def parse_count(text, field, minimum=0, maximum=None):
    """A whole number written in ASCII digits, from `minimum` to `maximum` (None: no bound), or
    InvalidInput naming `field`. "²", "①" and "٣" are digits to str.isdigit() and the last
    even to int(), but no one types them into a quantity: they are refused, not guessed at.
    (Beyond 4,300 digits Python refuses to make an int: so does this.)"""
    if isinstance(text, str) and len(text) <= 4300 and DIGITS.fullmatch(text):
        number = int(text)
        if number >= minimum and (maximum is None or number <= maximum):
            return number
    most = f" to {maximum:,}" if maximum is not None else " or more"
    raise InvalidInput.one(f"Give {field} as a whole number from {minimum:,}{most}.", field=field, code="invalid")


# No sign (no amount the API takes may be negative), no zeros in front ("0012.50" is padded).
MONEY_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"


def is_amount(text):
    """An amount as the API's schema writes it (MONEY_PATTERN: up to ten ASCII digits without
    zeros in front, at most two decimals, a point): "1e3", "+12.50", " 12.50", "0012.50",
    "NaN" and "١٢" are Decimals to Python, not amounts here."""
    return isinstance(text, str) and re.fullmatch(MONEY_PATTERN, text) is not None


def parse_amount(text, field):
    """An amount (is_amount) as a Decimal, or InvalidInput naming `field`."""
    if is_amount(text):
        return Decimal(text)
    raise InvalidInput.one(
        f'Give {field} as an amount with at most two decimals, e.g. "12.50".', field=field, code="invalid"
    )


def case_key(text):
    """The one rule for keys that match in any case (SKUs; the database keeps them unique with
    an index on UPPER(sku)): ASCII letters fold, nothing else does, so "tea-003" is TEA-003.
    Python's upper() also turns "fıl-050" (dotless i), "ﬁl-050" (a ligature) and "ſcl-070"
    (long s) into FIL-050 and SCL-070, which the database's UPPER() and SQLite's LIKE may or may
    not do: such text is no key at all (None), and a lookup by it finds nothing, everywhere."""
    if isinstance(text, str) and text.isascii() and text.isprintable():
        return text.upper()
    return None


def match_keys(asked, known):
    """Each key in `asked` that names one of `known` (a mapping from keys as the catalogue spells
    them) under case_key, mapped to that one's value."""
    by_key = {case_key(key): value for key, value in known.items()}
    by_key.pop(None, None)
    return {key: by_key[case_key(key)] for key in asked if case_key(key) in by_key}


def repeated(keys):
    """The indexes of the keys that repeat an earlier one under case_key (text that is no key
    repeats only itself)."""
    seen, repeats = set(), []
    for index, key in enumerate(keys):
        folded = case_key(key) or key
        if folded in seen:
            repeats.append(index)
        seen.add(folded)
    return repeats


def query_value(request, name):
    """One query parameter's value, None when it is not given; given twice it is a 400 naming
    it (which of the two would count?)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise InvalidInput.one(f"Give {name} once.", field=name, code="invalid")
    return values[0] if values else None


def query_dict(request):
    """The query string as a plain dict of one value each (query_value), so that an empty value
    reaches a serializer as "", which it refuses, and not as "not given"."""
    return {name: query_value(request, name) for name in request.query_params}


# A yes/no in a query string, as the schema's boolean is written there.
FLAGS = {"true": True, "false": False}


# No body the API or a webhook reads nests deeper than this; an order is three levels deep.
MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _too_deep(text):
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # most bodies: no scan
        return False
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


class DuplicateKey(ValueError):
    pass


def _object(pairs):
    keys = set()
    for key, _value in pairs:
        if key in keys:
            raise DuplicateKey(key)
        keys.add(key)
    return dict(pairs)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(body, encoding="utf-8"):
    """A JSON body (bytes), read strictly: nested at most MAX_DEPTH levels (counted before
    parsing: a body 100,000 levels deep made Python's parser give up with a RecursionError), each
    key once per object (a repeated key would otherwise silently be its last value), no NaN or
    Infinity. Anything else is InvalidInput with code parse_error, naming what is wrong."""
    try:
        text = body.decode(encoding)
        if _too_deep(text):
            raise InvalidInput.one(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.", code="parse_error")
        return json.loads(text, object_pairs_hook=_object, parse_constant=_refuse_constant)
    except DuplicateKey as error:
        key = str(error)[:64]
        raise InvalidInput.one(
            f"JSON parse error - the key {key!r} appears twice in one object.", field=key, code="parse_error"
        ) from None
    except ValueError as error:  # also a body that is not in its charset (UnicodeDecodeError)
        raise InvalidInput.one(f"JSON parse error - {error}", code="parse_error") from None


def is_json(content_type):
    """application/json or application/<anything>+json, with any parameters (charset)."""
    media = _MediaType(content_type or "")
    return media.main_type == "application" and (media.sub_type == "json" or media.sub_type.endswith("+json"))


class JSONParser(parsers.JSONParser):
    """The API's bodies: a JSON object read by parse_json."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = parse_json(stream.read(), parsers.get_encoding(parser_context or {}))
        if not isinstance(data, dict):
            raise InvalidInput.one("The body must be a JSON object.", code="parse_error")
        return data


class JSONOnly(negotiation.DefaultContentNegotiation):
    """Only a JSON content type is read as JSON: "*/*", "text/plain" or none is a 415 (DRF
    would match "*/*" to its JSON parser and read anything)."""

    def select_parser(self, request, parsers):
        if not is_json(request.content_type):
            return None
        return next((parser for parser in parsers if parser.media_type == "application/json"), None)
