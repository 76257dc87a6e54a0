"""The confusion matrix of docs/security.md ("Which verifier accepts which token"), asserted cell by cell with real
tokens.

Every token comes from a real Better Auth OAuth provider (server.mjs), run once per module for the ``default``
configuration (OAuth ``iss`` = ``<origin>/api/auth``) and for ``issuer-origin`` (``jwt.issuer`` = origin: OAuth tokens
share ``iss`` with first-party JWTs, and one of them even has ``aud`` = the origin). The server also turns on the
JWKS-signed session cookie cache (``OAUTH_SESSION_COOKIE_CACHE=jwt``), so the ``SESSION_COOKIE`` column is real too.
The recorded fixtures (tests/fixtures/oauth) run the same matrix offline at their pinned ``now``, without Node; they
hold no session cookie, so that row is live only.

The three verifiers are built the way an application builds them: ``Verifier.for_better_auth(origin)`` (``iss`` =
``aud`` = origin), a ``SESSION_COOKIE`` verifier, and ``OAuthVerifier`` for the configured resource and the provider's issuer,
each over the live JWKS as a ``StaticJWKS``. The test also reads the table itself, so a row changed in the docs and not
here (or the reverse) fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from betterauth_jwt import (
    AccessGrant,
    BetterAuthJWTError,
    Identity,
    OAuthVerifier,
    StaticJWKS,
    TokenKind,
    Verifier,
)
from tests.interop.harness import HarnessError
from tests.interop.oauth.harness import FIXTURES, OAuthProviderServer, Provider, issue_tokens

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"
COLUMNS = ("access", "session_cookie", "oauth")
ACCEPTED = "accepted"

# Each row of the docs table (by its first words) and the real tokens that stand for it, by harness name.
ROWS: dict[str, tuple[str, ...]] = {
    "first-party JWT": ("first_party_token",),
    "`session_data` cookie cache": ("session_data",),
    "OAuth access token (user)": ("access_token", "single_audience_access_token"),
    "refreshed OAuth access token": ("refreshed_access_token",),
    "OAuth access token (`client_credentials`)": ("machine_access_token",),
    "OAuth access token for another resource": ("other_resource_access_token",),
    "OAuth access token with `aud` = the origin": ("origin_audience_access_token",),
    "DPoP-bound OAuth token": ("dpop_access_token", "dpop_machine_access_token"),
    "OIDC id_token": ("id_token",),
    "opaque OAuth token": ("opaque_access_token", "refresh_token"),
}


def documented_matrix() -> dict[str, tuple[str, str, str]]:
    """The table in docs/security.md: row label -> outcome per column ("accepted" or the error code)."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    section = text.split("### Which verifier accepts which token", 1)[1]
    rows: dict[str, tuple[str, str, str]] = {}
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| token", "| ---")):
            if rows:
                break
            continue
        label, *cells = (cell.strip() for cell in line.strip("|").split(" | "))
        assert len(cells) == 3, line
        outcomes = tuple(
            ACCEPTED if cell.startswith(ACCEPTED) else re.findall(r"`([a-z_]+)`", cell)[0] for cell in cells
        )
        rows[label] = (outcomes[0], outcomes[1], outcomes[2])
    return rows


def expected_cells() -> dict[str, tuple[str, str, str]]:
    """Token name -> the outcomes its row of the docs table promises."""
    cells = {}
    for label, outcomes in documented_matrix().items():
        matches = [row for row in ROWS if label.startswith(row)]
        assert len(matches) == 1, f"docs/security.md row {label!r} is not mapped to real tokens here"
        for name in ROWS[matches[0]]:
            cells[name] = outcomes
    return cells


@dataclass
class Run:
    """One configuration's real tokens and the three verifiers built for it."""

    config: str
    tokens: dict[str, str]
    verifiers: dict[str, Callable[[str], Identity | AccessGrant]]
    user_id: str
    machine_client_id: str


def outcome(verify: Callable[[str], object], token: str) -> str:
    try:
        verify(token)
    except BetterAuthJWTError as exc:
        return exc.code
    return ACCEPTED


