"""OAuth 2.1 access tokens from Better Auth's OAuth provider, as a resource server receives them (RFC 9068 profile).

Header ``typ`` ``at+jwt``; ``iss`` exactly the authorization server's issuer; ``aud`` (a string or a list) containing
this resource server's identifier (RFC 8707); ``sub``, ``client_id``, ``iat``, ``exp`` required; ``azp``, when present,
equal to ``client_id``; ``scope`` a space-separated list. A token bound to a key (``cnf``: DPoP, mTLS) is not a bearer
token and is refused as one. The result is an :class:`AccessGrant`: who the client acts for (or that it acts for no
user at all) and what it may do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

from .._errors import (
    InsufficientScopeError,
    InvalidClaimsError,
    SenderConstrainedTokenError,
    WrongTokenKindError,
)
from .claims import OAUTH_ACCESS_TYPS, ValidityWindow, check_audience, check_issuer, check_times, is_identifier
from .identity import VerifiedClaims, moment

__all__ = ["AccessGrant", "OAuthProfile", "access_grant", "parse_scope"]

# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces.
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*")
_MAX_SCOPE_CHARS = 4096


# The scopes of recent scope strings. One client asks for the same scopes in token after token, so check and build
# (which both need them) mostly find the set here; sets are immutable and safe to share. Emptied when full.
_SCOPES_KEPT = 1024
_scopes: dict[str, frozenset[str]] = {}
_NO_SCOPES: frozenset[str] = frozenset()


def parse_scope(value: object) -> frozenset[str]:
    """The scopes of a ``scope`` claim, strictly: one string, single spaces, no empty items, RFC 6749 characters."""
    if type(value) is str:
        scopes = _scopes.get(value)
        if scopes is not None:
            return scopes
    if value is None:
        return _NO_SCOPES
    if not isinstance(value, str) or len(value) > _MAX_SCOPE_CHARS or (value and not _SCOPE.fullmatch(value)):
        raise InvalidClaimsError("the 'scope' claim is not a space-separated list of scopes", code="invalid_claim")
    if len(_scopes) >= _SCOPES_KEPT:
        _scopes.clear()
    scopes = _scopes[value] = frozenset(value.split(" ")) if value else _NO_SCOPES
    return scopes


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """A verified OAuth access token: a client (``client_id``) acting for a user (``user_id``), or for itself
    (``is_machine``: a ``client_credentials`` token), with the ``scopes`` the user consented to."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    audience: tuple[str, ...]
    issuer: str
    issued_at: datetime
    expires_at: datetime
    session_id: str | None = None
    jwt_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    @property
    def is_machine(self) -> bool:
        """True for a ``client_credentials`` token: Better Auth sets ``sub`` to the client id and no session."""
        return self.session_id is None and self.subject == self.client_id

    @property
    def user_id(self) -> str | None:
        """The user the client acts for; ``None`` when no user is behind the token (:attr:`is_machine`)."""
        return None if self.is_machine else self.subject

    def has_scopes(self, *scopes: str) -> bool:
        return self.scopes.issuperset(scopes)

    def require_scopes(self, *scopes: str) -> None:
        """Raise :class:`InsufficientScopeError` (HTTP 403) unless the grant has every one of ``scopes``."""
        missing = frozenset(scopes) - self.scopes
        if missing:
            raise InsufficientScopeError(missing)

    # Starlette's ``request.user`` protocol (``BaseUser``), so the grant can be ``scope["user"]``.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.subject

    @property
    def identity(self) -> str:
        return self.subject


@dataclass(frozen=True, slots=True)
class OAuthProfile:
    issuer: str
    resource: str
    leeway: float
    required_scopes: frozenset[str] = frozenset()

    def check(self, alg: str, typ: str | None, claims: dict[str, Any], now: float) -> ValidityWindow:
        if typ is None or typ.lower() not in OAUTH_ACCESS_TYPS:
            raise WrongTokenKindError(
                "this is not an OAuth access token (its typ is not at+jwt): an id_token, a first-party JWT or a "
                "session cookie is never accepted by a resource server"
            )
        if "cnf" in claims:
            raise SenderConstrainedTokenError(
                "this token is bound to a key (cnf: DPoP or mTLS) and cannot be used as a bearer token; the resource "
                "server must check its DPoP proof"
            )
        check_issuer(claims, self.issuer)
        check_audience(claims, frozenset((self.resource,)))
        if not is_identifier(claims.get("sub")):
            raise InvalidClaimsError("the 'sub' claim is missing or not an identifier", code="missing_claim")
        client_id = claims.get("client_id")
        if not is_identifier(client_id):
            raise InvalidClaimsError("the 'client_id' claim is missing", code="missing_claim")
        if "azp" in claims and claims["azp"] != client_id:
            raise InvalidClaimsError("the 'azp' claim is not the token's client_id")
        window = check_times(claims, now, self.leeway)
        missing = self.required_scopes - parse_scope(claims.get("scope"))
        if missing:
            # The token is valid, the request is not allowed: a 403, and nothing cached (build is never reached).
            raise InsufficientScopeError(missing)
        return window

    def build(self, claims: dict[str, Any], payload_segment: str) -> AccessGrant:
        aud = claims["aud"]
        audience = (aud,) if isinstance(aud, str) else tuple(aud)
        return access_grant(claims, claims["sub"], audience, VerifiedClaims(payload_segment))


# AccessGrant is frozen, so its generated __init__ stores each field through object.__setattr__, most of the cost of
# building one. As for Identity (identity.py), a mutable twin of the same slots is filled with plain stores, by
# position, and then made an AccessGrant: this runs once per verified token.
_AccessGrantDraft = make_dataclass("_AccessGrantDraft", [(f.name, f.type) for f in fields(AccessGrant)], slots=True)


def access_grant(
    claims: Mapping[str, Any], subject: str, audience: tuple[str, ...], mapping: Mapping[str, Any]
) -> AccessGrant:
    """The grant of checked claims (a JWT's, or an introspection answer's, whose ``sub`` and ``aud`` may be absent)."""
    session_id, jwt_id = claims.get("sid"), claims.get("jti")
    grant = _AccessGrantDraft(
        subject,
        claims["client_id"],
        parse_scope(claims.get("scope")),
        audience,
        claims["iss"],
        moment(claims["iat"]),
        moment(claims["exp"]),
        session_id if isinstance(session_id, str) else None,
        jwt_id if isinstance(jwt_id, str) else None,
        mapping,
    )
    grant.__class__ = AccessGrant
    return cast(AccessGrant, grant)


def scopes_text(scopes: Iterable[str]) -> str:
    return " ".join(sorted(scopes))
