"""From a request's headers to an :class:`Identity` or an HTTP refusal: the one place where adapters meet HTTP.

``BetterAuthMiddleware``, ``BetterAuthBackend`` and the FastAPI dependencies all hold an :class:`Authenticator` and
only turn its :class:`Denied` into their framework's response. Nothing here imports a web framework.

Where the token comes from (the header wins):

1. ``Authorization: Bearer <token>`` (RFC 6750 section 2.1): the scheme is case-insensitive, one header only, the
   credentials a single ``b64token``; anything else that claims the Bearer scheme is refused (401), never guessed at.
   A header with another scheme (``Basic ...``) carries no bearer token and is left alone.
2. When enabled, Better Auth's ``session_data`` cookie: ``__Secure-{prefix}.session_data`` before
   ``{prefix}.session_data``, or its chunks ``.0``, ``.1``, ... joined in order, as Better Auth writes them.

How a refusal is answered (RFC 6750 section 3; body ``{"detail": ..., "code": ...}``, never the token):

- no token: 401, ``WWW-Authenticate: Bearer realm="..."`` without an error code (section 3.1);
- a refused token: 401, ``error="invalid_token"`` and the error's safe description;
- a guard refused the identity: 403, ``error="insufficient_scope"``;
- the keys could not be obtained: 503 with ``Retry-After``.

A WebSocket is closed before it is accepted: 1008 (policy violation), or 1013 (try again later) for the 503 case.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, overload

from .._errors import ConfigurationError, InvalidTokenError, KeysUnavailableError, MalformedTokenError
from .._kinds.identity import Identity, TokenKind, VerifiedClaims
from .._logging import logger, token_fingerprint
from .._verifier import Verifier
from .outcome import ANONYMOUS, INSUFFICIENT_SCOPE, MISSING_TOKEN, OK, AuthOutcome, OnOutcome, report

__all__ = [
    "ANONYMOUS_USER",
    "AUTHENTICATOR_SCOPE_KEY",
    "AnonymousUser",
    "Authenticator",
    "Credentials",
    "Denied",
    "Guard",
    "RawHeaders",
    "identity_roles",
    "identity_scopes",
]

RawHeaders = Iterable[tuple[bytes, bytes]]  # ASGI ``scope["headers"]``: lower-case names, raw bytes

DEFAULT_REALM = "api"
DEFAULT_COOKIE_PREFIX = "better-auth"
SECURE_COOKIE_PREFIX = "__Secure-"
MAX_COOKIE_CHUNKS = 100  # Better Auth never writes more (cookies/session-store)
CLOSE_POLICY_VIOLATION = 1008  # RFC 6455 section 7.4.1
CLOSE_TRY_AGAIN_LATER = 1013  # IANA WebSocket close code registry
# The middleware leaves its Authenticator in the scope of a request it lets through anonymously (a public path, no token
# with required=False), so that FastAPI dependencies can still verify a token there. Which verifier accepted a verified
# scope["user"] travels in scope["auth"] (IdentityCredentials), not under a key of its own: every key added to the
# scope is one the framework's own keys may then not fit beside without the scope dict growing, on every request.
AUTHENTICATOR_SCOPE_KEY = "betterauth_jwt.authenticator"

# RFC 7235 section 2.1: auth-scheme = token; RFC 6750 section 2.1: "Bearer" 1*SP b64token.
_SCHEME = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: |$)")
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*)")
# RFC 6750 section 3: realm and error_description may only hold %x20-21 / %x23-5B / %x5D-7E (no '"', no '\').
_NOT_QUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
_COOKIE_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_USUAL_BEARER = (b"Bearer ", b"bearer ")


# -- what adapters put in scope["user"] / scope["auth"] (Starlette's request.user, request.auth, @requires) ---------


class AnonymousUser:
    """The user of a request without a token; like Starlette's ``UnauthenticatedUser``, without importing Starlette."""

    __slots__ = ()

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""

    def __repr__(self) -> str:
        return "AnonymousUser()"


ANONYMOUS_USER = AnonymousUser()


@dataclass(frozen=True, slots=True)
class Credentials:
    """Starlette's ``AuthCredentials`` shape (``.scopes``), so ``@requires("authenticated")`` works with the middleware."""

    scopes: tuple[str, ...] = ()


