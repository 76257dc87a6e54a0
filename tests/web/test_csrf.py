"""OriginCheck: cross-site requests that a cookie would authenticate are refused (403) from their headers alone."""

from __future__ import annotations

import pytest

from betterauth_jwt import ConfigurationError, CrossSiteRequestError, OriginCheck

APP = "https://app.example.com"
check = OriginCheck([APP, "http://localhost:3000"])


def headers(**values: str) -> list[tuple[bytes, bytes]]:
    return [(name.replace("_", "-").encode(), value.encode()) for name, value in values.items()]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_safe_methods_pass_whatever_their_origin(method: str) -> None:
    check.check(method, headers(origin="https://evil.example", sec_fetch_site="cross-site"))


@pytest.mark.parametrize(
    "request_headers",
    [
        headers(sec_fetch_site="same-origin", origin="https://api.example.com"),
        headers(sec_fetch_site="none"),  # typed in the address bar, a bookmark
        headers(sec_fetch_site="same-site", origin=APP),  # the front end on a sibling host
        headers(sec_fetch_site="cross-site", origin=APP),  # a trusted front end on another site
        headers(origin="HTTPS://APP.EXAMPLE.COM:443"),  # serialized differently, the same origin
        headers(origin="http://localhost:3000"),
        headers(),  # neither header: not a browser (curl, a server), or a same-origin request from an old browser
        headers(origin="https://api.example.com", host="api.example.com"),  # an old browser, same origin
    ],
)
def test_unsafe_methods_pass_from_trusted_or_same_origin(request_headers: list[tuple[bytes, bytes]]) -> None:
    check.check("POST", request_headers)


@pytest.mark.parametrize(
    "request_headers",
    [
        headers(sec_fetch_site="cross-site", origin="https://evil.example"),
        headers(sec_fetch_site="cross-site"),  # a form POST whose Origin a proxy stripped
        headers(sec_fetch_site="same-site", origin="https://evil.example.com"),  # a sibling subdomain is not trusted
        headers(sec_fetch_site="something-new", origin="https://evil.example"),
        headers(origin="https://evil.example", host="api.example.com"),  # an old browser, cross-site
        headers(origin="null", host="api.example.com"),  # a sandboxed iframe, a data: URL
        headers(origin="http://app.example.com"),  # same host, wrong scheme: not the trusted origin
        headers(origin="https://app.example.com.evil.example"),
        [(b"origin", APP.encode()), (b"origin", b"https://evil.example")],
        [(b"sec-fetch-site", b"same-origin"), (b"sec-fetch-site", b"cross-site")],
    ],
)
def test_unsafe_methods_are_refused_from_other_sites(request_headers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(CrossSiteRequestError) as refused:
        check.check("POST", request_headers)
    assert refused.value.code == "cross_site_request"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "CONNECT", "PROPFIND"])
def test_every_method_but_the_safe_ones_is_checked(method: str) -> None:
    with pytest.raises(CrossSiteRequestError):
        check.check(method, headers(sec_fetch_site="cross-site", origin="https://evil.example"))


def test_websocket_handshakes_are_checked_although_they_are_gets() -> None:
    # Cross-site WebSocket hijacking: browsers apply no CORS to WebSockets, and the handshake carries the cookie.
    with pytest.raises(CrossSiteRequestError):
        check.check("GET", headers(origin="https://evil.example", host="api.example.com"), websocket=True)
    check.check("GET", headers(origin=APP, sec_fetch_site="same-site"), websocket=True)


def test_trusted_origins_must_be_origins() -> None:
    assert OriginCheck("https://app.example.com/").trusted_origins == {"https://app.example.com"}
    assert OriginCheck([]).trusted_origins == frozenset()
    for bad in ("app.example.com", "https://app.example.com/path", "*", "ftp://x.example", "https://u@x.example"):
        with pytest.raises(ConfigurationError):
            OriginCheck([bad])
