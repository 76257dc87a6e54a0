"""Strict JSON for untrusted input: UTF-8 only, objects without duplicate keys, no NaN/Infinity, bounded nesting.

Duplicate keys matter for security: two parsers that keep different copies of ``"sub"`` disagree about who the user is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_NESTING = 32


class JSONError(ValueError):
    """Input that is not strict JSON. Carries only our own message, never the parser's (which quotes the input)."""


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise JSONError("duplicate key in JSON object")
    return obj


def _reject_constant(name: str) -> Any:
    raise JSONError("NaN and Infinity are not JSON")


_decoder = json.JSONDecoder(object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant)
# The decoder's C scanner, called directly for a document that is one value with nothing around it (every JWT segment
# ever issued): that skips JSONDecoder.decode's two whitespace regex passes. Anything else takes the general path.
_scan_value: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]  # not in typeshed


def loads_strict(data: bytes | str) -> Any:
    """Parse ``data`` (UTF-8 bytes or text) strictly; raise :class:`JSONError` on anything else."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        try:
            value, end = _scan_value(text, 0)
        except StopIteration:  # not a value at offset 0 (leading whitespace, or not JSON): the general path decides
            end = -1
        if end != len(text):
            value = _decoder.decode(text)
    except JSONError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        # json.JSONDecodeError is a ValueError; its message quotes the input, so it is replaced.
        raise JSONError("not valid UTF-8 JSON") from None
    # Nesting cannot be deeper than the number of brackets: only walk when that count is suspicious.
    if text.count("[") + text.count("{") > MAX_NESTING and _depth(value, 0) > MAX_NESTING:
        raise JSONError("JSON nested too deeply")
    return value


def _depth(value: Any, level: int) -> int:
    if level > MAX_NESTING:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def loads_object(data: bytes | str) -> dict[str, Any] | None:
    """:func:`loads_strict` for documents that must be a JSON object: ``None`` for anything else, JSON or not."""
    try:
        document = loads_strict(data)
    except JSONError:
        return None
    return document if isinstance(document, dict) else None
