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


@dataclass(frozen=True, slots=True)
class Guard:
    """A condition on a verified identity (a role, a predicate, or both); a refusal is a 403."""

    role: str | None = None
    predicate: Callable[[Any], bool] | None = None

    def __post_init__(self) -> None:
        if self.role is None and self.predicate is None:
            raise ConfigurationError("require() needs role= or a predicate such as lambda identity: ...")
        if self.role is not None and (not isinstance(self.role, str) or not self.role.strip()):
            raise ConfigurationError("role must be a non-empty string")
        if self.predicate is not None and not callable(self.predicate):
            raise ConfigurationError("the predicate must be a callable taking the Identity")

    def allows(self, identity: Principal) -> bool:
        if self.role is not None and self.role not in identity_roles(identity):
            return False
        return self.predicate is None or bool(self.predicate(identity))

    @property
    def description(self) -> str:
        if self.role is not None and self.predicate is None:
            return f"the {self.role} role is required"
        return "this user is not allowed to do this"
