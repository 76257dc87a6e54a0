"""The JWKS request itself, sync and async: the only lines in which ``RemoteJWKS``'s two drivers differ.

One GET with our headers and timeouts and no redirects, the body read under ``ResponseBody``'s size cap and deadline,
then judged by ``parse_jwks``. Every failure comes back as a :class:`FetchFailed` in our own words, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fetch import REQUEST_HEADERS, FetchFailed, ResponseBody, max_age, parse_jwks, transport_failure
from .key_state import Fetched

if TYPE_CHECKING:  # httpx is imported when a RemoteJWKS is built, so `import betterauth_jwt` stays light
    import httpx


@dataclass(frozen=True, slots=True)
class JWKSRequest:
    """Everything one fetch needs besides the client that sends it."""

    url: str
    timeouts: httpx.Timeout
    timeout: float
    max_response_bytes: int
    max_keys: int

    def send(self, client: httpx.Client) -> Fetched | FetchFailed:
        import httpx

        body = ResponseBody(self.max_response_bytes, self.timeout)
        try:
            if client.is_closed:
                raise FetchFailed("client_closed", "the HTTP client is closed")
            with client.stream(
                "GET", self.url, headers=REQUEST_HEADERS, timeout=self.timeouts, follow_redirects=False
            ) as response:
                body.start(response)
                for chunk in response.iter_raw():
                    body.add(chunk)
            return self._parse(response, body.content())
        except FetchFailed as failure:
            return failure
        except (httpx.HTTPError, httpx.StreamError) as exc:
            return transport_failure(exc)

    async def asend(self, client: httpx.AsyncClient) -> Fetched | FetchFailed:
        import httpx

        body = ResponseBody(self.max_response_bytes, self.timeout)
        try:
            if client.is_closed:
                raise FetchFailed("client_closed", "the HTTP client is closed")
            async with client.stream(
                "GET", self.url, headers=REQUEST_HEADERS, timeout=self.timeouts, follow_redirects=False
            ) as response:
                body.start(response)
                async for chunk in response.aiter_raw():
                    body.add(chunk)
            return self._parse(response, body.content())
        except FetchFailed as failure:
            return failure
        except (httpx.HTTPError, httpx.StreamError) as exc:
            return transport_failure(exc)

    def _parse(self, response: httpx.Response, body: bytes) -> Fetched:
        # Judged the same way for both (see fetch).
        document, key_set = parse_jwks(body, max_keys=self.max_keys, source=self.url)
        return Fetched(document, key_set, max_age(response.headers.get("cache-control")))
