"""The API's JSON parser: malformed or too deeply nested JSON is a 400 with a message."""

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _depth(value: Any) -> int:
    """How deeply `value` nests arrays and objects, found without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        node, depth = level.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            level.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than API_MAX_JSON_DEPTH."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = ParseError(f"JSON nested deeper than {settings.API_MAX_JSON_DEPTH} levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # The decoder itself gives up near Python's recursion limit.
            raise too_deep from exc
        if _depth(data) > settings.API_MAX_JSON_DEPTH:
            raise too_deep
        return data
