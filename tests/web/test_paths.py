"""Public paths fail closed: only plain, exactly matching paths skip authentication (betterauth_jwt._web.paths)."""

from __future__ import annotations

from typing import Any

import pytest

from betterauth_jwt import ConfigurationError
from betterauth_jwt._web.paths import PublicPaths, route_path

PUBLIC = PublicPaths(["/public", "/"], ["/docs", "/static/"])


def scope(path: str, raw_path: bytes | None = None, root_path: str = "") -> dict[str, Any]:
    return {"path": path, "raw_path": raw_path if raw_path is not None else path.encode(), "root_path": root_path}


@pytest.mark.parametrize(
    "path", ["/public", "/", "/docs", "/docs/", "/docs/oauth2-redirect", "/static/app.js", "/static"]
)
def test_public(path: str) -> None:
    assert PUBLIC.matches(scope(path))


@pytest.mark.parametrize(
    ("path", "raw_path"),
    [
        ("/publicadmin", None),  # not a segment boundary
        ("/docsecret", None),
        ("/public/", None),  # exact means exact: the trailing slash is another path
        ("/public/admin", None),
        ("/PUBLIC", None),  # routing is case-sensitive, so is this
        ("/Docs/x", None),
        ("/public/../private", None),  # dot segments, literal or decoded from %2e
        ("/docs/../private", b"/docs/%2e%2e/private"),
        ("/docs/../private", b"/docs/%2E%2E/private"),
        ("/docs/./x", None),
        ("/docs/..", None),
        ("/docs//x", None),  # empty segment
        ("//docs/x", None),
        ("/docs/x", b"/docs%2Fx"),  # an encoded slash: segments differ between the raw and decoded path
        ("/docs/x", b"/docs%2fx"),
        ("/docs/%2e%2e/private", b"/docs/%252e%252e/private"),  # double encoding
        ("/docs\\..\\private", None),
        ("/docs;/../private", None),
        ("/docs/x\x00", None),
        ("/docs/\u0430", None),  # non-ASCII lookalikes
        ("docs/x", None),
        ("", None),
    ],
)
def test_not_public(path: str, raw_path: bytes | None) -> None:
    assert not PUBLIC.matches(scope(path, raw_path))


def test_matching_is_relative_to_the_mount_point() -> None:
    public = PublicPaths(["/public"], ["/docs"])
    assert public.matches(scope("/api/public", root_path="/api"))
    assert public.matches(scope("/api/docs/x", root_path="/api"))
    assert not public.matches(scope("/api/private", root_path="/api"))
    assert not public.matches(scope("/apipublic", root_path="/api"))  # not under the mount point: taken as is
    assert not public.matches(scope("/api/../public", root_path="/api"))
    assert public.matches(scope("/public", root_path="/api"))  # servers that leave root_path out of path


def test_route_path() -> None:
    assert route_path(scope("/api/x", root_path="/api")) == "/x"
    assert route_path(scope("/api", root_path="/api")) == "/"
    assert route_path(scope("/apix", root_path="/api")) == "/apix"
    assert route_path(scope("/x")) == "/x"


def test_nothing_is_public_by_default() -> None:
    assert not PublicPaths().matches(scope("/"))
    assert not PublicPaths()


@pytest.mark.parametrize(
    ("exact", "prefixes", "message"),
    [
        (["health"], [], "public_paths"),
        (["/a/../b"], [], "public_paths"),
        (["/a//b"], [], "public_paths"),
        ([], ["/docs/%2e"], "public_prefixes"),
        ([], ["/"], "required=False"),
        ("/health", [], "not a single string"),
        ([], "/docs", "not a single string"),
        ([1], [], "strings"),
    ],
)
def test_configuration_is_checked(exact: Any, prefixes: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PublicPaths(exact, prefixes)
