"""Token introspection (``_stores/introspection.py``) against a local 127.0.0.1 endpoint that answers what each test
says: good answers become grants, every rule of the answer is enforced, the cache holds within its bounds, and a broken,
slow or garbled endpoint is an outage (503), never a rejected token. The real Better Auth endpoint is exercised in
tests/interop/oauth/test_introspection_live.py."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import pytest

from betterauth_jwt import (
    AccessGrant,
    ConfigurationError,
    InsufficientScopeError,
    InvalidTokenError,
    KeysUnavailableError,
    OAuthVerifier,
    StaticJWKS,
    TokenIntrospection,
)
from betterauth_jwt.testing import TokenFactory

NOW = 1_760_000_000
ISSUER = "http://127.0.0.1/api/auth"
RESOURCE = "https://api.example.com/mcp"
OPAQUE = "pXpOpLuCrCeSHEnXiHxRTsBhqlMGGoBh"
CLIENT_ID = "resource-server"
SECRET = "s3cret:with spaces+plus/slash&amp"


def active(**changes: Any) -> dict[str, Any]:
    """Better Auth's answer for a user's opaque token issued to CLIENT_ID (no aud: it was asked for no resource)."""
    answer = {
        "active": True,
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "azp": CLIENT_ID,
        "sub": "user_1",
        "sid": "session_1",
        "exp": NOW + 3600,
        "iat": NOW - 10,
        "scope": "openid todos:read",
        "token_type": "Bearer",
    }
    answer.update(changes)
    return {name: value for name, value in answer.items() if value is not None}


class Endpoint(ThreadingHTTPServer):
    """What the handler answers next, and what it was asked."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.status = 200
        self.body: bytes = json.dumps(active()).encode()
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.delay = 0.0
        self.requests: list[tuple[dict[str, str], dict[str, list[str]]]] = []

    def answer(self, body: dict[str, Any] | bytes, status: int = 200, **headers: str) -> None:
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.status = status
        self.headers = {"Content-Type": "application/json", **headers}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/auth/oauth2/introspect"


class Handler(BaseHTTPRequestHandler):
    server: Endpoint

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        self.server.requests.append((dict(self.headers), form))
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, size cap)
            self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_verifier(endpoint: Endpoint, clock: Clock, **options: Any) -> OAuthVerifier:
    required = options.pop("required_scopes", ())
    introspection = TokenIntrospection(
        endpoint.url, client_id=CLIENT_ID, client_secret=SECRET, **{"timeout": 2.0, **options}
    )
    keys = StaticJWKS(TokenFactory().jwks)
    return OAuthVerifier(
        keys, issuer=ISSUER, resource=RESOURCE, required_scopes=required, introspection=introspection, clock=clock
    )


def code(verifier: OAuthVerifier, token: str = OPAQUE) -> str:
    try:
        verifier.verify(token)
    except (InvalidTokenError, InsufficientScopeError, KeysUnavailableError) as exc:
        return exc.code
    return "accepted"


# -- good answers ----------------------------------------------------------------------------------------------------


def test_an_active_answer_is_a_grant(endpoint: Endpoint, clock: Clock) -> None:
    grant = make_verifier(endpoint, clock).verify(OPAQUE)
    assert isinstance(grant, AccessGrant)
    assert grant.user_id == "user_1"
    assert grant.client_id == CLIENT_ID
    assert grant.scopes == {"openid", "todos:read"}
    assert grant.audience == ()
    assert grant.session_id == "session_1"
    assert grant.issuer == ISSUER
    assert not grant.is_machine
    assert grant.claims["token_type"] == "Bearer"
    with pytest.raises(TypeError):
        grant.claims["sub"] = "x"  # type: ignore[index]


def test_the_request(endpoint: Endpoint, clock: Clock) -> None:
    make_verifier(endpoint, clock).verify(OPAQUE)
    [(headers, form)] = endpoint.requests
    assert form == {"token": [OPAQUE], "token_type_hint": ["access_token"]}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/json"
    # RFC 6749 2.3.1: client_secret_basic form-urlencodes both halves before base64.
    scheme, _, encoded = headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    assert (unquote_plus(user), unquote_plus(password)) == (CLIENT_ID, SECRET)


def test_client_secret_post(endpoint: Endpoint, clock: Clock) -> None:
    make_verifier(endpoint, clock, auth_method="client_secret_post").verify(OPAQUE)
    [(headers, form)] = endpoint.requests
    assert "Authorization" not in headers
    assert form["client_id"] == [CLIENT_ID]
    assert form["client_secret"] == [SECRET]


