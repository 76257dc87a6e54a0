"""From a WSGI ``environ`` (or Django's ``request.META``, which has the same keys under WSGI and ASGI) to the scope
mapping the :class:`~betterauth_jwt._web.authenticator.Authenticator` reads: the path, the method, and the headers it
looks at (the credentials, and what a session cookie's CSRF check reads: ``Origin``, ``Sec-Fetch-Site``, ``Host``).

PEP 3333 hands header values over as ``str`` decoded from ISO-8859-1, so encoding them back gives the bytes the client
sent. A server joins repeated headers into one value (``"Bearer a,Bearer b"``), which the bearer rules then refuse as
malformed, as they refuse two ASGI headers. A value that is not ISO-8859-1 (a test client can build one) is encoded
with ``?`` in place of what does not fit: never a b64token character, so it is refused, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["environ_scope"]

# The only headers the authenticator reads; the rest of the request is not copied.
_HEADERS = (
    (b"authorization", "HTTP_AUTHORIZATION"),
    (b"cookie", "HTTP_COOKIE"),
    (b"origin", "HTTP_ORIGIN"),
    (b"sec-fetch-site", "HTTP_SEC_FETCH_SITE"),
    (b"host", "HTTP_HOST"),
)


def environ_scope(environ: Mapping[str, Any], path: str | None = None) -> dict[str, Any]:
    """A scope with ``path`` (by default ``PATH_INFO``, as UTF-8) and the ``Authorization`` and ``Cookie`` headers of
    ``environ`` as lower-case byte pairs; the authenticator stores ``user`` and ``auth`` in it."""
    if path is None:
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
    headers = []
    for name, key in _HEADERS:
        value = environ.get(key)
        if isinstance(value, str):
            headers.append((name, value.encode("latin-1", "replace")))
    return {"type": "http", "path": path, "method": environ.get("REQUEST_METHOD", ""), "headers": headers}
