"""One error format for the whole API.

Every error body is {"errors": [{"message", "field"?, "line"?, "sku"?, "code"}]}, so a shop
can point at the exact field, line index and SKU to fix."""

import re

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import DomainError, Problem
from kernel.parsers import parse_count, query_value


class Pagination(LimitOffsetPagination):
    """Pages of at most 1,000 rows: a larger `limit` is cut to that (PostgreSQL refuses a
    LIMIT beyond its 64-bit range, which a client could ask for; found by fuzzing). A limit
    or offset that is not one whole number in range is a 400 naming it, not silently the
    first page; the schema states the ranges."""

    max_limit = 1000
    max_offset = 10**9

    def _number(self, request, name, minimum, maximum, default):
        value = query_value(request, name)
        return default if value is None else parse_count(value, name, minimum, maximum)

    def get_limit(self, request):
        return min(self._number(request, self.limit_query_param, 1, None, self.default_limit), self.max_limit)

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, 0, self.max_offset, 0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] |= (
                {"minimum": 1}
                if parameter["name"] == self.limit_query_param
                else {"minimum": 0, "maximum": self.max_offset}
            )
        return parameters


SURROGATE = re.compile("[\ud800-\udfff]")


def printable(value):
    """Text as it can be sent back: a lone surrogate (which a client may send escaped in
    JSON, but UTF-8 cannot carry) becomes U+FFFD."""
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable(item) for item in value]
    return value


def error_body(message, code):
    """The error shape for one problem that no service raised (a 413, a 503, a refused scrape)."""
    return DomainError(Problem(message, code=code)).as_body()


def _flatten(detail, path=""):
    """DRF nests errors like {"lines": [{}, {"quantity": ["..."]}]}; flatten them to one
    entry per problem with a dotted field path and the line index."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer reports {index: errors}
                name = f"{path}[{key}]"
            elif key == "non_field_errors":
                name = path
            else:
                name = f"{path}.{key}" if path else key
            yield from _flatten(value, name)
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                yield path, item
        else:
            for index, item in enumerate(detail):
                yield from _flatten(item, f"{path}[{index}]")
    else:
        yield path, detail


# DRF's own messages ("This field is required.", "Ensure this value is greater than or equal
# to 1.") in our words, by their code, naming the field: one wording in every answer. {n} is
# the number DRF's message names; a list's sizes are counted in entries, text in characters.
OUR_WORDS = {
    "required": "{name} is missing.",
    "null": "{name} may not be null.",
    "blank": "{name} may not be empty.",
    "empty": "{name} needs at least one entry.",
    "not_a_list": "{name} must be a list.",
    "min_value": "{name} must be at least {n}.",
    "max_value": "{name} must be at most {n}.",
    "min_length": "{name} takes at least {n} {units}.",
    "max_length": "{name} takes at most {n} {units}.",
    "max_string_length": "{name} is too long.",
}
_NUMBER = re.compile(r"-?[0-9][0-9,.]*[0-9]|[0-9]")


def _in_our_words(code, message, name, prefix):
    words = OUR_WORDS.get(code)
    if code == "invalid" and str(message).startswith("Invalid data. Expected a dictionary"):
        words = "{name} must be an object."
    if words is None:
        return str(message)
    number = _NUMBER.search(str(message))
    units = "entries" if "element" in str(message) else "characters"
    name = name if prefix else f"The field {name}" if name else "The body"
    return prefix + words.format(name=name, n=number.group() if number else "", units=units)


def _problem(path, message, data):
    code = getattr(message, "code", "invalid")
    entry = {"code": code}
    if path:
        entry["field"] = path
    prefix, name = "", path
    if path.startswith("lines[") and "]" in path:
        index = int(path[len("lines[") : path.index("]")])
        entry["line"] = index
        prefix, name = f"Line {index + 1}: ", path[path.index("]") + 1 :].lstrip(".") or "the line"
        lines = data.get("lines") if isinstance(data, dict) else None
        if isinstance(lines, list) and index < len(lines) and isinstance(lines[index], dict):
            sku = lines[index].get("sku")
            if isinstance(sku, str):
                entry["sku"] = sku
                prefix = f"Line {index + 1} (SKU {sku[:64]}): "
    entry["message"] = _in_our_words(code, message, name, prefix)
    return entry


def problems_of(errors, data):
    """A serializer's errors as Problems in our words (to be raised with others, refuse())."""
    return [Problem(**_problem(path, message, data)) for path, message in _flatten(errors)]


def exception_handler(exc, context):
    """Every error as {"errors": [...]}, its texts printable whatever the client sent."""
    response = _error_response(exc, context)
    if response is not None:
        response.data = printable(response.data)
    return response


def _error_response(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_body(), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("The request body is larger than this API accepts.", "too_large"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        try:
            data = context["request"].data
        except Exception:  # the body itself was the problem
            data = None
        problems = [_problem(path, message, data) for path, message in _flatten(exc.detail)]
        response.data = {"errors": problems}
        # A body whose only fault is naming what does not exist (a supplier's code) is well
        # formed: a 404, as kernel.errors.refuse answers it.
        unknown = bool(problems) and all(problem["code"] == "does_not_exist" for problem in problems)
        response.status_code = status.HTTP_404_NOT_FOUND if unknown else status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        response.data = error_body(str(detail), getattr(detail, "code", exc.default_code))
    return response
