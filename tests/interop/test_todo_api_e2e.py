"""End to end: a real Better Auth server issues tokens to two real users; the example todo API, run as its own process
in JWKS mode against that server, keeps each user's tasks to that user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.interop.conftest import new_email
from tests.interop.harness import BetterAuthServer, sign_up
from tests.interop.todo_server import TodoAPIServer

PASSWORD = "correct horse battery staple"


@pytest.fixture
def todo_api(better_auth: BetterAuthServer, tmp_path: Path) -> Iterator[TodoAPIServer]:
    env = {"BETTER_AUTH_URL": better_auth.base_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}"}
    with TodoAPIServer(env) as server:
        yield server


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_two_real_users_cannot_see_or_change_each_others_tasks(
    better_auth: BetterAuthServer, todo_api: TodoAPIServer
) -> None:
    with (
        sign_up(better_auth.base_url, new_email("alice"), PASSWORD, "Alice") as alice,
        sign_up(better_auth.base_url, new_email("bob"), PASSWORD, "Bob") as bob,
        httpx.Client(base_url=todo_api.url, timeout=10) as api,
    ):
        alice_token, bob_token = alice.token(), bob.token()
        me = api.get("/api/me", headers=bearer(alice_token))
        assert me.status_code == 200
        assert me.json()["user_id"] == alice.user["id"]

        created = api.post("/api/tasks", json={"title": "Alice's secret"}, headers=bearer(alice_token))
        assert created.status_code == 201
        task_id = created.json()["id"]
        assert api.post("/api/tasks", json={"title": "Bob's"}, headers=bearer(bob_token)).status_code == 201

        bobs_view = api.get("/api/tasks", headers=bearer(bob_token)).json()
        assert [task["title"] for task in bobs_view["items"]] == ["Bob's"]
        assert bobs_view["total"] == 1

        missing = api.get("/api/tasks/999999", headers=bearer(bob_token))
        for response in (
            api.get(f"/api/tasks/{task_id}", headers=bearer(bob_token)),
            api.put(
                f"/api/tasks/{task_id}",
                json={"title": "x", "description": "", "completed": True},
                headers=bearer(bob_token),
            ),
            api.patch(f"/api/tasks/{task_id}", json={"title": "pwned"}, headers=bearer(bob_token)),
            api.patch(f"/api/tasks/{task_id}/complete", headers=bearer(bob_token)),
            api.delete(f"/api/tasks/{task_id}", headers=bearer(bob_token)),
        ):
            assert response.status_code == 404
            assert response.content == missing.content  # no existence leak

        alices_task = api.get(f"/api/tasks/{task_id}", headers=bearer(alice_token)).json()
        assert alices_task["title"] == "Alice's secret"
        assert alices_task["completed"] is False

        assert api.get("/api/tasks").status_code == 401
        assert api.get("/api/tasks", headers=bearer(alice.bearer_token() or "")).status_code == 401
