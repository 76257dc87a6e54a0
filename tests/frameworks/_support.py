"""What every framework face is checked against: the same hostile headers as the ASGI adapters, real servers on
127.0.0.1 (uvicorn for ASGI apps, waitress for WSGI apps) and a raw HTTP client that sends headers as given."""

from __future__ import annotations

import http.client
import socket
import threading
from typing import Any

import uvicorn
import waitress
from waitress import wasyncore
from waitress.server import BaseWSGIServer

from tests._adapter_support import factory

TOKENS = factory()
# Duplicate headers joined by a WSGI server or Django's ASGI handler, bad schemes, 20 KB, non-Latin-1 bytes.
HOSTILE = [
    "Bearer a, Bearer b",
    "Bearer a.b.c,Bearer a.b.c",
    "Bearer\ta.b.c",
    "Bearer " + "a" * 20_000,
    "bearer é.é.é",
    "Token abc",
    "Bearer ",
    "Bearer  a.b.c",
]
NON_LATIN_1 = "Bearer 認証.トークン.です"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class HTTP:
    """GET against a server on 127.0.0.1, headers sent byte for byte (several of one name allowed)."""

    port: int

    def get(
        self, path: str, headers: list[tuple[str, str | bytes]] | dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.putrequest("GET", path)
            for name, value in pairs:
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


class Uvicorn(HTTP):
    """uvicorn serving an ASGI app from a thread (``lifespan="off"`` for Django, which has none)."""

    def __init__(self, app: Any, *, lifespan: str = "on") -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning", http="h11"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> Uvicorn:
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


class Waitress(HTTP):
    """waitress (a multi-threaded WSGI server) serving a WSGI app from a thread."""

    def __init__(self, app: Any, *, threads: int = 8) -> None:
        self.server: BaseWSGIServer = waitress.create_server(
            app, host="127.0.0.1", port=0, threads=threads, connection_limit=200, backlog=256
        )  # type: ignore[assignment]
        self.port = int(self.server.effective_port)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Waitress:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.task_dispatcher.shutdown()
        # The loop runs while its map holds a socket: close them all (the listener, kept-alive connections, the
        # trigger itself) from inside the loop's thread, where nothing else is polling them at that moment.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(10)
        assert not self.thread.is_alive(), "waitress did not stop"