def build_run(data: dict[str, Any], clock: Callable[[], float] | None, session_data: str | None) -> Run:
    keys = StaticJWKS(data["jwks"])
    origin = data["base_url"]
    options: dict[str, Any] = {} if clock is None else {"clock": clock}
    tokens = {name: data[name] for name in (*(n for names in ROWS.values() for n in names),) if data.get(name)}
    if session_data is not None:
        tokens["session_data"] = session_data
    verifiers: dict[str, Callable[[str], Identity | AccessGrant]] = {
        # What Verifier.for_better_auth(origin) builds, with the live key set instead of a RemoteJWKS.
        "access": Verifier(keys, issuer=origin, audience=origin, **options).verify,
        "session_cookie": Verifier(keys, kind=TokenKind.SESSION_COOKIE, issuer=origin, **options).verify,
        "oauth": OAuthVerifier(keys, issuer=data["issuer"], resource=data["resource"], **options).verify,
    }
    return Run(data["config"], tokens, verifiers, data["user"]["id"], data["machine_client_id"])


@pytest.fixture(scope="module", params=("default", "issuer-origin"))
def live_run(request: pytest.FixtureRequest, oauth_node_project: None) -> Iterator[Run]:
    env = {"OAUTH_SESSION_COOKIE_CACHE": "jwt"}
    with OAuthProviderServer(request.param, env=env) as server:
        try:
            tokens = issue_tokens(server)
            # A second user signs up in a fresh browser: its session_data cookie is the JWKS-signed cookie cache.
            browser = Provider(server)
            try:
                browser.sign_up(email="bob@example.test", name="Bob Example")
                session_data = browser.browser.cookies.get("better-auth.session_data")
            finally:
                browser.close()
        except HarnessError as exc:
            raise HarnessError(f"{exc}\nserver log:\n{server.stderr_text()}") from exc
        assert session_data, "the server set no better-auth.session_data cookie"
        data = {**tokens.__dict__}
        yield build_run(data, None, session_data)


@pytest.fixture(params=("default", "issuer-origin"))
def recorded_run(request: pytest.FixtureRequest) -> Run:
    data: dict[str, Any] = json.loads((FIXTURES / f"{request.param}.json").read_text(encoding="utf-8"))
    now = float(data["now"])
    return build_run(data, lambda: now, None)


def test_every_docs_row_is_mapped_to_real_tokens() -> None:
    documented = documented_matrix()
    assert len(documented) == len(ROWS)
    assert set(expected_cells()) == {name for names in ROWS.values() for name in names}


def assert_matrix(run: Run, *, live: bool) -> None:
    expected = expected_cells()
    missing = set(expected) - set(run.tokens)
    # Only issuer-origin has a token with aud = origin; only a live run has the session cookie.
    allowed_missing = {"origin_audience_access_token"} if run.config == "default" else set()
    if not live:
        allowed_missing.add("session_data")
    assert missing == allowed_missing, run.config
    wrong = {}
    for name, token in run.tokens.items():
        got = tuple(outcome(run.verifiers[column], token) for column in COLUMNS)
        if got != expected[name]:
            wrong[name] = {"documented": expected[name], "real": got}
    assert wrong == {}, f"{run.config}: cells that disagree with docs/security.md: {wrong}"


def assert_grants(run: Run) -> None:
    """The accepted cells say who is behind the token: the user, or no one (a machine)."""
    oauth = run.verifiers["oauth"]
    for name in ("access_token", "single_audience_access_token", "refreshed_access_token"):
        grant = oauth(run.tokens[name])
        assert isinstance(grant, AccessGrant)
        assert not grant.is_machine, name
        assert grant.user_id == run.user_id, name
    machine = oauth(run.tokens["machine_access_token"])
    assert isinstance(machine, AccessGrant)
    assert machine.is_machine
    assert machine.user_id is None
    assert machine.client_id == run.machine_client_id
    first_party = run.verifiers["access"](run.tokens["first_party_token"])
    assert isinstance(first_party, Identity)
    assert first_party.user_id == run.user_id
    if "session_data" in run.tokens:
        cookie = run.verifiers["session_cookie"](run.tokens["session_data"])
        assert isinstance(cookie, Identity)
        assert cookie.email == "bob@example.test"


def test_live_tokens_match_the_documented_matrix(live_run: Run) -> None:
    assert_matrix(live_run, live=True)
    assert_grants(live_run)


def test_recorded_tokens_match_the_documented_matrix(recorded_run: Run) -> None:
    assert_matrix(recorded_run, live=False)
    assert_grants(recorded_run)
