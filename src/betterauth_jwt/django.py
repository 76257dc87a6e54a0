"""Django: a middleware that verifies the request's Better Auth token, and a view decorator that answers 401 in JSON.

::

    # settings.py
    MIDDLEWARE = [..., "betterauth_jwt.django.BetterAuthMiddleware"]
    BETTERAUTH_JWT = {"BASE_URL": "https://app.example.com"}       # JWKS; add "SECRET": ... for HS256
    # or {"VERIFIER": "myproject.auth.verifier"}: the dotted path of a Verifier or OAuthVerifier (or the object)

    # views.py
    from betterauth_jwt.django import auth_required

    @auth_required                       # or @auth_required(role="admin"), (scopes=["todos:read"]); sync and async
    def me(request):
        return JsonResponse({"user_id": request.auth_identity.user_id})

With an ``OAuthVerifier`` (an OAuth resource server), ``request.auth_identity`` is the
:class:`~betterauth_jwt.AccessGrant`, 401s carry ``resource_metadata`` and a missing scope is a 403
``insufficient_scope`` naming it in ``scope="..."``.

Other keys of ``BETTERAUTH_JWT``: ``"REQUIRED"`` (default false: the middleware lets requests without a token through
with ``request.auth_identity = None``; true: 401 for them, except ``"PUBLIC_PATHS"``/``"PUBLIC_PREFIXES"``),
``"SET_USER"`` (default false: when true, ``request.user`` is a lightweight user with ``is_authenticated``, ``pk``,
``get_username()``, and no database row) and ``"OPTIONS"`` (the authenticator's options: ``cookie``, ``realm``,
``on_outcome``...). A present but invalid token is a 401 wherever it is sent. The middleware runs in sync and async
stacks (``sync_and_async_middleware``); under ASGI it never blocks the event loop. Nothing is written to the database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast, overload

from ._web.extras import missing_extra

try:
    from asgiref.sync import iscoroutinefunction, markcoroutinefunction
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse
    from django.utils.decorators import sync_and_async_middleware
    from django.utils.functional import SimpleLazyObject
except ImportError as exc:  # pragma: no cover - exercised without django installed
    raise missing_extra("django", "django") from exc

from ._kinds.identity import Identity
from ._kinds.oauth import AccessGrant
from ._web.authenticator import Authenticator
from ._web.denial import Denied
from ._web.environ import environ_scope
from ._web.principal import Guard
from ._web.settings import SettingsAuth, settings_auth
from ._web.user import AnonymousIdentityUser, IdentityUser

__all__ = ["BetterAuthMiddleware", "auth_required", "get_authenticator"]

View = TypeVar("View", bound=Callable[..., Any])
_ANONYMOUS = AnonymousIdentityUser()


def _configured() -> SettingsAuth:
    return settings_auth(getattr(settings, "BETTERAUTH_JWT", None))


def get_authenticator() -> Authenticator:
    """The :class:`Authenticator` built from ``settings.BETTERAUTH_JWT`` (built once, rebuilt when the setting changes)."""
    return _configured().authenticator


def _response(denied: Denied) -> HttpResponse:
    return HttpResponse(
        denied.body, status=denied.status, content_type="application/json", headers=dict(denied.headers)
    )


def _scope(request: HttpRequest) -> dict[str, Any]:
    return environ_scope(request.META, request.path_info)


@sync_and_async_middleware
class BetterAuthMiddleware:
    """Sets ``request.auth_identity`` (an :class:`~betterauth_jwt.Identity`, an :class:`~betterauth_jwt.AccessGrant`
    with an ``OAuthVerifier``, or ``None``) on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        config = _configured()
        scope = _scope(request)
        identity = config.authenticator.cached_identity(scope)  # a token verified before: no parsing at all
        if identity is None:
            try:
                identity = config.authenticator.authenticate_sync(scope, required=config.requires(scope))
            except Denied as denied:
                return _response(denied)
        self._attach(request, identity, config.set_user)
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> Any:
        config = _configured()
        scope = _scope(request)
        identity = config.authenticator.cached_identity(scope)
        if identity is None:
            try:
                identity = await config.authenticator.authenticate(scope, required=config.requires(scope))
            except Denied as denied:
                return _response(denied)
        self._attach(request, identity, config.set_user)
        return await self.get_response(request)

    @staticmethod
    def _attach(request: HttpRequest, identity: Identity | AccessGrant | None, set_user: bool) -> None:
        request.auth_identity = identity
        if set_user:
            # Lazy, as Django's own AuthenticationMiddleware does: a view that never reads request.user pays nothing.
            request.user = SimpleLazyObject(lambda: IdentityUser(identity) if identity is not None else _ANONYMOUS)


@overload
def auth_required(view: View, /) -> View: ...


@overload
def auth_required(
    *,
    role: str | None = None,
    scopes: Collection[str] = (),
    check: Callable[[Identity | AccessGrant], bool] | None = None,
) -> Callable[[View], View]: ...


def auth_required(
    view: View | None = None,
    /,
    *,
    role: str | None = None,
    scopes: Collection[str] = (),
    check: Callable[[Identity | AccessGrant], bool] | None = None,
) -> View | Callable[[View], View]:
    """A view that needs a verified token (401 JSON with ``WWW-Authenticate`` without one, never a redirect to a login
    page) and, with ``role``, ``scopes`` or ``check``, an identity that satisfies them (403 ``insufficient_scope``, with
    ``scope="..."`` naming missing scopes). Uses the middleware's result; without the middleware, verifies the token
    itself with the ``BETTERAUTH_JWT`` settings."""
    wanted = frozenset(scopes)
    guard = (
        Guard(role=role, predicate=check, scopes=wanted) if role is not None or check is not None or wanted else None
    )

    def decorate(view: View) -> View:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                try:
                    if (identity := _checked(request, guard)) is None:
                        identity = await get_authenticator().authenticate(_scope(request), guard=guard)
                except Denied as denied:
                    return _response(denied)
                request.auth_identity = identity
                return await view(request, *args, **kwargs)

            return cast(View, async_view)

        @functools.wraps(view)
        def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                if (identity := _checked(request, guard)) is None:
                    identity = get_authenticator().authenticate_sync(_scope(request), guard=guard)
            except Denied as denied:
                return _response(denied)
            request.auth_identity = identity
            return view(request, *args, **kwargs)

        return cast(View, sync_view)

    return decorate(view) if view is not None else decorate


def _checked(request: HttpRequest, guard: Guard | None) -> Identity | AccessGrant | None:
    """The identity the middleware verified, guard applied; ``None`` when it left none (then verify here: the
    middleware may be absent, and with it a token would already have been refused)."""
    identity = getattr(request, "auth_identity", None)
    if identity is not None and guard is not None:
        get_authenticator().authorize(identity, guard, request.path_info)
    return cast("Identity | AccessGrant | None", identity)
