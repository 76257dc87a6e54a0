"""The recorded provider fixtures (tests/fixtures/oauth/*.json, written by record.py) verify offline at their pinned
``now``: unit tests can rely on them without Node. Re-record with ``.venv/bin/python tests/interop/oauth/record.py``."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from betterauth_jwt import decode_unverified
from tests.interop.oauth.harness import CONFIGS, FIXTURES


@pytest.fixture(params=CONFIGS)
def fixture(request: pytest.FixtureRequest) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{request.param}.json").read_text(encoding="utf-8"))
    assert data["config"] == request.param
    return data


def test_every_recorded_jwt_verifies_at_the_pinned_now(fixture: dict[str, Any]) -> None:
    keys = {key["kid"]: key for key in fixture["jwks"]["keys"]}
    now = fixture["now"]
    assert set(fixture["claims"]) >= {"access_token", "id_token", "machine_access_token", "first_party_token"}
    for name, claims in fixture["claims"].items():
        token = fixture[name]
        header = fixture["header"][name]
        assert decode_unverified(token) == (header, claims), name
        verified = jwt.decode(
            token,
            jwt.PyJWK(keys[header["kid"]]),
            algorithms=[keys[header["kid"]]["alg"]],
            options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
        )
        assert verified == claims, name
        assert claims["iat"] <= now < claims["exp"], name


def test_recorded_facts(fixture: dict[str, Any]) -> None:
    expected_issuer = fixture["base_url"] + ("" if fixture["config"] == "issuer-origin" else "/api/auth")
    assert fixture["issuer"] == expected_issuer == fixture["claims"]["access_token"]["iss"]
    assert fixture["header"]["access_token"]["typ"] == "at+jwt"
    assert "typ" not in fixture["header"]["first_party_token"]
    assert "." not in fixture["opaque_access_token"]
    assert fixture["claims"]["dpop_access_token"]["cnf"] == {"jkt": fixture["dpop_jkt"]}
    assert ("origin_audience_access_token" in fixture["claims"]) is (fixture["config"] == "issuer-origin")
    assert "introspection_client_secret" not in fixture
    assert fixture["package_versions"] == {
        "better-auth": "1.7.24",
        "@better-auth/oauth-provider": "1.7.5",
        "@better-auth/mcp": "1.7.5",
    }
    assert (fixture["protected_resource_metadata"] is None) is (fixture["config"] != "mcp")
