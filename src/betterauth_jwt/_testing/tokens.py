"""``TokenFactory``: mints tokens the way Better Auth 1.7 does (first-party JWTs, session cookies, OAuth access tokens),
with the keys to verify them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._jose import algorithms as algs
from .._keys.fixed import KeyProvider, SharedSecret, StaticJWKS
from .._kinds.identity import Identity, TokenKind, identity_from_claims
from .._kinds.session_cache import SESSION_CACHE_AUDIENCE, SESSION_CACHE_TYP
from .._verifier import Verifier
from .keys import PrivateKey, generate_private_key, public_jwk, sign_compact
from .oauth import OAuthTokens

__all__ = ["DEFAULT_ISSUER", "TokenFactory", "make_identity"]

DEFAULT_ISSUER = "http://localhost:3000"


class TokenFactory(OAuthTokens):
    """Mints tokens the way Better Auth 1.7 does, with the keys to verify them.

    Asymmetric algorithms (EdDSA by default, ES256, ES512, RS256, PS256, ...) come with a JWKS; ``HS256`` uses a random
    shared secret (or ``secret=``), like Better Auth's custom HS256 signer and its ``session_data`` cookie.
    ``rotate()`` adds a new signing key and keeps the old one published, as Better Auth does during its grace period.
    """

    def __init__(
        self,
        alg: str = "EdDSA",
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str | list[str] | None = None,
        secret: str | bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if alg not in algs.SUPPORTED_ALGORITHMS:
            raise ValueError(f"unsupported algorithm {alg}")
        self.alg = alg
        self.issuer = issuer
        self.audience: str | list[str] = audience if audience is not None else issuer
        self.clock = clock
        self.secret: bytes | None = None
        self._keys: list[tuple[str, PrivateKey]] = []
        if alg in algs.HMAC_ALGORITHMS:
            raw = secret if secret is not None else secrets.token_urlsafe(48)
            self.secret = raw.encode() if isinstance(raw, str) else raw
        else:
            self.rotate()

    # -- keys ---------------------------------------------------------------------------------------------------------

    def rotate(self) -> str:
        """Start signing with a new key (new kid); earlier keys stay in :attr:`jwks`. Returns the new kid."""
        kid = secrets.token_urlsafe(24)
        self._keys.append((kid, generate_private_key(self.alg)))
        return kid

    def retire_oldest(self) -> None:
        """Drop the oldest key from the JWKS (the end of Better Auth's grace period)."""
        if len(self._keys) > 1:
            self._keys.pop(0)

    @property
    def kid(self) -> str | None:
        return self._keys[-1][0] if self._keys else None

    @property
    def private_key(self) -> PrivateKey | bytes:
        if self.secret is not None:
            return self.secret
        return self._keys[-1][1]

    @property
    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [public_jwk(key, self.alg, kid) for kid, key in self._keys]}

    def key_provider(self) -> KeyProvider:
        if self.secret is not None:
            return SharedSecret(self.secret, algorithms=(self.alg,))
        return StaticJWKS(self.jwks)

    def verifier(self, kind: TokenKind = TokenKind.ACCESS, **options: Any) -> Verifier:
        """A verifier that accepts this factory's tokens (same issuer, audience and clock)."""
        audience = options.pop("audience", self.audience)
        options.setdefault("clock", self.clock)
        return Verifier(self.key_provider(), issuer=self.issuer, audience=audience, kind=kind, **options)

    # -- tokens -------------------------------------------------------------------------------------------------------

    def header(self, **extra: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"alg": self.alg}
        if self.secret is not None:
            header["typ"] = "JWT"  # what the documented custom HS256 signer sets
        else:
            header["kid"] = self.kid
        header.update(extra)
        return {key: value for key, value in header.items() if value is not None}

    def sign(self, payload: Mapping[str, Any] | bytes, header: Mapping[str, Any] | None = None) -> str:
        return sign_compact(header if header is not None else self.header(), payload, self.private_key)

    def user(self, user_id: str = "user_1", **fields: Any) -> dict[str, Any]:
        now = self.clock()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))
        user = {
            "id": user_id,
            "name": "Ada Lovelace",
            "email": f"{user_id}@example.com",
            "emailVerified": False,
            "image": None,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        user.update(fields)
        return user

    def access_claims(
        self, user_id: str = "user_1", *, expires_in: float = 900, issued_at: float | None = None, **claims: Any
    ) -> dict[str, Any]:
        """Claims of a JWT-plugin token: the user spread at the top level, then iat, exp, iss, aud, sub."""
        iat = int(self.clock() if issued_at is None else issued_at)
        payload = self.user(user_id)
        payload.update(iat=iat, exp=int(iat + expires_in), iss=self.issuer, aud=self.audience, sub=user_id)
        payload.update(claims)
        return {key: value for key, value in payload.items() if value is not None or key == "image"}

    def access_token(self, user_id: str = "user_1", **claims: Any) -> str:
        return self.sign(self.access_claims(user_id, **claims))

    def session_cookie_claims(
        self, user_id: str = "user_1", *, max_age: float = 300, issued_at: float | None = None, **claims: Any
    ) -> dict[str, Any]:
        """Claims of the ``session_data`` cookie-cache JWT: nested session and user, no iss/aud/sub (HS256 variant)."""
        iat = int(self.clock() if issued_at is None else issued_at)
        user = self.user(user_id)
        session = {
            "id": secrets.token_hex(16),
            "token": secrets.token_urlsafe(24),
            "userId": user_id,
            "expiresAt": user["createdAt"],
            "createdAt": user["createdAt"],
            "updatedAt": user["createdAt"],
            "ipAddress": "127.0.0.1",
            "userAgent": "pytest",
        }
        payload: dict[str, Any] = {
            "session": session,
            "user": user,
            "updatedAt": int(iat * 1000),
            "version": "1",
            "iat": iat,
            "exp": int(iat + max_age),
        }
        if self.secret is None:  # JWKS-signed variant: jwt({ sessionCookieCache: true })
            payload.update(sid=session["token"], iss=self.issuer, aud=SESSION_CACHE_AUDIENCE, sub=user_id)
        payload.update(claims)
        return payload

    def session_cookie(self, user_id: str = "user_1", **claims: Any) -> str:
        if self.secret is not None:
            header: dict[str, Any] = {"alg": self.alg}
        else:
            header = {"alg": self.alg, "kid": self.kid, "typ": SESSION_CACHE_TYP}
        return self.sign(self.session_cookie_claims(user_id, **claims), header)

    # -- conveniences for the cases every app should test ---------------------------------------------------------------

    def token(self, kind: TokenKind = TokenKind.ACCESS, user_id: str = "user_1", **claims: Any) -> str:
        """An access token or a session cookie, by :class:`TokenKind`."""
        if kind is TokenKind.SESSION_COOKIE:
            return self.session_cookie(user_id, **claims)
        return self.access_token(user_id, **claims)

    def expired_token(
        self, user_id: str = "user_1", *, kind: TokenKind = TokenKind.ACCESS, ago: float = 60, **claims: Any
    ) -> str:
        """A token whose ``exp`` passed ``ago`` seconds ago (it lived its usual lifetime before that)."""
        lifetime = 300 if kind is TokenKind.SESSION_COOKIE else 900
        issued_at = self.clock() - ago - lifetime
        if kind is TokenKind.SESSION_COOKIE:
            return self.session_cookie(user_id, issued_at=issued_at, max_age=lifetime, **claims)
        return self.access_token(user_id, issued_at=issued_at, expires_in=lifetime, **claims)

    def not_yet_valid_token(
        self, user_id: str = "user_1", *, kind: TokenKind = TokenKind.ACCESS, starts_in: float = 60, **claims: Any
    ) -> str:
        """A token issued ``starts_in`` seconds in the future: what a Better Auth server with a fast clock sends."""
        return self.token(kind, user_id, issued_at=self.clock() + starts_in, **claims)

    def identity(self, user_id: str = "user_1", *, kind: TokenKind = TokenKind.ACCESS, **claims: Any) -> Identity:
        """The :class:`Identity` a verifier would return for ``token(kind, user_id, **claims)``, without a token."""
        if kind is TokenKind.SESSION_COOKIE:
            return identity_from_claims(kind, self.session_cookie_claims(user_id, **claims))
        return identity_from_claims(kind, self.access_claims(user_id, **claims))


def make_identity(user_id: str = "user_1", *, kind: TokenKind = TokenKind.ACCESS, **claims: Any) -> Identity:
    """A Better Auth-shaped :class:`Identity` for tests that bypass token verification (e.g. :func:`override_user`).

    ``make_identity("u1", role="admin", email="a@example.com")``: keyword arguments become claims, as in a real token.
    """
    return TokenFactory("HS256", secret=_IDENTITY_ONLY_SECRET).identity(user_id, kind=kind, **claims)


# make_identity never signs anything; TokenFactory just needs some secret to exist.
_IDENTITY_ONLY_SECRET = b"make_identity-signs-nothing-with-this-32-bytes-or-more"
