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


class Pagination(LimitOffsetPagination):
    """Pages of at most 1,000 rows: a larger `limit` is cut to that (PostgreSQL refuses a
    LIMIT beyond its 64-bit range, which a client could ask for; found by fuzzing). A limit
    or offset that is not one whole number in range is a 400 naming it, not silently the
    first page; the schema states the ranges."""

    max_limit = 1000
    max_offset = 10**9

    def _number(self, request, name, minimum, maximum, default):
        values = request.query_params.getlist(name)
        if not values:
            return default
        if len(values) > 1 or not values[0].isdigit() or not minimum <= int(values[0]) <= (maximum or int(values[0])):
            most = f" to {maximum:,}" if maximum else " or more (larger pages are cut to 1,000 rows)"
            raise exceptions.ValidationError({name: [f"Give {name} once, as a whole number from {minimum}{most}."]})
        return int(values[0])

    def get_limit(self, request):
        return min(self._number(request, self.limit_query_param, 1, None, self.default_limit), self.max_limit)

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, 0, self.max_offset, 0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] |= (
                {"minimum": 1} if parameter["name"] == self.limit_query_param else {"minimum": 0, "maximum": self.max_offset}
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


def _problem(path, message, data):
    entry = {"message": str(message), "code": getattr(message, "code", "invalid")}
    if path:
        entry["field"] = path
    if path.startswith("lines[") and "]" in path:
        index = int(path[len("lines["):path.index("]")])
        entry["line"] = index
        lines = data.get("lines") if isinstance(data, dict) else None
        if isinstance(lines, list) and index < len(lines) and isinstance(lines[index], dict):
            sku = lines[index].get("sku")
            if isinstance(sku, str):
                entry["sku"] = sku
    return entry


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
        response.data = {"errors": [_problem(path, message, data) for path, message in _flatten(exc.detail)]}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        response.data = error_body(str(detail), getattr(detail, "code", exc.default_code))
    return response


ERRORS_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "code"],
                "properties": {
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                    "field": {"type": "string", "description": "Dotted path of the field at fault, e.g. lines[2].quantity"},
                    "line": {"type": "integer", "description": "Index of the line at fault"},
                    "sku": {"type": "string", "description": "SKU of the line at fault"},
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "The input is invalid; each error names the field, line and SKU at fault. Nothing was changed.",
    "401": "No or an unknown token: send `Authorization: Token KEY`.",
    "403": "The token's user lacks the role for this call.",
    "404": "No such order or SKU.",
    "409": "The request conflicts with the state of things; the message says why. Nothing was changed.",
    "413": "The body is larger than the API accepts.",
    "415": "The body must be JSON (Content-Type: application/json).",
    "503": "The database is briefly unavailable (a restart); retry after the seconds in Retry-After. Nothing was changed.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the error body."""
    result.setdefault("components", {}).setdefault("schemas", {})["Errors"] = ERRORS_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            codes = ["400", "401", "403", "503"]
            if "{" in path:
                codes.append("404")
            if method == "post":
                codes += ["409", "413", "415"]
            for code in codes:
                operation.setdefault("responses", {}).setdefault(
                    code, {"description": ERROR_RESPONSES[code], "content": reference}
                )
    return result
