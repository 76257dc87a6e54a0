"""RFC 7662 token introspection for opaque OAuth access tokens, at Better Auth's ``/api/auth/oauth2/introspect``.

Better Auth issues an opaque access token (32 letters) when the client asked for no ``resource``. Nothing in it can be
checked locally, so the resource server asks the authorization server, authenticated with its own client credentials
(``client_secret_basic`` or ``client_secret_post``: whichever the client was registered with, Better Auth refuses the
other). One POST per token, its answer judged here and cached by the token's SHA-256 for at most ``cache_ttl`` seconds
and never past the token's ``exp``: revocation is honoured within ``cache_ttl``.

Written once, free of I/O (:meth:`TokenIntrospection.begin` answers from the cache or says which request to send,
:meth:`Pending.finish` judges the answer), and driven by a sync and an async caller that differ only in the request.

What an answer must say to become an :class:`AccessGrant`, and which answers without ``aud`` are accepted: see
``introspection_answer``.

Failures of the exchange itself (unreachable, timeout, HTTP 5xx or 429, a redirect, our credentials refused, a body
that is not an RFC 7662 answer, too large) are outages: :class:`KeysUnavailableError` with code
``introspection_unavailable`` (503), never a 401. The token is never logged, only its fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from .._cache import VerifiedTokenCache
from .._errors import ConfigurationError, InvalidClaimsError, KeysUnavailableError
from .._keys.better_auth import oauth_issuer
from .._keys.fetch import FetchFailed, ResponseBody, checked_url, default_ssl_context, transport_failure
from .._kinds.claims import check_audience, check_issuer, is_identifier
from .._kinds.oauth import AccessGrant
from .._logging import logger, token_fingerprint
from .introspection_answer import IntrospectionRules, decode_answer, grant_from_answer

if TYPE_CHECKING:  # httpx is imported when a TokenIntrospection is built, so `import betterauth_jwt` stays light
    import httpx

__all__ = ["IntrospectionRules", "Pending", "TokenIntrospection"]

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
_ENDPOINT = "the introspection endpoint"
_HEADERS = {"Accept": "application/json", "Accept-Encoding": "identity"}  # no compressed body past the size cap


@dataclass(frozen=True, slots=True)
class Pending:
    """A cache miss: the form to POST, and what to do with the answer."""

    introspection: TokenIntrospection
    form: dict[str, str]
    key: str
    fingerprint: str
    rules: IntrospectionRules
    now: float

    def finish(self, answer: bytes | FetchFailed) -> AccessGrant:
        owner = self.introspection
        if isinstance(answer, FetchFailed):
            logger.warning("token introspection for #%s failed: %s", self.fingerprint, answer.description)
            raise KeysUnavailableError(
                f"token introspection failed: {answer.description}", code="introspection_unavailable", retry_after=5.0
            )
        grant, valid_until = grant_from_answer(decode_answer(answer), self.rules, self.now)
        owner.check_audience(grant, self.rules)
        owner.cache.put(self.key, grant, float("-inf"), min(valid_until, self.now + owner.cache_ttl), 0)
        grant.require_scopes(*self.rules.required_scopes)
        return grant


class TokenIntrospection:
    """Opaque OAuth access tokens checked at the authorization server (RFC 7662), for :class:`OAuthVerifier`.

    >>> introspection = TokenIntrospection.for_better_auth(  # doctest: +SKIP
    ...     "https://auth.example.com", client_id="resource-server", client_secret=SECRET)
    >>> verifier = OAuthVerifier.for_better_auth(  # doctest: +SKIP
    ...     "https://auth.example.com", resource="https://api.example.com/mcp", introspection=introspection)

    Options (keyword-only): ``client_id``, ``client_secret`` (this resource server's confidential client);
    ``auth_method`` (``client_secret_basic``, or ``client_secret_post``: the one the client is registered with);
    ``accept_clients`` (client ids whose tokens without an audience are accepted; default: ``client_id`` alone);
    ``cache_ttl=60`` (seconds an answer is trusted, 0 to ask every time; at most 300); ``timeout=5``;
    ``max_response_bytes=65536``; ``cache_size=10000``; ``allow_insecure_http=False`` (http only to loopback);
    ``client`` / ``async_client`` (httpx clients; redirects are never followed).
    """

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str,
        auth_method: str = "client_secret_basic",
        accept_clients: tuple[str, ...] | list[str] | frozenset[str] | None = None,
        cache_ttl: float = 60.0,
        cache_size: int = 10_000,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
        max_response_bytes: int = 64 * 1024,
        allow_insecure_http: bool = False,
    ) -> None:
        import httpx  # here, not at the top: `import betterauth_jwt` stays light

        self.url = checked_url(
            url, allow_insecure_http, what="introspection url", example="/api/auth/oauth2/introspect"
        )
        if not is_identifier(client_id) or not isinstance(client_secret, str) or not client_secret:
            raise ConfigurationError("token introspection needs client_id= and client_secret= (non-empty strings)")
        if auth_method not in AUTH_METHODS:
            raise ConfigurationError(f"auth_method must be one of {', '.join(AUTH_METHODS)}")
        clients = frozenset((client_id,) if accept_clients is None else accept_clients)
        if isinstance(accept_clients, str) or not all(is_identifier(c) for c in clients):
            raise ConfigurationError("accept_clients must be a list of client ids")
        _check("cache_ttl", cache_ttl, 0, 300)
        _check("timeout", timeout, 0.01, 60)
        _check("max_response_bytes", max_response_bytes, 1024, 1024 * 1024, integer=True)
        _check("cache_size", cache_size, 0, 1_000_000, integer=True)
        if client is not None and not isinstance(client, httpx.Client):
            raise ConfigurationError("client must be an httpx.Client (for an httpx.AsyncClient, use async_client=)")
        if async_client is not None and not isinstance(async_client, httpx.AsyncClient):
            raise ConfigurationError("async_client must be an httpx.AsyncClient (for an httpx.Client, use client=)")
        self.client_id = client_id
        self.auth_method = auth_method
        self.accept_clients = clients
        self.cache_ttl = float(cache_ttl)
        self.timeout = float(timeout)
        self.max_response_bytes = max_response_bytes
        self.cache: VerifiedTokenCache[AccessGrant] = VerifiedTokenCache(cache_size if cache_ttl > 0 else 0)
        # RFC 6749 2.3.1: both halves form-urlencoded before base64 (Better Auth decodes them so).
        if auth_method == "client_secret_basic":
            basic = httpx.BasicAuth(quote_plus(client_id), quote_plus(client_secret))
            self._auth: httpx.Auth | None = basic
            self._credentials: dict[str, str] = {}
        else:
            self._auth = None
            self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._timeouts = httpx.Timeout(self.timeout)
        own: dict[str, Any] = {"timeout": self._timeouts, "follow_redirects": False, "verify": default_ssl_context()}
        self._client = client if client is not None else httpx.Client(**own)
        # No keep-alive for the async client made here: a pool would tie it to the event loop of its first request.
        no_pool = httpx.Limits(max_keepalive_connections=0)
        self._async_client = async_client if async_client is not None else httpx.AsyncClient(**own, limits=no_pool)
        self._created: tuple[Any, ...] = tuple(
            made for made, given in ((self._client, client), (self._async_client, async_client)) if given is None
        )

    @classmethod
    def for_better_auth(cls, base_url: str, **options: Any) -> TokenIntrospection:
        """Introspection at ``{base_url}/api/auth/oauth2/introspect``; keyword arguments as for the class."""
        return cls(oauth_issuer(base_url) + "/oauth2/introspect", **options)

    def __repr__(self) -> str:  # never the secret
        return f"TokenIntrospection({self.url!r}, client_id={self.client_id!r}, auth_method={self.auth_method!r})"

    # -- the sans-I/O step -----------------------------------------------------------------------------------------

    def begin(self, token: str, rules: IntrospectionRules, now: float) -> AccessGrant | Pending:
        """The grant for ``token`` from the cache (scopes re-checked), or the request to send for it."""
        key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        cached = self.cache.get(key, now, 0)
        if cached is not None:
            self.check_audience(cached, rules)  # the cache may be shared by verifiers for other resources
            check_issuer({"iss": cached.issuer}, rules.issuer)
            cached.require_scopes(*rules.required_scopes)
            return cached
        form = {"token": token, "token_type_hint": "access_token", **self._credentials}
        return Pending(self, form, key, token_fingerprint(token), rules, now)

    def check_audience(self, grant: AccessGrant, rules: IntrospectionRules) -> None:
        if grant.audience:
            check_audience({"aud": list(grant.audience)}, frozenset((rules.resource,)))
        elif grant.client_id not in self.accept_clients:
            raise InvalidClaimsError(
                "the token names no audience and was issued to a client this resource server does not accept "
                "(accept_clients)",
                code="invalid_audience",
            )

    # -- the two drivers: the request, sync and async --------------------------------------------------------------

    def grant(self, token: str, rules: IntrospectionRules, now: float) -> AccessGrant:
        step = self.begin(token, rules, now)
        return step.finish(self._post(step.form)) if isinstance(step, Pending) else step

    async def agrant(self, token: str, rules: IntrospectionRules, now: float) -> AccessGrant:
        step = self.begin(token, rules, now)
        return step.finish(await self._apost(step.form)) if isinstance(step, Pending) else step

    def _post(self, form: dict[str, str]) -> bytes | FetchFailed:
        with (
            Exchange(self.max_response_bytes, self.timeout) as body,
            self._client.stream("POST", self.url, data=form, **self._request_options()) as response,
        ):
            body.start(response)
            for chunk in response.iter_raw():
                body.add(chunk)
        return body.result()

    async def _apost(self, form: dict[str, str]) -> bytes | FetchFailed:
        with Exchange(self.max_response_bytes, self.timeout) as body:
            async with self._async_client.stream("POST", self.url, data=form, **self._request_options()) as response:
                body.start(response)
                async for chunk in response.aiter_raw():
                    body.add(chunk)
        return body.result()

    def _request_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"headers": _HEADERS, "timeout": self._timeouts, "follow_redirects": False}
        if self._auth is not None:
            options["auth"] = self._auth
        return options

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget every cached answer (the next use of each token asks again)."""
        self.cache.clear()

    def close(self) -> None:
        """Close the sync HTTP client if it was created here (an injected one is the caller's to close)."""
        if self._client in self._created:
            self._client.close()

    async def aclose(self) -> None:
        """Close both HTTP clients created here."""
        for created in self._created:
            if created is self._async_client:
                await created.aclose()
            else:
                created.close()


class Exchange(ResponseBody):
    """One introspection request's answer, read under the size cap and deadline; every failure kept as a
    :class:`FetchFailed` in our words (an httpx message may carry addresses or the response's text), never raised."""

    def __init__(self, limit: int, timeout: float) -> None:
        super().__init__(limit, timeout, _ENDPOINT)
        self._failure: FetchFailed | None = None

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> bool:
        import httpx

        if isinstance(exc, FetchFailed):
            self._failure = exc
        elif isinstance(exc, httpx.HTTPError | httpx.StreamError):
            self._failure = transport_failure(exc, _ENDPOINT)
        return self._failure is not None

    def result(self) -> bytes | FetchFailed:
        return self._failure or self.content()


def _check(name: str, value: Any, low: float, high: float, *, integer: bool = False) -> None:
    number = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not number or not low <= value <= high:
        raise ConfigurationError(f"token introspection {name} must be between {low:g} and {high:g} (got {value!r})")
