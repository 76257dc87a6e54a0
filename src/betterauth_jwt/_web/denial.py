"""How a refusal is answered (RFC 6750 section 3): the :class:`Denied` answer, the ``WWW-Authenticate`` challenge and
``Retry-After``. Body ``{"detail": ..., "code": ...}``, never the token.
"""

from __future__ import annotations

import json
import math
import re

from .._errors import KeysUnavailableError

__all__ = ["Denied", "challenge", "quotable", "retry_after"]

CLOSE_POLICY_VIOLATION = 1008  # RFC 6455 section 7.4.1
CLOSE_TRY_AGAIN_LATER = 1013  # IANA WebSocket close code registry
# RFC 6750 section 3: realm and error_description may only hold %x20-21 / %x23-5B / %x5D-7E (no '"', no '\').
NOT_QUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class Denied(Exception):
    """A refusal, ready to send: ``status``, ``headers`` (the challenge or ``Retry-After``), the JSON ``body`` and the
    WebSocket ``close_code``. ``detail`` and ``code`` are ours and safe to show; they never hold the token."""

    def __init__(self, status: int, code: str, detail: str, headers: tuple[tuple[str, str], ...]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers

    @property
    def close_code(self) -> int:
        return CLOSE_TRY_AGAIN_LATER if self.status == 503 else CLOSE_POLICY_VIOLATION

    @property
    def body(self) -> bytes:
        return json.dumps({"detail": self.detail, "code": self.code}, separators=(",", ":")).encode()


def quotable(text: str, limit: int = 200) -> str:
    return NOT_QUOTABLE.sub("?", text.replace('"', "'").replace("\\", "/"))[:limit]


def retry_after(exc: KeysUnavailableError) -> str:
    try:
        seconds = math.ceil(exc.retry_after)
    except (TypeError, ValueError, OverflowError):
        seconds = 30
    return str(min(max(seconds, 1), 3600))


def challenge(realm: str, error: str | None = None, description: str | None = None) -> tuple[tuple[str, str], ...]:
    """The ``WWW-Authenticate`` header of a refusal (RFC 6750 section 3), description quoted safely."""
    value = f'Bearer realm="{realm}"'
    if error is not None:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{quotable(description)}"'
    return (("WWW-Authenticate", value),)