def test_a_machine_token_without_sub(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.answer(active(sub=None, sid=None, scope="todos:read"))
    grant = make_verifier(endpoint, clock).verify(OPAQUE)
    assert grant.is_machine
    assert grant.user_id is None
    assert grant.subject == CLIENT_ID


def test_an_answer_with_an_audience_must_name_the_resource(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.answer(active(client_id="third-party", azp="third-party", aud=[RESOURCE, "https://x.example/userinfo"]))
    assert make_verifier(endpoint, clock).verify(OPAQUE).audience == (RESOURCE, "https://x.example/userinfo")
    endpoint.answer(active(aud="https://other.example.com/api"))
    assert code(make_verifier(endpoint, clock)) == "invalid_audience"


def test_without_an_audience_only_accepted_clients(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.answer(active(client_id="third-party", azp="third-party"))
    assert code(make_verifier(endpoint, clock)) == "invalid_audience"
    assert code(make_verifier(endpoint, clock, accept_clients=["third-party"])) == "accepted"
    assert code(make_verifier(endpoint, clock, accept_clients=[CLIENT_ID])) == "invalid_audience"


# -- every rule of an answer -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"active": False}, "inactive_token"),
        (active(active=False), "inactive_token"),
        (active(iss="http://127.0.0.1"), "invalid_issuer"),
        (active(iss=None), "missing_claim"),
        (active(client_id=None), "missing_claim"),
        (active(client_id=""), "missing_claim"),
        (active(azp="another"), "invalid_claim"),
        (active(sub=7), "invalid_claim"),
        (active(aud=7), "invalid_claim"),
        (active(exp=NOW), "token_expired"),
        (active(exp=None), "missing_claim"),
        (active(iat=None), "missing_claim"),
        (active(iat=NOW + 60), "token_not_yet_valid"),
        (active(scope="a  b"), "invalid_claim"),
        (active(cnf={"jkt": "abc"}), "sender_constrained_token"),
        (active(token_type="DPoP"), "sender_constrained_token"),
        (active(), "accepted"),
    ],
)
def test_answer_rules(endpoint: Endpoint, clock: Clock, answer: dict[str, Any], expected: str) -> None:
    endpoint.answer(answer)
    assert code(make_verifier(endpoint, clock)) == expected


def test_an_inactive_token_is_a_401_with_its_own_code(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.answer({"active": False})
    with pytest.raises(InvalidTokenError) as raised:
        make_verifier(endpoint, clock).verify(OPAQUE)
    assert raised.value.code == "inactive_token"
    assert "not active" in raised.value.description


def test_required_scopes(endpoint: Endpoint, clock: Clock) -> None:
    verifier = make_verifier(endpoint, clock, required_scopes=["todos:write"])
    assert code(verifier) == "insufficient_scope"
    assert code(make_verifier(endpoint, clock, required_scopes=["todos:read"])) == "accepted"


# -- outages: 503, never 401 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (500, b'{"error": "server_error"}', {}),
        (502, b"<html>Bad Gateway</html>", {}),
        (429, b'{"message": "Too many requests"}', {"Retry-After": "60"}),
        (401, b'{"error": "invalid_client"}', {}),  # our credentials refused: a configuration problem, not the token
        (400, b'{"error": "invalid_request"}', {}),
        (302, b"", {"Location": "https://evil.example/introspect"}),
        (200, b"<html>login</html>", {}),
        (200, b"", {}),
        (200, b"[true]", {}),
        (200, b'{"active": "true"}', {}),
        (200, b'{"active": 1}', {}),
        (200, b'{"scope": "x"}', {}),
        (200, b'{"active": true, "active": false}', {}),  # duplicate member: strict JSON refuses it
        (200, b"\xff\xfe", {}),
        (200, b'{"active": false}', {"Content-Encoding": "gzip"}),
    ],
)
def test_a_broken_endpoint_is_an_outage(
    endpoint: Endpoint, clock: Clock, status: int, body: bytes, headers: dict[str, str]
) -> None:
    endpoint.answer(body, status, **headers)
    with pytest.raises(KeysUnavailableError) as raised:
        make_verifier(endpoint, clock).verify(OPAQUE)
    assert raised.value.code == "introspection_unavailable"
    assert OPAQUE not in str(raised.value)
    assert SECRET not in str(raised.value)


