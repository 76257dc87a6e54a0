"""``BETTERAUTH_JWT_TEST_ED25519_BACKEND=cryptography`` runs this suite with that Ed25519 backend forced, for keys loaded
from then on; tests/jose/test_ed25519_backends.py does so to show the EdDSA cases pass on both backends."""

from __future__ import annotations

import os

from betterauth_jwt._jose import ed25519

_FORCED = os.environ.get("BETTERAUTH_JWT_TEST_ED25519_BACKEND")
if _FORCED:
    if _FORCED not in ed25519.BACKENDS:
        raise RuntimeError(f"Ed25519 backend {_FORCED!r} is not installed; have {ed25519.BACKENDS}")
    ed25519.DEFAULT_BACKEND = _FORCED  # type: ignore[assignment]  # checked against BACKENDS just above


def pytest_report_header() -> str:
    return f"ed25519 backend: {ed25519.DEFAULT_BACKEND}"
