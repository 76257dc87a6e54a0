"""Django REST framework: an authentication class and permission classes for Better Auth tokens.

::

    # settings.py: the same BETTERAUTH_JWT setting as betterauth_jwt.django (the middleware is optional here)
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["betterauth_jwt.rest_framework.BetterAuthAuthentication"],
        "UNAUTHENTICATED_USER": "betterauth_jwt.rest_framework.AnonymousUser",  # no django.contrib.auth needed
    }

    class AdminReport(APIView):
        permission_classes = [IsAuthenticated, HasRole("admin")]   # HasRole(...) and HasScope(...) go in as they are

``request.user`` is a lightweight user (``is_authenticated``, ``pk``, ``get_username()``; no database row) and
``request.auth`` the :class:`~betterauth_jwt.Identity`, or with an ``OAuthVerifier`` (``"VERIFIER"``) the
:class:`~betterauth_jwt.AccessGrant`, whose scopes ``HasScope`` checks (DRF answers a refused permission 403 with the
body ``{"detail": ..., "code": "insufficient_scope"}`` and no ``WWW-Authenticate``; a 401 carries
``resource_metadata``). A request without a token is anonymous; a refused token is a 401 with ``WWW-Authenticate: Bearer
... error="invalid_token"`` (:meth:`BetterAuthAuthentication.authenticate_header` is what makes DRF answer 401 rather
than 403) and the body ``{"detail": ..., "code": ...}``; a token without an ``OAuthVerifier``'s ``required_scopes`` is a
403 ``insufficient_scope`` with its ``scope="..."`` challenge; a JWKS outage is a 503 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any, cast

from ._web.extras import missing_extra

try:
    from django.conf import settings
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.exceptions import APIException, AuthenticationFailed, PermissionDenied
    from rest_framework.permissions import BasePermission, OperationHolderMixin
except ImportError as exc:  # pragma: no cover - exercised without djangorestframework installed
    raise missing_extra("djangorestframework", "rest_framework", "django") from exc

from ._kinds.identity import Identity
from ._kinds.oauth import AccessGrant
from ._web.authenticator import Authenticator
from ._web.denial import Denied
from ._web.environ import environ_scope
from ._web.principal import granted_scopes, identity_roles
from ._web.settings import settings_auth
from ._web.user import AnonymousIdentityUser, IdentityUser

__all__ = ["AnonymousUser", "BetterAuthAuthentication", "HasRole", "HasScope"]

AnonymousUser = AnonymousIdentityUser
"""For ``REST_FRAMEWORK["UNAUTHENTICATED_USER"]``: an anonymous user without ``django.contrib.auth`` installed."""

_DENIED = "_betterauth_denied"  # the refusal of this request, for authenticate_header


class KeysUnavailable(APIException):  # type: ignore[misc]
    """503: the keys could not be obtained. DRF's handler turns ``wait`` into ``Retry-After``."""

    status_code = 503
    default_code = "keys_unavailable"


def _authenticator() -> Authenticator:
    return settings_auth(getattr(settings, "BETTERAUTH_JWT", None)).authenticator


class BetterAuthAuthentication(BaseAuthentication):  # type: ignore[misc]
    """Verifies ``Authorization: Bearer`` (and the cookie, if configured) with the ``BETTERAUTH_JWT`` settings."""

    def authenticate(self, request: Any) -> tuple[IdentityUser, Identity | AccessGrant] | None:
        http = request._request
        identity = getattr(http, "auth_identity", None)  # verified by betterauth_jwt.django's middleware
        if identity is None:
            try:
                identity = _authenticator().authenticate_sync(environ_scope(http.META, http.path_info), required=False)
            except Denied as denied:
                setattr(http, _DENIED, denied)
                raise _exception(denied) from None
        if identity is None:
            return None
        identity = cast("Identity | AccessGrant", identity)
        return IdentityUser(identity), identity

    def authenticate_header(self, request: Any) -> str:
        denied = getattr(request._request, _DENIED, None)
        headers = dict(denied.headers) if denied is not None else {}
        return headers.get("WWW-Authenticate") or _authenticator().challenge()[0][1]


def _exception(denied: Denied) -> APIException:
    body = {"detail": denied.detail, "code": denied.code}
    if denied.status == 503:
        error = KeysUnavailable(body)
        error.wait = int(dict(denied.headers)["Retry-After"])
        return error
    if denied.status == 403:  # the verifier's required_scopes, a cross-site cookie: DRF's 403, our challenge kept
        error = PermissionDenied(body, denied.code)
        error.auth_header = dict(denied.headers).get("WWW-Authenticate")  # DRF's exception handler sends it
        return error
    return AuthenticationFailed(body, denied.code)


class _IdentityPermission(OperationHolderMixin, BasePermission):  # type: ignore[misc]
    """A permission *instance* that DRF can also call like a class (``permission_classes = [HasRole("admin")]``),
    and combine with ``&``, ``|`` and ``~``."""

    def __call__(self) -> _IdentityPermission:
        return self

    def has_permission(self, request: Any, view: Any) -> bool:
        identity = request.auth
        if not isinstance(identity, Identity | AccessGrant):
            return False  # DRF answers 401 (with our challenge) for an anonymous request, 403 otherwise
        return self.allows(identity)

    def allows(self, identity: Identity | AccessGrant) -> bool:
        raise NotImplementedError


class HasRole(_IdentityPermission):
    """Allows an identity with at least one of ``roles`` (Better Auth's admin plugin ``role``)."""

    def __init__(self, *roles: str) -> None:
        if not roles or not all(isinstance(role, str) and role for role in roles):
            raise TypeError("HasRole needs one or more role names, e.g. HasRole('admin')")
        self.roles = frozenset(roles)
        wanted = roles[0] if len(roles) == 1 else " or ".join(sorted(self.roles))
        self.message = {"detail": f"the {wanted} role is required", "code": "insufficient_scope"}

    def allows(self, identity: Identity | AccessGrant) -> bool:
        return bool(self.roles & identity_roles(identity))


class HasScope(_IdentityPermission):
    """Allows an identity holding every one of ``scopes``: an ``AccessGrant``'s scopes, or a first-party token's
    ``scope`` claim."""

    def __init__(self, *scopes: str) -> None:
        if not scopes or not all(isinstance(scope, str) and scope for scope in scopes):
            raise TypeError("HasScope needs one or more scopes, e.g. HasScope('todos:read')")
        self.scopes = frozenset(scopes)
        self.message = {
            "detail": f"the scope {' '.join(sorted(self.scopes))!r} is required",
            "code": "insufficient_scope",
        }

    def allows(self, identity: Identity | AccessGrant) -> bool:
        return self.scopes <= granted_scopes(identity)
