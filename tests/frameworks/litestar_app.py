"""A Litestar app for the tests."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get

from betterauth_jwt import Identity, Verifier
from betterauth_jwt.litestar import BetterAuth

NOTES = {"user_1": ["buy milk"], "user_2": ["call Ada"]}


def create_app(verifier: Verifier, **options: Any) -> Litestar:
    auth = BetterAuth(verifier, public_paths=["/health"], **options)

    @get("/me")
    async def me(request: Request[Identity, Any, Any]) -> dict[str, Any]:
        return {"user_id": request.user.user_id, "notes": NOTES.get(request.user.user_id, []),
                "scopes": list(request.auth.scopes)}  # fmt: skip

    @get("/maybe")
    async def maybe(request: Request[Identity | None, Any, Any]) -> dict[str, Any]:
        return {"user_id": request.user.user_id if request.user else None}

    @get("/admin", guards=[auth.require(role="admin")])
    async def admin(request: Request[Identity, Any, Any]) -> dict[str, str]:
        return {"admin": request.user.user_id}

    @get("/todos", guards=[auth.require(scopes=["todos:read"])])
    async def todos(request: Request[Identity, Any, Any]) -> dict[str, Any]:
        return {"todos": NOTES.get(request.user.user_id, [])}

    @get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @get("/open", opt={"exclude_from_auth": True})
    async def open_route() -> dict[str, bool]:
        return {"open": True}

    return Litestar([me, maybe, admin, todos, health, open_route], on_app_init=[auth.on_app_init])
