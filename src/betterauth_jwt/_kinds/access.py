"""First-party access tokens: what Better Auth's ``jwt`` plugin issues (``/api/auth/token``, ``set-auth-jwt``) to the
application's own front end. Claims at the top level; ``iss``, ``aud``, ``sub``, ``iat``, ``exp`` required.

Better Auth's OAuth provider signs its access tokens and id_tokens with the same key and can give them the same ``iss``
and ``aud``: they are refused here by their ``typ`` and shape (:func:`~.claims.foreign_kind`), never accepted as if the
user had signed in to this application (RFC 8725 section 2.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import InvalidClaimsError, WrongTokenKindError
from .claims import ValidityWindow, check_audience, check_issuer, check_times, foreign_kind, is_identifier
from .identity import Identity, TokenKind, identity_from_claims

__all__ = ["AccessProfile"]


@dataclass(frozen=True, slots=True)
class AccessProfile:
    issuer: str | None
    audiences: frozenset[str]
    leeway: float

    def check(self, alg: str, typ: str | None, claims: dict[str, Any], now: float) -> ValidityWindow:
        looks_like = foreign_kind(typ, claims)
        if looks_like is None and typ is not None and typ.lower() != "jwt":  # none, or "JWT" from a custom signer
            looks_like = "a token of another kind (its typ is not JWT)"
        if looks_like is not None:
            raise WrongTokenKindError(f"this is {looks_like}, not a first-party access token")
        if "iss" not in claims and isinstance(claims.get("session"), dict) and isinstance(claims.get("user"), dict):
            raise WrongTokenKindError("this is Better Auth's session cookie, not an access token")
        check_issuer(claims, self.issuer)
        check_audience(claims, self.audiences)
        if not is_identifier(claims.get("sub")):
            raise InvalidClaimsError("the 'sub' claim is missing or not a user id", code="missing_claim")
        return check_times(claims, now, self.leeway)

    def build(self, claims: dict[str, Any], payload_segment: str) -> Identity:
        return identity_from_claims(TokenKind.ACCESS, claims, payload_segment)
