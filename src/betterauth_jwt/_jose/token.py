"""Compact JWS parsing (RFC 7515 section 7.1), strict, before any key is touched.

Everything here is pure and cheap to reject: the size cap is checked before decoding anything, the header is parsed and
judged before the payload is decoded, and every failure is a :class:`MalformedTokenError` or
:class:`UnsupportedTokenError` with our own wording.
"""

from __future__ import annotations

import binascii
import functools
import re
from typing import Any, NamedTuple

from .._errors import MalformedTokenError, OpaqueTokenError, UnsupportedTokenError
from .json import JSONError, loads_strict

DEFAULT_MAX_TOKEN_BYTES = 16 * 1024

# RFC 4648 section 5 alphabet, no padding. The last character of a segment whose length is 2 or 3 (mod 4) carries bits
# that the decoder drops; only the characters with those bits zero are canonical, so one token has one spelling.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}
# Decoding maps base64url onto the standard alphabet ("-_" to "+/") and feeds binascii's strict decoder, which refuses any
# other byte; "+", "/" and "=" are not base64url, so they become "!" first and are refused too.
_TO_STANDARD_ALPHABET = bytes.maketrans(b"-_+/=", b"+/!!!")
_PADDING = (b"", b"", b"==", b"=")
_NOT_BASE64URL = "a token segment is not unpadded base64url"

# Better Auth's bearer plugin token and signed session cookie: "<session token>.<standard base64 HMAC>". The cookie's raw
# value is URL-encoded (better-call's signCookieValue), so "+", "/" and "=" may also arrive as %2B, %2F and %3D.
_SESSION_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9]{16,128}\.(?:[A-Za-z0-9+/]|%2[BbFf]){42,44}(?:=|%3[Dd]){0,2}")

# An opaque token: Better Auth's session token (32 letters and digits, the "token" of sign-in's JSON) and its opaque
# OAuth access and refresh tokens (32 letters). No dots; what an API mistakes for a JWT most often.
_OPAQUE_TOKEN_SHAPE = re.compile(r"(?!eyJ)[A-Za-z0-9]{16,256}")  # not "eyJ": the start of a JSON segment

# Header parameters that would make us fetch or trust a key chosen by the token's author (RFC 7515 4.1.2-4.1.6).
_EMBEDDED_KEY_PARAMETERS = ("jwk", "jku", "x5u", "x5c")
# A header with only these members (Better Auth's {"alg", "kid"}, a custom signer's {"alg", "typ"}) needs none of the
# extension checks; any other member sends the header through all of them.
_PLAIN_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})


