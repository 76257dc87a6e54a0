"""``request.user`` for Django and Django REST framework without a database row: what views, templates and permission
classes read of a user (``is_authenticated``, ``pk``/``id``, ``get_username()``), from a verified :class:`Identity`.
Nothing is saved and no ``User`` model is needed; ``has_perm`` is always false (permissions live in Better Auth:
use roles and scopes)."""

from __future__ import annotations

from typing import Any

from .._kinds.identity import Identity
from .principal import identity_roles

__all__ = ["AnonymousIdentityUser", "IdentityUser", "granted_scopes"]


class _PermissionlessUser:
    __slots__ = ()
    is_active = False
    is_staff = False
    is_superuser = False

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_perms(self, perm_list: object, obj: object = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False


class IdentityUser(_PermissionlessUser):
    """The user of a request with a verified token; ``identity`` is the :class:`Identity`."""

    __slots__ = ("identity",)
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    @property
    def pk(self) -> str:
        return self.identity.user_id

    id = pk

    @property
    def username(self) -> str:
        return self.identity.email or self.identity.user_id

    @property
    def email(self) -> str:
        return self.identity.email or ""

    @property
    def roles(self) -> frozenset[str]:
        return identity_roles(self.identity)

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"IdentityUser({self.identity.user_id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdentityUser) and other.identity.user_id == self.identity.user_id

    def __hash__(self) -> int:
        return hash(self.identity.user_id)


class AnonymousIdentityUser(_PermissionlessUser):
    """The user of a request without a token (Django's ``AnonymousUser`` shape, without ``django.contrib.auth``)."""

    __slots__ = ()
    is_authenticated = False
    is_anonymous = True
    pk = id = None
    username = email = ""
    roles: frozenset[str] = frozenset()

    def get_username(self) -> str:
        return ""

    def __str__(self) -> str:
        return "AnonymousUser"

    def __repr__(self) -> str:
        return "AnonymousIdentityUser()"


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
