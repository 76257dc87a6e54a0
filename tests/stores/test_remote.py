"""RemoteSessionStore's contract with get-session, over an httpx mock transport (the live Better Auth server is in
tests/interop/sessions): the read-only flags, the forwarded cookie, 200 null as a refusal, everything else as 503."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from betterauth_jwt import ConfigurationError, RemoteSessionStore, SessionRejectedError, StoreUnavailableError
from tests.stores._support import Row, iso
from tests.stores.conftest import Verify, verifier

Handler = Callable[[httpx.Request], httpx.Response]


def store(handler: Handler, **options: Any) -> RemoteSessionStore:
    transport = httpx.MockTransport(handler)
    return RemoteSessionStore(
        "http://127.0.0.1:3000",
        client=httpx.Client(transport=transport),
        async_client=httpx.AsyncClient(transport=transport),
        **options,
    )


def body(row: Row) -> dict[str, Any]:
    document = json.loads(row.redis_value())  # get-session answers the same {session, user} shape, dates as ISO text
    return document  # type: ignore[no-any-return]


def test_one_read_only_get_session_with_the_cookie_forwarded(verify: Verify) -> None:
    row = Row()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body(row))

    identity = verify(verifier(store(handler)), row.cookie())
    assert (identity.user_id, identity.session_id) == (row.user_id, row.session_id)
    assert identity.expires_at.isoformat(timespec="milliseconds").startswith(iso(row.expires_at)[:23])
    (request,) = seen
    assert request.method == "GET"
    assert request.url.path == "/api/auth/get-session"
    assert dict(request.url.params) == {"disableRefresh": "true", "disableCookieCache": "true"}
    cookies = dict(part.split("=", 1) for part in request.headers["cookie"].split("; "))
    assert set(cookies) == {"better-auth.session_token", "__Secure-better-auth.session_token"}
    assert {unquote(value) for value in cookies.values()} == {unquote(row.cookie())}


def test_a_configured_cookie_name_is_the_only_one_sent(verify: Verify) -> None:
    row = Row()
    names: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        names.append(request.headers["cookie"].split("=", 1)[0])
        return httpx.Response(200, json=body(row))

    verify(verifier(store(handler, cookie_name="app.sid")), row.cookie())
    assert names == ["app.sid"]


def test_200_null_is_a_refusal(verify: Verify) -> None:
    with pytest.raises(SessionRejectedError) as refused:
        verify(verifier(store(lambda _: httpx.Response(200, content=b"null"))), Row().cookie())
    assert refused.value.code == "session_not_found"  # str() is the description; the code is .code


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
        (500, {"text": "boom"}, "store_unavailable"),
        (503, {}, "store_unavailable"),
        (302, {"headers": {"location": "https://elsewhere.example/"}}, "store_unavailable"),
        (404, {}, "store_unavailable"),
        (200, {"text": "<html>"}, "store_data_invalid"),
        (200, {"json": [1, 2]}, "store_data_invalid"),
        (200, {"json": {"session": None, "user": None}}, "store_data_invalid"),
        (200, {"content": b"[" * 300_000}, "store_unavailable"),  # over max_response_bytes
    ],
)
def test_anything_else_is_an_outage_not_a_refusal(
    verify: Verify, status: int, answer: dict[str, Any], code: str
) -> None:
    with pytest.raises(StoreUnavailableError) as outage:
        verify(verifier(store(lambda _: httpx.Response(status, **answer))), Row().cookie())
    assert outage.value.code == code


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_transport_failures_are_503_and_never_show_the_token(
    verify: Verify, caplog: pytest.LogCaptureFixture, error: type[httpx.TransportError]
) -> None:
    row = Row()

    def handler(request: httpx.Request) -> httpx.Response:
        raise error(f"failed with {request.headers['cookie']}", request=request)  # a message that quotes the cookie

    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailableError) as outage:
        verify(verifier(store(handler)), row.cookie())
    assert row.token not in str(outage.value)
    assert row.token not in caplog.text


def test_a_session_under_another_token_is_not_accepted(verify: Verify) -> None:
    asked, answered = Row(), Row()
    with pytest.raises(StoreUnavailableError) as refused:
        verify(verifier(store(lambda _: httpx.Response(200, json=body(answered)))), asked.cookie())
    assert refused.value.code == "store_data_invalid"  # str() is the description; the code is .code


def test_url_rules() -> None:
    assert RemoteSessionStore("https://auth.example.com").url == (
        "https://auth.example.com/api/auth/get-session?disableRefresh=true&disableCookieCache=true"
    )
    assert RemoteSessionStore("https://auth.example.com/api/auth/").url.startswith(
        "https://auth.example.com/api/auth/get-session?"
    )
    assert RemoteSessionStore("https://x.example/", base_path="/auth").url.startswith("https://x.example/auth/get-")
    assert RemoteSessionStore("http://auth:3000", allow_insecure_http=True).url.startswith("http://auth:3000/")
    for bad in ("http://auth.example.com", "ftp://auth.example.com", "https://u:p@auth.example.com", "nonsense"):
        with pytest.raises(ConfigurationError):
            RemoteSessionStore(bad)
    with pytest.raises(ConfigurationError):
        RemoteSessionStore("https://auth.example.com", timeout=0)
