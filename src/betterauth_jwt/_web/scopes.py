"""The 403 for a valid token without the scopes a request needs (RFC 6750 section 3.1): from the verifier (an
``OAuthVerifier``'s ``required_scopes``) or from a route (FastAPI's ``Security(auth, scopes=[...])``).

A route's scopes are read the way Starlette's ``@requires`` reads ``request.auth.scopes``: an OAuth grant's scopes, or
for a first-party user ``"authenticated"`` and ``"role:<name>"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from .._logging import logger
from .denial import Denied, insufficient_scope
from .outcome import INSUFFICIENT_SCOPE, AuthOutcome, report
from .principal import Principal, identity_scopes

if TYPE_CHECKING:
    from .refusals import Refusals

__all__ = ["check_scopes", "refuse_scopes"]


def refuse_scopes(
    authenticator: Refusals,
    missing: Iterable[str],
    path: str,
    principal: Principal | None = None,
    *,
    fingerprint: str | None = None,
    source: Literal["header", "cookie"] | None = None,
) -> Denied:
    """The 403 ``insufficient_scope`` naming ``missing`` in ``scope=``, reported to the authenticator's hook."""
    missing = frozenset(missing)
    logger.info("forbidden on %r: the token lacks %s", path, " ".join(sorted(missing)))
    report(authenticator.on_outcome, AuthOutcome(INSUFFICIENT_SCOPE, 403, path, principal, fingerprint, source))
    return insufficient_scope(authenticator.realm, missing, authenticator.resource_metadata)


def check_scopes(authenticator: Refusals, principal: Principal, scopes: Iterable[str], path: str) -> None:
    """Raise the 403 unless ``principal`` has every one of ``scopes``."""
    missing = frozenset(scopes) - frozenset(identity_scopes(principal))
    if missing:
        raise refuse_scopes(authenticator, missing, path, principal)
