"""Verify Better Auth JWTs in Python ASGI services: shared secret or JWKS, typed identity, thin framework adapters."""

from __future__ import annotations

import contextlib

from ._errors import (
    BetterAuthJWTError,
    ConfigurationError,
    CrossSiteRequestError,
    ExpiredTokenError,
    ImmatureTokenError,
    InsufficientScopeError,
    InvalidClaimsError,
    InvalidSignatureError,
    InvalidTokenError,
    KeysUnavailableError,
    MalformedTokenError,
    OpaqueTokenError,
    SenderConstrainedTokenError,
    SessionRejectedError,
    StoreUnavailableError,
    UnknownKeyError,
    UnsupportedTokenError,
    WrongTokenKindError,
)
from ._jose.jwk import VerificationKey
from ._jose.token import decode_unverified
from ._keys.fixed import KeyProvider, SharedSecret, StaticJWKS
from ._keys.remote import RemoteJWKS
from ._kinds.identity import Identity, TokenKind
from ._kinds.oauth import AccessGrant
from ._logging import token_fingerprint
from ._oauth_verifier import OAuthVerifier
from ._session_verifier import SessionVerifier
from ._stores.introspection import TokenIntrospection
from ._stores.redis import RedisSessionStore
from ._stores.remote import RemoteSessionStore
from ._stores.sql import SqlSessionStore
from ._verifier import Verifier
from ._web.csrf import OriginCheck
from ._web.outcome import AuthOutcome, OnOutcome

__version__ = "0.1.0"

__all__ = [
    "AccessGrant",
    "AuthOutcome",
    "BetterAuthJWTError",
    "ConfigurationError",
    "CrossSiteRequestError",
    "ExpiredTokenError",
    "Identity",
    "ImmatureTokenError",
    "InsufficientScopeError",
    "InvalidClaimsError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "KeyProvider",
    "KeysUnavailableError",
    "MalformedTokenError",
    "OAuthVerifier",
    "OnOutcome",
    "OpaqueTokenError",
    "OriginCheck",
    "RedisSessionStore",
    "RemoteJWKS",
    "RemoteSessionStore",
    "SenderConstrainedTokenError",
    "SessionRejectedError",
    "SessionVerifier",
    "SharedSecret",
    "SqlSessionStore",
    "StaticJWKS",
    "StoreUnavailableError",
    "TokenIntrospection",
    "TokenKind",
    "UnknownKeyError",
    "UnsupportedTokenError",
    "VerificationKey",
    "Verifier",
    "WrongTokenKindError",
    "decode_unverified",
    "token_fingerprint",
]

# Show public names as betterauth_jwt.X in reprs and tracebacks, not as the private module that defines them.
for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__"):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = __name__
del _name, _obj, contextlib


def __dir__() -> list[str]:
    # PEP 562: dir() and tab completion list the public names, not the private submodules the imports above bound as
    # attributes (_errors, _jose, ...) nor helpers such as ``annotations``. The submodules stay importable.
    return sorted({*__all__, *(name for name in globals() if name.startswith("__") and name.endswith("__"))})
