"""``JWKSServer``: a real HTTP server on 127.0.0.1 that publishes a JWKS, and misbehaves on demand, for tests.

It runs the standard library's ``ThreadingHTTPServer`` on a free port in a background thread. Leaving the ``with`` block
(or calling :meth:`~JWKSServer.close`) releases held requests, stops the server and joins every thread it started.

>>> from betterauth_jwt import RemoteJWKS, Verifier
>>> from betterauth_jwt.testing import JWKSServer, TokenFactory
>>> factory = TokenFactory()
>>> with JWKSServer(factory) as server, RemoteJWKS(server.url) as keys:
...     verifier = Verifier(keys, issuer=factory.issuer, audience=factory.issuer)
...     verifier.verify(factory.access_token("user_1")).user_id
'user_1'

Given a :class:`~betterauth_jwt.testing.TokenFactory`, the server publishes the factory's keys as they are at each request,
so ``factory.rotate()`` and ``factory.retire_oldest()`` show up at once; given a JWKS mapping, it publishes that until
:meth:`~JWKSServer.set_jwks`. Each behaviour method (``fail``, ``hang``, ``send_garbage``, ``send_body``, ``redirect``,
``send_large``) replaces the previous behaviour; :meth:`~JWKSServer.serve` goes back to answering normally.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

__all__ = ["JWKSServer"]

DEFAULT_PATH = "/api/auth/jwks"  # where Better Auth publishes its keys
_CHUNK = 64 * 1024


class _PublishesJWKS(Protocol):
    @property
    def jwks(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class _Behaviour:
    """How the next requests are answered. Replaced whole, so request threads read it without a lock."""

    status: int = 200
    body: bytes | None = None  # None: the current JWKS
    headers: tuple[tuple[str, str], ...] = ()
    large: int | None = None  # send this many bytes instead of a body
    content_length: bool = True
    hold: threading.Event | None = field(default=None, compare=False)
    hold_seconds: float = 0.0


_NORMAL = _Behaviour()


class JWKSServer:
    """A JWKS endpoint on ``127.0.0.1`` (a free port) for tests; ``url`` is where it publishes, ``hits`` counts requests.

    ``keys`` is a :class:`~betterauth_jwt.testing.TokenFactory` (its current keys are published) or a JWKS mapping.
    ``cache_control`` is sent as the ``Cache-Control`` header of normal answers (Better Auth sends none).
    ``max_hang`` bounds how long :meth:`hang` may hold a request, so a forgotten :meth:`release` cannot hang a test run.
    """

    def __init__(
        self,
        keys: _PublishesJWKS | Mapping[str, Any] | None = None,
        *,
        path: str = DEFAULT_PATH,
        cache_control: str | None = None,
        max_hang: float = 30.0,
    ) -> None:
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        self.path = path
        self.cache_control = cache_control
        self.max_hang = max_hang
        self._source: _PublishesJWKS | Mapping[str, Any] = keys if keys is not None else {"keys": []}
        self._behaviour = _NORMAL
        self._holds: list[threading.Event] = []
        self._hits = 0
        self._hits_changed = threading.Condition()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"JWKSServer({where}, hits={self._hits})"

    # -- lifecycle ------------------------------------------------------------------------------------------------------

    def start(self) -> JWKSServer:
        """Bind a free port on 127.0.0.1 and serve in a background thread (called by ``with``)."""
        if self._server is not None:
            raise RuntimeError("JWKSServer is already started")
        server = _HTTPServer(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"JWKSServer:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Release held requests, stop serving and join every thread. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.release()
        server.shutdown()
        server.server_close()  # joins the request threads (daemon_threads is off)
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> JWKSServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- where, and what happened ---------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("JWKSServer is not started: use it in a `with` block or call start()")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: a Better Auth ``baseURL`` for ``Verifier.for_better_auth``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The JWKS URL: ``base_url`` + ``path``."""
        return self.base_url + self.path

    @property
    def hits(self) -> int:
        """How many requests arrived (any path, counted on arrival, so a held request counts)."""
        return self._hits

    def reset_hits(self) -> None:
        with self._hits_changed:
            self._hits = 0

    def wait_for_hits(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``hits >= count`` or ``timeout`` seconds pass; return whether the count was reached.

        For synchronous tests; from async code, poll :attr:`hits` with ``await asyncio.sleep(...)`` instead.
        """
        with self._hits_changed:
            return self._hits_changed.wait_for(lambda: self._hits >= count, timeout)

    # -- what it publishes ----------------------------------------------------------------------------------------------

    @property
    def jwks(self) -> Mapping[str, Any]:
        """The key set a normal answer carries right now."""
        source = self._source
        return source if isinstance(source, Mapping) else source.jwks

    def set_jwks(self, keys: _PublishesJWKS | Mapping[str, Any]) -> None:
        """Publish another key set (or another factory's keys) from the next request on."""
        self._source = keys

    # -- behaviours -----------------------------------------------------------------------------------------------------

    def serve(self) -> None:
        """Answer normally again: 200, the JWKS as JSON, ``Cache-Control`` if set. Releases held requests."""
        self.release()

    def fail(self, status: int = 500) -> None:
        """Answer every request with this HTTP status and a short text body."""
        self._behave(_Behaviour(status=status, body=b"failing on purpose", headers=(("Content-Type", "text/plain"),)))

    def hang(self, seconds: float | None = None) -> None:
        """Hold every request, unanswered, until :meth:`release` (or :meth:`serve`) or for ``seconds`` (at most
        ``max_hang``); then answer it normally."""
        hold = threading.Event()
        self._holds.append(hold)
        wait = self.max_hang if seconds is None else min(seconds, self.max_hang)
        self._behaviour = _Behaviour(hold=hold, hold_seconds=wait)

    def release(self) -> None:
        """Let held requests go (they are answered normally) and answer normally from now on."""
        self._behaviour = _NORMAL
        holds, self._holds = self._holds, []
        for hold in holds:
            hold.set()

    def send_body(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with exactly this body, e.g. JSON that is not a key set, or a set of invalid keys."""
        extra = tuple((headers or {}).items())
        self._behave(_Behaviour(status=status, body=body, headers=(("Content-Type", content_type), *extra)))

    def send_garbage(self, body: bytes = b"<html><body>502 Bad Gateway</body></html>\xff\xfe") -> None:
        """Answer 200 with a body that is not JSON (by default an HTML error page with invalid UTF-8)."""
        self.send_body(body, content_type="application/json")

    def redirect(self, location: str | None = None, *, status: int = 302) -> None:
        """Answer with a redirect, by default to ``/moved`` on this server (which answers 404)."""
        target = location if location is not None else f"{self.base_url}/moved"
        self._behave(_Behaviour(status=status, body=b"", headers=(("Location", target),)))

    def send_large(self, size: int = 10 * 1024 * 1024, *, content_length: bool = True) -> None:
        """Answer 200 with ``size`` bytes of JSON-looking filler; without ``Content-Length`` if asked, so that only
        counting the bytes read can stop it."""
        self._behave(_Behaviour(large=size, content_length=content_length))

    def _behave(self, behaviour: _Behaviour) -> None:
        self.release()
        self._behaviour = behaviour

    # -- answering (request threads) ------------------------------------------------------------------------------------

    def _answer(self, handler: _Handler) -> None:
        with self._hits_changed:
            self._hits += 1
            self._hits_changed.notify_all()
        behaviour = self._behaviour
        if behaviour.hold is not None:
            behaviour.hold.wait(behaviour.hold_seconds)
            behaviour = _NORMAL
        if behaviour.large is not None:
            self._send_large(handler, behaviour.large, behaviour.content_length)
            return
        if behaviour.body is not None:
            self._send(handler, behaviour.status, behaviour.headers, behaviour.body)
        elif handler.path.partition("?")[0] != self.path:
            self._send(handler, 404, (("Content-Type", "text/plain"),), b"not found")
        else:
            headers = [("Content-Type", "application/json")]
            if self.cache_control is not None:
                headers.append(("Cache-Control", self.cache_control))
            self._send(handler, 200, tuple(headers), json.dumps(self.jwks).encode())

    @staticmethod
    def _send(handler: _Handler, status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _send_large(handler: _Handler, size: int, content_length: bool) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if content_length:
            handler.send_header("Content-Length", str(size))
        handler.send_header("Connection", "close")  # without a length, the end of the body is the end of the connection
        handler.end_headers()
        filler = b" " * _CHUNK
        sent = 0
        while sent < size:
            chunk = filler[: min(_CHUNK, size - sent)]
            handler.wfile.write(chunk)
            sent += len(chunk)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 10  # a client that connects and stalls cannot hold a request thread (and close()) forever

    def do_GET(self) -> None:
        self.server.owner._answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `hits`, not access logs on stderr


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() joins every request thread: nothing outlives the server
    owner: JWKSServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout, or a size cap that stopped reading) breaks the connection: expected here.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