def identity_roles(identity: Identity) -> frozenset[str]:
    """Better Auth's ``role`` (admin plugin): ``"admin"``, ``"admin,user"`` or a list; read from the user's claims."""
    source = identity.claims.get("user") if identity.kind is TokenKind.SESSION_COOKIE else identity.claims
    # Exact-type tests first (a verified identity's claims, their nested objects): the ABC check is slow.
    if not (type(source) is VerifiedClaims or type(source) is MappingProxyType or isinstance(source, Mapping)):
        return frozenset()
    value = source.get("role")
    if value is None:  # no admin plugin, or a user without a role: settled before any type test
        return frozenset()
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return frozenset(item for item in value if isinstance(item, str) and item)
    return frozenset()


def identity_scopes(identity: Identity) -> tuple[str, ...]:
    """``"authenticated"`` and one ``"role:<name>"`` per role: ``@requires(["authenticated", "role:admin"])``."""
    roles = identity_roles(identity)
    if not roles:  # most users: no sorting, no generator (this runs on every authenticated request)
        return ("authenticated",)
    return ("authenticated", *sorted(f"role:{role}" for role in roles))


class IdentityCredentials:
    """:class:`Credentials` of a verified identity, whose scopes are worked out when read: most requests never read
    them, and working them out on every request cost a fifth of the middleware's time. Also says which verifier
    accepted the identity, and whether its token came from the header or the cookie, so that a later dependency can
    reuse it (see :meth:`Authenticator.authenticate`)."""

    __slots__ = ("identity", "source", "verifier")

    def __init__(self, identity: Identity, verifier: Verifier, source: Literal["header", "cookie"]) -> None:
        self.identity = identity
        self.verifier = verifier
        self.source = source

    @property
    def scopes(self) -> tuple[str, ...]:
        return identity_scopes(self.identity)

    def __repr__(self) -> str:
        return f"IdentityCredentials(scopes={self.scopes!r})"


def _store(
    scope: MutableMapping[str, Any], identity: Identity, verifier: Verifier, source: Literal["header", "cookie"]
) -> None:
    scope["user"], scope["auth"] = identity, IdentityCredentials(identity, verifier, source)


# -- refusals -------------------------------------------------------------------------------------------------------