def test_too_large(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.answer(json.dumps(active(padding="x" * 2048)).encode())
    assert code(make_verifier(endpoint, clock, max_response_bytes=1024)) == "introspection_unavailable"


def test_slow(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.delay = 1.0
    started = time.monotonic()
    assert code(make_verifier(endpoint, clock, timeout=0.2)) == "introspection_unavailable"
    assert time.monotonic() - started < 0.9


def test_unreachable(clock: Clock) -> None:
    introspection = TokenIntrospection(
        "http://127.0.0.1:9/api/auth/oauth2/introspect", client_id=CLIENT_ID, client_secret=SECRET, timeout=1
    )
    verifier = OAuthVerifier(
        StaticJWKS(TokenFactory().jwks), issuer=ISSUER, resource=RESOURCE, introspection=introspection, clock=clock
    )
    with pytest.raises(KeysUnavailableError) as raised:
        verifier.verify(OPAQUE)
    assert raised.value.code == "introspection_unavailable"
    assert raised.value.retry_after > 0


# -- the cache -------------------------------------------------------------------------------------------------------


def test_answers_are_cached_for_cache_ttl(endpoint: Endpoint, clock: Clock) -> None:
    verifier = make_verifier(endpoint, clock, cache_ttl=60)
    first = verifier.verify(OPAQUE)
    clock.now += 59
    assert verifier.verify(OPAQUE) is first
    assert len(endpoint.requests) == 1
    endpoint.answer({"active": False})  # revoked meanwhile
    clock.now += 1
    assert code(verifier) == "inactive_token"
    assert len(endpoint.requests) == 2


def test_the_cache_never_outlives_the_token(endpoint: Endpoint, clock: Clock) -> None:
    endpoint.answer(active(exp=NOW + 10))
    verifier = make_verifier(endpoint, clock, cache_ttl=60)
    verifier.verify(OPAQUE)
    clock.now += 10
    assert code(verifier) == "token_expired"
    assert len(endpoint.requests) == 2


def test_cache_ttl_zero_asks_every_time(endpoint: Endpoint, clock: Clock) -> None:
    verifier = make_verifier(endpoint, clock, cache_ttl=0)
    verifier.verify(OPAQUE)
    verifier.verify(OPAQUE)
    assert len(endpoint.requests) == 2


def test_failures_are_not_cached(endpoint: Endpoint, clock: Clock) -> None:
    verifier = make_verifier(endpoint, clock)
    endpoint.answer(b"oops", 503)
    assert code(verifier) == "introspection_unavailable"
    endpoint.answer(active())
    assert code(verifier) == "accepted"


def test_a_shared_introspection_checks_each_verifiers_rules_on_hits(endpoint: Endpoint, clock: Clock) -> None:
    introspection = TokenIntrospection(endpoint.url, client_id=CLIENT_ID, client_secret=SECRET)
    keys = StaticJWKS(TokenFactory().jwks)
    reader = OAuthVerifier(
        keys, issuer=ISSUER, resource=RESOURCE, required_scopes=["todos:read"], introspection=introspection, clock=clock
    )
    writer = OAuthVerifier(
        keys,
        issuer=ISSUER,
        resource=RESOURCE,
        required_scopes=["todos:write"],
        introspection=introspection,
        clock=clock,
    )
    other_issuer = OAuthVerifier(
        keys, issuer="https://elsewhere.example", resource=RESOURCE, introspection=introspection, clock=clock
    )
    assert code(reader) == "accepted"
    assert code(writer) == "insufficient_scope"
    assert code(other_issuer) == "invalid_issuer"
    assert len(endpoint.requests) == 1


def test_the_cache_is_keyed_by_a_hash_and_the_token_is_never_logged(
    endpoint: Endpoint, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = make_verifier(endpoint, clock)
    verifier.verify(OPAQUE)
    assert verifier.introspection is not None
    assert OPAQUE not in verifier.introspection.cache._entries
    endpoint.answer(b"oops", 500)
    verifier.introspection.clear_cache()
    with caplog.at_level(logging.DEBUG, logger="betterauth_jwt"):
        assert code(verifier) == "introspection_unavailable"
    assert caplog.records
    assert OPAQUE not in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.anyio
async def test_averify_shares_the_implementation(endpoint: Endpoint, clock: Clock) -> None:
    verifier = make_verifier(endpoint, clock)
    grant = await verifier.averify(OPAQUE)
    assert grant.user_id == "user_1"
    assert await verifier.averify(OPAQUE) is grant
    assert len(endpoint.requests) == 1
    endpoint.answer({"active": False})
    assert verifier.introspection is not None
    verifier.introspection.clear_cache()
    with pytest.raises(InvalidTokenError, match="inactive_token"):
        await verifier.averify(OPAQUE)
    endpoint.answer(b"", 500)
    with pytest.raises(KeysUnavailableError):
        await verifier.averify(OPAQUE)
    await verifier.introspection.aclose()


# -- what is sent where ----------------------------------------------------------------------------------------------


def test_jwts_are_never_introspected(endpoint: Endpoint, clock: Clock) -> None:
    factory = TokenFactory(clock=clock)
    introspection = TokenIntrospection(endpoint.url, client_id=CLIENT_ID, client_secret=SECRET)
    verifier = factory.oauth_verifier(RESOURCE, issuer=ISSUER, introspection=introspection)
    assert verifier.verify(factory.oauth_token(resource=RESOURCE, issuer=ISSUER)).user_id == "user_1"
    assert code(verifier, factory.access_token()) == "wrong_token_kind"
    assert code(verifier, "not a token") == "malformed_token"
    assert code(verifier, "abc.def") == "malformed_token"
    assert endpoint.requests == []


def test_without_introspection_opaque_tokens_are_refused(clock: Clock) -> None:
    verifier = OAuthVerifier(StaticJWKS(TokenFactory().jwks), issuer=ISSUER, resource=RESOURCE, clock=clock)
    assert code(verifier) == "opaque_token"


# -- configuration ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"url": "http://auth.example.com/api/auth/oauth2/introspect"}, "https"),
        ({"url": "https://user:pw@auth.example.com/introspect"}, "credentials"),
        ({"url": "ftp://auth.example.com/introspect"}, "https"),
        ({"url": 7}, "string"),
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"client_secret": None}, "client_secret"),
        ({"auth_method": "private_key_jwt"}, "auth_method"),
        ({"accept_clients": "one-client"}, "accept_clients"),
        ({"accept_clients": [""]}, "accept_clients"),
        ({"cache_ttl": 301}, "cache_ttl"),
        ({"cache_ttl": -1}, "cache_ttl"),
        ({"timeout": 0}, "timeout"),
        ({"max_response_bytes": 10}, "max_response_bytes"),
        ({"client": object()}, "httpx.Client"),
    ],
)
def test_bad_configuration(options: dict[str, Any], match: str) -> None:
    arguments: dict[str, Any] = {
        "url": "https://auth.example.com/api/auth/oauth2/introspect",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        **options,
    }
    with pytest.raises(ConfigurationError, match=match):
        TokenIntrospection(**arguments)


