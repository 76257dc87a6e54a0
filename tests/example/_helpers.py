"""Small request helpers shared by the example's tests."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from betterauth_jwt.testing import TokenFactory

Headers = dict[str, str]
NOT_FOUND = {"detail": "Task not found"}


def bearer(tokens: TokenFactory, user_id: str, **claims: Any) -> Headers:
    return {"Authorization": f"Bearer {tokens.access_token(user_id, **claims)}"}


def create(client: httpx.Client, who: Headers, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
    response = client.post("/api/tasks", json={"title": title, **fields}, headers=who)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def listing(client: httpx.Client, who: Headers, **params: Any) -> dict[str, Any]:
    response = client.get("/api/tasks", params=params, headers=who)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def titles(page: dict[str, Any]) -> list[str]:
    return [task["title"] for task in page["items"]]


def dead_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
