"""A Django project in one module for the tests: settings, views (sync, async, DRF) and URLs. No database configured,
so any query (a user row written or read) would fail the test that made it."""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

from betterauth_jwt.django import auth_required
from tests.frameworks._support import TOKENS

VERIFIER = TOKENS.verifier()
MIDDLEWARE = ["betterauth_jwt.django.BetterAuthMiddleware"]
BETTERAUTH_JWT = {"VERIFIER": f"{__name__}.VERIFIER", "SET_USER": True}


# What the tests run with: test_django.py applies it with override_settings, so that it holds whoever configured
# Django first in this process (the docs tests configure it too).
SETTINGS = {
    "DEBUG": False,
    "ALLOWED_HOSTS": ["*"],
    "ROOT_URLCONF": __name__,
    "MIDDLEWARE": MIDDLEWARE,
    "BETTERAUTH_JWT": BETTERAUTH_JWT,
    "REST_FRAMEWORK": {
        "DEFAULT_AUTHENTICATION_CLASSES": ["betterauth_jwt.rest_framework.BetterAuthAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": "betterauth_jwt.rest_framework.AnonymousUser",
    },
}


def configure() -> None:
    if not settings.configured:
        settings.configure(SECRET_KEY="tests-only-" + "x" * 40, USE_TZ=True, DATABASES={}, **SETTINGS)
        django.setup()


configure()

from rest_framework.permissions import IsAuthenticated  # noqa: E402 - needs the settings above
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from betterauth_jwt.rest_framework import HasRole, HasScope  # noqa: E402

NOTES = {"user_1": ["buy milk"], "user_2": ["call Ada"]}


def whoami(request: HttpRequest) -> JsonResponse:
    identity = getattr(request, "auth_identity", None)
    user = request.user if hasattr(request, "user") else None
    return JsonResponse({
        "user_id": identity.user_id if identity else None,
        "is_authenticated": bool(user and user.is_authenticated),
        "pk": getattr(user, "pk", None),
        "username": user.get_username() if user else None,
    })  # fmt: skip


@auth_required
def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"user_id": request.auth_identity.user_id, "notes": NOTES.get(request.auth_identity.user_id, [])}
    )  # type: ignore[attr-defined]


@auth_required
async def ame(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user_id": request.auth_identity.user_id, "async": True})  # type: ignore[attr-defined]


@auth_required(role="admin")
def admin(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"admin": request.auth_identity.user_id})  # type: ignore[attr-defined]


class DRFMe(APIView):
    def get(self, request: Request) -> Response:
        return Response({"user_id": request.auth.user_id, "pk": request.user.pk})


class DRFAdmin(APIView):
    permission_classes = (IsAuthenticated, HasRole("admin"))

    def get(self, request: Request) -> Response:
        return Response({"admin": request.user.pk})


class DRFTodos(APIView):
    permission_classes = (IsAuthenticated & HasScope("todos:read"),)

    def get(self, request: Request) -> Response:
        return Response({"todos": NOTES.get(request.user.pk, [])})


urlpatterns: list[Any] = [
    path("whoami", whoami),
    path("me", me),
    path("ame", ame),
    path("admin", admin),
    path("drf/me", DRFMe.as_view()),
    path("drf/admin", DRFAdmin.as_view()),
    path("drf/todos", DRFTodos.as_view()),
]