def test_introspection_must_be_a_token_introspection() -> None:
    with pytest.raises(ConfigurationError, match="TokenIntrospection"):
        OAuthVerifier(
            StaticJWKS(TokenFactory().jwks),
            issuer=ISSUER,
            resource=RESOURCE,
            introspection={"client_id": "x"},  # type: ignore[arg-type]
        )


def test_for_better_auth() -> None:
    introspection = TokenIntrospection.for_better_auth(
        "https://auth.example.com/", client_id=CLIENT_ID, client_secret=SECRET
    )
    assert introspection.url == "https://auth.example.com/api/auth/oauth2/introspect"
    assert introspection.accept_clients == {CLIENT_ID}
    assert SECRET not in repr(introspection)
    assert TokenIntrospection(
        "http://localhost:3000/api/auth/oauth2/introspect", client_id=CLIENT_ID, client_secret=SECRET
    ).url.startswith("http://localhost")
    assert TokenIntrospection(
        "http://auth:3000/api/auth/oauth2/introspect",
        client_id=CLIENT_ID,
        client_secret=SECRET,
        allow_insecure_http=True,
    ).url.startswith("http://auth")


def test_oauth_verifier_for_better_auth_builds_introspection_from_credentials() -> None:
    verifier = OAuthVerifier.for_better_auth(
        "https://auth.example.com",
        resource=RESOURCE,
        introspection={"client_id": CLIENT_ID, "client_secret": SECRET, "cache_ttl": 30},
    )
    assert verifier.introspection is not None
    assert verifier.introspection.url == "https://auth.example.com/api/auth/oauth2/introspect"
    assert verifier.introspection.cache_ttl == 30
