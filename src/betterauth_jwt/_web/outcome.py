"""What happened when a request was authenticated: :class:`AuthOutcome`, handed to an ``on_outcome`` hook.

Every adapter (``BetterAuthMiddleware``, ``BetterAuthBackend``, the FastAPI dependencies) takes
``on_outcome: Callable[[AuthOutcome], None]`` and calls it once per authentication decision, so an application can count
successes and failures by reason (a metrics exporter is one such hook)::

    def count(outcome: AuthOutcome) -> None:
        AUTH_TOTAL.labels(code=outcome.code, status=str(outcome.status)).inc()

``code`` is one of a small, stable set (safe as a metrics label), with the HTTP ``status`` it maps to:

- ``"ok"`` (200): a valid token; ``identity`` is set (an :class:`AccessGrant` for an ``OAuthVerifier``).
- ``"anonymous"`` (200): no token, and none was required (optional mode, ``OptionalUser``).
- ``"missing_token"`` (401): no token, and one is required.
- the code of an ``InvalidTokenError`` (401): ``"token_expired"``, ``"invalid_signature"``, ``"malformed_token"``,
  ``"malformed_authorization"``, ... (the tree is drawn in ``betterauth_jwt._errors``).
- ``"insufficient_scope"`` (403): a valid token whose identity a guard refused (e.g. ``require(role="admin")``).
- ``"keys_unavailable"`` (503): the keys could not be obtained (an outage on our side, not a bad token).

Requests to public paths and CORS preflights are not authenticated, so they report nothing. ``path`` and ``fingerprint``
are for logs and traces; do not use them as metric labels (unbounded cardinality). The hook runs inline on the request:
keep it fast and non-blocking. An exception it raises is logged and otherwise ignored, so a broken hook never turns a
decision into a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from .._kinds.identity import Identity
from .._kinds.oauth import AccessGrant
from .._logging import logger

__all__ = ["ANONYMOUS", "INSUFFICIENT_SCOPE", "MISSING_TOKEN", "OK", "AuthOutcome", "OnOutcome", "report"]

OK = "ok"
ANONYMOUS = "anonymous"
MISSING_TOKEN = "missing_token"
INSUFFICIENT_SCOPE = "insufficient_scope"


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """One authentication decision. ``status`` is the HTTP status it maps to (200 when the request goes on; for a
    WebSocket, the status whose close code was sent). ``source`` says where the token came from, if one was found."""

    code: str
    status: int
    path: str
    identity: Identity | AccessGrant | None = None
    fingerprint: str | None = None
    source: Literal["header", "cookie"] | None = None


OnOutcome: TypeAlias = Callable[[AuthOutcome], None]


def report(hook: OnOutcome | None, outcome: AuthOutcome) -> None:
    if hook is None:
        return
    try:
        hook(outcome)
    except Exception:  # noqa: BLE001 - a metrics hook must not decide the response
        logger.exception("on_outcome hook failed for outcome %s", outcome.code)
