"""The claims policy: what a verified payload must say before it becomes an :class:`Identity`.

Times follow RFC 7519 4.1.4-4.1.6 with a symmetric ``leeway``: a token is valid while
``max(nbf, iat) - leeway <= now < exp + leeway``. The check returns those bounds so the verified-token cache can re-check
them on every hit without re-reading the claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import ExpiredTokenError, ImmatureTokenError, InvalidClaimsError, WrongTokenKindError
from .._jose import algorithms as algs
from .identity import TokenKind

SESSION_CACHE_TYP = "better-auth.session-cache+jwt"
SESSION_CACHE_AUDIENCE = "better-auth:session-cache"
_ACCESS_TYPS = frozenset({"jwt", "at+jwt", "application/at+jwt"})
_MAX_NUMERIC_DATE = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime can hold
_NUMBER_TYPES = (int, float)  # exact types: bool is an int subclass, and JSON true must not pass as 1


# (valid_from, valid_until): the token is valid while ``valid_from <= now < valid_until`` (leeway already applied). A
# plain tuple: one is built per verification, and a NamedTuple's constructor is a Python-level call costing more than
# the time checks themselves.
ValidityWindow = tuple[float, float]


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if value is None:
        raise InvalidClaimsError(f"the '{name}' claim is missing", code="missing_claim")
    # bool is an int subclass; JSON true must not pass as 1. The range check alone also refuses NaN (no comparison holds)
    # and infinity; math.isfinite() must not come first, as it raises OverflowError for an integer like 10**400.
    if type(value) not in (int, float) or not 0 <= value <= _MAX_NUMERIC_DATE:
        raise InvalidClaimsError(f"the '{name}' claim is not a valid NumericDate")
    return float(value)


def _identifier(value: object) -> bool:
    """A non-empty, reasonably short string that encodes as UTF-8 (no lone surrogates from ``\\ud800`` escapes)."""
    if not isinstance(value, str) or not value or len(value) > 1024:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class ClaimsPolicy:
    kind: TokenKind
    issuer: str | None
    audiences: frozenset[str]
    leeway: float

    def check(self, alg: str, typ: str | None, claims: dict[str, Any], now: float) -> ValidityWindow:
        if self.kind is TokenKind.ACCESS:
            self._check_access(typ, claims)
        else:
            self._check_session_cookie(alg, typ, claims)
        return self._check_times(claims, now)

    def _check_times(self, claims: Mapping[str, Any], now: float) -> ValidityWindow:
        exp: Any = claims.get("exp")
        iat: Any = claims.get("iat")
        # Both valid, tested at once (the usual case); otherwise _numeric_date names the claim at fault and the fault.
        valid = type(exp) in _NUMBER_TYPES and type(iat) in _NUMBER_TYPES
        if not (valid and 0 <= exp <= _MAX_NUMERIC_DATE and 0 <= iat <= _MAX_NUMERIC_DATE):
            exp, iat = _numeric_date(claims, "exp"), _numeric_date(claims, "iat")
        starts = max(iat, _numeric_date(claims, "nbf")) if "nbf" in claims else iat
        valid_from, valid_until = starts - self.leeway, exp + self.leeway
        if now >= valid_until:
            raise ExpiredTokenError("the token has expired")
        if now < valid_from:
            raise ImmatureTokenError("the token is not valid yet (nbf or iat lies in the future)")
        return valid_from, valid_until

    def _check_issuer(self, claims: Mapping[str, Any]) -> None:
        if "iss" not in claims:
            raise InvalidClaimsError("the 'iss' claim is missing", code="missing_claim")
        # Exact comparison: prefix or substring matching let https://app.example.com.evil pass (CVE-2024-53861 class).
        if claims["iss"] != self.issuer:
            raise InvalidClaimsError("the token was issued by another issuer", code="invalid_issuer")

    def _check_audience(self, claims: Mapping[str, Any], accepted: frozenset[str]) -> None:
        aud = claims.get("aud")
        if type(aud) is str:  # the usual shape, decided without building a list
            if aud not in accepted:
                raise InvalidClaimsError("the token is meant for another audience", code="invalid_audience")
            return
        if aud is None:
            raise InvalidClaimsError("the 'aud' claim is missing", code="missing_claim")
        values = [aud] if isinstance(aud, str) else aud
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise InvalidClaimsError("the 'aud' claim is not a string or a list of strings", code="invalid_audience")
        if accepted.isdisjoint(values):
            raise InvalidClaimsError("the token is meant for another audience", code="invalid_audience")

    def _check_access(self, typ: str | None, claims: dict[str, Any]) -> None:
        if typ is not None and typ.lower() not in _ACCESS_TYPS:
            raise WrongTokenKindError("the token's typ is not that of an access token")
        if "iss" not in claims and isinstance(claims.get("session"), dict) and isinstance(claims.get("user"), dict):
            raise WrongTokenKindError("this is Better Auth's session cookie, not an access token")
        self._check_issuer(claims)
        self._check_audience(claims, self.audiences)
        if not _identifier(claims.get("sub")):
            raise InvalidClaimsError("the 'sub' claim is missing or not a user id", code="missing_claim")

    def _check_session_cookie(self, alg: str, typ: str | None, claims: dict[str, Any]) -> None:
        user, session = claims.get("user"), claims.get("session")
        if not isinstance(user, dict) or not isinstance(session, dict):
            raise WrongTokenKindError("this is not Better Auth's session cookie (no 'user' and 'session' objects)")
        if not _identifier(user.get("id")):
            raise InvalidClaimsError("the session cookie's user has no id", code="missing_claim")
        if "userId" in session and session["userId"] != user["id"]:
            raise InvalidClaimsError("the session cookie's session belongs to another user")
        if typ is not None and typ.lower() == SESSION_CACHE_TYP:
            # The JWKS-signed cookie (jwt({ sessionCookieCache: true })) carries iss/aud/sub like an access token.
            if self.issuer is not None:
                self._check_issuer(claims)
            self._check_audience(claims, frozenset({SESSION_CACHE_AUDIENCE}))
            if claims.get("sub") != user["id"]:
                raise InvalidClaimsError("the session cookie's 'sub' is not its user's id")
        elif typ is not None or alg not in algs.HMAC_ALGORITHMS:
            # The plain cookie cache is HS256 with no typ; anything else shaped like it is something else.
            raise WrongTokenKindError("the token's typ or algorithm is not that of Better Auth's session cookie")
