"""From a request's headers to an :class:`Identity` or an HTTP refusal: the one place where adapters meet HTTP.

``BetterAuthMiddleware``, ``BetterAuthBackend``, the FastAPI dependencies and the Django, DRF, Flask and Litestar
faces all hold an :class:`Authenticator` and only turn its :class:`Denied` into their framework's response; async
frameworks call :meth:`~Authenticator.authenticate`, sync ones :meth:`~Authenticator.authenticate_sync`. Nothing here
imports a web framework.

Where the token comes from (the header wins):

1. ``Authorization: Bearer <token>`` (RFC 6750 section 2.1): the scheme is case-insensitive, one header only, the
   credentials a single ``b64token``; anything else that claims the Bearer scheme is refused (401), never guessed at.
   A header with another scheme (``Basic ...``) carries no bearer token and is left alone.
2. When enabled, Better Auth's ``session_data`` cookie: ``__Secure-{prefix}.session_data`` before
   ``{prefix}.session_data``, or its chunks ``.0``, ``.1``, ... joined in order, as Better Auth writes them; or, with
   ``cookie=SessionVerifier(...)``, its ``session_token`` cookie, checked against Better Auth's session store after the
   verifier's ``OriginCheck`` has let the request through (a cross-site request: 403 ``cross_site_request``, whatever
   its cookie). A request with both a bearer token and a cookie is authenticated by the header alone.

How a refusal is answered (RFC 6750 section 3; body ``{"detail": ..., "code": ...}``, never the token):

- no token: 401, ``WWW-Authenticate: Bearer realm="..."`` without an error code (section 3.1);
- a refused token: 401, ``error="invalid_token"`` and the error's safe description;
- a guard refused the identity: 403, ``error="insufficient_scope"``;
- the keys could not be obtained: 503 with ``Retry-After``;
- with an ``OAuthVerifier`` (a resource server): every challenge also says ``resource_metadata="<URL>"`` (RFC 9728),
  and a token without its ``required_scopes`` is a 403 naming them in ``scope="..."`` (``_web.scopes``).

A WebSocket is closed before it is accepted: 1008 (policy violation), or 1013 (try again later) for the 503 case.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal, TypeAlias, TypedDict, overload

from .._errors import (
    ConfigurationError,
    CrossSiteRequestError,
    InsufficientScopeError,
    InvalidTokenError,
    KeysUnavailableError,
)
from .._kinds.identity import Identity, TokenKind
from .._kinds.oauth import AccessGrant
from .._logging import logger, token_fingerprint
from .._oauth_verifier import OAuthVerifier
from .._session_verifier import SessionVerifier
from .._verifier import Verifier
from .credentials import (
    COOKIE_NAME,
    DEFAULT_COOKIE_PREFIX,
    SECURE_COOKIE_PREFIX,
    USUAL_BEARER,
    RawHeaders,
    bearer_token,
    session_cookie,
)
from .denial import NOT_QUOTABLE, Denied
from .metadata import metadata_url
from .outcome import ANONYMOUS, OK, AuthOutcome, OnOutcome, report
from .principal import Guard, IdentityCredentials, Principal, store_identity
from .refusals import Refusals

__all__ = ["AUTHENTICATOR_SCOPE_KEY", "DEFAULT_REALM", "AuthOptions", "Authenticator"]

DEFAULT_REALM = "api"


class AuthOptions(TypedDict, total=False):
    """The :class:`Authenticator`'s options: every adapter takes them as keyword arguments and passes them on as they
    are, so a new option is added here once, not in each framework's face (see :class:`Authenticator` for each)."""

    cookie: bool | Verifier | SessionVerifier
    cookie_prefix: str
    realm: str
    on_outcome: OnOutcome | None


# The middleware leaves its Authenticator in the scope of a request it lets through anonymously (a public path, no token
# with required=False), so that FastAPI dependencies can still verify a token there. Which verifier accepted a verified
# scope["user"] travels in scope["auth"] (IdentityCredentials), not under a key of its own: every key added to the
# scope is one the framework's own keys may then not fit beside without the scope dict growing, on every request.
AUTHENTICATOR_SCOPE_KEY = "betterauth_jwt.authenticator"

# A token, its verifier, where it was found.
_Found: TypeAlias = tuple[str, Verifier | OAuthVerifier | SessionVerifier, Literal["header", "cookie"]]


