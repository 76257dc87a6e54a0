"""``RemoteSessionStore``: ask Better Auth itself, with one read-only ``GET /api/auth/get-session`` per lookup.

``?disableRefresh=true&disableCookieCache=true`` make the call read-only (BETTER_AUTH.md section 7): without them
Better Auth extends the session (rewriting its store) and answers from its cookie cache, which keeps a signed-out
session alive for up to ``maxAge``. Better Auth answers 200 with ``{session, user}``, or 200 ``null`` for no session
(missing, revoked, expired, bad signature): that is a refusal (401). Anything else (unreachable, a timeout, 5xx, a
redirect, a body that is not Better Auth's) is an outage (503): an outage must never look like a signed-out user.

The response body holds the raw session token: it is parsed and dropped, never logged or quoted in an error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from .._errors import ConfigurationError, StoreUnavailableError
from .._jose.json import JSONError, loads_strict
from .._keys.fetch import _is_loopback as is_loopback
from .._keys.fetch import default_ssl_context
from .base import PerLoop, SignedCookie, StoreLookup, invalid_data, record_from_documents

if TYPE_CHECKING:
    import httpx

__all__ = ["RemoteSessionStore"]

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024
READ_ONLY_QUERY = "disableRefresh=true&disableCookieCache=true"


@dataclass(frozen=True, slots=True)
class _Call:
    cookie_header: str  # holds the signed cookie: never logged, hidden from repr

    def __repr__(self) -> str:
        return "_Call(get-session)"


class RemoteSessionStore:
    """Better Auth's ``get-session`` endpoint as a session store, for a :class:`SessionVerifier`.

    >>> store = RemoteSessionStore("https://auth.example.com")  # doctest: +SKIP

    - ``base_url``: where Better Auth runs (https; plain http only to a loopback host unless ``allow_insecure_http``).
    - ``base_path="/api/auth"``: Better Auth's ``basePath``.
    - ``cookie_name``: the session cookie name Better Auth reads; by default both ``__Secure-better-auth.session_token``
      and ``better-auth.session_token`` are sent (Better Auth reads the one it is configured for, and an internal
      ``http://`` address says nothing about whether its public ``baseURL`` is https).
    - ``timeout=5``: connect, read and total seconds; ``max_response_bytes=262144``.
    - ``client`` / ``async_client``: ``httpx.Client`` / ``httpx.AsyncClient`` to use (not closed here). Redirects are
      never followed.
    """

    def __init__(
        self,
        base_url: str,
        *,
        base_path: str = "/api/auth",
        cookie_name: str | None = None,
        cookie_prefix: str = "better-auth",
        timeout: float = DEFAULT_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allow_insecure_http: bool = False,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
    ) -> None:
        import httpx

        self.url = _endpoint(base_url, base_path, allow_insecure_http)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.01 <= timeout <= 60:
            raise ConfigurationError("timeout must be between 0.01 and 60 seconds")
        if not 1024 <= max_response_bytes <= 16 * 1024 * 1024:
            raise ConfigurationError("max_response_bytes must be between 1024 and 16777216")
        if client is not None and not isinstance(client, httpx.Client):
            raise ConfigurationError("client must be an httpx.Client (for an httpx.AsyncClient, use async_client=)")
        if async_client is not None and not isinstance(async_client, httpx.AsyncClient):
            raise ConfigurationError("async_client must be an httpx.AsyncClient (for an httpx.Client, use client=)")
        names = (
            (cookie_name,)
            if cookie_name
            else (f"__Secure-{cookie_prefix}.session_token", f"{cookie_prefix}.session_token")
        )
        if not all(
            isinstance(name, str) and name.isascii() and name.isprintable() and ";" not in name for name in names
        ):
            raise ConfigurationError("cookie_name / cookie_prefix must be printable ASCII without ';'")
        self.cookie_names = names
        self.timeout = float(timeout)
        self.max_response_bytes = max_response_bytes
        self._timeouts = httpx.Timeout(self.timeout)
        own: dict[str, Any] = {"timeout": self._timeouts, "follow_redirects": False, "verify": default_ssl_context()}
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(**own)
        # Keep-alive connections belong to the event loop that opened them: one async client per loop, unless given.
        self._async_client = async_client
        self._async_clients = PerLoop(lambda: httpx.AsyncClient(**own))

    def __repr__(self) -> str:
        return f"RemoteSessionStore({self.url!r})"

    # -- the lookup, written once ---------------------------------------------------------------------------------------

    def lookup(self, cookie: SignedCookie) -> StoreLookup:
        encoded = quote(cookie.value, safe="")  # as Better Auth's Set-Cookie writes it
        answer = yield _Call("; ".join(f"{name}={encoded}" for name in self.cookie_names))
        status, body = cast(tuple[int, bytes], answer)
        if 300 <= status < 400:
            raise StoreUnavailableError(
                f"Better Auth's get-session answered a redirect (HTTP {status}); check base_url and base_path",
                retry_after=30.0,
            )
        if status != 200:
            raise StoreUnavailableError(f"Better Auth's get-session answered HTTP {status}", retry_after=5.0)
        try:
            document = loads_strict(body)
        except JSONError:
            raise invalid_data("a get-session answer that is not JSON") from None
        if document is None:
            return None
        if not isinstance(document, dict):
            raise invalid_data("a get-session answer that is not an object")
        return record_from_documents(document.get("session"), document.get("user"), token=cookie.token)

    # -- I/O: one GET, the body read under a size cap and a deadline ---------------------------------------------------

    def run(self, operation: object) -> object:
        import httpx

        call = cast(_Call, operation)
        body = _Body(self.max_response_bytes, self.timeout)
        try:
            with self._client.stream("GET", self.url, headers=_headers(call), follow_redirects=False) as response:
                for chunk in response.iter_bytes():
                    body.add(chunk)
        except httpx.HTTPError as exc:
            raise _unavailable(exc) from None
        return response.status_code, body.content()

    async def arun(self, operation: object) -> object:
        import httpx

        call = cast(_Call, operation)
        body = _Body(self.max_response_bytes, self.timeout)
        try:
            client = self._async_client or self._async_clients.get()
            async with client.stream("GET", self.url, headers=_headers(call), follow_redirects=False) as response:
                async for chunk in response.aiter_bytes():
                    body.add(chunk)
        except httpx.HTTPError as exc:
            raise _unavailable(exc) from None
        return response.status_code, body.content()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    async def aclose(self) -> None:
        self.close()
        client = self._async_clients.pop()  # the running loop's
        if client is not None:
            await client.aclose()


class _Body:
    def __init__(self, limit: int, timeout: float) -> None:
        self._limit, self._parts, self._size = limit, list[bytes](), 0
        self._deadline = time.monotonic() + 2 * timeout  # against a server that drips one byte at a time

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise StoreUnavailableError("Better Auth's get-session answer is larger than max_response_bytes")
        if time.monotonic() > self._deadline:
            raise StoreUnavailableError("Better Auth's get-session is too slow to send its answer", retry_after=5.0)
        self._parts.append(chunk)

    def content(self) -> bytes:
        return b"".join(self._parts)


def _headers(call: _Call) -> dict[str, str]:
    return {"Accept": "application/json", "Cookie": call.cookie_header}


def _endpoint(base_url: object, base_path: object, allow_insecure_http: bool) -> str:
    import httpx

    if not isinstance(base_url, str) or not isinstance(base_path, str):
        raise ConfigurationError("RemoteSessionStore base_url must be a string such as https://auth.example.com")
    try:
        parsed = httpx.URL(base_url)
    except (httpx.InvalidURL, ValueError):
        raise ConfigurationError("RemoteSessionStore base_url is not a valid URL") from None
    if parsed.scheme not in ("https", "http") or not parsed.host or parsed.userinfo or parsed.query:
        raise ConfigurationError("RemoteSessionStore base_url must be an https URL such as https://auth.example.com")
    if parsed.scheme == "http" and not allow_insecure_http and not is_loopback(parsed.host):
        raise ConfigurationError(
            "RemoteSessionStore base_url must use https: the session cookie travels with every lookup. http is "
            "accepted for loopback hosts; pass allow_insecure_http=True for a private network you trust"
        )
    path = parsed.path.rstrip("/")
    suffix = "/" + base_path.strip("/") if base_path.strip("/") else ""
    if not path.endswith(suffix):
        path += suffix
    return str(parsed.copy_with(path=f"{path}/get-session", query=READ_ONLY_QUERY.encode()))


def _unavailable(exc: Exception) -> StoreUnavailableError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        reason = "did not answer in time"
    elif isinstance(exc, httpx.ConnectError):
        reason = "could not be reached"
    else:
        reason = f"failed ({type(exc).__name__})"
    return StoreUnavailableError(f"Better Auth's get-session {reason}", retry_after=5.0)
