"""``request.user`` for Django and Django REST framework without a database row: what views, templates and permission
classes read of a user (``is_authenticated``, ``pk``/``id``, ``get_username()``), from a verified :class:`Identity`.
Nothing is saved and no ``User`` model is needed; ``has_perm`` is always false (permissions live in Better Auth:
use roles and scopes)."""

from __future__ import annotations

from .._kinds.oauth import AccessGrant
from .principal import Principal, granted_scopes, identity_roles

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
    """The user of a request with a verified token; ``identity`` is the :class:`Identity`, or with an
    ``OAuthVerifier`` the :class:`AccessGrant` (``pk`` is then its subject: the user, or the client for a machine)."""

    __slots__ = ("identity",)
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def __init__(self, identity: Principal) -> None:
        self.identity = identity

    @property
    def pk(self) -> str:
        identity = self.identity
        return identity.subject if isinstance(identity, AccessGrant) else identity.user_id

    id = pk

    @property
    def username(self) -> str:
        return self.email or self.pk

    @property
    def email(self) -> str:
        identity = self.identity
        return "" if isinstance(identity, AccessGrant) else identity.email or ""

    @property
    def roles(self) -> frozenset[str]:
        return identity_roles(self.identity)

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"IdentityUser({self.pk!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdentityUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)


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
