"""How the authenticator says no: 401 for a missing or refused token (RFC 6750 section 3), 403 for a guard or missing
scopes, 503 when keys or a store are unavailable. Each refusal is reported to the ``on_outcome`` hook and logged with the
token's fingerprint only, never the token.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal

from .._errors import InsufficientScopeError, InvalidTokenError, KeysUnavailableError
from .._logging import logger, token_fingerprint
from .denial import Denied, challenge, unavailable
from .outcome import INSUFFICIENT_SCOPE, MISSING_TOKEN, AuthOutcome, OnOutcome, report
from .principal import Guard, Principal
from .scopes import refuse_scopes

__all__ = ["Refusals"]


class Refusals:
    """The refusing half of :class:`~betterauth_jwt._web.authenticator.Authenticator` (its base class)."""

    realm: str
    resource_metadata: str | None
    on_outcome: OnOutcome | None

    def _refuse(
        self,
        exc: InvalidTokenError | KeysUnavailableError | InsufficientScopeError,
        scope: MutableMapping[str, Any],
        token: str,
        source: Literal["header", "cookie"],
    ) -> Denied:
        path = scope.get("path", "")
        if isinstance(exc, KeysUnavailableError):
            return self._unavailable(exc, AuthOutcome(exc.code, 503, path, None, token_fingerprint(token), source))
        if isinstance(exc, InsufficientScopeError):  # an OAuthVerifier's required_scopes
            return refuse_scopes(self, exc.missing_scopes, path, fingerprint=token_fingerprint(token), source=source)
        return self._refuse_token(exc, AuthOutcome(exc.code, 401, path, None, token_fingerprint(token), source))

    def authorize(
        self,
        identity: Principal,
        guard: Guard,
        path: str,
        *,
        fingerprint: str | None = None,
        source: Literal["header", "cookie"] | None = None,
    ) -> None:
        """Raise a 403 :class:`Denied` unless ``guard`` allows ``identity``."""
        if guard.allows(identity):
            return
        missing = guard.missing_scopes(identity)
        if missing:  # RFC 6750 section 3.1: name the scopes the token lacks
            raise refuse_scopes(self, missing, path, identity, fingerprint=fingerprint, source=source)
        logger.info("forbidden: user %r refused by a guard on %r", identity.user_id, path)
        report(self.on_outcome, AuthOutcome(INSUFFICIENT_SCOPE, 403, path, identity, fingerprint, source))
        description = guard.description
        raise Denied(403, INSUFFICIENT_SCOPE, description, self.challenge(INSUFFICIENT_SCOPE, description))

    def challenge(self, error: str | None = None, description: str | None = None) -> tuple[tuple[str, str], ...]:
        """The ``WWW-Authenticate`` header of a refusal from this authenticator (RFC 6750 section 3)."""
        return challenge(self.realm, error, description, resource_metadata=self.resource_metadata)

    def missing_token(self, path: str) -> Denied:
        report(self.on_outcome, AuthOutcome(MISSING_TOKEN, 401, path))
        return Denied(401, MISSING_TOKEN, "authentication required", self.challenge())

    def _refuse_token(self, exc: InvalidTokenError, outcome: AuthOutcome) -> Denied:
        logger.info("token %s refused on %r: %s", outcome.fingerprint or "-", outcome.path, exc.code)
        report(self.on_outcome, outcome)
        return Denied(401, exc.code, exc.description, self.challenge("invalid_token", exc.description))

    def _unavailable(self, exc: KeysUnavailableError, outcome: AuthOutcome) -> Denied:
        # The description may name our JWKS endpoint and what went wrong with it: for our logs, not for the client.
        logger.warning("keys unavailable, token %s not checked on %r: %s", outcome.fingerprint, outcome.path, exc)
        report(self.on_outcome, outcome)
        return unavailable(exc)