class ParsedToken(NamedTuple):  # a NamedTuple: built for every token, at a third of a frozen dataclass's cost
    """A token split and decoded, not yet verified: nothing in it may be trusted yet."""

    header: dict[str, Any]
    claims: dict[str, Any]
    payload_segment: str  # the base64url text ``claims`` came from: a verified Identity decodes it again if asked
    signing_input: bytes
    signature: bytes
    alg: str
    kid: str | None
    typ: str | None


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded, canonical base64url; raise :class:`MalformedTokenError` for any other spelling."""
    remainder = len(segment) % 4
    if remainder == 1:  # no byte string encodes to 4n+1 characters
        raise MalformedTokenError(_NOT_BASE64URL)
    try:
        data = binascii.a2b_base64(
            segment.encode("ascii").translate(_TO_STANDARD_ALPHABET) + _PADDING[remainder], strict_mode=True
        )
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise MalformedTokenError(_NOT_BASE64URL) from None
    if remainder and segment[-1] not in _CANONICAL_LAST[remainder]:
        raise MalformedTokenError("a token segment is not canonical base64url")
    return data


def decode_payload(segment: str) -> dict[str, Any]:
    """The claims of a payload segment, decoded as strictly as :func:`parse_token` does."""
    return _json_object(segment, "payload")


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = loads_strict(b64url_decode(segment))
    except JSONError as exc:
        raise MalformedTokenError(f"the token {what} is not strict JSON ({exc})") from None
    if not isinstance(value, dict):
        raise MalformedTokenError(f"the token {what} is not a JSON object")
    return value


def _check_shape(token: object, max_bytes: int) -> list[str]:
    if not isinstance(token, str):
        raise MalformedTokenError("the token must be a string")
    if len(token) > max_bytes:
        raise MalformedTokenError("the token is larger than this verifier accepts", code="token_too_large")
    if not token:
        raise MalformedTokenError("the token is empty")
    if not token.isascii():
        raise MalformedTokenError("the token contains non-ASCII characters")
    parts = token.split(".")
    if len(parts) == 3:
        return parts
    if len(parts) == 5:
        raise MalformedTokenError(
            "the token is encrypted (JWE); only signed tokens (JWS) are accepted", code="encrypted_token"
        )
    if _SESSION_TOKEN_SHAPE.fullmatch(token):
        what = (
            "a Better Auth session token as its cookie carries it (session_token)"
            if "%" in token
            else "a Better Auth session token"
        )
        raise MalformedTokenError(
            f"this is {what}, not a JWT: enable Better Auth's jwt plugin and send the token from /api/auth/token (or "
            "the set-auth-jwt header)",
            code="not_a_jwt",
        )
    if len(parts) == 1 and _OPAQUE_TOKEN_SHAPE.fullmatch(token):
        raise OpaqueTokenError(
            "this is an opaque token, not a JWT (Better Auth's session token from sign-in, or an opaque OAuth token): "
            "send the JWT from /api/auth/token or the set-auth-jwt header"
        )
    raise MalformedTokenError("the token is not a compact JWS (three dot-separated parts)")


def _check_header(header: dict[str, Any], allowed_algorithms: frozenset[str]) -> tuple[str, str | None, str | None]:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise MalformedTokenError("the token header has no alg")
    if alg.lower() == "none":
        raise UnsupportedTokenError("unsecured tokens (alg none) are never accepted")
    if alg not in allowed_algorithms:
        raise UnsupportedTokenError("the token's algorithm is not allowed by this verifier")
    if not header.keys() <= _PLAIN_HEADER_MEMBERS:
        _check_extensions(header)
    kid = header.get("kid")
    # A kid that is present must name a key: null, a number or "" is malformed, not "no kid" (which a shared secret or a
    # one-key set would then answer).
    if (kid is not None or "kid" in header) and (type(kid) is not str or not kid or len(kid) > 256):
        raise MalformedTokenError("the token header kid is not a non-empty short string")
    typ = header.get("typ")
    if typ is not None and not isinstance(typ, str):
        raise MalformedTokenError("the token header typ is not a string")
    return alg, kid, typ


def _check_extensions(header: dict[str, Any]) -> None:
    if "crit" in header:
        # RFC 7515 4.1.11: a recipient must reject critical extensions it does not implement; we implement none.
        raise UnsupportedTokenError(
            "the token requires header extensions (crit) this verifier does not implement", code="unsupported_header"
        )
    if "b64" in header:
        # RFC 7797 unencoded payloads change what is signed; never needed for Better Auth tokens.
        raise UnsupportedTokenError("unencoded payloads (b64) are not accepted", code="unsupported_header")
    if "cty" in header:
        # RFC 8725 3.11: a content type announces a nested JWT; Better Auth never issues one, and unwrapping one would
        # let a token's author choose what is verified.
        raise UnsupportedTokenError("nested tokens (cty) are not accepted", code="unsupported_header")
    if "enc" in header or "zip" in header:
        raise MalformedTokenError(
            "the token is encrypted (JWE); only signed tokens (JWS) are accepted", code="encrypted_token"
        )
    for name in _EMBEDDED_KEY_PARAMETERS:
        if name in header:
            raise UnsupportedTokenError("keys offered in the token header are never used", code="embedded_key")


@functools.lru_cache(maxsize=64)
def _checked_header(
    segment: str, allowed_algorithms: frozenset[str]
) -> tuple[dict[str, Any], str, str | None, str | None]:
    # A verifier sees a handful of distinct headers ({"alg", "kid"} of its current keys). Decoding and judging one is a
    # pure function of the segment and the allow-list, so it is memoised: a failure raises (and is not cached), a flood
    # of distinct headers only evicts. The cached header dict is shared, so it is never mutated.
    header = _json_object(segment, "header")
    return (header, *_check_header(header, allowed_algorithms))


def parse_token(token: object, *, allowed_algorithms: frozenset[str], max_bytes: int) -> ParsedToken:
    """Split, decode and check a compact JWS; the signature is *not* verified here."""
    header_segment, payload_segment, signature_segment = _check_shape(token, max_bytes)
    header, alg, kid, typ = _checked_header(header_segment, allowed_algorithms)
    claims = _json_object(payload_segment, "payload")
    signature = b64url_decode(signature_segment)
    if not signature:
        raise MalformedTokenError("the token has an empty signature")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    # tuple.__new__ straight from C: a NamedTuple's own constructor is a Python-level call, 70 ns more per token.
    return tuple.__new__(ParsedToken, (header, claims, payload_segment, signing_input, signature, alg, kid, typ))


def decode_unverified(token: str, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a token *without verifying anything*: for diagnostics (the CLI's ``inspect``), never auth."""
    header_segment, payload_segment, _ = _check_shape(token, max_bytes)
    return _json_object(header_segment, "header"), _json_object(payload_segment, "payload")
