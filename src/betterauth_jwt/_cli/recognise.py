"""What a token looks like, decoded without verifying anything: the Better Auth token kind, its times in words, and its
claims with the embedded session token redacted. Used by the CLI's ``inspect`` and ``verify`` output; never for auth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .._errors import BetterAuthJWTError, InvalidTokenError
from .._jose.json import JSONError, loads_strict
from .._jose.token import b64url_decode, decode_unverified
from .._keys.better_auth import BETTER_AUTH_BASE_PATH
from .._kinds.claims import OAUTH_ACCESS_TYPS
from .._kinds.session_cache import SESSION_CACHE_AUDIENCE, SESSION_CACHE_TYP
from .explain import explain

__all__ = ["KIND_DESCRIPTIONS", "TIME_CLAIMS", "Recognised", "recognise", "redact", "relative", "time_report", "utc"]

REDACTED = "<redacted session token>"
TIME_CLAIMS = (("iat", "issued"), ("nbf", "not before"), ("exp", "expires"))


def redact(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims with the session token replaced: it is a live credential for the Better Auth server itself."""
    shown = dict(claims)
    session = shown.get("session")
    if isinstance(session, dict) and "token" in session:
        shown["session"] = {**session, "token": REDACTED}
    if "sid" in shown:  # the JWKS-signed cookie repeats the session token as sid
        shown["sid"] = REDACTED
    return shown


def _numeric_date(value: object) -> float | None:
    # bool is an int subclass: JSON true is not a date.
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) if 0 <= value <= 253402300799 else None
    return None


