"""Who the verified token says the caller is: :class:`Identity`, built from the claims of each :class:`TokenKind`."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, cast

from .._jose.token import decode_payload


class TokenKind(enum.Enum):
    """Which Better Auth token a verifier accepts; each kind rejects the other."""

    ACCESS = "access"
    """JWT-plugin tokens (``/api/auth/token``, ``set-auth-jwt``): user claims at the top level, ``sub``/``iss``/``aud``."""

    SESSION_COOKIE = "session_cookie"
    """The ``session_data`` cookie-cache JWT: nested ``user`` and ``session`` objects."""

    SESSION = "session"
    """The signed ``session_token`` cookie, checked against Better Auth's session store (:class:`SessionVerifier`)."""


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


class VerifiedClaims(Mapping[str, Any]):
    """The claims of a verified token, read-only, decoded from its payload when first read.

    The verifier has already decoded and checked them; it keeps the payload's base64url text instead of that decoding.
    Most requests never read ``identity.claims``, and a cached identity holding its claims decoded would hold some
    twenty-five more objects (a string per claim name and value) for as long as it stays cached, each to be freed in
    turn when it is evicted. Reading them decodes the payload once, with the same strict decoder, and keeps the result.
    """

    __slots__ = ("_decoded", "_payload_segment")

    def __init__(self, payload_segment: str) -> None:
        self._payload_segment = payload_segment
        self._decoded: Mapping[str, Any] | None = None

    def _claims(self) -> Mapping[str, Any]:
        decoded = self._decoded
        if decoded is None:  # two threads may both decode: same input, same result
            decoded = self._decoded = _frozen(decode_payload(self._payload_segment))
        return decoded

    def __getitem__(self, name: str) -> Any:
        return self._claims()[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._claims().get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._claims()

    def __iter__(self) -> Iterator[str]:
        return iter(self._claims())

    def __len__(self) -> int:
        return len(self._claims())

    def __repr__(self) -> str:
        return f"VerifiedClaims({dict(self._claims())!r})"

    def __reduce__(self) -> tuple[type[VerifiedClaims], tuple[str]]:
        # Copied and pickled as the payload text (the decoded mapping is read-only, hence not picklable), so that
        # copy.deepcopy, dataclasses.asdict and pickle work on an Identity whether or not its claims were read.
        return VerifiedClaims, (self._payload_segment,)


# Identity is frozen, so its generated __init__ stores every field through object.__setattr__: two thirds of the cost of
# building one. identity_from_claims, which runs once per verified token, fills this mutable twin (the same slots, hence
# the same memory layout) with plain attribute stores and then makes it an Identity, which Python allows between classes
# of identical layout. Derived from Identity's fields, so the two cannot drift apart.
_IdentityDraft = make_dataclass("_IdentityDraft", [(f.name, f.type) for f in fields(Identity)], slots=True)


# The datetimes of recent NumericDates. Tokens verified for the first time were mostly issued moments ago, so many share
# an iat (and, with one lifetime, an exp): building a datetime costs more than everything else in an Identity put
# together, and a shared one is also one object less to keep per cached identity. Datetimes are immutable, so sharing is
# safe; the memo is simply emptied when full (about a quarter of an hour of distinct seconds of iat and exp).
_MOMENTS_KEPT = 2048
_moments: dict[float, datetime] = {}


def moment(seconds: float) -> datetime:
    moment = _moments.get(seconds)
    if moment is None:
        if len(_moments) >= _MOMENTS_KEPT:
            _moments.clear()
        # tz passed by position: keyword parsing costs as much as the call
        moment = _moments[seconds] = datetime.fromtimestamp(seconds, UTC)
    return moment


def identity_from_claims(kind: TokenKind, claims: dict[str, Any], payload_segment: str | None = None) -> Identity:
    """Build the identity; the claims policy has already checked every field this reads that it relies on.

    With ``payload_segment`` (the verifier's case) ``identity.claims`` decodes it when first read; without it, the
    claims are copied, read-only, now.
    """
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
        moment(claims["iat"]),
        moment(claims["exp"]),
        email if isinstance(email, str) else None,
        name if isinstance(name, str) else None,
        verified if isinstance(verified, bool) else None,
        image if isinstance(image, str) else None,
        session_id if isinstance(session_id, str) else None,
        _frozen(claims) if payload_segment is None else VerifiedClaims(payload_segment),
    )
    identity.__class__ = Identity
    return cast(Identity, identity)
