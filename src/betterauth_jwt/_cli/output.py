"""Output shared by the subcommands: human text or one JSON document, escaped so a hostile token cannot drive the
terminal, and the report of a rejected token. Output never contains a secret, the raw token, or the session token
embedded in cookie claims.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any, TextIO

from .._errors import BetterAuthJWTError, InvalidTokenError
from .._logging import token_fingerprint
from .explain import explain
from .parser import EXIT_REJECTED
from .recognise import KIND_DESCRIPTIONS, recognise


def printable(text: str) -> str:
    """Escape control and bidi characters: a hostile claim must not drive the terminal (ANSI escapes, U+202E)."""
    return "".join(c if c.isprintable() or c == "\n" else f"\\u{ord(c):04x}" for c in text)


class Output:
    """Writes either human text or one JSON document; everything printed goes through :func:`printable`."""

    def __init__(self, stream: TextIO, *, as_json: bool) -> None:
        self.stream = stream
        self.as_json = as_json

    def line(self, text: str = "") -> None:
        self.stream.write(printable(text) + "\n")

    def document(self, data: Mapping[str, Any]) -> None:
        # ensure_ascii: control and bidi characters from a hostile token arrive escaped.
        self.stream.write(json.dumps(data, indent=2, ensure_ascii=True, sort_keys=False) + "\n")

    def block(self, title: str, data: Mapping[str, Any]) -> None:
        self.line(f"{title}:")
        self.line(json.dumps(data, indent=2, ensure_ascii=False))


def report_rejection(out: Output, exc: BetterAuthJWTError, token: str, *, verified: bool) -> int:
    looks_like: str | None = None
    if verified:
        with contextlib.suppress(InvalidTokenError):
            looks_like = recognise(token).kind
    if out.as_json:
        data: dict[str, Any] = {"valid": False, "code": exc.code, "description": exc.description}
        data["explanation"] = explain(exc.code)
        data["fingerprint"] = token_fingerprint(token)
        if looks_like is not None:
            data["looks_like"] = looks_like
        out.document(data)
        return EXIT_REJECTED
    out.line(f"{'REJECTED' if verified else 'NOT A TOKEN'}: {exc.code}: {exc.description}")
    out.line(f"why: {explain(exc.code)}")
    if looks_like is not None:
        out.line(f"the token looks like: {KIND_DESCRIPTIONS[looks_like]} (betterauth-jwt inspect - shows it)")
    return EXIT_REJECTED
