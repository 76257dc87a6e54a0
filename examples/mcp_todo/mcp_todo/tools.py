"""The four tools, over the todo API's own data layer and route functions (examples/fastapi_todo/todo_api).

Isolation is the todo API's: the owner is always the user the verified access token names (``sub``), and it is part
of every SQL statement the shared route functions run. Another user's todo looks exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import anyio.to_thread
from fastapi import HTTPException
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session
from todo_api import routes
from todo_api.schemas import TaskCreate, TaskPage, TaskPatch, TaskRead

from betterauth_jwt import AccessGrant, InsufficientScopeError, InvalidTokenError

READ = "todos:read"
WRITE = "todos:write"
# Which scope each tool needs. scope_gate.py refuses a call without it with HTTP 403 before the tool runs; the tools
# check again (a server mounted without the gate still refuses).
TOOL_SCOPES: dict[str, frozenset[str]] = {
    "list_todos": frozenset({READ}),
    "add_todo": frozenset({WRITE}),
    "complete_todo": frozenset({WRITE}),
    "delete_todo": frozenset({WRITE}),
}

NO_USER = (
    "This server acts for a signed-in user, and this access token has none: it was issued to the client itself "
    "(client_credentials). Connect with an MCP client that signs a user in (authorization code flow)."
)

T = TypeVar("T")


class ToolRefused(Exception):
    """A refusal the MCP client should see as the tool's error message (the server wraps it as a tool error)."""


@dataclass(frozen=True, slots=True)
class Owner:
    """The one thing the todo API's route functions read from their ``user`` argument."""

    user_id: str


# The verified grant of the current request (None without one): the SDK-specific part, see server.py.
CurrentGrant = Callable[[], Awaitable[AccessGrant | None]]


class TodoTools:
    """The tools' logic, independent of the MCP SDK: ``current_grant`` gives the verified token of the request."""

    def __init__(self, engine: Engine, current_grant: CurrentGrant) -> None:
        self.engine = engine
        self.current_grant = current_grant

    async def owner(self, tool: str) -> Owner:
        """The user the request's token acts for, if it may use ``tool``. The grant comes from the verifier's cache
        (the SDK's bearer check verified this very token a moment ago), so this costs no signature check."""
        try:
            grant = await self.current_grant()
        except InvalidTokenError as exc:  # expired between the SDK's check and this call
            raise ToolRefused(f"the access token is no longer valid ({exc.code})") from None
        if grant is None:
            raise ToolRefused("not authenticated")
        try:
            grant.require_scopes(*TOOL_SCOPES[tool])
        except InsufficientScopeError as exc:
            raise ToolRefused(f"{tool} needs the scope {' '.join(sorted(exc.missing_scopes))}") from None
        if grant.user_id is None:
            raise ToolRefused(NO_USER)
        return Owner(grant.user_id)

    async def _run(self, function: Callable[[Session], T]) -> T:
        def in_session() -> T:
            with Session(self.engine, expire_on_commit=False) as session:
                try:
                    return function(session)
                except HTTPException as exc:  # the route functions' 404 for a missing (or someone else's) todo
                    raise ToolRefused(str(exc.detail)) from None

        # The database is synchronous: off the event loop.
        return await anyio.to_thread.run_sync(in_session)

    async def list_todos(
        self, owner: Owner, status: Literal["all", "active", "completed"], limit: int, offset: int
    ) -> TaskPage:
        return await self._run(
            lambda session: routes.list_tasks(
                owner, session, status_filter=status, sort="created", order="desc", limit=limit, offset=offset
            )
        )

    async def add_todo(self, owner: Owner, title: str, description: str) -> TaskRead:
        try:
            body = TaskCreate(title=title, description=description)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ToolRefused(f"invalid todo: {problems}") from None
        return await self._run(lambda session: routes.create_task(body, owner, session))

    async def complete_todo(self, owner: Owner, todo_id: int) -> TaskRead:
        return await self._run(lambda session: routes.update_task(todo_id, TaskPatch(completed=True), owner, session))

    async def delete_todo(self, owner: Owner, todo_id: int) -> None:
        await self._run(lambda session: routes.delete_task(todo_id, owner, session))
