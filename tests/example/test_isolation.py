"""Isolation as a state machine: several users do random things to their own and each other's task ids.

The model is a dict per user of the tasks they created (as the API last returned them). After every step, each user's
view through the API equals their model, and the database agrees on who owns every row. So no user ever sees or
changes a task they did not create, and what they did to their own tasks had exactly the expected effect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, delete, select
from todo_api.models import Task

from betterauth_jwt.testing import TokenFactory
from tests.example._helpers import NOT_FOUND, Headers, bearer
from tests.example._server import LiveServer

USERS = ("alice", "bob", "carol")
Model = dict[str, dict[int, dict[str, Any]]]

# Any Unicode text a database can store (PostgreSQL refuses NUL; lone surrogates are not text): the API refuses those
# with a 422, which test_tasks covers.
_chars = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
titles = st.text(_chars, min_size=1, max_size=30).filter(lambda title: title.strip())
descriptions = st.text(_chars, max_size=40)
users = st.sampled_from(USERS)
any_id = st.integers(min_value=1, max_value=2**31 - 1)


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


SORT_KEYS = {
    "created": lambda task: (_when(task["created_at"]), task["id"]),
    "updated": lambda task: (_when(task["updated_at"]), task["id"]),
    "title": lambda task: (task["title"], task["id"]),
}


class IsolationMachine(RuleBasedStateMachine):
    client: ClassVar[httpx.Client]
    headers: ClassVar[dict[str, Headers]]
    engine: ClassVar[Engine]

    tasks = Bundle("tasks")  # every id ever created, including deleted ones

    def __init__(self) -> None:
        super().__init__()
        with self.engine.begin() as connection:
            connection.execute(delete(Task))
        self.model: Model = {user: {} for user in USERS}

    def _send(self, user: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.request(method, path, json=body, headers=self.headers[user])

    def _expect_own_or_404(self, user: str, task_id: int, response: httpx.Response) -> dict[str, Any] | None:
        """The task as returned if ``user`` owns ``task_id``; otherwise assert the uniform 404 and return None."""
        if task_id in self.model[user]:
            assert response.status_code in (200, 204), response.text
            return response.json() if response.status_code == 200 else None
        assert response.status_code == 404, response.text
        assert response.json() == NOT_FOUND
        return None

    @rule(target=tasks, user=users, title=titles, description=descriptions)
    def create(self, user: str, title: str, description: str) -> int:
        response = self._send(user, "POST", "/api/tasks", {"title": title, "description": description})
        assert response.status_code == 201, response.text
        task = response.json()
        assert (task["user_id"], task["title"], task["description"], task["completed"]) == (
            user,
            title.strip(),
            description,
            False,
        )
        assert all(task["id"] not in owned for owned in self.model.values())
        self.model[user][task["id"]] = task
        return int(task["id"])

    @rule(user=users, task_id=tasks)
    def read(self, user: str, task_id: int) -> None:
        task = self._expect_own_or_404(user, task_id, self._send(user, "GET", f"/api/tasks/{task_id}"))
        if task is not None:
            assert task == self.model[user][task_id]

    @rule(user=users, task_id=any_id)
    def read_any_id(self, user: str, task_id: int) -> None:
        self.read(user, task_id)

    @rule(user=users, task_id=tasks, title=titles, description=descriptions, completed=st.booleans())
    def replace(self, user: str, task_id: int, title: str, description: str, completed: bool) -> None:
        body = {"title": title, "description": description, "completed": completed}
        task = self._expect_own_or_404(user, task_id, self._send(user, "PUT", f"/api/tasks/{task_id}", body))
        if task is not None:
            before = self.model[user][task_id]
            assert (task["title"], task["description"], task["completed"]) == (title.strip(), description, completed)
            assert (task["id"], task["user_id"], task["created_at"]) == (task_id, user, before["created_at"])
            assert _when(task["updated_at"]) >= _when(before["updated_at"])
            self.model[user][task_id] = task

    @rule(
        user=users,
        task_id=tasks,
        changes=st.fixed_dictionaries(
            {}, optional={"title": titles, "description": descriptions, "completed": st.booleans()}
        ),
    )
    def patch(self, user: str, task_id: int, changes: dict[str, Any]) -> None:
        task = self._expect_own_or_404(user, task_id, self._send(user, "PATCH", f"/api/tasks/{task_id}", changes))
        if task is not None:
            expected = {**self.model[user][task_id], **changes, "updated_at": task["updated_at"]}
            if "title" in changes:
                expected["title"] = changes["title"].strip()
            if not changes:
                assert task["updated_at"] == self.model[user][task_id]["updated_at"]
            assert task == expected
            self.model[user][task_id] = task

    @rule(user=users, task_id=tasks)
    def toggle(self, user: str, task_id: int) -> None:
        task = self._expect_own_or_404(user, task_id, self._send(user, "PATCH", f"/api/tasks/{task_id}/complete"))
        if task is not None:
            before = self.model[user][task_id]
            assert task == {**before, "completed": not before["completed"], "updated_at": task["updated_at"]}
            self.model[user][task_id] = task

    @rule(user=users, task_id=tasks)
    def delete(self, user: str, task_id: int) -> None:
        response = self._send(user, "DELETE", f"/api/tasks/{task_id}")
        self._expect_own_or_404(user, task_id, response)
        if task_id in self.model[user]:
            assert response.status_code == 204
            del self.model[user][task_id]

    @rule(
        user=users,
        status=st.sampled_from(["all", "active", "completed"]),
        sort=st.sampled_from(["created", "updated", "title"]),
        order=st.sampled_from(["asc", "desc"]),
        limit=st.integers(min_value=1, max_value=5),
        offset=st.integers(min_value=0, max_value=8),
    )
    def list_page(self, user: str, status: str, sort: str, order: str, limit: int, offset: int) -> None:
        params = {"status": status, "sort": sort, "order": order, "limit": limit, "offset": offset}
        response = self.client.get("/api/tasks", params=params, headers=self.headers[user])
        assert response.status_code == 200, response.text
        mine = [
            task
            for task in self.model[user].values()
            if status == "all" or task["completed"] == (status == "completed")
        ]
        mine.sort(key=SORT_KEYS[sort], reverse=order == "desc")
        assert response.json() == {
            "items": mine[offset : offset + limit],
            "total": len(mine),
            "limit": limit,
            "offset": offset,
        }

    @invariant()
    def each_user_sees_exactly_their_own_tasks(self) -> None:
        for user in USERS:
            response = self.client.get("/api/tasks", params={"limit": 100}, headers=self.headers[user])
            assert response.status_code == 200, response.text
            seen = {task["id"]: task for task in response.json()["items"]}
            assert seen == self.model[user]

    @invariant()
    def the_database_agrees_on_every_owner(self) -> None:
        with self.engine.connect() as connection:
            owners = {task_id: user for task_id, user in connection.execute(select(Task.id, Task.user_id))}
        assert owners == {task_id: user for user, owned in self.model.items() for task_id in owned}


@pytest.mark.slow  # about 10 s per backend on an idle machine
def test_no_user_ever_sees_or_changes_a_task_they_did_not_create(
    server: LiveServer, client: httpx.Client, tokens: TokenFactory
) -> None:
    machine = type(
        "BoundIsolationMachine",
        (IsolationMachine,),
        {
            "client": client,
            "headers": {user: bearer(tokens, user) for user in USERS},
            "engine": server.app.state.engine,
        },
    )
    run_state_machine_as_test(machine, settings=settings(max_examples=20, stateful_step_count=25, deadline=None))
