"""The API's JSON parser, with bounds: a body over API_MAX_BODY_BYTES is refused with 413
after reading one byte past the limit (never the whole body), and JSON nested deeper than
API_MAX_JSON_DEPTH (or too deep for Python's parser at all) is a 400 in words, not a 500."""

import codecs

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def body_limit_message() -> str:
    return f"The request body is larger than {settings.API_MAX_BODY_BYTES / 1024 / 1024:g} MB; send less at once."


def json_depth(data) -> int:
    """How deeply lists and objects nest (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise BodyTooLarge(body_limit_message())
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError as error:
            raise ParseError("The JSON is nested too deeply to read.") from error
        except ValueError as error:
            raise ParseError(f"The body is not valid JSON: {error}") from error
        if json_depth(data) > settings.API_MAX_JSON_DEPTH:
            raise ParseError(f"The JSON is nested more than {settings.API_MAX_JSON_DEPTH} levels deep.")
        return data
