"""What adapters put in ``scope["user"]`` / ``scope["auth"]`` (Starlette's ``request.user``, ``request.auth``,
``@requires``), and the guards that decide a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from .._errors import ConfigurationError
from .._kinds.identity import Identity, TokenKind, VerifiedClaims
from .._kinds.oauth import AccessGrant

if TYPE_CHECKING:
    from .._oauth_verifier import OAuthVerifier
    from .._session_verifier import SessionVerifier
from .._verifier import Verifier

Principal = Identity | AccessGrant
"""Who a verified request speaks for: a first-party user (:class:`Identity`), or an OAuth client acting for a user or
for itself (:class:`AccessGrant`)."""

__all__ = [
    "ANONYMOUS_USER",
    "AnonymousUser",
    "Credentials",
    "Guard",
    "IdentityCredentials",
    "Principal",
    "granted_scopes",
    "identity_roles",
    "identity_scopes",
]


class AnonymousUser:
    """The user of a request without a token; like Starlette's ``UnauthenticatedUser``, without importing Starlette."""

    __slots__ = ()

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""

    def __repr__(self) -> str:
        return "AnonymousUser()"


ANONYMOUS_USER = AnonymousUser()


@dataclass(frozen=True, slots=True)
class Credentials:
    """Starlette's ``AuthCredentials`` shape (``.scopes``), so ``@requires("authenticated")`` works with the middleware."""

    scopes: tuple[str, ...] = ()


def identity_roles(identity: Principal) -> frozenset[str]:
    """Better Auth's ``role`` (admin plugin): ``"admin"``, ``"admin,user"`` or a list; read from the user's claims.
    An OAuth grant has no roles: what a client may do is its scopes."""
    if isinstance(identity, AccessGrant):
        return frozenset()
    source = identity.claims.get("user") if identity.kind is TokenKind.SESSION_COOKIE else identity.claims
    # Exact-type tests first (a verified identity's claims, their nested objects): the ABC check is slow.
    if not (type(source) is VerifiedClaims or type(source) is MappingProxyType or isinstance(source, Mapping)):
        return frozenset()
    value = source.get("role")
    if value is None:  # no admin plugin, or a user without a role: settled before any type test
        return frozenset()
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return frozenset(item for item in value if isinstance(item, str) and item)
    return frozenset()


def identity_scopes(identity: Principal) -> tuple[str, ...]:
    """``"authenticated"`` and one ``"role:<name>"`` per role: ``@requires(["authenticated", "role:admin"])``; for an
    OAuth grant, ``"authenticated"`` and the grant's scopes: ``@requires("todos:write")``."""
    if isinstance(identity, AccessGrant):
        return ("authenticated", *sorted(identity.scopes))
    roles = identity_roles(identity)
    if not roles:  # most users: no sorting, no generator (this runs on every authenticated request)
        return ("authenticated",)
    return ("authenticated", *sorted(f"role:{role}" for role in roles))


class IdentityCredentials:
    """:class:`Credentials` of a verified identity, whose scopes are worked out when read: most requests never read
    them, and working them out on every request cost a fifth of the middleware's time. Also says which verifier
    accepted the identity, and whether its token came from the header or the cookie, so that a later dependency can
    reuse it (see :meth:`Authenticator.authenticate`)."""

    __slots__ = ("identity", "source", "verifier")

    def __init__(
        self,
        identity: Principal,
        verifier: Verifier | OAuthVerifier | SessionVerifier,
        source: Literal["header", "cookie"],
    ) -> None:
        self.identity = identity
        self.verifier = verifier
        self.source = source

    @property
    def scopes(self) -> tuple[str, ...]:
        return identity_scopes(self.identity)

    def __repr__(self) -> str:
        return f"IdentityCredentials(scopes={self.scopes!r})"


def store_identity(
    scope: MutableMapping[str, Any],
    identity: Principal,
    verifier: Verifier | OAuthVerifier | SessionVerifier,
    source: Literal["header", "cookie"],
) -> None:
    scope["user"], scope["auth"] = identity, IdentityCredentials(identity, verifier, source)


def granted_scopes(principal: Any) -> frozenset[str]:
    """The OAuth scopes a verified principal holds: an ``AccessGrant``'s ``scopes``, else the token's ``scope`` claim
    (space-separated, RFC 9068 section 2.2.3) or ``scp`` list. A first-party Better Auth JWT has none."""
    scopes = getattr(principal, "scopes", None)
    if isinstance(scopes, frozenset | tuple | list | set):
        return frozenset(scope for scope in scopes if isinstance(scope, str))
    claims = getattr(principal, "claims", None) or {}
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


@dataclass(frozen=True, slots=True)
class Guard:
    """A condition on a verified identity (a role, OAuth scopes, a predicate, or any of them); a refusal is a 403.
    Missing ``scopes`` are a 403 ``insufficient_scope`` naming them in ``scope="..."``
    (:meth:`Authenticator.authorize`)."""

    role: str | None = None
    predicate: Callable[[Any], bool] | None = None
    scopes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.scopes, str) or not all(isinstance(scope, str) and scope for scope in self.scopes):
            raise ConfigurationError("scopes must be a collection of scope names such as ['todos:read']")
        object.__setattr__(self, "scopes", frozenset(self.scopes))
        if self.role is None and self.predicate is None and not self.scopes:
            raise ConfigurationError("require() needs role= or a predicate such as lambda identity: ..., or scopes=")
        if self.role is not None and (not isinstance(self.role, str) or not self.role.strip()):
            raise ConfigurationError("role must be a non-empty string")
        if self.predicate is not None and not callable(self.predicate):
            raise ConfigurationError("the predicate must be a callable taking the Identity")

    def missing_scopes(self, identity: Principal) -> frozenset[str]:
        """The guard's ``scopes`` that ``identity`` lacks (a grant's scopes, a first-party token's ``scope``)."""
        return self.scopes - granted_scopes(identity) if self.scopes else self.scopes

    def allows(self, identity: Principal) -> bool:
        if self.missing_scopes(identity):
            return False
        if self.role is not None and self.role not in identity_roles(identity):
            return False
        return self.predicate is None or bool(self.predicate(identity))

    @property
    def description(self) -> str:
        if self.role is not None and self.predicate is None:
            return f"the {self.role} role is required"
        return "this user is not allowed to do this"
