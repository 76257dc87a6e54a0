"""The adapters behind a real uvicorn on 127.0.0.1: real sockets, the server's own path decoding, real WebSockets."""

# No "from __future__ import annotations": FastAPI must see the route annotations (a local alias) as objects.
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
import uvicorn
from fastapi import Depends, FastAPI, WebSocket
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from betterauth_jwt import Identity
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.fastapi import BetterAuth, CurrentUser
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import REALM_CHALLENGE, factory

TOKENS = factory()


def build_app() -> FastAPI:
    auth = BetterAuth(TOKENS.verifier())
    app = FastAPI()
    auth.install(app)
    app.add_middleware(BetterAuthMiddleware, verifier=TOKENS.verifier(), public_paths=["/public"])

    @app.get("/public")
    async def public() -> dict[str, str]:
        return {"page": "public"}

    @app.get("/private")
    async def private(user: CurrentUser) -> dict[str, str]:
        return {"user_id": user.user_id}

    @app.get("/{rest:path}")
    async def anything(rest: str) -> dict[str, str]:
        return {"page": rest}  # reached only by authenticated requests

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, user: Annotated[Identity, Depends(auth)]) -> None:
        await websocket.accept()
        await websocket.send_text(json.dumps({"user_id": user.user_id}))
        await websocket.close()

    return app


class Server:
    """uvicorn serving ``app`` from a thread, on a port the OS picked; stopped the way Ctrl-C stops it."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, lifespan="on", log_level="warning", http="h11", ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            self.thread.join(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()
        assert not self.thread.is_alive(), "uvicorn did not stop"

    def get(self, raw_path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET with the path sent byte for byte, as a hostile client would (no client-side normalisation)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", raw_path, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(build_app()) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_authenticated_request(server: Server) -> None:
    status, _, body = server.get("/private", bearer(TOKENS.access_token("real_user")))
    assert status == 200
    assert json.loads(body) == {"user_id": "real_user"}


def test_exact_401_over_the_wire(server: Server) -> None:
    status, headers, body = server.get("/private")
    assert status == 401
    assert headers["www-authenticate"] == REALM_CHALLENGE
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "authentication required", "code": "missing_token"}


@pytest.mark.parametrize(
    "raw_path",
    ["/public/../private", "/public/%2e%2e/private", "/public%2F..%2Fprivate", "/public%2fprivate", "/PUBLIC",
     "/public/", "/publicadmin", "//public", "/public/./", "/%70ublic/x"],
)  # fmt: skip
def test_path_bypass_attempts_against_a_real_server(server: Server, raw_path: str) -> None:
    assert server.get("/public")[0] == 200
    status, _, _ = server.get(raw_path)
    assert status == 401


@pytest.mark.parametrize(
    "value", ["Bearer a, Bearer b", "Bearer\ta.b.c", "Bearer " + "a" * 20_000, "bearer é.é.é", "Token abc"]
)
def test_hostile_headers_over_the_wire(server: Server, value: str) -> None:
    status, headers, body = server.get("/private", {"Authorization": value})
    assert status == 401
    assert headers["www-authenticate"].startswith(REALM_CHALLENGE)
    assert value.encode("latin-1") not in body


def test_duplicate_authorization_headers_over_the_wire(server: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("GET", "/private")
        token = TOKENS.access_token()
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 401
        assert json.loads(response.read())["code"] == "malformed_authorization"
    finally:
        connection.close()


def test_websocket_accepted(server: Server) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws"
    with connect(url, additional_headers=bearer(TOKENS.access_token("ws_user")), open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10)) == {"user_id": "ws_user"}


@pytest.mark.parametrize("headers", [{}, bearer(TokenFactory("EdDSA").access_token())])
def test_websocket_refused_at_the_handshake(server: Server, headers: dict[str, str]) -> None:
    # Closing before accept: the server answers the upgrade with 403 and no WebSocket is opened.
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{server.port}/ws", additional_headers=headers, open_timeout=10)
    assert refused.value.response.status_code == 403
