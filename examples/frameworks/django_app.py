"""Django + Django REST framework in one file: a protected /me and per-user notes.

    BETTER_AUTH_URL=http://localhost:3000 python django_app.py runserver 8000   # WSGI
    BETTER_AUTH_URL=http://localhost:3000 uvicorn django_app:application       # ASGI
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

settings.configure(
    DEBUG=os.environ.get("DJANGO_DEBUG") == "1",
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-" + "x" * 40),
    ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["betterauth_jwt.django.BetterAuthMiddleware"],
    BETTERAUTH_JWT={
        "BASE_URL": os.environ.get("BETTER_AUTH_URL", "http://localhost:3000"),
        "SECRET": os.environ.get("BETTER_AUTH_SECRET") or None,  # set only for HS256 tokens
        "SET_USER": True,  # request.user without a database row
    },
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["betterauth_jwt.rest_framework.BetterAuthAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": "betterauth_jwt.rest_framework.AnonymousUser",
    },
)
django.setup()

from rest_framework.request import Request  # noqa: E402 - DRF reads the settings above when imported
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from betterauth_jwt.django import auth_required  # noqa: E402
from betterauth_jwt.rest_framework import HasRole  # noqa: E402

NOTES: defaultdict[str, list[str]] = defaultdict(list)  # user id -> notes; a database in a real app


@auth_required
def me(request: HttpRequest) -> JsonResponse:
    identity = request.auth_identity  # type: ignore[attr-defined]
    return JsonResponse({"id": identity.user_id, "email": identity.email, "name": identity.name})


class Notes(APIView):
    def get(self, request: Request) -> Response:
        return Response(NOTES[request.user.pk])

    def post(self, request: Request) -> Response:
        NOTES[request.user.pk].append(str(request.data.get("text", "")))
        return Response(NOTES[request.user.pk], status=201)


class Users(APIView):
    permission_classes = (HasRole("admin"),)

    def get(self, request: Request) -> Response:
        return Response(sorted(NOTES))


urlpatterns = [path("me", me), path("notes", Notes.as_view()), path("admin/users", Users.as_view())]


def __getattr__(name: str) -> object:  # uvicorn django_app:application
    if name == "application":
        from django.core.asgi import get_asgi_application

        return get_asgi_application()
    raise AttributeError(name)


if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
