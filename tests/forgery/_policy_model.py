"""A reference model of the claims policy, written from the rules rather than from ``_claims.py``.

Given what a correctly signed token says, :func:`policy_violations` lists every rule it breaks, as the error codes the
verifier may answer with. An empty set means the token must be accepted; otherwise the verifier must refuse it with one
of those codes (it stops at the first rule it checks, so any of them is right).

The rules (docs/security.md states them for users):

- NumericDate: a JSON number, not a boolean, finite, between 0 and 253402300799 (the end of year 9999).
- ``exp`` and ``iat`` are required; ``nbf`` is optional. With leeway ``L``: ``exp`` must lie strictly after
  ``now - L``; ``iat`` and ``nbf`` must not lie after ``now + L``.
- An identifier (``sub``, ``user.id``): a non-empty string of at most 1024 characters that can be encoded as UTF-8.
- Access token: ``typ`` absent or JWT (ASCII case-insensitive; at+jwt is an OAuth token's); no claim that only OAuth and
  OIDC tokens carry (``client_id``, ``azp``, ``cnf``, ``nonce``, ``at_hash``, ``c_hash``, ``auth_time``); not shaped like the
  session cookie (``user`` and ``session`` objects without ``iss``); ``iss`` equal to the issuer, character for character;
  ``aud`` a string or a non-empty list of strings, sharing at least one value with the accepted audiences; ``sub`` an
  identifier.
- Session cookie: ``user`` and ``session`` objects; ``user.id`` an identifier; ``session.userId``, when present, equal to
  it. With ``typ`` better-auth.session-cache+jwt (the JWKS-signed cookie): ``iss`` checked as above when the verifier
  has an issuer, ``aud`` must contain better-auth:session-cache, ``sub`` equal to ``user.id``. Without ``typ``: only
  with an HMAC algorithm (the plain HS256 cookie). Any other ``typ``: another kind of token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from betterauth_jwt import TokenKind

LAST_NUMERIC_DATE = 253402300799
ACCESS_TYPS = ("jwt",)
OAUTH_TYPS = ("at+jwt", "application/at+jwt")
OAUTH_ONLY_CLAIMS = ("client_id", "azp", "cnf", "nonce", "at_hash", "c_hash", "auth_time")
SESSION_CACHE_TYP = "better-auth.session-cache+jwt"
SESSION_CACHE_AUDIENCE = "better-auth:session-cache"


@dataclass(frozen=True)
class Policy:
    kind: TokenKind
    issuer: str | None
    audiences: frozenset[str]
    leeway: float


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def is_numeric_date(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and 0 <= value <= LAST_NUMERIC_DATE


def is_identifier(value: Any) -> bool:
    if not isinstance(value, str) or not 1 <= len(value) <= 1024:
        return False
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)  # lone surrogates cannot be UTF-8


def _time_violations(claims: dict[str, Any], now: float, leeway: float) -> set[str]:
    found: set[str] = set()
    exact_now, exact_leeway = Fraction(now), Fraction(leeway)
    for name in ("exp", "iat", "nbf"):
        if name not in claims or claims[name] is None:
            if name != "nbf" or name in claims:
                found.add("missing_claim")
            continue
        value = claims[name]
        if not is_numeric_date(value):
            found.add("invalid_claim")
        elif name == "exp" and not Fraction(value) > exact_now - exact_leeway:
            found.add("token_expired")
        elif name != "exp" and Fraction(value) > exact_now + exact_leeway:
            found.add("token_not_yet_valid")
    if "nbf" in claims and claims["nbf"] is None:
        found.add("invalid_claim")
    return found


def _issuer_violations(claims: dict[str, Any], issuer: str | None) -> set[str]:
    if "iss" not in claims:
        return {"missing_claim"}
    return set() if type(claims["iss"]) is str and claims["iss"] == issuer else {"invalid_issuer"}


def _audience_violations(claims: dict[str, Any], accepted: frozenset[str]) -> set[str]:
    aud = claims.get("aud")
    if aud is None:
        return {"missing_claim"}
    values = [aud] if isinstance(aud, str) else aud
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        return {"invalid_audience"}
    return set() if any(v in accepted for v in values) else {"invalid_audience"}


def policy_violations(policy: Policy, alg: str, typ: str | None, claims: dict[str, Any], now: float) -> set[str]:
    """Every error code the verifier may answer with for this correctly signed token; empty: it must be accepted."""
    found = _time_violations(claims, now, policy.leeway)
    user, session = claims.get("user"), claims.get("session")
    if policy.kind is TokenKind.ACCESS:
        if typ is not None and _ascii_lower(typ) not in ACCESS_TYPS:
            found.add("wrong_token_kind")
        if isinstance(user, dict) and isinstance(session, dict) and "iss" not in claims:
            found.add("wrong_token_kind")
        if any(name in claims for name in OAUTH_ONLY_CLAIMS):
            found.add("wrong_token_kind")
        found |= _issuer_violations(claims, policy.issuer)
        found |= _audience_violations(claims, policy.audiences)
        if not is_identifier(claims.get("sub")):
            found.add("missing_claim")
        return found
    if not isinstance(user, dict) or not isinstance(session, dict):
        return found | {"wrong_token_kind"}
    if any(name in claims for name in OAUTH_ONLY_CLAIMS) or (typ is not None and _ascii_lower(typ) in OAUTH_TYPS):
        found.add("wrong_token_kind")
    user_id = user.get("id")
    if not is_identifier(user_id):
        found.add("missing_claim")
    if "userId" in session and session["userId"] != user_id:
        found.add("invalid_claim")
    if typ is not None and _ascii_lower(typ) == SESSION_CACHE_TYP:
        if policy.issuer is not None:
            found |= _issuer_violations(claims, policy.issuer)
        found |= _audience_violations(claims, frozenset({SESSION_CACHE_AUDIENCE}))
        if claims.get("sub") != user_id or "sub" not in claims:
            found.add("invalid_claim")
    elif typ is not None or not alg.startswith("HS"):
        found.add("wrong_token_kind")
    return found
