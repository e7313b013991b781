"""The API's body parser (its own module: DRF reads it from settings while it loads)."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """JSON bodies, refusing nesting too deep for the parser with a 400 (a body nested
    10,000 levels deep made Python's parser give up with a RecursionError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
