"""A request's session cookie for a :class:`SessionVerifier`, read only after the CSRF check has let the request through.

The order matters: the origin is judged before the cookie is parsed, so a cross-site request gets the same 403 whether
its cookie is valid, forged or expired, and learns nothing about it.
"""

from __future__ import annotations

from .._kinds.identity import Identity
from .._session_verifier import SessionVerifier
from .credentials import RawHeaders, session_cookie

__all__ = ["averify_session_request", "session_request_cookie", "verify_session_request"]


def session_request_cookie(
    sessions: SessionVerifier, method: str, headers: RawHeaders, *, websocket: bool = False
) -> str | None:
    """The session cookie of a request (``None`` without one), after ``sessions.csrf`` accepted the request; raises
    :class:`CrossSiteRequestError` (403) or, for two cookies of one name, :class:`MalformedTokenError` (401)."""
    headers = list(headers)
    cookie = session_cookie(headers, sessions.cookie_names)
    if cookie is not None and sessions.csrf is not None:
        sessions.csrf.check(method, headers, websocket=websocket)
    return cookie


def verify_session_request(
    sessions: SessionVerifier, method: str, headers: RawHeaders, *, websocket: bool = False
) -> Identity | None:
    """The identity of a request's session cookie, ``None`` without one (blocking store lookup)."""
    cookie = session_request_cookie(sessions, method, headers, websocket=websocket)
    return None if cookie is None else sessions.verify(cookie)


async def averify_session_request(
    sessions: SessionVerifier, method: str, headers: RawHeaders, *, websocket: bool = False
) -> Identity | None:
    """Like :func:`verify_session_request`, without blocking the event loop."""
    cookie = session_request_cookie(sessions, method, headers, websocket=websocket)
    return None if cookie is None else await sessions.averify(cookie)
