"""Serve an ASGI app with uvicorn on 127.0.0.1 for the duration of a test: the tests talk real HTTP to it."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn

START_TIMEOUT = 20.0


class LiveServer:
    """``with LiveServer(app) as server:`` runs ``app`` (lifespan included) on a free port; ``server.client()`` talks to it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # ws="none": no WebSocket library is imported, so none of its warnings can reach the strict warning filter.
        config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="on")
        self._server = uvicorn.Server(config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()
        return f"http://{host}:{port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0)

    def __enter__(self) -> LiveServer:
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("the app did not start (see the log above: its lifespan failed)")
            time.sleep(0.01)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT)
        self._socket.close()
