"""What the MCP faces share: verify a bearer token for an SDK whose seam is ``async verify_token(token) -> AccessToken |
None`` (the ``mcp`` SDK's ``TokenVerifier``, fastmcp's), and answer an outage with a 503 the SDKs cannot send.

Such an SDK reads a ``None`` as "bad token" and answers 401 itself; an exception from the verifier ends as a 500 (or,
in Starlette's ``AuthenticationMiddleware``, worse). So:

- a refused token gives ``None`` and an :class:`AuthOutcome` to the hook, never an exception;
- the keys being unavailable is not a bad token: :class:`KeysUnavailableError` goes up, and
  :class:`KeysUnavailableMiddleware`, around the SDK's app, turns it into a 503 with ``Retry-After``;
- the scopes the server requires are the SDK's to check (it answers 403 ``insufficient_scope``): the token is verified
  without them, so that a valid token that lacks a scope is not mistaken for an invalid one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from .._errors import ConfigurationError, InsufficientScopeError, InvalidTokenError, KeysUnavailableError
from .._kinds.oauth import AccessGrant, parse_scope
from .._logging import logger, token_fingerprint
from .._oauth_verifier import OAuthVerifier
from .asgi_types import ASGIApp, Message, Receive, Scope, Send
from .denial import send_denial, unavailable
from .outcome import INSUFFICIENT_SCOPE, OK, AuthOutcome, OnOutcome, report

__all__ = ["GrantSeam", "KeysUnavailableMiddleware", "SeamTokenVerifier", "access_token_fields", "server_scopes"]


class GrantSeam:
    """Verifies tokens for an SDK: an :class:`AccessGrant`, or ``None`` with the reason reported to ``on_outcome``."""

    def __init__(self, verifier: OAuthVerifier, *, on_outcome: OnOutcome | None = None) -> None:
        if not isinstance(verifier, OAuthVerifier):
            raise ConfigurationError(
                "an MCP server verifies OAuth access tokens: pass an OAuthVerifier (OAuthVerifier.for_better_auth("
                "base_url, resource=...)), not a first-party Verifier"
            )
        if on_outcome is not None and not callable(on_outcome):
            raise ConfigurationError("on_outcome must be a callable taking an AuthOutcome")
        self.verifier = verifier
        self.on_outcome = on_outcome
        self.required_scopes = verifier.required_scopes
        self.path = urlsplit(verifier.resource).path or "/"
        # The same verifier without required scopes (the SDK checks those and answers 403): it shares the key
        # provider, so keys are fetched once; only the verified-token cache is its own.
        self._verifier = verifier if not verifier.required_scopes else verifier.without_required_scopes()

    async def verify(self, token: str) -> AccessGrant | None:
        try:
            grant = await self._verifier.averify(token)
        except InvalidTokenError as exc:
            logger.info("token %s refused on %r: %s", token_fingerprint(token), self.path, exc.code)
            self._report(AuthOutcome(exc.code, 401, self.path, None, token_fingerprint(token), "header"))
            return None
        except InsufficientScopeError:  # pragma: no cover - the verifier here has no required scopes
            self._report(AuthOutcome(INSUFFICIENT_SCOPE, 403, self.path, None, token_fingerprint(token), "header"))
            return None
        except KeysUnavailableError as exc:
            logger.warning("keys unavailable, token %s not checked on %r: %s", token_fingerprint(token), self.path, exc)
            self._report(AuthOutcome(exc.code, 503, self.path, None, token_fingerprint(token), "header"))
            raise
        if self.on_outcome is not None:
            missing = self.required_scopes - grant.scopes
            code, status = (INSUFFICIENT_SCOPE, 403) if missing else (OK, 200)
            self._report(AuthOutcome(code, status, self.path, grant, token_fingerprint(token), "header"))
        return grant

    async def grant_of(self, token: str) -> AccessGrant:
        """The :class:`AccessGrant` of a token this seam accepted (a cache hit): for a tool that needs ``user_id``,
        ``is_machine`` and the rest, which the SDK's ``AccessToken`` does not carry."""
        return await self._verifier.averify(token)

    def _report(self, outcome: AuthOutcome) -> None:
        report(self.on_outcome, outcome)


class _SdkAccessToken(Protocol):
    @property
    def token(self) -> str: ...


T = TypeVar("T", bound=_SdkAccessToken)


class SeamTokenVerifier(Generic[T]):
    """What both faces' ``BetterAuthTokenVerifier`` are: ``verify_token`` builds the SDK's ``AccessToken`` class
    (``token_type``) from a grant, ``grant`` gives a tool the :class:`AccessGrant` behind one."""

    token_type: ClassVar[type[Any]]

    def __init__(self, verifier: OAuthVerifier, *, on_outcome: OnOutcome | None = None) -> None:
        self._seam = GrantSeam(verifier, on_outcome=on_outcome)
        self.verifier = verifier

    async def verify_token(self, token: str) -> T | None:
        grant = await self._seam.verify(token)
        if grant is None:
            return None
        built: T = self.token_type(**access_token_fields(grant, token, self.verifier.resource))
        return built

    async def grant(self, access_token: T) -> AccessGrant:
        """The :class:`AccessGrant` behind the SDK's ``AccessToken`` (``get_access_token()`` in a tool): ``user_id``
        (``None`` for a ``client_credentials`` token), ``is_machine``, ``session_id``, ...; the token was verified for
        this request, so this is a cache hit."""
        return await self._seam.grant_of(access_token.token)


def server_scopes(verifier: OAuthVerifier, extra: Iterable[str] | None) -> list[str]:
    """The scopes the SDK must require: the verifier's ``required_scopes`` (which the seam leaves to it) and ``extra``;
    never fewer than the verifier's, or nobody would check them."""
    if isinstance(extra, str):
        extra = extra.split()
    try:
        added = parse_scope(" ".join(extra or ()))
    except ValueError:
        raise ConfigurationError("required_scopes must be scope names without spaces or quotes") from None
    return sorted(verifier.required_scopes | added)


def access_token_fields(grant: AccessGrant, token: str, resource: str) -> dict[str, Any]:
    """The SDK ``AccessToken``'s fields for a grant. ``resource`` is the verifier's own resource, the ``aud`` entry the
    token was accepted for, so the SDK's ``validate_token_resource`` check agrees with ours."""
    return {
        "token": token,
        "client_id": grant.client_id,
        "scopes": sorted(grant.scopes),
        "expires_at": int(grant.expires_at.timestamp()),
        "resource": resource,
        "subject": grant.subject,
        "claims": dict(grant.claims),
    }


class KeysUnavailableMiddleware:
    """Pure ASGI middleware: a :class:`KeysUnavailableError` raised inside ``app`` before the response started (by a
    token verifier that the SDK called) becomes a 503 with ``Retry-After``, not the SDK's 500. Put it outermost::

        app = server.streamable_http_app()
        app.add_middleware(KeysUnavailableMiddleware)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except KeysUnavailableError as exc:
            if started:
                raise
            await send_denial(scope, send, unavailable(exc))
