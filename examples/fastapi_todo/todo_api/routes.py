"""The ``/api`` routes. Every one requires a verified Better Auth token, and every query is scoped to its user.

Isolation rule: the owner is always ``user.user_id`` from the token, and it is part of the SQL statement itself
(``WHERE id = :id AND user_id = :user``). Another user's task therefore looks exactly like a missing one: the same 404,
the same body, from the same code path, so ids cannot be probed for existence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from sqlalchemy import ColumnElement, asc, delete, desc, func, not_, update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from betterauth_jwt import Identity
from betterauth_jwt.fastapi import CurrentUser  # the identity the app's BetterAuthMiddleware verified; 401 without one

from .db import SessionDep
from .models import Task
from .schemas import Me, TaskCreate, TaskPage, TaskPatch, TaskRead, TaskReplace

# The primary key is a 32-bit INTEGER on PostgreSQL; a larger id would be a database error, not a missing task.
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# col(): the SQL column behind a model attribute, for type checkers (they see Task.completed as a plain bool).
SORT_COLUMNS: dict[str, Mapped[Any]] = {
    "created": col(Task.created_at),
    "updated": col(Task.updated_at),
    "title": col(Task.title),
}
STATUS_FILTERS: dict[str, list[ColumnElement[bool]]] = {
    "all": [],
    "active": [col(Task.completed).is_(False)],
    "completed": [col(Task.completed).is_(True)],
}


def _now() -> datetime:
    return datetime.now(UTC)


def _owned(task_id: int, user: Identity) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return col(Task.id) == task_id, col(Task.user_id) == user.user_id


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")


def _get_owned(session: Session, task_id: int, user: Identity) -> Task:
    task = session.exec(select(Task).where(*_owned(task_id, user))).first()
    if task is None:
        raise _not_found()
    return task


def _update_owned(session: Session, task_id: int, user: Identity, values: dict[str, Any]) -> Task:
    # One UPDATE ... WHERE id AND user_id ... RETURNING: no read-then-write window, and a foreign id matches no row.
    statement = (
        update(Task)
        .where(*_owned(task_id, user))
        .values(**values, updated_at=_now())
        .returning(Task)
        .execution_options(synchronize_session=False)
    )
    task: Task | None = session.exec(statement).scalar_one_or_none()
    if task is None:
        raise _not_found()
    session.commit()
    return task


router = APIRouter(prefix="/api")


@router.get("/me", tags=["me"])
async def read_me(user: CurrentUser) -> Me:
    return Me(
        user_id=user.user_id,
        email=user.email,
        name=user.name,
        email_verified=user.email_verified,
        image=user.image,
        session_id=user.session_id,
        issued_at=user.issued_at,
        expires_at=user.expires_at,
    )


@router.get("/tasks", tags=["tasks"])
def list_tasks(
    user: CurrentUser,
    session: SessionDep,
    status_filter: Annotated[Literal["all", "active", "completed"], Query(alias="status")] = "all",
    sort: Literal["created", "updated", "title"] = "created",
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> TaskPage:
    mine = [col(Task.user_id) == user.user_id, *STATUS_FILTERS[status_filter]]
    total = session.exec(select(func.count()).select_from(Task).where(*mine)).one()
    direction = asc if order == "asc" else desc
    # id breaks ties, so pages never overlap or skip rows when timestamps or titles are equal.
    query = select(Task).where(*mine).order_by(direction(SORT_COLUMNS[sort]), direction(col(Task.id)))
    tasks = session.exec(query.limit(limit).offset(offset)).all()
    items = [TaskRead.model_validate(task) for task in tasks]
    return TaskPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/tasks", status_code=status.HTTP_201_CREATED, tags=["tasks"])
def create_task(body: TaskCreate, user: CurrentUser, session: SessionDep) -> TaskRead:
    now = _now()
    task = Task(**body.model_dump(), user_id=user.user_id, created_at=now, updated_at=now)
    session.add(task)
    session.commit()
    return TaskRead.model_validate(task)


@router.get("/tasks/{task_id}", tags=["tasks"], responses={404: {"description": "Task not found"}})
def read_task(task_id: TaskId, user: CurrentUser, session: SessionDep) -> TaskRead:
    return TaskRead.model_validate(_get_owned(session, task_id, user))


@router.put("/tasks/{task_id}", tags=["tasks"], responses={404: {"description": "Task not found"}})
def replace_task(task_id: TaskId, body: TaskReplace, user: CurrentUser, session: SessionDep) -> TaskRead:
    return TaskRead.model_validate(_update_owned(session, task_id, user, body.model_dump()))


@router.patch("/tasks/{task_id}", tags=["tasks"], responses={404: {"description": "Task not found"}})
def update_task(task_id: TaskId, body: TaskPatch, user: CurrentUser, session: SessionDep) -> TaskRead:
    changes = body.model_dump(exclude_unset=True)
    if not changes:  # nothing to change: not a modification, so updated_at stays
        return TaskRead.model_validate(_get_owned(session, task_id, user))
    return TaskRead.model_validate(_update_owned(session, task_id, user, changes))


@router.patch("/tasks/{task_id}/complete", tags=["tasks"], responses={404: {"description": "Task not found"}})
def toggle_task(task_id: TaskId, user: CurrentUser, session: SessionDep) -> TaskRead:
    # Flipped in SQL, so two concurrent toggles give two flips rather than one lost update.
    return TaskRead.model_validate(_update_owned(session, task_id, user, {"completed": not_(col(Task.completed))}))


@router.delete(
    "/tasks/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["tasks"],
    responses={404: {"description": "Task not found"}},
)
def delete_task(task_id: TaskId, user: CurrentUser, session: SessionDep) -> Response:
    if session.exec(delete(Task).where(*_owned(task_id, user))).rowcount == 0:
        raise _not_found()
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
