"""Output shared by the subcommands: human text or one JSON document, escaped so a hostile token cannot drive the
terminal, and the report of a rejected token. Output never contains a secret, the raw token, or the session token
embedded in cookie claims.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from .._errors import BetterAuthJWTError, InvalidClaimsError, InvalidTokenError
from .._logging import token_fingerprint
from .explain import explain
from .parser import EXIT_REJECTED
from .recognise import KIND_DESCRIPTIONS, recognise

# The library's messages name its keyword arguments; on the command line the reader needs the flag that does the same.
_FLAG_NAMES = (
    (re.compile(r"\ballow_insecure_http=True\b"), "--allow-insecure-http"),
    (re.compile(r"(?<![\w-])leeway=?(?![\w])"), "--leeway"),
    (re.compile(r"(?<![\w-])issuer=(?!\w)"), "--issuer"),
    (re.compile(r"(?<![\w-])audience=(?!\w)"), "--audience"),
    (re.compile(r"(?<![\w-])base_url\b"), "--base-url"),
    (re.compile(r"\bRemoteJWKS url\b"), "the JWKS URL"),
    (re.compile(r"\bkind=TokenKind\.SESSION_COOKIE\b"), "--kind session-cookie"),
)


def flag_names(text: str) -> str:
    """``text`` with the library's keyword arguments replaced by the CLI flags that set them."""
    for pattern, flag in _FLAG_NAMES:
        text = pattern.sub(flag, text)
    return text


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


def report_rejection(
    out: Output, exc: BetterAuthJWTError, token: str, *, verified: bool, hints: Sequence[str] = ()
) -> int:
    """Print why ``token`` was refused; ``hints`` are lines that name the fix for this very token (flags to add)."""
    looks_like: str | None = None
    if verified:
        with contextlib.suppress(InvalidTokenError):
            looks_like = recognise(token).kind
    why = flag_names(explain(exc.code, exc.description))
    mismatch = exc.mismatch if isinstance(exc, InvalidClaimsError) else None
    if out.as_json:
        data: dict[str, Any] = {"valid": False, "code": exc.code, "description": exc.description}
        data["explanation"] = why
        data["fingerprint"] = token_fingerprint(token)
        if mismatch is not None and isinstance(exc, InvalidClaimsError):
            data["claim"] = {"name": exc.claim, "value": exc.actual, "accepted": list(exc.expected)}
        if hints:
            data["hints"] = list(hints)
        if looks_like is not None:
            data["looks_like"] = looks_like
        out.document(data)
        return EXIT_REJECTED
    out.line(f"{'REJECTED' if verified else 'NOT A TOKEN'}: {exc.code}: {exc.description}")
    if mismatch is not None:
        out.line(f"the token's {mismatch}")
    out.line(f"why: {why}")
    for hint in hints:
        out.line(f"hint: {hint}")
    if looks_like is not None:
        out.line(f"the token looks like: {KIND_DESCRIPTIONS[looks_like]} (betterauth-jwt inspect - shows it)")
    return EXIT_REJECTED
