"""Test helpers: mint Better Auth-shaped tokens and the matching key set, for this project's tests and for yours.

>>> factory = TokenFactory("EdDSA")
>>> verifier = factory.verifier()
>>> verifier.verify(factory.access_token(user_id="user_1")).user_id
'user_1'
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ._jose import algorithms as algs
from ._keys.fixed import KeyProvider, SharedSecret, StaticJWKS
from ._kinds.claims import SESSION_CACHE_AUDIENCE, SESSION_CACHE_TYP
from ._kinds.identity import Identity, TokenKind, identity_from_claims
from ._testing.jwks_server import JWKSServer
from ._verifier import Verifier

__all__ = [
    "JWKSServer",
    "TokenFactory",
    "UserOverride",
    "b64url",
    "generate_private_key",
    "make_identity",
    "override_user",
    "public_jwk",
    "sign_compact",
]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519PrivateKey
DEFAULT_ISSUER = "http://localhost:3000"
_CURVE_BY_ALG = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
_CRV_NAME = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_HASH = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int, size: int | None = None) -> str:
    return b64url(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))


def generate_private_key(alg: str) -> PrivateKey:
    """A fresh private key for an asymmetric JWS algorithm (RSA keys are 2048 bits, like Better Auth's)."""
    if alg in algs.RSA_ALGORITHMS:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg in _CURVE_BY_ALG:
        return ec.generate_private_key(_CURVE_BY_ALG[alg])
    if alg == "EdDSA":
        return Ed25519PrivateKey.generate()
    raise ValueError(f"no private key type for {alg}")


def public_jwk(key: PrivateKey, alg: str, kid: str) -> dict[str, str]:
    """The public JWK as Better Auth publishes it: ``{kty, crv?, x?, y?, n?, e?, alg, kid}``, no ``use``."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e), "alg": alg, "kid": kid}
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_numbers()
        size = (public.curve.key_size + 7) // 8
        return {
            "kty": "EC",
            "crv": _CRV_NAME[public.curve.name],
            "x": _int_b64(point.x, size),
            "y": _int_b64(point.y, size),
            "alg": alg,
            "kid": kid,
        }
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "alg": alg, "kid": kid}


def sign_compact(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: PrivateKey | bytes) -> str:
    """Sign exactly the header given (no fields added or removed), so tests can build hostile tokens too."""
    alg = header["alg"]
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    signing_input = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(body)}".encode()
    if isinstance(key, bytes):
        import hmac

        signature = hmac.digest(key, signing_input, "sha" + alg[2:])
    elif isinstance(key, rsa.RSAPrivateKey):
        hash_ = _HASH[alg[2:]]
        pad = padding.PKCS1v15() if alg.startswith("RS") else padding.PSS(padding.MGF1(hash_), hash_.digest_size)
        signature = key.sign(signing_input, pad, hash_)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(_HASH[alg[2:]])))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        signature = key.sign(signing_input)
    return f"{signing_input.decode()}.{b64url(signature)}"


class TokenFactory:
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


class UserOverride:
    """FastAPI dependency overrides installed by :func:`override_user`; :meth:`undo` (or leaving ``with``) removes them."""

    def __init__(self, app: Any, overrides: Mapping[Any, Callable[..., Any]], identity: Identity) -> None:
        self.app = app
        self.identity = identity
        self._previous = {key: app.dependency_overrides.get(key, _NOT_OVERRIDDEN) for key in overrides}
        app.dependency_overrides.update(overrides)

    def undo(self) -> None:
        """Put back what was there before: the real dependencies (or earlier overrides)."""
        for key, previous in self._previous.items():
            if previous is _NOT_OVERRIDDEN:
                self.app.dependency_overrides.pop(key, None)
            else:
                self.app.dependency_overrides[key] = previous
        self._previous = {}

    def __enter__(self) -> UserOverride:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.undo()


_NOT_OVERRIDDEN = object()


def override_user(app: Any, auth: Any, identity: Identity) -> UserOverride:
    """In FastAPI tests, make ``auth``'s dependencies yield ``identity`` without any token.

    Covers ``Depends(auth)``, ``auth.optional``, the module-level ``CurrentUser``/``OptionalUser``, and every
    ``auth.require(...)`` guard used by ``app``'s routes; guards still judge the identity, so a user without the role
    still gets the 403. ``request.user`` is the identity too. Call it after the routes are declared::

        with override_user(app, auth, make_identity("alice", role="admin")):
            assert client.get("/admin").status_code == 200

    It uses ``app.dependency_overrides``, so it replaces the dependency style only; with ``BetterAuthMiddleware`` in
    front of the routes, send a token from :class:`TokenFactory` instead.
    """
    from starlette.requests import HTTPConnection

    from ._web.denial import Denied
    from ._web.principal import Credentials, Guard, identity_scopes
    from .fastapi import BetterAuth, _Guarded, _refuse, current_user, optional_user

    if not isinstance(auth, BetterAuth):
        raise TypeError("override_user(app, auth, identity): auth must be the betterauth_jwt.fastapi.BetterAuth")
    if not isinstance(identity, Identity):
        raise TypeError("override_user(app, auth, identity): identity must be an Identity (see make_identity)")

    def provide(guard: Guard | None) -> Callable[..., Any]:
        async def dependency(connection: HTTPConnection) -> Identity:
            if guard is not None:
                try:
                    auth.authenticator.authorize(identity, guard, connection.scope.get("path", ""))
                except Denied as denied:
                    _refuse(connection, denied)
            connection.scope["user"] = identity
            connection.scope["auth"] = Credentials(identity_scopes(identity))
            return identity

        # FastAPI reads the signature to inject the connection; this module's annotations are strings it cannot resolve.
        dependency.__annotations__ = {"connection": HTTPConnection, "return": Identity}
        return dependency

    overrides: dict[Any, Callable[..., Any]] = {
        auth: provide(None),
        auth.optional: provide(None),
        current_user: provide(None),
        optional_user: provide(None),
    }
    for route in app.routes:
        pending = [getattr(route, "dependant", None)]
        while pending:
            dependant = pending.pop()
            if dependant is None:
                continue
            call = dependant.call
            if isinstance(call, _Guarded) and call._authenticator is auth.authenticator:
                overrides[call] = provide(call.guard)
            pending.extend(dependant.dependencies)
    return UserOverride(app, overrides, identity)
