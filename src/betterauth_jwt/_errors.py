"""The exceptions this package raises, each with a stable machine ``code``.

Hierarchy::

    BetterAuthJWTError                  base of everything raised here
    ├── InvalidTokenError               the token is not acceptable (HTTP 401)
    │   ├── MalformedTokenError             not a well-formed compact JWS / JSON          malformed_token, token_too_large,
    │   │   │                                                                              not_a_jwt, encrypted_token
    │   │   └── OpaqueTokenError            an opaque OAuth token, not a JWT               opaque_token
    │   ├── UnsupportedTokenError           header asks for something we refuse            unsupported_algorithm,
    │   │                                                                                  algorithm_mismatch,
    │   │                                                                                  unsupported_header, embedded_key
    │   ├── UnknownKeyError                 no key for this kid / algorithm                unknown_key
    │   ├── InvalidSignatureError           the signature does not verify                  invalid_signature
    │   ├── ExpiredTokenError               exp is at or before now                        token_expired
    │   ├── ImmatureTokenError              nbf / iat lie in the future                    token_not_yet_valid
    │   ├── InvalidClaimsError              iss / aud / sub / typ / a claim's type         invalid_issuer, invalid_audience,
    │   │                                                                                  missing_claim, invalid_claim
    │   ├── WrongTokenKindError             another kind of token than this verifier's:   wrong_token_kind
    │   │                                   an OAuth token as a first-party one, ...
    │   ├── SenderConstrainedTokenError     a DPoP / mTLS bound token sent as a bearer     sender_constrained_token
    │   └── SessionRejectedError            the session store refuses the session cookie   session_not_found,
    │                                                                                      session_expired,
    │                                                                                      session_revoked,
    │                                                                                      user_not_found, user_banned
    ├── InsufficientScopeError          a valid token without the scopes needed (403)     insufficient_scope
    ├── CrossSiteRequestError           a cookie-authenticated request from another site  cross_site_request
    │                                   (HTTP 403)
    ├── KeysUnavailableError            *we* could not obtain keys (HTTP 503)             keys_unavailable
    │   └── StoreUnavailableError           the session store could not be read            store_unavailable,
    │                                                                                      store_data_invalid
    └── ConfigurationError              bad configuration, raised at construction          configuration_error

Messages are written here, never copied from another library's exception, and never contain the token, a secret or a
session token: they are safe to return to a client.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BetterAuthJWTError",
    "ConfigurationError",
    "CrossSiteRequestError",
    "ExpiredTokenError",
    "ImmatureTokenError",
    "InsufficientScopeError",
    "InvalidClaimsError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "KeysUnavailableError",
    "MalformedTokenError",
    "OpaqueTokenError",
    "SenderConstrainedTokenError",
    "SessionRejectedError",
    "StoreUnavailableError",
    "UnknownKeyError",
    "UnsupportedTokenError",
    "WrongTokenKindError",
]


class BetterAuthJWTError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``description`` is short, human and safe to show."""

    code: str = "error"

    def __init__(self, description: str, *, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.description = description
        # The message is the description alone: a traceback already names the class, and ``code`` is an attribute,
        # so ``ConfigurationError: configuration_error: ...`` would say the same thing twice.
        super().__init__(description)


class InvalidTokenError(BetterAuthJWTError):
    """The presented token must not be trusted. Adapters answer 401."""

    code = "invalid_token"


class MalformedTokenError(InvalidTokenError):
    code = "malformed_token"


class OpaqueTokenError(MalformedTokenError):
    code = "opaque_token"


class UnsupportedTokenError(InvalidTokenError):
    code = "unsupported_algorithm"


class UnknownKeyError(InvalidTokenError):
    code = "unknown_key"


class InvalidSignatureError(InvalidTokenError):
    code = "invalid_signature"


class ExpiredTokenError(InvalidTokenError):
    code = "token_expired"


class ImmatureTokenError(InvalidTokenError):
    code = "token_not_yet_valid"


class InvalidClaimsError(InvalidTokenError):
    """A claim is missing, mistyped or not the accepted value. For ``invalid_issuer`` and ``invalid_audience`` the
    token's value (``actual``) and the accepted ones (``expected``) are kept for logs and the CLI (:attr:`mismatch`);
    the description, which a client may see, stays generic."""

    code = "invalid_claim"

    def __init__(
        self,
        description: str,
        *,
        code: str | None = None,
        claim: str | None = None,
        actual: object = None,
        expected: Iterable[str] = (),
    ) -> None:
        super().__init__(description, code=code)
        self.claim = claim
        self.actual = actual
        self.expected = tuple(sorted(expected))

    @property
    def mismatch(self) -> str | None:
        """``iss 'https://a.example' (accepted: 'https://b.example')``: values only, each shortened, never the token."""
        if self.claim is None:
            return None
        accepted = ", ".join(_short(value) for value in self.expected) or "none configured"
        return f"{self.claim} {_short(self.actual)} (accepted: {accepted})"


def _short(value: object, limit: int = 120) -> str:
    # repr() escapes control characters a hostile token may carry; the cap keeps a huge claim from flooding a log line.
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class WrongTokenKindError(InvalidTokenError):
    code = "wrong_token_kind"


class SenderConstrainedTokenError(InvalidTokenError):
    """The token is bound to a key (``cnf``, RFC 9449 DPoP or RFC 8705 mTLS): as a plain bearer token it proves nothing."""

    code = "sender_constrained_token"


class InsufficientScopeError(BetterAuthJWTError):
    """The token is valid but lacks scopes this request needs (RFC 6750 section 3.1). Adapters answer 403 with
    ``error="insufficient_scope"`` and ``scope="<the needed scopes>"``."""

    code = "insufficient_scope"

    def __init__(self, missing: Iterable[str], *, description: str | None = None) -> None:
        self.missing_scopes = frozenset(missing)
        needed = " ".join(sorted(self.missing_scopes))
        super().__init__(description or f"the token lacks the scope(s) this request needs: {needed}")


class SessionRejectedError(InvalidTokenError):
    """The session cookie is genuine but its session is not usable: gone from the store (signed out, revoked), expired,
    its user deleted or banned. ``code`` says which."""

    code = "session_not_found"


class CrossSiteRequestError(BetterAuthJWTError):
    """A request that would be authenticated by an ambient cookie came from another site (CSRF). Adapters answer 403.

    Raised before the cookie is looked at, so the answer never tells whether the cookie was valid.
    """

    code = "cross_site_request"


class KeysUnavailableError(BetterAuthJWTError):
    """The verification keys could not be obtained (e.g. the JWKS endpoint is down and nothing usable is cached).

    This is an outage on our side, not a bad token: adapters answer 503 with ``Retry-After``.
    """

    code = "keys_unavailable"

    def __init__(self, description: str, *, code: str | None = None, retry_after: float = 30.0) -> None:
        super().__init__(description, code=code)
        self.retry_after = retry_after


class ConfigurationError(BetterAuthJWTError, ValueError):
    """The library was configured in a way that cannot be safe. Raised at construction, never per request."""

    code = "configuration_error"


class StoreUnavailableError(KeysUnavailableError):
    """The session store (database, Redis, Better Auth's get-session) could not be read, or answered something we cannot
    interpret. An outage, not a bad cookie: adapters answer 503 with ``Retry-After``, as for keys.

    A subclass of :class:`KeysUnavailableError` on purpose: for a session verifier the store *is* where the verdict
    comes from, and every adapter already turns that class into 503, so no error table needs a new row.
    """

    code = "store_unavailable"