class Denied(Exception):
    """A refusal, ready to send: ``status``, ``headers`` (the challenge or ``Retry-After``), the JSON ``body`` and the
    WebSocket ``close_code``. ``detail`` and ``code`` are ours and safe to show; they never hold the token."""

    def __init__(self, status: int, code: str, detail: str, headers: tuple[tuple[str, str], ...]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers

    @property
    def close_code(self) -> int:
        return CLOSE_TRY_AGAIN_LATER if self.status == 503 else CLOSE_POLICY_VIOLATION

    @property
    def body(self) -> bytes:
        return json.dumps({"detail": self.detail, "code": self.code}, separators=(",", ":")).encode()


def _quotable(text: str, limit: int = 200) -> str:
    return _NOT_QUOTABLE.sub("?", text.replace('"', "'").replace("\\", "/"))[:limit]


def _retry_after(exc: KeysUnavailableError) -> str:
    try:
        seconds = math.ceil(exc.retry_after)
    except (TypeError, ValueError, OverflowError):
        seconds = 30
    return str(min(max(seconds, 1), 3600))


@dataclass(frozen=True, slots=True)
class Guard:
    """A condition on a verified identity (a role, a predicate, or both); a refusal is a 403."""

    role: str | None = None
    predicate: Callable[[Identity], bool] | None = None

    def __post_init__(self) -> None:
        if self.role is None and self.predicate is None:
            raise ConfigurationError("require() needs role= or a predicate such as lambda identity: ...")
        if self.role is not None and (not isinstance(self.role, str) or not self.role.strip()):
            raise ConfigurationError("role must be a non-empty string")
        if self.predicate is not None and not callable(self.predicate):
            raise ConfigurationError("the predicate must be a callable taking the Identity")

    def allows(self, identity: Identity) -> bool:
        if self.role is not None and self.role not in identity_roles(identity):
            return False
        return self.predicate is None or bool(self.predicate(identity))

    @property
    def description(self) -> str:
        if self.role is not None and self.predicate is None:
            return f"the {self.role} role is required"
        return "this user is not allowed to do this"


# -- the authenticator ----------------------------------------------------------------------------------------------


class Authenticator:
    """Finds the token in a request, verifies it, applies a guard, reports the outcome and says what to answer.

    ``cookie=True`` also reads the ``session_data`` cookie and verifies it with ``verifier`` (which must then be a
    ``TokenKind.SESSION_COOKIE`` verifier); ``cookie=<Verifier>`` verifies the cookie with that one, so bearer access
    tokens and the cookie can both be accepted.
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        cookie: bool | Verifier = False,
        cookie_prefix: str = DEFAULT_COOKIE_PREFIX,
        realm: str = DEFAULT_REALM,
        on_outcome: OnOutcome | None = None,
    ) -> None:
        if not isinstance(verifier, Verifier):
            raise ConfigurationError("verifier must be a betterauth_jwt.Verifier")
        cookie_verifier = verifier if cookie is True else cookie or None
        if cookie_verifier is not None:
            if not isinstance(cookie_verifier, Verifier):
                raise ConfigurationError("cookie must be True, False or a Verifier for the session_data cookie")
            if cookie_verifier.kind is not TokenKind.SESSION_COOKIE:
                raise ConfigurationError(
                    "the session_data cookie is a TokenKind.SESSION_COOKIE token: pass cookie=Verifier(..., "
                    "kind=TokenKind.SESSION_COOKIE) to accept it beside bearer access tokens"
                )
            if not isinstance(cookie_prefix, str) or not _COOKIE_NAME.fullmatch(cookie_prefix):
                raise ConfigurationError("cookie_prefix must be a cookie name such as 'better-auth'")
        if not isinstance(realm, str) or not realm or len(realm) > 100 or _NOT_QUOTABLE.search(realm):
            raise ConfigurationError("realm must be 1 to 100 printable ASCII characters without '\"' or '\\'")
        if on_outcome is not None and not callable(on_outcome):
            raise ConfigurationError("on_outcome must be a callable taking an AuthOutcome")
        self.verifier = verifier
        self.cookie_verifier = cookie_verifier
        self.cookie_names = (f"{SECURE_COOKIE_PREFIX}{cookie_prefix}.session_data", f"{cookie_prefix}.session_data")
        self.realm = realm
        self.on_outcome = on_outcome
        # The verifier checks the token's size itself; this only bounds the work spent on a hostile header.
        self._max_header_bytes = max(verifier.max_token_bytes, (cookie_verifier or verifier).max_token_bytes) + 64

    def __repr__(self) -> str:
        return f"Authenticator({self.verifier!r}, cookie={self.cookie_verifier is not None}, realm={self.realm!r})"

    @overload
    async def authenticate(
        self, scope: MutableMapping[str, Any], *, required: Literal[True] = True, guard: Guard | None = None
    ) -> Identity: ...

    @overload
    async def authenticate(
        self, scope: MutableMapping[str, Any], *, required: bool, guard: Guard | None = None
    ) -> Identity | None: ...

    async def authenticate(
        self, scope: MutableMapping[str, Any], *, required: bool = True, guard: Guard | None = None
    ) -> Identity | None:
        """The identity of the ASGI request ``scope``, or ``None`` when it has no token and ``required`` is false;
        raise :class:`Denied`. On success the identity is also put in ``scope["user"]`` and ``scope["auth"]``.

        An identity already in the scope is reused when it was verified by the verifier this authenticator would have
        used for it (the middleware's result, an earlier dependency's): a request is verified once, and one verifier
        never accepts a token on the word of another (configured for another audience, say).
        """
        path = scope.get("path", "")
        user = scope.get("user")
        if isinstance(user, Identity) and self._verified_here(user, scope.get("auth")):
            if guard is not None:
                self.authorize(user, guard, path)
            return user
        try:
            found = self.find_token(scope.get("headers", ()))
        except InvalidTokenError as exc:
            raise self._refuse_token(exc, AuthOutcome(exc.code, 401, path)) from None
        if found is None:
            if not required:
                report(self.on_outcome, AuthOutcome(ANONYMOUS, 200, path))
                return None
            raise self.missing_token(path)
        token, verifier, source = found
        try:
            identity = await verifier.averify(token)
        except InvalidTokenError as exc:
            outcome = AuthOutcome(exc.code, 401, path, None, token_fingerprint(token), source)
            raise self._refuse_token(exc, outcome) from None
        except KeysUnavailableError as exc:
            outcome = AuthOutcome(exc.code, 503, path, None, token_fingerprint(token), source)
            raise self._unavailable(exc, outcome) from None
        if guard is not None or self.on_outcome is not None:
            # The fingerprint (a SHA-256) and the outcome serve only logs and the hook: not built on the common path.
            fingerprint = token_fingerprint(token)
            if guard is not None:
                self.authorize(identity, guard, path, fingerprint=fingerprint, source=source)
            report(self.on_outcome, AuthOutcome(OK, 200, path, identity, fingerprint, source))
        _store(scope, identity, verifier, source)
        return identity

    def cached_identity(self, scope: MutableMapping[str, Any]) -> Identity | None:
        """:meth:`authenticate`'s common case, without a coroutine or any parsing: exactly one ``Authorization: Bearer``
        header whose token the verifier accepted before and still accepts now (its cache re-checks the time window and
        the key set). ``None`` means "call authenticate()", which decides everything else. On success the scope is set
        and the outcome reported as authenticate() does. (A cached token is a valid JWT, so a header of this shape is
        exactly one that bearer_token() accepts.)"""
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                if header is not None:
                    return None  # several Authorization headers: authenticate() refuses them
                header = value
        # "Bearer <token>" as clients send it; any other spelling (case, several spaces) is left to authenticate().
        if header is None or len(header) > self._max_header_bytes or not header.startswith(_USUAL_BEARER):
            return None
        token = header[7:].decode("latin-1")
        identity = self.verifier._cached_identity(token)
        if identity is None:
            return None
        if self.on_outcome is not None:
            report(
                self.on_outcome,
                AuthOutcome(OK, 200, scope.get("path", ""), identity, token_fingerprint(token), "header"),
            )
        _store(scope, identity, self.verifier, "header")
        return identity

    def _verified_here(self, user: Identity, credentials: object) -> bool:
        if not isinstance(credentials, IdentityCredentials) or credentials.identity is not user:
            return False
        verifier, source = credentials.verifier, credentials.source
        if source == "header":
            return verifier is self.verifier
        return source == "cookie" and self.cookie_verifier is not None and verifier is self.cookie_verifier

    def authorize(
        self,
        identity: Identity,
        guard: Guard,
        path: str,
        *,
        fingerprint: str | None = None,
        source: Literal["header", "cookie"] | None = None,
    ) -> None:
        """Raise a 403 :class:`Denied` unless ``guard`` allows ``identity``."""
        if guard.allows(identity):
            return
        logger.info("forbidden: user %r refused by a guard on %r", identity.user_id, path)
        report(self.on_outcome, AuthOutcome(INSUFFICIENT_SCOPE, 403, path, identity, fingerprint, source))
        description = guard.description
        raise Denied(403, INSUFFICIENT_SCOPE, description, self.challenge(INSUFFICIENT_SCOPE, description))

    def challenge(self, error: str | None = None, description: str | None = None) -> tuple[tuple[str, str], ...]:
        """The ``WWW-Authenticate`` header of a refusal (RFC 6750 section 3), description quoted safely."""
        value = f'Bearer realm="{self.realm}"'
        if error is not None:
            value += f', error="{error}"'
        if description:
            value += f', error_description="{_quotable(description)}"'
        return (("WWW-Authenticate", value),)

    def missing_token(self, path: str) -> Denied:
        report(self.on_outcome, AuthOutcome(MISSING_TOKEN, 401, path))
        return Denied(401, MISSING_TOKEN, "authentication required", self.challenge())

    def _refuse_token(self, exc: InvalidTokenError, outcome: AuthOutcome) -> Denied:
        logger.info("token %s refused on %r: %s", outcome.fingerprint or "-", outcome.path, exc.code)
        report(self.on_outcome, outcome)
        return Denied(401, exc.code, exc.description, self.challenge("invalid_token", exc.description))

    def _unavailable(self, exc: KeysUnavailableError, outcome: AuthOutcome) -> Denied:
        # The description may name our JWKS endpoint and what went wrong with it: for our logs, not for the client.
        logger.warning("keys unavailable, token %s not checked on %r: %s", outcome.fingerprint, outcome.path, exc)
        report(self.on_outcome, outcome)
        detail = "authentication is temporarily unavailable, retry later"
        return Denied(503, exc.code, detail, (("Retry-After", _retry_after(exc)),))

    # -- token extraction -----------------------------------------------------------------------------------------

    def find_token(self, headers: RawHeaders) -> tuple[str, Verifier, Literal["header", "cookie"]] | None:
        """The token and the verifier for it; ``None`` without one; :class:`InvalidTokenError` for a malformed one."""
        headers = list(headers)
        token = bearer_token(headers, self._max_header_bytes)
        if token is not None:
            return token, self.verifier, "header"
        if self.cookie_verifier is not None:
            token = session_cookie(headers, self.cookie_names)
            if token is not None:
                return token, self.cookie_verifier, "cookie"
        return None


def bearer_token(headers: list[tuple[bytes, bytes]], max_bytes: int) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, ``None`` if it has no such header."""
    values = [value for name, value in headers if name == b"authorization"]
    if not values:
        return None
    if len(values) > 1:
        raise MalformedTokenError("the request has more than one Authorization header", code="malformed_authorization")
    if len(values[0]) > max_bytes:
        raise MalformedTokenError(
            "the Authorization header is larger than this service accepts", code="token_too_large"
        )
    text = values[0].decode("latin-1")  # never fails; bytes outside ASCII are then refused by the patterns
    match = _BEARER.fullmatch(text)
    if match is not None:  # the usual case, settled in one match; anything else is judged step by step below
        return match.group(1)
    scheme = _SCHEME.match(text)
    if scheme is None:
        raise MalformedTokenError(
            "the Authorization header is not of the form '<scheme> <credentials>'", code="malformed_authorization"
        )
    if scheme.group(1).lower() != "bearer":
        return None  # another scheme carries no bearer token (RFC 6750 section 3.1: answered without an error code)
    raise MalformedTokenError(
        "the Authorization header must be exactly 'Bearer <token>'", code="malformed_authorization"
    )


def _cookies(headers: list[tuple[bytes, bytes]], wanted: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        if name != b"cookie":
            continue  # HTTP/2 may send several cookie headers; each is parsed the same way
        for pair in value.decode("latin-1").split(";"):
            key, sep, item = pair.partition("=")
            key = key.strip(" \t")
            if sep and key.startswith(wanted):
                found.setdefault(key, []).append(item.strip(" \t"))
    return found


def _single(found: Mapping[str, list[str]], name: str) -> str:
    values = found[name]
    if len(values) > 1:
        # Two cookies of one name (e.g. one tossed in from a sibling subdomain): refuse rather than pick one.
        raise MalformedTokenError(f"the request has more than one {name} cookie", code="malformed_cookie")
    return values[0]


def _chunk_index(name: str, base: str) -> int | None:
    suffix = name[len(base) + 1 :] if name.startswith(base + ".") else ""
    if not suffix.isascii() or not suffix.isdigit() or (suffix != "0" and suffix.startswith("0")):
        return None
    index = int(suffix)
    return index if index < MAX_COOKIE_CHUNKS else None


def session_cookie(headers: list[tuple[bytes, bytes]], names: tuple[str, ...]) -> str | None:
    """The ``session_data`` cookie's value under the first of ``names`` present, chunks reassembled."""
    found = _cookies(headers, names)
    for base in names:
        if base in found and _single(found, base):
            return _single(found, base)
        chunks = {index: name for name in found if (index := _chunk_index(name, base)) is not None}
        if chunks:
            if sorted(chunks) != list(range(len(chunks))):
                raise MalformedTokenError(f"the {base} cookie's chunks are incomplete", code="malformed_cookie")
            return "".join(_single(found, chunks[index]) for index in range(len(chunks)))
    return None
