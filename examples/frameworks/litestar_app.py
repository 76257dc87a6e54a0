"""Litestar: a protected /me and per-user notes. Run: BETTER_AUTH_URL=http://localhost:3000 uvicorn litestar_app:app"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Annotated, Any

from litestar import Litestar, Request, get, post
from litestar.params import Body

from betterauth_jwt import Identity, Verifier
from betterauth_jwt.litestar import BetterAuth

AuthRequest = Request[Identity, Any, Any]
NOTES: defaultdict[str, list[str]] = defaultdict(list)  # user id -> notes; a database in a real app

base_url = os.environ.get("BETTER_AUTH_URL", "http://localhost:3000")
auth = BetterAuth(
    Verifier.for_better_auth(base_url, secret=os.environ.get("BETTER_AUTH_SECRET") or None),
    public_paths=["/health"],
)


@get("/me")
async def me(request: AuthRequest) -> dict[str, Any]:
    return {"id": request.user.user_id, "email": request.user.email, "name": request.user.name}


@get("/notes")
async def list_notes(request: AuthRequest) -> list[str]:
    return NOTES[request.user.user_id]


@post("/notes")
async def add_note(request: AuthRequest, data: Annotated[dict[str, str], Body()]) -> list[str]:
    NOTES[request.user.user_id].append(data.get("text", ""))
    return NOTES[request.user.user_id]


@get("/admin/users", guards=[auth.require(role="admin")])
async def users() -> list[str]:
    return sorted(NOTES)


@get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


app = Litestar([me, list_notes, add_note, users, health], on_app_init=[auth.on_app_init])