def _duration(seconds: float) -> str:
    def plural(n: int, unit: str) -> str:
        return f"{n} {unit}{'' if n == 1 else 's'}"

    s = int(abs(seconds))
    if s < 60:
        return plural(s, "second")
    if s < 3600:
        return plural(s // 60, "minute")
    if s < 86400:
        hours, minutes = divmod(s // 60, 60)
        return plural(hours, "hour") + (f" {plural(minutes, 'minute')}" if minutes else "")
    days, hours = divmod(s // 3600, 24)
    return plural(days, "day") + (f" {plural(hours, 'hour')}" if hours else "")


def relative(when: float, now: float) -> str:
    """``in 14 minutes`` or ``3 hours 5 minutes ago``."""
    delta = when - now
    return f"in {_duration(delta)}" if delta > 0 else f"{_duration(delta)} ago"


def utc(when: float) -> str:
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def time_report(claims: Mapping[str, Any], now: float) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, _ in TIME_CLAIMS:
        if name not in claims:
            continue
        value = _numeric_date(claims[name])
        if value is None:
            found[name] = {"valid": False}
        else:
            found[name] = {"valid": True, "timestamp": value, "utc": utc(value), "relative": relative(value, now)}
    return found


# -- recognising Better Auth tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recognised:
    """What a token looks like, judged on its shape only (nothing verified)."""

    kind: str
    description: str
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    hint: str | None = None
    notes: list[str] = field(default_factory=list)


KIND_DESCRIPTIONS = {
    "access_token": "access token (Better Auth jwt plugin: /api/auth/token, set-auth-jwt header)",
    "session_cookie": "session cookie cache, HS256 (better-auth.session_data, cookieCache strategy 'jwt')",
    "jwks_session_cookie": "JWKS-signed session cookie (better-auth.session_data with jwt({ sessionCookieCache: true }))",
    "session_token": "Better Auth session token (bearer plugin / session_token cookie), not a JWT",
    "compact_session_cookie": "session cookie cache, strategy 'compact' (Better Auth's default), not a JWT",
    "jwe": "encrypted token (JWE; cookieCache strategy 'jwe'): its claims cannot be read without the secret",
    "oauth_access_token": "OAuth access token for a user (Better Auth oauth-provider, typ at+jwt): for OAuthVerifier",
    "oauth_machine_token": "OAuth access token for a client itself (client_credentials, no user): for OAuthVerifier",
    "oauth_client_token": "a token issued to an OAuth client (client_id/azp) without typ at+jwt: no verifier takes it",
    "id_token": "OpenID Connect id_token (Better Auth oauth-provider): for the client that asked, never for an API",
    "unknown_jwt": "a JWT, but not shaped like any Better Auth token",
}


def _audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return [value for value in values if isinstance(value, str)]


def _classify_jws(header: dict[str, Any], claims: dict[str, Any]) -> Recognised:
    typ = header.get("typ")
    alg = header.get("alg")
    notes: list[str] = []
    if isinstance(alg, str) and alg.lower() == "none":
        notes.append("alg is 'none': an unsigned token, never accepted by a verifier")
    if any(name in header for name in ("jwk", "jku", "x5u", "x5c")):
        notes.append("the header offers its own key (jwk/jku/x5u/x5c): never trusted by a verifier")
    iss = claims.get("iss") if isinstance(claims.get("iss"), str) else None
    oauth = _classify_oauth(typ, claims, iss, notes)
    if oauth is not None:
        kind, hint = oauth
    elif typ == SESSION_CACHE_TYP or SESSION_CACHE_AUDIENCE in _audiences(claims):
        hint = f"--kind session-cookie --base-url {iss}" if iss else "--kind session-cookie --jwks URL"
        kind = "jwks_session_cookie"
    elif isinstance(claims.get("session"), dict) and isinstance(claims.get("user"), dict):
        kind, hint = "session_cookie", "--kind session-cookie --secret-env BETTER_AUTH_SECRET"
        if alg != "HS256":
            notes.append("Better Auth signs this cookie with HS256; another alg means it came from elsewhere")
    elif "sub" in claims and ("iss" in claims or "aud" in claims):
        kind = "access_token"
        if alg == "HS256":
            hint = f"--secret-env BETTER_AUTH_SECRET --base-url {iss}" if iss else "--secret-env VAR --issuer ISSUER"
        else:
            hint = f"--base-url {iss}" if iss else "--jwks URL --issuer ISSUER"
    else:
        kind, hint = "unknown_jwt", None
    return Recognised(
        kind=kind,
        description=KIND_DESCRIPTIONS[kind],
        header=header,
        claims=claims,
        hint=f"betterauth-jwt verify - {hint}" if hint else None,
        notes=notes,
    )


def _classify_oauth(
    typ: object, claims: dict[str, Any], iss: str | None, notes: list[str]
) -> tuple[str, str | None] | None:
    """(kind, verify options) for what Better Auth's OAuth provider issues, or ``None`` (BETTER_AUTH.md section 6)."""
    if "cnf" in claims:
        notes.append("bound to a key (cnf: DPoP or mTLS): refused as a bearer token, the API must check its DPoP proof")
    if isinstance(typ, str) and typ.lower() in OAUTH_ACCESS_TYPS:
        machine = "sid" not in claims and claims.get("sub") == claims.get("client_id")
        audiences = _audiences(claims)
        resource = f"--resource {audiences[0]}" if audiences else "--resource URL"
        source = "--jwks URL --issuer ISSUER"
        if iss is not None:  # Better Auth's default iss is the base URL plus /api/auth; with jwt.issuer, the origin
            base = iss.removesuffix(BETTER_AUTH_BASE_PATH)
            source = f"--base-url {base}" + ("" if base != iss else f" --issuer {iss}")
        return ("oauth_machine_token" if machine else "oauth_access_token"), f"--oauth {resource} {source}"
    if "nonce" in claims or "at_hash" in claims or "c_hash" in claims or "auth_time" in claims:
        notes.append("an id_token tells its client who signed in; an API accepts access tokens, never id_tokens")
        return "id_token", None
    if "client_id" in claims or "azp" in claims:
        return "oauth_client_token", None
    return None


def _compact_cookie(token: str) -> dict[str, Any] | None:
    """The payload of a cookieCache strategy 'compact' value, if that is what this is."""
    try:
        value = loads_strict(b64url_decode(token.rstrip("=")))
    except (BetterAuthJWTError, JSONError):
        return None
    if isinstance(value, dict) and isinstance(value.get("session"), dict) and "signature" in value:
        return value
    return None


def recognise(token: str) -> Recognised:
    """Decode ``token`` without verifying it and say which Better Auth token it looks like.

    Raises :class:`InvalidTokenError` (usually ``malformed_token``) when it is none of them.
    """
    try:
        header, claims = decode_unverified(token)
    except InvalidTokenError as exc:
        if exc.code == "not_a_jwt":
            return Recognised("session_token", KIND_DESCRIPTIONS["session_token"], hint=explain("not_a_jwt"))
        if exc.code == "encrypted_token" and token.count(".") == 4:
            header_segment = token.split(".", 1)[0]
            try:
                jwe_header = loads_strict(b64url_decode(header_segment))
            except (BetterAuthJWTError, JSONError):
                raise exc from None
            if not isinstance(jwe_header, dict):
                raise exc from None
            return Recognised("jwe", KIND_DESCRIPTIONS["jwe"], header=jwe_header, hint=explain("encrypted_token"))
        if "." not in token:
            compact = _compact_cookie(token)
            if compact is not None:
                expires = compact.get("expiresAt")
                claims = {"expiresAt": expires} if isinstance(expires, int | float) else {}
                return Recognised(
                    "compact_session_cookie",
                    KIND_DESCRIPTIONS["compact_session_cookie"],
                    claims=claims,
                    hint="Use cookieCache strategy 'jwt' to verify the cookie here, or send a jwt-plugin access token.",
                )
        raise
    return _classify_jws(header, claims)
