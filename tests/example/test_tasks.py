"""Every endpoint of the todo example, with two users, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from todo_api import Settings, create_app

from betterauth_jwt.testing import TokenFactory
from tests.example._helpers import NOT_FOUND, Headers, bearer, create, listing, titles
from tests.example._server import LiveServer

# -- each endpoint, for its owner ------------------------------------------------------------------------------------


def test_create_returns_201_and_the_task_owned_by_the_caller(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice, "  Buy milk  ", description="2 litres")

    assert task["title"] == "Buy milk"  # trimmed
    assert task["description"] == "2 litres"
    assert task["completed"] is False
    assert task["user_id"] == "alice"
    assert isinstance(task["id"], int)
    created = datetime.fromisoformat(task["created_at"])
    assert created.utcoffset() == timedelta(0)  # UTC, on both backends
    assert task["updated_at"] == task["created_at"]
    assert set(task) == {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}


def test_read_returns_the_stored_task(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice, "Café ☕ 𝄞 — 日本語")  # non-ASCII survives both backends

    response = client.get(f"/api/tasks/{task['id']}", headers=alice)

    assert response.status_code == 200
    assert response.json() == task


def test_list_shows_only_the_callers_tasks(client: httpx.Client, alice: Headers, bob: Headers) -> None:
    create(client, alice, "alice 1")
    create(client, alice, "alice 2")
    create(client, bob, "bob 1")

    mine = listing(client, alice)
    theirs = listing(client, bob)

    assert sorted(titles(mine)) == ["alice 1", "alice 2"]
    assert mine["total"] == 2
    assert titles(theirs) == ["bob 1"]
    assert theirs["total"] == 1
    assert {task["user_id"] for task in mine["items"]} == {"alice"}


def test_list_filters_by_status(client: httpx.Client, alice: Headers) -> None:
    done = create(client, alice, "done")
    create(client, alice, "todo")
    client.patch(f"/api/tasks/{done['id']}/complete", headers=alice)

    assert titles(listing(client, alice, status="completed")) == ["done"]
    assert titles(listing(client, alice, status="active")) == ["todo"]
    assert sorted(titles(listing(client, alice, status="all"))) == ["done", "todo"]


def test_list_sorts_and_breaks_ties_by_id(client: httpx.Client, alice: Headers) -> None:
    for title in ["b", "a", "c", "a"]:
        create(client, alice, title)

    assert titles(listing(client, alice, sort="title", order="asc")) == ["a", "a", "b", "c"]
    assert titles(listing(client, alice, sort="title", order="desc")) == ["c", "b", "a", "a"]
    by_title = listing(client, alice, sort="title", order="asc")["items"]
    assert by_title[0]["id"] < by_title[1]["id"]  # equal titles: id order
    assert titles(listing(client, alice, sort="created", order="asc")) == ["b", "a", "c", "a"]
    assert titles(listing(client, alice)) == ["a", "c", "a", "b"]  # default: newest first


def test_list_sorts_by_last_update(client: httpx.Client, alice: Headers) -> None:
    first = create(client, alice, "first")
    create(client, alice, "second")
    client.patch(f"/api/tasks/{first['id']}", json={"description": "touched"}, headers=alice)

    assert titles(listing(client, alice, sort="updated", order="desc")) == ["first", "second"]
    assert titles(listing(client, alice, sort="updated", order="asc")) == ["second", "first"]


def test_list_paginates_with_a_total(client: httpx.Client, alice: Headers, bob: Headers) -> None:
    for number in range(5):
        create(client, alice, f"task {number}")
    create(client, bob, "not counted")

    pages = [listing(client, alice, sort="created", order="asc", limit=2, offset=offset) for offset in (0, 2, 4, 6)]

    assert [titles(page) for page in pages] == [["task 0", "task 1"], ["task 2", "task 3"], ["task 4"], []]
    assert {(page["total"], page["limit"]) for page in pages} == {(5, 2)}
    assert [page["offset"] for page in pages] == [0, 2, 4, 6]


def test_put_replaces_every_editable_field(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice, "old", description="old description")

    response = client.put(f"/api/tasks/{task['id']}", json={"title": " new ", "completed": True}, headers=alice)

    assert response.status_code == 200
    replaced = response.json()
    assert (replaced["title"], replaced["description"], replaced["completed"]) == ("new", "", True)
    assert replaced["created_at"] == task["created_at"]
    assert replaced["updated_at"] > task["updated_at"]
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == replaced


def test_patch_changes_only_the_fields_sent(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice, "title", description="description")

    response = client.patch(f"/api/tasks/{task['id']}", json={"completed": True}, headers=alice)

    assert response.status_code == 200
    patched = response.json()
    assert (patched["title"], patched["description"], patched["completed"]) == ("title", "description", True)
    assert patched["updated_at"] > task["updated_at"]


def test_an_empty_patch_changes_nothing(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice)

    response = client.patch(f"/api/tasks/{task['id']}", json={}, headers=alice)

    assert response.status_code == 200
    assert response.json() == task  # updated_at included: nothing was modified


def test_toggle_flips_completed_each_time(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice)

    first = client.patch(f"/api/tasks/{task['id']}/complete", headers=alice)
    second = client.patch(f"/api/tasks/{task['id']}/complete", headers=alice)

    assert (first.status_code, first.json()["completed"]) == (200, True)
    assert (second.status_code, second.json()["completed"]) == (200, False)


def test_delete_answers_204_then_the_task_is_gone(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice)

    response = client.delete(f"/api/tasks/{task['id']}", headers=alice)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).status_code == 404
    assert client.delete(f"/api/tasks/{task['id']}", headers=alice).status_code == 404
    assert listing(client, alice)["total"] == 0


def test_me_returns_the_callers_identity(client: httpx.Client, tokens: TokenFactory) -> None:
    token = tokens.access_token("alice", name="Alice", email="alice@example.com", emailVerified=True)

    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    me = response.json()
    claims = tokens.access_claims("alice")
    assert me["user_id"] == "alice"
    assert (me["email"], me["name"], me["email_verified"]) == ("alice@example.com", "Alice", True)
    assert datetime.fromisoformat(me["expires_at"]).timestamp() == pytest.approx(claims["exp"], abs=5)
    assert set(me) >= {"user_id", "email", "name", "email_verified", "image", "issued_at", "expires_at"}


# -- another user's task: always 404, never a change ----------------------------------------------------------------

FOREIGN_OPERATIONS = [
    pytest.param("GET", "", None, id="read"),
    pytest.param("PUT", "", {"title": "hijacked", "completed": True}, id="replace"),
    pytest.param("PATCH", "", {"title": "hijacked"}, id="patch"),
    pytest.param("PATCH", "/complete", None, id="toggle"),
    pytest.param("DELETE", "", None, id="delete"),
]


@pytest.mark.parametrize(("method", "suffix", "body"), FOREIGN_OPERATIONS)
def test_another_users_task_is_404_like_a_missing_one_and_stays_unchanged(
    client: httpx.Client, alice: Headers, bob: Headers, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    task = create(client, alice, "private", description="alice only")
    before = listing(client, alice)

    foreign = client.request(method, f"/api/tasks/{task['id']}{suffix}", json=body, headers=bob)
    missing = client.request(method, f"/api/tasks/{task['id'] + 1000}{suffix}", json=body, headers=bob)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == NOT_FOUND
    # No existence leak: byte for byte the same answer as for an id that does not exist.
    assert foreign.content == missing.content
    assert foreign.headers == missing.headers
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == task
    assert listing(client, alice) == before
    assert listing(client, bob)["total"] == 0


def test_the_owner_cannot_be_chosen_by_the_client(client: httpx.Client, alice: Headers, bob: Headers) -> None:
    smuggled = client.post("/api/tasks", json={"title": "x", "user_id": "bob"}, headers=alice)
    task = create(client, alice)
    moved = client.patch(f"/api/tasks/{task['id']}", json={"user_id": "bob"}, headers=alice)
    renumbered = client.put(f"/api/tasks/{task['id']}", json={"title": "x", "id": task["id"] + 1}, headers=alice)

    for response in (smuggled, moved, renumbered):
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "extra_forbidden"
    assert listing(client, bob)["total"] == 0
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == task


# -- validation ------------------------------------------------------------------------------------------------------

INVALID_BODIES = [
    pytest.param({}, ["body", "title"], id="title-missing"),
    pytest.param({"title": "   "}, ["body", "title"], id="title-blank"),
    pytest.param({"title": "x" * 201}, ["body", "title"], id="title-too-long"),
    pytest.param({"title": 42}, ["body", "title"], id="title-not-a-string"),
    pytest.param({"title": "a\x00b"}, ["body", "title"], id="title-nul"),
    pytest.param({"title": "ok", "description": "d" * 1001}, ["body", "description"], id="description-too-long"),
    pytest.param({"title": "ok", "description": None}, ["body", "description"], id="description-null"),
]


@pytest.mark.parametrize(("body", "loc"), INVALID_BODIES)
def test_invalid_task_is_422_naming_the_field(client: httpx.Client, alice: Headers, body: Any, loc: list[str]) -> None:
    response = client.post("/api/tasks", json=body, headers=alice)

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [loc]
    assert all(error["msg"] for error in errors)
    assert listing(client, alice)["total"] == 0


def test_title_limits_count_characters_after_trimming(client: httpx.Client, alice: Headers) -> None:
    task = create(client, alice, "  " + "é" * 200 + "  ")
    assert task["title"] == "é" * 200


def test_a_lone_surrogate_is_refused_not_a_server_error(client: httpx.Client, alice: Headers) -> None:
    # JSON may escape an unpaired surrogate; no database driver can encode it.
    raw = b'{"title": "bad \\ud800 title"}'
    response = client.post("/api/tasks", content=raw, headers={**alice, "Content-Type": "application/json"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": None}, id="title-null"),
        pytest.param({"completed": None}, id="completed-null"),
        pytest.param({"completed": "yes"}, id="completed-not-a-boolean"),
        pytest.param({"title": ""}, id="title-empty"),
    ],
)
def test_invalid_patch_is_422_and_changes_nothing(client: httpx.Client, alice: Headers, body: dict[str, Any]) -> None:
    task = create(client, alice)

    response = client.patch(f"/api/tasks/{task['id']}", json=body, headers=alice)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", next(iter(body))]
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json() == task


@pytest.mark.parametrize(
    "query",
    ["status=done", "sort=priority", "order=up", "limit=0", "limit=101", "offset=-1", "limit=ten"],
)
def test_invalid_list_parameters_are_422(client: httpx.Client, alice: Headers, query: str) -> None:
    response = client.get(f"/api/tasks?{query}", headers=alice)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", query.split("=")[0]]


@pytest.mark.parametrize("task_id", ["0", "-1", "abc", str(2**31), str(2**64)])
def test_invalid_task_ids_are_422(client: httpx.Client, alice: Headers, task_id: str) -> None:
    response = client.get(f"/api/tasks/{task_id}", headers=alice)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "task_id"]


# -- authentication --------------------------------------------------------------------------------------------------

API_ROUTES = [
    ("GET", "/api/me"),
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks/1"),
    ("PUT", "/api/tasks/1"),
    ("PATCH", "/api/tasks/1"),
    ("PATCH", "/api/tasks/1/complete"),
    ("DELETE", "/api/tasks/1"),
]


def refused_tokens(tokens: TokenFactory) -> dict[str, str]:
    stranger = TokenFactory("EdDSA", issuer=tokens.issuer)  # same issuer, a key the API does not trust
    return {
        "garbage": "not-a-jwt",
        "expired": tokens.access_token("alice", issued_at=tokens.clock() - 3600, expires_in=900),
        "foreign-key": stranger.access_token("alice"),
        "other-issuer": TokenFactory("EdDSA", issuer="https://evil.example").access_token("alice"),
        "session-cookie": tokens.session_cookie("alice"),
    }


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_api_route_needs_a_valid_token(
    client: httpx.Client, tokens: TokenFactory, alice: Headers, method: str, path: str
) -> None:
    task = create(client, alice)  # id 1 exists: refusals must not depend on it
    assert task["id"] == 1
    body = {"title": "x"} if method in ("POST", "PUT", "PATCH") else None

    anonymous = client.request(method, path, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in anonymous.json()

    for name, token in refused_tokens(tokens).items():
        response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"], name
        assert token not in response.text

    assert client.get("/api/tasks/1", headers=alice).json() == task


def test_a_request_without_a_token_is_refused_before_its_body_is_read(client: httpx.Client) -> None:
    # The middleware answers first: an anonymous client cannot make the API parse (or validate) anything.
    broken = client.post("/api/tasks", content=b'{"title": ', headers={"Content-Type": "application/json"})
    invalid = client.post("/api/tasks", json={"title": ""})

    assert broken.status_code == invalid.status_code == 401
    assert broken.json()["code"] == invalid.json()["code"] == "missing_token"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/health", 200),
        ("/openapi.json", 200),
        ("/docs", 200),
        ("/docs/oauth2-redirect", 200),
        ("/redoc", 200),
        ("/api", 401),
        ("/api/nope", 401),
        ("/nope", 401),
        ("/health/../api/tasks", 401),
        ("/docsecret", 401),
    ],
)
def test_only_the_listed_paths_are_public(client: httpx.Client, path: str, status: int) -> None:
    assert client.get(path).status_code == status


def test_a_token_accepted_once_is_still_refused_after_it_expires(database_url: str) -> None:
    now = [time.time()]
    factory = TokenFactory("EdDSA", clock=lambda: now[0])
    settings = Settings(verifier=factory.verifier(), database_url=database_url)
    with LiveServer(create_app(settings)) as server, server.client() as client:
        headers = {"Authorization": f"Bearer {factory.access_token('alice', expires_in=60)}"}
        assert client.get("/api/tasks", headers=headers).status_code == 200
        now[0] += 61
        assert client.get("/api/tasks", headers=headers).status_code == 401


# -- public routes, OpenAPI, CORS ------------------------------------------------------------------------------------


def test_health_is_public_and_reports_database_and_keys(client: httpx.Client, database_url: str) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["database"] == {"ok": True, "backend": database_url.split(":")[0].split("+")[0]}
    assert health["keys"] == {"source": "static", "ready": True}


def test_openapi_declares_the_bearer_scheme_on_every_api_route(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()

    schemes = schema["components"]["securitySchemes"]
    bearer_names = {
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }
    assert bearer_names, schemes  # Swagger UI shows "Authorize" and sends the pasted token as a Bearer header
    operations = [
        (path, method, operation) for path, item in schema["paths"].items() for method, operation in item.items()
    ]
    api = [(path, method, op) for path, method, op in operations if path.startswith("/api/")]
    assert len(api) == len(API_ROUTES)
    for path, method, operation in api:
        required = {name for requirement in operation.get("security", []) for name in requirement}
        assert required & bearer_names, (method, path)
    health = schema["paths"]["/health"]["get"]
    assert not health.get("security")


def test_swagger_ui_is_served(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text


def test_cors_allows_the_front_end_origin_only(client: httpx.Client, alice: Headers) -> None:
    preflight = {
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,content-type",
    }

    allowed = client.options("/api/tasks/1", headers={"Origin": "http://localhost:3000", **preflight})
    refused = client.options("/api/tasks/1", headers={"Origin": "https://evil.example", **preflight})
    simple = client.get("/api/tasks", headers={"Origin": "http://127.0.0.1:3000", **alice})

    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "PATCH" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert simple.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"
    assert "Access-Control-Allow-Credentials" not in simple.headers  # bearer tokens, never cookies


def test_refusals_carry_cors_headers_so_the_front_end_can_refresh_its_token(client: httpx.Client) -> None:
    response = client.get("/api/tasks", headers={"Origin": "http://localhost:3000"})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "www-authenticate" in response.headers["Access-Control-Expose-Headers"].lower()


def test_two_users_with_the_same_email_are_still_two_users(client: httpx.Client, tokens: TokenFactory) -> None:
    # Ownership is the token's sub (Better Auth's user id), never an email or name that users can choose.
    first = bearer(tokens, "user-1", email="same@example.com", name="Same")
    second = bearer(tokens, "user-2", email="same@example.com", name="Same")
    task = create(client, first)

    assert client.get(f"/api/tasks/{task['id']}", headers=second).status_code == 404
    assert listing(client, second)["total"] == 0
