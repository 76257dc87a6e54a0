"""Better Auth's signed ``session_token`` cookie: its format, its signature, and what makes a stored session acceptable.

The cookie (BETTER_AUTH.md section 7) is ``<token>.<sig>``: ``token`` is the session token, the key of the session in
Better Auth's store; ``sig`` is the standard, padded base64 (44 characters) of HMAC-SHA256(secret, token). Set-Cookie
URL-encodes the whole value; the bearer plugin's ``set-auth-token`` carries it decoded. Better Auth splits at the last
dot and checks the signature with its *current* secret only: rotating the secret signs everyone out there, so a cookie
signed with an older secret is refused here too.

Everything in this module is pure: the store lookup happens between :func:`parse_session_cookie` /
:func:`check_signature` and :func:`judge_session`, in the verifier.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from .._errors import ExpiredTokenError, InvalidSignatureError, MalformedTokenError, SessionRejectedError
from .identity import Identity, TokenKind, _frozen

__all__ = [
    "DEFAULT_MAX_COOKIE_BYTES",
    "SIGNATURE_LENGTH",
    "SessionRecord",
    "SignedCookie",
    "judge_session",
    "parse_session_cookie",
    "signature_check",
]

# A Better Auth cookie is 77 characters (32 + 1 + 44), URL-encoded at most about 85; a custom token generator may make
# longer tokens, so leave room, but refuse a kilobyte of anything before doing any work on it.
DEFAULT_MAX_COOKIE_BYTES = 1024
SIGNATURE_LENGTH = 44  # base64 of 32 bytes, padded: 43 characters and one '='


@dataclass(frozen=True, slots=True)
class SignedCookie:
    """A session cookie whose signature has been checked: ``token`` is Better Auth's raw session token (the store's
    key), ``value`` the signed ``token.sig`` text (what Better Auth's get-session wants back). Never logged, never
    shown: ``repr`` hides both."""

    token: str = field(repr=False)
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session as a store holds it, with its user (``None`` when the user row is missing).

    ``session`` and ``user`` are Better Auth's field names and JSON-like values (dates as ISO-8601 text), without the
    session token. ``revoked_before`` is the secondaryStorage marker that revoke-all and bans write.
    """

    session_id: str
    user_id: str
    expires_at: datetime
    created_at: datetime | None
    session: Mapping[str, Any]
    user: Mapping[str, Any] | None
    banned: bool = False
    ban_expires: datetime | None = None
    revoked_before: datetime | None = None


def parse_session_cookie(value: object, max_bytes: int = DEFAULT_MAX_COOKIE_BYTES) -> tuple[str, str, bytes]:
    """``(token, signed value, signature bytes)`` of a session cookie value, URL-encoded or not; or
    :class:`MalformedTokenError` (``malformed_cookie``, ``token_too_large``). Nothing here depends on the secret."""
    if not isinstance(value, str):
        raise MalformedTokenError("the session cookie is not text", code="malformed_cookie")
    if len(value) > max_bytes:
        raise MalformedTokenError("the session cookie is too large", code="token_too_large")
    if "%" in value:
        # Better Auth decodes leniently (a stray '%' stays as it is); so does unquote. Strict UTF-8: a token is ASCII.
        value = _unquoted(value)
    token, dot, signature = value.rpartition(".")
    if not dot or not token or len(signature) != SIGNATURE_LENGTH or not signature.endswith("="):
        raise MalformedTokenError("the session cookie is not '<token>.<signature>'", code="malformed_cookie")
    if not token.isascii() or not token.isprintable():
        raise MalformedTokenError(
            "the session cookie's token has characters a token never has", code="malformed_cookie"
        )
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedTokenError("the session cookie's signature is not base64", code="malformed_cookie") from None
    # Only the canonical encoding (the one Better Auth writes): no second spelling of the same cookie.
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != signature:
        raise MalformedTokenError("the session cookie's signature is not base64", code="malformed_cookie")
    return token, value, raw


def _unquoted(value: str) -> str:
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:  # not a URL-encoded token either way: the format checks below refuse it
        return value


def signature_check(verify: Callable[[bytes, bytes], bool]) -> Callable[[str, str, bytes], SignedCookie]:
    """A function that checks a parsed cookie with ``verify(token bytes, signature)`` (HMAC-SHA256 with the current
    secret, compared in constant time) and returns the :class:`SignedCookie`, or raises :class:`InvalidSignatureError`."""

    def check(token: str, value: str, signature: bytes) -> SignedCookie:
        if not verify(token.encode("utf-8"), signature):
            raise InvalidSignatureError("the session cookie's signature does not verify")
        return SignedCookie(token, value)

    return check


def judge_session(record: SessionRecord | None, now: float) -> Identity:
    """Refuse what Better Auth refuses when it reads a session, and a banned user as defence in depth; else the
    :class:`Identity` (kind ``SESSION``; ``claims`` are ``{"session": ..., "user": ...}`` without the session token)."""
    if record is None:
        raise SessionRejectedError("no such session (signed out, revoked or never issued)", code="session_not_found")
    moment = datetime.fromtimestamp(now, UTC)
    if record.expires_at <= moment:
        raise ExpiredTokenError("the session has expired", code="session_expired")
    if record.revoked_before is not None and (record.created_at is None or record.created_at < record.revoked_before):
        # Better Auth's secondaryStorage rule: revoke-all, user deletion and bans mark the moment before which every
        # session of the user is revoked, instead of finding each one.
        raise SessionRejectedError("the session was revoked", code="session_revoked")
    user = record.user
    if user is None:
        raise SessionRejectedError("the session's user does not exist", code="user_not_found")
    if record.banned and (record.ban_expires is None or record.ban_expires > moment):
        # Better Auth deletes a banned user's sessions; this catches a session that survives (a replica, a cache).
        raise SessionRejectedError("the user is banned", code="user_banned")
    email, name, image, verified = user.get("email"), user.get("name"), user.get("image"), user.get("emailVerified")
    return Identity(
        user_id=record.user_id,
        kind=TokenKind.SESSION,
        issued_at=record.created_at or moment,
        expires_at=record.expires_at,
        email=email if isinstance(email, str) else None,
        name=name if isinstance(name, str) else None,
        email_verified=verified if isinstance(verified, bool) else bool(verified) if verified in (0, 1) else None,
        image=image if isinstance(image, str) else None,
        session_id=record.session_id,
        claims=_frozen({"session": dict(record.session), "user": dict(user)}),
    )
