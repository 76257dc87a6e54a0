"""Better Auth's session cookie cache (``session_data``, strategy ``jwt``): nested ``user`` and ``session`` objects.

HS256 with the raw secret and no ``typ``/``iss``/``aud``; or, with ``jwt({ sessionCookieCache: true })``, JWKS-signed
with ``typ: better-auth.session-cache+jwt``, ``aud: better-auth:session-cache``, ``iss`` and ``sub`` like an access
token. Anything else shaped like it (an OAuth token, an access token) is another kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import InvalidClaimsError, WrongTokenKindError
from .._jose import algorithms as algs
from .claims import ValidityWindow, check_audience, check_issuer, check_times, foreign_kind, is_identifier
from .identity import Identity, TokenKind, identity_from_claims

__all__ = ["SESSION_CACHE_AUDIENCE", "SESSION_CACHE_TYP", "SessionCacheProfile"]

SESSION_CACHE_TYP = "better-auth.session-cache+jwt"
SESSION_CACHE_AUDIENCE = "better-auth:session-cache"
_SESSION_CACHE_AUDIENCES = frozenset({SESSION_CACHE_AUDIENCE})


@dataclass(frozen=True, slots=True)
class SessionCacheProfile:
    issuer: str | None
    leeway: float

    def check(self, alg: str, typ: str | None, claims: dict[str, Any], now: float) -> ValidityWindow:
        looks_like = foreign_kind(typ, claims)
        if looks_like is not None:
            raise WrongTokenKindError(f"this is {looks_like}, not Better Auth's session cookie")
        user, session = claims.get("user"), claims.get("session")
        if not isinstance(user, dict) or not isinstance(session, dict):
            raise WrongTokenKindError("this is not Better Auth's session cookie (no 'user' and 'session' objects)")
        if not is_identifier(user.get("id")):
            raise InvalidClaimsError("the session cookie's user has no id", code="missing_claim")
        if "userId" in session and session["userId"] != user["id"]:
            raise InvalidClaimsError("the session cookie's session belongs to another user")
        if typ is not None and typ.lower() == SESSION_CACHE_TYP:
            # The JWKS-signed cookie (jwt({ sessionCookieCache: true })) carries iss/aud/sub like an access token.
            if self.issuer is not None:
                check_issuer(claims, self.issuer)
            check_audience(claims, _SESSION_CACHE_AUDIENCES)
            if claims.get("sub") != user["id"]:
                raise InvalidClaimsError("the session cookie's 'sub' is not its user's id")
        elif typ is not None or alg not in algs.HMAC_ALGORITHMS:
            # The plain cookie cache is HS256 with no typ; anything else shaped like it is something else.
            raise WrongTokenKindError("the token's typ or algorithm is not that of Better Auth's session cookie")
        return check_times(claims, now, self.leeway)

    def build(self, claims: dict[str, Any], payload_segment: str) -> Identity:
        return identity_from_claims(TokenKind.SESSION_COOKIE, claims, payload_segment)
