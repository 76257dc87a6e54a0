"""BetterAuthMiddleware's cached path (``Authenticator.cached_identity``): a token seen before is answered exactly as the
first time it was seen, for every header shape the full path judges, and the metrics and outcomes still add up.

Each case sends the same request twice: the first goes through ``authenticate()`` (and, when valid, fills the
verifier's cache), the second may take the cached path. Both must get the same answer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import NOW, Recorder, factory, send_asgi


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = json.dumps({"user": scope["user"].identity, "scopes": list(scope["auth"].scopes)}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def request(app: Any, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any]]:
    sent = await send_asgi(app, "/", headers=headers)
    return int(sent[0]["status"]), json.loads(sent[1]["body"])


@pytest.fixture
def tokens() -> TokenFactory:
    return factory()


@pytest.mark.anyio
async def test_a_repeated_token_gets_the_same_identity_and_scopes(tokens: TokenFactory) -> None:
    verifier = tokens.verifier()
    app = BetterAuthMiddleware(echo, verifier)
    headers = [(b"authorization", f"Bearer {tokens.access_token('ada', role='admin,editor')}".encode())]
    first = await request(app, headers)
    second = await request(app, headers)
    assert first == second == (200, {"user": "ada", "scopes": ["authenticated", "role:admin", "role:editor"]})
    assert verifier.stats == {"cache_hits": 1, "cache_misses": 1}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("shape", "status", "code"),
    [
        ("bearer {}", 200, None),  # the scheme is case-insensitive
        ("BEARER   {}", 200, None),  # several spaces are allowed
        ("Bearer {} ", 401, "malformed_authorization"),  # trailing space
        ("Bearer\t{}", 401, "malformed_authorization"),
        ("Bearer " + " " * 20_000 + "{}", 401, "token_too_large"),
        ("Basic {}", 401, "missing_token"),  # another scheme carries no bearer token
    ],
)
async def test_header_shapes_are_judged_alike_before_and_after_caching(
    tokens: TokenFactory, shape: str, status: int, code: str | None
) -> None:
    app = BetterAuthMiddleware(echo, tokens.verifier())
    token = tokens.access_token("ada")
    await request(app, [(b"authorization", f"Bearer {token}".encode())])  # the token is now cached
    for _ in range(2):
        got, body = await request(app, [(b"authorization", shape.format(token).encode())])
        assert (got, body.get("code")) == (status, code)


@pytest.mark.anyio
async def test_a_cached_token_in_two_authorization_headers_is_refused(tokens: TokenFactory) -> None:
    app = BetterAuthMiddleware(echo, tokens.verifier())
    header = (b"authorization", f"Bearer {tokens.access_token('ada')}".encode())
    assert (await request(app, [header]))[0] == 200
    status, body = await request(app, [header, header])
    assert (status, body["code"]) == (401, "malformed_authorization")


@pytest.mark.anyio
async def test_a_cached_token_expires(tokens: TokenFactory) -> None:
    now = [NOW]
    app = BetterAuthMiddleware(echo, tokens.verifier(clock=lambda: now[0]))
    headers = [(b"authorization", f"Bearer {tokens.access_token('ada', expires_in=60)}".encode())]
    assert (await request(app, headers))[0] == 200
    now[0] += 61
    status, body = await request(app, headers)
    assert (status, body["code"]) == (401, "token_expired")


@pytest.mark.anyio
async def test_outcomes_are_reported_on_the_cached_path(tokens: TokenFactory) -> None:
    recorder = Recorder()
    app = BetterAuthMiddleware(echo, tokens.verifier(), on_outcome=recorder)
    token = tokens.access_token("ada")
    for _ in range(3):
        await request(app, [(b"authorization", f"Bearer {token}".encode())])
    assert recorder.codes == ["ok", "ok", "ok"]
    assert {outcome.fingerprint for outcome in recorder.outcomes} == {recorder.outcomes[0].fingerprint}
    assert all(outcome.identity is not None and outcome.source == "header" for outcome in recorder.outcomes)
