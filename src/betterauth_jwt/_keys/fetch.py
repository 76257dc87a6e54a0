"""One JWKS fetch over HTTP, judged: which URLs may be fetched, what we send, and what counts as a usable answer.

Pure helpers shared by ``RemoteJWKS``'s sync and async fetches; the I/O itself is in ``transport``. Every failure is a
:class:`FetchFailed` in our own words: an httpx message may carry addresses, OS errors or the response's text.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._errors import ConfigurationError
from .._jose.json import JSONError, loads_strict
from .._jose.jwk import KeyRejected, KeySet
from .fixed import log_rejected_members

if TYPE_CHECKING:  # httpx is imported when a RemoteJWKS is built, so `import betterauth_jwt` stays light
    import ssl

    import httpx

REQUEST_HEADERS = {
    "Accept": "application/json, application/jwk-set+json",
    # A compressed body would be inflated past the size cap before it could be counted.
    "Accept-Encoding": "identity",
}


class FetchFailed(Exception):
    """Why a fetch gave nothing usable: ``code`` for health checks, ``description`` for people."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class ResponseBody:
    """Checks a response's head, then collects its body under a size cap and a deadline (sync and async fetches).
    ``endpoint`` names the endpoint in failures (token introspection reads its answers the same way)."""

    def __init__(self, limit: int, timeout: float, endpoint: str = "the JWKS endpoint") -> None:
        self._limit = limit
        self._endpoint = endpoint
        # Read timeouts bound each wait; this bounds the total, against a server that drips one byte at a time.
        self._deadline = time.monotonic() + 2 * timeout
        self._parts: list[bytes] = []
        self._size = 0

    def start(self, response: httpx.Response) -> None:
        status = response.status_code
        if 300 <= status < 400:
            raise FetchFailed(
                "redirect",
                f"{self._endpoint} answered a redirect (HTTP {status}); redirects are not followed, configure the "
                "final URL",
            )
        if status != 200:
            raise FetchFailed("http_status", f"{self._endpoint} answered HTTP {status}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchFailed("compressed", f"{self._endpoint} sent a compressed body although none was accepted")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._limit:
            raise self._too_large()

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise self._too_large()
        if time.monotonic() > self._deadline:
            raise FetchFailed("timeout", f"{self._endpoint} is too slow to send its body")
        self._parts.append(chunk)

    def content(self) -> bytes:
        return b"".join(self._parts)

    def _too_large(self) -> FetchFailed:
        return FetchFailed(
            "too_large", f"the answer of {self._endpoint} is larger than max_response_bytes={self._limit}"
        )


def parse_jwks(body: bytes, *, max_keys: int, source: str) -> tuple[Mapping[str, object], KeySet]:
    """The JWKS document and its validated keys (members checked exactly as ``StaticJWKS`` checks them)."""
    try:
        document = loads_strict(body)
    except JSONError:
        raise FetchFailed("not_json", "the JWKS endpoint did not answer with JSON") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise FetchFailed("not_a_jwks", "the JWKS endpoint's JSON is not a key set (an object with a 'keys' list)")
    if len(document["keys"]) > max_keys:
        raise FetchFailed("too_many_keys", f"the JWKS has {len(document['keys'])} keys; more than max_keys={max_keys}")
    try:
        key_set = KeySet.from_jwks(document)
    except KeyRejected as exc:  # pragma: no cover - the shape was checked above
        raise FetchFailed("not_a_jwks", str(exc)) from None
    log_rejected_members(key_set, source)
    if not key_set.keys:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in key_set.rejected) or "it is empty"
        raise FetchFailed("no_usable_keys", f"the JWKS has no usable key ({reasons})")
    return document, key_set


def max_age(cache_control: str | None) -> float | None:
    """``max-age`` from a Cache-Control header (RFC 9111 5.2.2.1); ``no-cache`` and ``no-store`` count as 0."""
    if not cache_control:
        return None
    seconds: float | None = None
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return 0.0
        value = value.strip().strip('"')
        if name == "max-age" and value.isdigit() and value.isascii():
            seconds = float(value)
    return seconds


def transport_failure(exc: Exception, endpoint: str = "the JWKS endpoint") -> FetchFailed:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return FetchFailed("timeout", f"{endpoint} did not answer in time")
    if isinstance(exc, httpx.ConnectError):
        return FetchFailed("connect_error", f"could not connect to {endpoint}")
    return FetchFailed("transport_error", f"the request to {endpoint} failed ({type(exc).__name__})")


def checked_url(
    url: object, allow_insecure_http: bool, *, what: str = "RemoteJWKS url", example: str = "/api/auth/jwks"
) -> str:
    """``url`` if keys may be fetched from it: https, or http to a loopback host (or anywhere, when allowed).
    ``what`` and ``example`` (a path) word the errors for another endpoint (token introspection)."""
    import httpx

    example = f"https://app.example.com{example}"
    if not isinstance(url, str):
        raise ConfigurationError(f"{what} must be a string such as {example}")
    try:
        if any(char.isspace() or not char.isprintable() for char in url):
            raise ValueError("blank or control character")
        parsed = httpx.URL(url)
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise ValueError("port out of range")
    except (httpx.InvalidURL, ValueError):
        raise ConfigurationError(f"{what} is not a valid URL") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ConfigurationError(f"{what} must be an https URL such as {example}")
    if parsed.userinfo:
        raise ConfigurationError(f"{what} must not contain credentials; pass a configured httpx client instead")
    if parsed.scheme == "http" and not allow_insecure_http and not _is_loopback(parsed.host):
        raise ConfigurationError(
            f"{what} must use https: over plain http anyone on the path can read or change the answers. http is "
            "accepted for loopback hosts (localhost, 127.0.0.1, ::1); pass allow_insecure_http=True only in development"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """Built once per process and shared by the clients ``RemoteJWKS`` creates: loading the CA bundle reads files."""
    import httpx

    return httpx.create_ssl_context()
