"""Where a credential comes from in a request: the ``Authorization: Bearer`` header (RFC 6750 section 2.1) and Better
Auth's cookies (chunks ``.0``, ``.1``, ... joined in order, as Better Auth writes them). Nothing here verifies anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .._errors import MalformedTokenError

__all__ = ["RawHeaders", "bearer_token", "session_cookie"]

RawHeaders = Iterable[tuple[bytes, bytes]]  # ASGI ``scope["headers"]``: lower-case names, raw bytes

DEFAULT_COOKIE_PREFIX = "better-auth"
SECURE_COOKIE_PREFIX = "__Secure-"
MAX_COOKIE_CHUNKS = 100  # Better Auth never writes more (cookies/session-store)

# RFC 7235 section 2.1: auth-scheme = token; RFC 6750 section 2.1: "Bearer" 1*SP b64token.
_SCHEME = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: |$)")
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*)")
COOKIE_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
USUAL_BEARER = (b"Bearer ", b"bearer ")


def bearer_token(headers: list[tuple[bytes, bytes]], max_bytes: int) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, ``None`` if it has no such header."""
    values = [value for name, value in headers if name == b"authorization"]
    if not values:
        return None
    if len(values) > 1:
        raise MalformedTokenError("the request has more than one Authorization header", code="malformed_authorization")
    if len(values[0]) > max_bytes:
        raise MalformedTokenError(
            "the Authorization header is larger than this service accepts", code="token_too_large"
        )
    text = values[0].decode("latin-1")  # never fails; bytes outside ASCII are then refused by the patterns
    match = _BEARER.fullmatch(text)
    if match is not None:  # the usual case, settled in one match; anything else is judged step by step below
        return match.group(1)
    scheme = _SCHEME.match(text)
    if scheme is None:
        raise MalformedTokenError(
            "the Authorization header is not of the form '<scheme> <credentials>'", code="malformed_authorization"
        )
    if scheme.group(1).lower() != "bearer":
        return None  # another scheme carries no bearer token (RFC 6750 section 3.1: answered without an error code)
    raise MalformedTokenError(
        "the Authorization header must be exactly 'Bearer <token>'", code="malformed_authorization"
    )


def _cookies(headers: list[tuple[bytes, bytes]], wanted: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        if name != b"cookie":
            continue  # HTTP/2 may send several cookie headers; each is parsed the same way
        for pair in value.decode("latin-1").split(";"):
            key, sep, item = pair.partition("=")
            key = key.strip(" \t")
            if sep and key.startswith(wanted):
                found.setdefault(key, []).append(item.strip(" \t"))
    return found


def _single(found: Mapping[str, list[str]], name: str) -> str:
    values = found[name]
    if len(values) > 1:
        # Two cookies of one name (e.g. one tossed in from a sibling subdomain): refuse rather than pick one.
        raise MalformedTokenError(f"the request has more than one {name} cookie", code="malformed_cookie")
    return values[0]


def _chunk_index(name: str, base: str) -> int | None:
    suffix = name[len(base) + 1 :] if name.startswith(base + ".") else ""
    if not suffix.isascii() or not suffix.isdigit() or (suffix != "0" and suffix.startswith("0")):
        return None
    index = int(suffix)
    return index if index < MAX_COOKIE_CHUNKS else None


def session_cookie(headers: list[tuple[bytes, bytes]], names: tuple[str, ...]) -> str | None:
    """The ``session_data`` cookie's value under the first of ``names`` present, chunks reassembled."""
    found = _cookies(headers, names)
    for base in names:
        if base in found and _single(found, base):
            return _single(found, base)
        chunks = {index: name for name in found if (index := _chunk_index(name, base)) is not None}
        if chunks:
            if sorted(chunks) != list(range(len(chunks))):
                raise MalformedTokenError(f"the {base} cookie's chunks are incomplete", code="malformed_cookie")
            return "".join(_single(found, chunks[index]) for index in range(len(chunks)))
    return None
