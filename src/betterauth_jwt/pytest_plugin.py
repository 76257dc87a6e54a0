"""pytest plugin, loaded automatically once betterauth-jwt is installed (entry point ``pytest11``).

Fixtures for testing an application that trusts Better Auth tokens, with no Better Auth server:

``betterauth_token_factory``
    a :class:`~betterauth_jwt.testing.TokenFactory` (EdDSA, issuer ``http://localhost:3000``) that mints access tokens
    and session cookies, expired and not-yet-valid ones, and rotates keys. Override this fixture in your ``conftest.py``
    to change the algorithm, the issuer or the clock; the other fixtures follow.
``betterauth_verifier``
    a :class:`~betterauth_jwt.Verifier` that accepts the factory's access tokens (keys given directly, no HTTP).
``betterauth_jwks_server``
    a real JWKS HTTP server on 127.0.0.1 publishing the factory's keys (``.url``), for apps configured with a JWKS URL;
    it can rotate keys and fail on demand.

This module imports only pytest and the package core: nothing from FastAPI, Starlette or an HTTP server is loaded until a
fixture that needs it runs, so installing betterauth-jwt never breaks pytest for a project without those.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._verifier import Verifier
    from .testing import JWKSServer, TokenFactory

__all__ = ["betterauth_jwks_server", "betterauth_token_factory", "betterauth_verifier"]


@pytest.fixture
def betterauth_token_factory() -> TokenFactory:
    """Mints Better Auth-shaped tokens and holds the matching keys."""
    from .testing import TokenFactory

    return TokenFactory()


@pytest.fixture
def betterauth_verifier(betterauth_token_factory: TokenFactory) -> Verifier:
    """A verifier for the factory's access tokens (``factory.verifier(TokenKind.SESSION_COOKIE)`` for cookies)."""
    return betterauth_token_factory.verifier()


@pytest.fixture
def betterauth_jwks_server(betterauth_token_factory: TokenFactory) -> Iterator[JWKSServer]:
    """A JWKS server on 127.0.0.1 serving the factory's current keys; stopped after the test."""
    from .testing import JWKSServer

    with JWKSServer(betterauth_token_factory) as server:
        yield server
