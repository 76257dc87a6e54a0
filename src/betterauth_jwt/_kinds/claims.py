"""Claim checks every credential kind shares: time window, issuer, audience, identifiers; and what a token looks like.

Times follow RFC 7519 4.1.4-4.1.6 with a symmetric ``leeway``: a token is valid while
``max(nbf, iat) - leeway <= now < exp + leeway``. :func:`check_times` returns those bounds so the verified-token cache can
re-check them on every hit without re-reading the claims.

Each kind's profile (``access.py``, ``session_cache.py``, ``oauth.py``) is these checks plus its own rules and its result
type, over the one pipeline in ``_verifier.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from .._errors import ExpiredTokenError, ImmatureTokenError, InvalidClaimsError

__all__ = [
    "Profile",
    "ValidityWindow",
    "check_audience",
    "check_issuer",
    "check_times",
    "foreign_kind",
    "is_identifier",
    "numeric_date",
]

_MAX_NUMERIC_DATE = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime can hold
_NUMBER_TYPES = (int, float)  # exact types: bool is an int subclass, and JSON true must not pass as 1
OAUTH_ACCESS_TYPS = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 section 2.1

# (valid_from, valid_until): the token is valid while ``valid_from <= now < valid_until`` (leeway already applied). A
# plain tuple: one is built per verification, and a NamedTuple's constructor is a Python-level call costing more than
# the time checks themselves.
ValidityWindow = tuple[float, float]

Result_co = TypeVar("Result_co", covariant=True)


class Profile(Protocol[Result_co]):
    """A credential kind over the shared pipeline: what its verified claims must say, and what they become."""

    def check(self, alg: str, typ: str | None, claims: dict[str, Any], now: float) -> ValidityWindow:
        """Raise an :class:`InvalidTokenError` unless ``claims`` are acceptable now; return the validity window."""
        ...

    def build(self, claims: dict[str, Any], payload_segment: str) -> Result_co:
        """The result of a verified token whose claims :meth:`check` accepted."""
        ...


def numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if value is None:
        raise InvalidClaimsError(f"the '{name}' claim is missing", code="missing_claim")
    # bool is an int subclass; JSON true must not pass as 1. The range check alone also refuses NaN (no comparison holds)
    # and infinity; math.isfinite() must not come first, as it raises OverflowError for an integer like 10**400.
    if type(value) not in (int, float) or not 0 <= value <= _MAX_NUMERIC_DATE:
        raise InvalidClaimsError(f"the '{name}' claim is not a valid NumericDate")
    return float(value)


def is_identifier(value: object) -> bool:
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


def check_times(claims: Mapping[str, Any], now: float, leeway: float) -> ValidityWindow:
    exp: Any = claims.get("exp")
    iat: Any = claims.get("iat")
    # Both valid, tested at once (the usual case); otherwise numeric_date names the claim at fault and the fault.
    valid = type(exp) in _NUMBER_TYPES and type(iat) in _NUMBER_TYPES
    if not (valid and 0 <= exp <= _MAX_NUMERIC_DATE and 0 <= iat <= _MAX_NUMERIC_DATE):
        exp, iat = numeric_date(claims, "exp"), numeric_date(claims, "iat")
    starts = max(iat, numeric_date(claims, "nbf")) if "nbf" in claims else iat
    valid_from, valid_until = starts - leeway, exp + leeway
    if now >= valid_until:
        raise ExpiredTokenError("the token has expired")
    if now < valid_from:
        raise ImmatureTokenError("the token is not valid yet (nbf or iat lies in the future)")
    return valid_from, valid_until


def check_issuer(claims: Mapping[str, Any], issuer: str | None) -> None:
    if "iss" not in claims:
        raise InvalidClaimsError("the 'iss' claim is missing", code="missing_claim")
    # Exact comparison: prefix or substring matching let https://app.example.com.evil pass (CVE-2024-53861 class).
    if claims["iss"] != issuer:
        raise InvalidClaimsError("the token was issued by another issuer", code="invalid_issuer")


def check_audience(claims: Mapping[str, Any], accepted: frozenset[str]) -> None:
    aud = claims.get("aud")
    if type(aud) is str:  # the usual shape, decided without building a list
        if aud not in accepted:
            raise InvalidClaimsError("the token is meant for another audience", code="invalid_audience")
        return
    if aud is None:
        raise InvalidClaimsError("the 'aud' claim is missing", code="missing_claim")
    if not isinstance(aud, list) or not aud or not all(isinstance(v, str) for v in aud):
        raise InvalidClaimsError("the 'aud' claim is not a string or a list of strings", code="invalid_audience")
    if accepted.isdisjoint(aud):
        raise InvalidClaimsError("the token is meant for another audience", code="invalid_audience")


def foreign_kind(typ: str | None, claims: Mapping[str, Any]) -> str | None:
    """What a token signed by the same keys but issued by Better Auth's OAuth provider looks like, if it looks like one
    (RFC 8725 section 2.8, RFC 9068 section 4): the kinds tell each other apart only by ``typ`` and claim shape, since
    ``iss`` and the key can be the same. ``None`` for a token with none of those marks."""
    if typ is not None and typ.lower() in OAUTH_ACCESS_TYPS:
        return "an OAuth access token (typ at+jwt)"
    if "cnf" in claims:
        return "a sender-constrained (DPoP or mTLS bound) OAuth token"
    if "client_id" in claims or "azp" in claims:  # RFC 9068 2.2; OIDC's azp
        return "an OAuth token issued to a client (it has client_id/azp)"
    # Written out, not any() over a generator: this runs for every first-party token verified.
    if "nonce" in claims or "at_hash" in claims or "c_hash" in claims or "auth_time" in claims:
        return "an OpenID Connect id_token"  # claims only an id_token carries (OpenID Connect Core 2, 3.1.3.6)
    return None
