"""Who the verified token says the caller is: :class:`Identity`, built from the claims of each :class:`TokenKind`."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, cast


class TokenKind(enum.Enum):
    """Which Better Auth token a verifier accepts; each kind rejects the other."""

    ACCESS = "access"
    """JWT-plugin tokens (``/api/auth/token``, ``set-auth-jwt``): user claims at the top level, ``sub``/``iss``/``aud``."""

    SESSION_COOKIE = "session_cookie"
    """The ``session_data`` cookie-cache JWT: nested ``user`` and ``session`` objects."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified Better Auth user. ``claims`` holds every verified claim, read-only (custom ones such as ``role`` too)."""

    user_id: str
    kind: TokenKind
    issued_at: datetime
    expires_at: datetime
    email: str | None = None
    name: str | None = None
    email_verified: bool | None = None
    image: str | None = None
    session_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    # Starlette's ``request.user`` protocol (``BaseUser``), so the identity can be used directly as ``scope["user"]``.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.user_id

    @property
    def identity(self) -> str:
        return self.user_id


def _frozen(value: Any) -> Any:
    # A cached Identity is shared by every request that presents the same token: nothing in it may be mutable.
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _frozen_claims(claims: dict[str, Any]) -> Mapping[str, Any]:
    if _JSON_SCALARS.issuperset(map(type, claims.values())):
        # Only immutable scalars (Better Auth's usual access token): a shallow copy is a deep one, four times cheaper.
        return MappingProxyType(claims.copy())
    return _frozen(claims)  # type: ignore[no-any-return]


# Identity is frozen, so its generated __init__ stores every field through object.__setattr__: two thirds of the cost of
# building one. identity_from_claims, which runs once per verified token, fills this mutable twin (the same slots, hence
# the same memory layout) with plain attribute stores and then makes it an Identity, which Python allows between classes
# of identical layout. Derived from Identity's fields, so the two cannot drift apart.
_IdentityDraft = make_dataclass("_IdentityDraft", [(f.name, f.type) for f in fields(Identity)], slots=True)


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)  # tz passed by position: keyword parsing costs as much as the call


def identity_from_claims(kind: TokenKind, claims: dict[str, Any]) -> Identity:
    """Build the identity; the claims policy has already checked every field this reads that it relies on."""
    user: Mapping[str, Any]
    if kind is TokenKind.ACCESS:
        user, user_id, session_id = claims, claims["sub"], claims.get("sid")
    else:
        user, session = claims["user"], claims["session"]
        user_id, session_id = user["id"], session.get("id")
    email, name, image, verified = user.get("email"), user.get("name"), user.get("image"), user.get("emailVerified")
    # Optional fields keep only values of their type (Better Auth sends "image": null). Written out rather than through
    # a helper, and passed by position in field order: this runs once per verification, and calls are its main cost.
    identity = _IdentityDraft(
        user_id,
        kind,
        _when(claims["iat"]),
        _when(claims["exp"]),
        email if isinstance(email, str) else None,
        name if isinstance(name, str) else None,
        verified if isinstance(verified, bool) else None,
        image if isinstance(image, str) else None,
        session_id if isinstance(session_id, str) else None,
        _frozen_claims(claims),
    )
    identity.__class__ = Identity
    return cast(Identity, identity)