# -- the authenticator ----------------------------------------------------------------------------------------------


class Authenticator(Refusals):
    """Finds the token in a request, verifies it, applies a guard, reports the outcome and says what to answer.

    ``cookie=True`` also reads the ``session_data`` cookie and verifies it with ``verifier`` (which must then be a
    ``TokenKind.SESSION_COOKIE`` verifier); ``cookie=<Verifier>`` verifies the cookie with that one, so bearer access
    tokens and the cookie can both be accepted. ``cookie=<SessionVerifier>`` reads Better Auth's ``session_token``
    cookie instead (its names) and checks it against the session store, after the verifier's CSRF check.
    """

    def __init__(
        self,
        verifier: Verifier | OAuthVerifier | SessionVerifier,
        *,
        cookie: bool | Verifier | SessionVerifier = False,
        cookie_prefix: str = DEFAULT_COOKIE_PREFIX,
        realm: str = DEFAULT_REALM,
        on_outcome: OnOutcome | None = None,
    ) -> None:
        if not isinstance(verifier, Verifier | OAuthVerifier | SessionVerifier):
            raise ConfigurationError("verifier must be a betterauth_jwt.Verifier, OAuthVerifier or SessionVerifier")
        # A SessionVerifier here takes the bearer plugin's "Authorization: Bearer <session token>.<signature>": a
        # header a browser never attaches on its own, so no CSRF check (that is for the cookie).
        # An OAuth resource server: bearer tokens only, and its 401s point at its RFC 9728 metadata.
        self.resource_metadata = metadata_url(verifier.resource) if isinstance(verifier, OAuthVerifier) else None
        if cookie and isinstance(verifier, OAuthVerifier):
            raise ConfigurationError("an OAuthVerifier takes bearer tokens only: the session cookie is first-party")
        cookie_verifier = verifier if cookie is True else cookie or None
        self.cookie_names: tuple[str, ...] = (
            f"{SECURE_COOKIE_PREFIX}{cookie_prefix}.session_data",
            f"{cookie_prefix}.session_data",
        )
        if isinstance(cookie_verifier, SessionVerifier):
            self.cookie_names = cookie_verifier.cookie_names
        elif cookie_verifier is not None:
            if not isinstance(cookie_verifier, Verifier):
                raise ConfigurationError("cookie must be True, False or a Verifier for the session_data cookie")
            if cookie_verifier.kind is not TokenKind.SESSION_COOKIE:
                raise ConfigurationError(
                    "the session_data cookie is a TokenKind.SESSION_COOKIE token: pass cookie=Verifier(..., "
                    "kind=TokenKind.SESSION_COOKIE) to accept it beside bearer access tokens"
                )
            if not isinstance(cookie_prefix, str) or not COOKIE_NAME.fullmatch(cookie_prefix):
                raise ConfigurationError("cookie_prefix must be a cookie name such as 'better-auth'")
        if not isinstance(realm, str) or not realm or len(realm) > 100 or NOT_QUOTABLE.search(realm):
            raise ConfigurationError("realm must be 1 to 100 printable ASCII characters without '\"' or '\\'")
        if on_outcome is not None and not callable(on_outcome):
            raise ConfigurationError("on_outcome must be a callable taking an AuthOutcome")
        self.verifier = verifier
        self.cookie_verifier = cookie_verifier
        self.realm = realm
        self.on_outcome = on_outcome
        # The verifier checks the token's size itself; this only bounds the work spent on a hostile header.
        self._max_header_bytes = max(verifier.max_token_bytes, (cookie_verifier or verifier).max_token_bytes) + 64

    def __repr__(self) -> str:
        return f"Authenticator({self.verifier!r}, cookie={self.cookie_verifier is not None}, realm={self.realm!r})"

    @overload
    async def authenticate(
        self, scope: MutableMapping[str, Any], *, required: Literal[True] = True, guard: Guard | None = None
    ) -> Principal: ...

    @overload
    async def authenticate(
        self, scope: MutableMapping[str, Any], *, required: bool, guard: Guard | None = None
    ) -> Principal | None: ...

    async def authenticate(
        self, scope: MutableMapping[str, Any], *, required: bool = True, guard: Guard | None = None
    ) -> Principal | None:
        """The identity of the ASGI request ``scope``, or ``None`` when it has no token and ``required`` is false;
        raise :class:`Denied`. On success the identity is also put in ``scope["user"]`` and ``scope["auth"]``.

        An identity already in the scope is reused when it was verified by the verifier this authenticator would have
        used for it (the middleware's result, an earlier dependency's): a request is verified once, and one verifier
        never accepts a token on the word of another (configured for another audience, say).
        """
        found = self._before_verify(scope, required, guard)
        if not isinstance(found, tuple):
            return found
        token, verifier, source = found
        try:
            identity = await verifier.averify(token)
        except (InvalidTokenError, KeysUnavailableError, InsufficientScopeError) as exc:
            raise self._refuse(exc, scope, token, source) from None
        return self._after_verify(scope, identity, guard, found)

    @overload
    def authenticate_sync(
        self, scope: MutableMapping[str, Any], *, required: Literal[True] = True, guard: Guard | None = None
    ) -> Principal: ...

    @overload
    def authenticate_sync(
        self, scope: MutableMapping[str, Any], *, required: bool, guard: Guard | None = None
    ) -> Principal | None: ...

    def authenticate_sync(
        self, scope: MutableMapping[str, Any], *, required: bool = True, guard: Guard | None = None
    ) -> Principal | None:
        """:meth:`authenticate` for synchronous frameworks (WSGI, Django's sync stack): the same steps, with the
        verifier's blocking ``verify`` (a JWKS fetch, if one is needed, blocks this thread only)."""
        found = self._before_verify(scope, required, guard)
        if not isinstance(found, tuple):
            return found
        token, verifier, source = found
        try:
            identity = verifier.verify(token)
        except (InvalidTokenError, KeysUnavailableError, InsufficientScopeError) as exc:
            raise self._refuse(exc, scope, token, source) from None
        return self._after_verify(scope, identity, guard, found)

    # The two drivers above differ only in how they call the verifier; every decision is made once, below.

    def _before_verify(
        self, scope: MutableMapping[str, Any], required: bool, guard: Guard | None
    ) -> Principal | _Found | None:
        """The answer when no verification is needed (an identity verified here already, or no token), else the token
        to verify and the verifier for it."""
        path = scope.get("path", "")
        user = scope.get("user")
        if isinstance(user, Identity | AccessGrant) and self._verified_here(user, scope.get("auth")):
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
        if source == "cookie" and isinstance(verifier, SessionVerifier) and verifier.csrf is not None:
            # Before the cookie is parsed: a cross-site request learns nothing about its cookie.
            try:
                websocket = scope.get("type") == "websocket"
                # No method in the scope counts as unsafe: a face that forgot it must not switch the check off.
                verifier.csrf.check(scope.get("method", ""), scope.get("headers", ()), websocket=websocket)
            except CrossSiteRequestError as exc:
                outcome = AuthOutcome(exc.code, 403, path, None, token_fingerprint(token), source)
                logger.info("cross-site request refused on %r (cookie %s not read)", path, outcome.fingerprint)
                report(self.on_outcome, outcome)
                raise Denied(403, exc.code, exc.description, ()) from None
        return found

    def _after_verify(
        self, scope: MutableMapping[str, Any], identity: Principal, guard: Guard | None, found: _Found
    ) -> Principal:
        token, verifier, source = found
        if guard is not None or self.on_outcome is not None:
            # The fingerprint (a SHA-256) and the outcome serve only logs and the hook: not built on the common path.
            fingerprint = token_fingerprint(token)
            path = scope.get("path", "")
            if guard is not None:
                self.authorize(identity, guard, path, fingerprint=fingerprint, source=source)
            report(self.on_outcome, AuthOutcome(OK, 200, path, identity, fingerprint, source))
        store_identity(scope, identity, verifier, source)
        return identity

    def cached_identity(self, scope: MutableMapping[str, Any]) -> Principal | None:
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
        if header is None or len(header) > self._max_header_bytes or not header.startswith(USUAL_BEARER):
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
        store_identity(scope, identity, self.verifier, "header")
        return identity

    def _verified_here(self, user: Principal, credentials: object) -> bool:
        if not isinstance(credentials, IdentityCredentials) or credentials.identity is not user:
            return False
        verifier, source = credentials.verifier, credentials.source
        if source == "header":
            return verifier is self.verifier
        return source == "cookie" and self.cookie_verifier is not None and verifier is self.cookie_verifier

    # -- token extraction -----------------------------------------------------------------------------------------

    def find_token(self, headers: RawHeaders) -> _Found | None:
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
