"""The package logger and the only way a token may appear in a log line: as a fingerprint."""

from __future__ import annotations

import hashlib
import logging

logger = logging.getLogger("betterauth_jwt")


def token_fingerprint(token: object) -> str:
    """First 8 hex digits of the token's SHA-256: enough to correlate log lines, useless to replay."""
    data = token.encode("utf-8", "replace") if isinstance(token, str) else repr(type(token)).encode()
    return hashlib.sha256(data).hexdigest()[:8]
