"""The published OpenAPI schema (drf-spectacular) states what the server enforces: the error
body and codes of every operation, the least and most items of a list, and what text may hold."""

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, is_list_serializer
from drf_spectacular.utils import PolymorphicProxySerializer

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
                    "field": {
                        "type": "string",
                        "description": "Dotted path of the field at fault, e.g. lines[2].quantity",
                    },
                    "line": {"type": "integer", "description": "Index of the line at fault"},
                    "sku": {"type": "string", "description": "SKU of the line at fault"},
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "The input is not what this schema states (or names a SKU twice, or adds up to more than the books "
    "hold); each error names the field, line and SKU at fault. Nothing was changed.",
    "401": "No or an unknown token: send `Authorization: Token KEY`.",
    "403": "The token's user lacks the role for this call.",
    "404": "No such order, purchase order, supplier or SKU, in the path or named in the body; the error names it. "
    "Nothing was changed.",
    "409": "The request is well formed but the state of things does not allow it (stock, units left, the order's "
    "status); the message says why. Nothing was changed.",
    "413": "The body is larger than the API accepts.",
    "415": "The body must be JSON (Content-Type: application/json or application/*+json).",
    "503": "The database is briefly unavailable (a restart); retry after the seconds in Retry-After. Nothing was changed.",
}

# What the server refuses in text, as schema patterns: a NUL (PostgreSQL cannot store one), and
# for text that may not be blank, text of nothing but the spaces the server trims (str.isspace).
NO_NUL = r"^[^\u0000]*$"
SPACES = r"\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\u0000]*[^\u0000{SPACES}][^\u0000]*$"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema with what it leaves out: the least and most items of a list (a
    ListSerializer's allow_empty, min_length and max_length), and that a body of one of several
    shapes (a stock change by its reason) is required when each shape requires a field."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if isinstance(serializer, PolymorphicProxySerializer):
            shapes = (
                serializer.serializers.values() if isinstance(serializer.serializers, dict) else serializer.serializers
            )
            required = all(any(field.required for field in force_instance(shape).fields.values()) for shape in shapes)
        return schema, required

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if is_list_serializer(field) and schema and schema.get("type") == "array":
            least = max(field.min_length or 0, 0 if field.allow_empty else 1)
            if least:
                schema["minItems"] = least
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema


def _text_rules(schema):
    """NO_NUL or NOT_BLANK on every free text (no pattern, format or choices) in `schema`."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "format", "enum"} & schema.keys():
        schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for value in schema.get("properties", {}).values():
        _text_rules(value)
    _text_rules(schema.get("items"))
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(keyword, []):
            _text_rules(branch)


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the error body, and the
    schema states what the server refuses in text: in request bodies (the "…Request"
    components) and in query parameters, which are never empty (FilterBackend)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Errors"] = ERRORS_SCHEMA
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _text_rules(schema)
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter["schema"].get("type") == "string":
                    parameter["schema"].setdefault("minLength", 1)
                    _text_rules(parameter["schema"])
            codes = ["400", "401", "403", "503"]
            if "{" in path or method == "post":
                codes.append("404")
            if method == "post":
                codes += ["409", "413", "415"]
            for code in codes:
                operation.setdefault("responses", {}).setdefault(
                    code, {"description": ERROR_RESPONSES[code], "content": reference}
                )
    return result
