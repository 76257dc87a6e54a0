"""What a real Better Auth OAuth 2.1 provider (@better-auth/oauth-provider 1.7.5) issues: the facts verifiers rely on.

Every flow runs over HTTP against server.mjs beside this file, once per configuration ("default": iss is
``<origin>/api/auth``; "issuer-origin": iss is the origin, shared with first-party JWTs). Claims are read with
``decode_unverified`` only; signatures are checked with PyJWT against the provider's JWKS, to prove the tokens real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import httpx
import jwt
import pytest

from betterauth_jwt import decode_unverified
from tests.interop.harness import HarnessError
from tests.interop.oauth.harness import (
    NAME,
    OTHER_RESOURCE,
    RESOURCE,
    OAuthProviderServer,
    OAuthTokens,
    Provider,
)

# RFC 9068 access token claims as Better Auth sets them for a user (no email/name, no nbf).
USER_CLAIMS = {"sub", "aud", "client_id", "azp", "scope", "sid", "iss", "iat", "exp", "jti"}
MACHINE_CLAIMS = USER_CLAIMS - {"sid"}
USER_ACCESS_TOKENS = (
    "access_token",
    "refreshed_access_token",
    "single_audience_access_token",
    "other_resource_access_token",
    "dpop_access_token",
)
MACHINE_ACCESS_TOKENS = ("machine_access_token", "dpop_machine_access_token")
OPAQUE = re.compile(r"[A-Za-z]{32}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def access_tokens(tokens: OAuthTokens) -> dict[str, str]:
    """Every OAuth access token JWT of the run (the origin-audience one in "issuer-origin" only)."""
    names = USER_ACCESS_TOKENS + MACHINE_ACCESS_TOKENS + ("origin_audience_access_token",)
    return {name: token for name, token in tokens.jwts().items() if name in names}


def userinfo_url(tokens: OAuthTokens) -> str:
    return tokens.base_url + "/api/auth/oauth2/userinfo"


def test_issuer_per_configuration(oauth_server: OAuthProviderServer, oauth_tokens: OAuthTokens) -> None:
    api = oauth_tokens.base_url + "/api/auth"
    expected = {"default": api, "issuer-origin": oauth_tokens.base_url, "mcp": api}
    assert oauth_tokens.issuer == expected[oauth_server.config]
    for name, token in [*access_tokens(oauth_tokens).items(), ("id_token", oauth_tokens.id_token)]:
        assert decode_unverified(token)[1]["iss"] == oauth_tokens.issuer, name
    # RFC 8414 metadata agrees, and points at the same JWKS as first-party tokens use.
    assert oauth_tokens.metadata["issuer"] == oauth_tokens.issuer
    assert oauth_tokens.metadata["jwks_uri"] == oauth_tokens.jwks_url == oauth_tokens.base_url + "/api/auth/jwks"
    assert oauth_tokens.metadata["code_challenge_methods_supported"] == ["S256"]


def test_user_access_tokens_are_rfc9068_jwts(oauth_tokens: OAuthTokens) -> None:
    user_id = oauth_tokens.user["id"]
    for name in USER_ACCESS_TOKENS:
        header, claims = decode_unverified(getattr(oauth_tokens, name))
        assert header["typ"] == "at+jwt", name
        assert header["alg"] == "EdDSA", name
        extra = {"cnf"} if name == "dpop_access_token" else set()
        assert set(claims) == USER_CLAIMS | extra, name
        assert claims["sub"] == user_id, name
        assert claims["azp"] == claims["client_id"], name
        assert claims["exp"] - claims["iat"] == 3600, name
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", claims["jti"]), name
        assert re.fullmatch(r"[A-Za-z0-9]{32}", claims["sid"]), name
    # One browser session signed every user token in.
    sids = {decode_unverified(getattr(oauth_tokens, name))[1]["sid"] for name in USER_ACCESS_TOKENS}
    assert len(sids) == 1
    web = decode_unverified(oauth_tokens.access_token)[1]
    assert web["client_id"] == oauth_tokens.web_client_id
    assert web["scope"] == "openid profile email offline_access todos:read todos:write"
    native = decode_unverified(oauth_tokens.single_audience_access_token)[1]
    assert native["client_id"] == oauth_tokens.native_client_id
    assert native["scope"] == "todos:read todos:write"


def test_audience_shapes(oauth_tokens: OAuthTokens) -> None:
    def aud(name: str) -> Any:
        return decode_unverified(getattr(oauth_tokens, name))[1]["aud"]

    # With openid granted the userinfo URL joins the resource, and aud becomes a list.
    assert aud("access_token") == [RESOURCE, userinfo_url(oauth_tokens)]
    assert aud("refreshed_access_token") == [RESOURCE, userinfo_url(oauth_tokens)]
    # One resource, no openid: a plain string. The resource given at /authorize is kept with the code.
    assert aud("single_audience_access_token") == RESOURCE
    assert aud("other_resource_access_token") == OTHER_RESOURCE
    assert aud("machine_access_token") == RESOURCE


def test_machine_tokens_have_the_client_as_subject(oauth_tokens: OAuthTokens) -> None:
    for name in MACHINE_ACCESS_TOKENS:
        header, claims = decode_unverified(getattr(oauth_tokens, name))
        assert header["typ"] == "at+jwt", name
        extra = {"cnf"} if name == "dpop_machine_access_token" else set()
        assert set(claims) == MACHINE_CLAIMS | extra, name
        assert claims["sub"] == claims["client_id"] == claims["azp"] == oauth_tokens.machine_client_id, name
        assert "sid" not in claims, name
        assert claims["exp"] - claims["iat"] == 3600, name
    assert decode_unverified(oauth_tokens.machine_access_token)[1]["scope"] == "todos:read todos:write"


def test_without_a_resource_the_access_token_is_opaque(oauth_tokens: OAuthTokens) -> None:
    assert "." not in oauth_tokens.opaque_access_token
    assert OPAQUE.fullmatch(oauth_tokens.opaque_access_token)
    assert oauth_tokens.token_responses["opaque_access_token"]["token_type"] == "Bearer"
    # Refresh tokens look the same.
    assert OPAQUE.fullmatch(oauth_tokens.refresh_token)


def test_id_token(oauth_tokens: OAuthTokens) -> None:
    header, claims = decode_unverified(oauth_tokens.id_token)
    assert "typ" not in header
    assert claims["aud"] == oauth_tokens.web_client_id
    assert claims["sub"] == oauth_tokens.user["id"]
    assert claims["nonce"] == oauth_tokens.nonce
    assert {"at_hash", "auth_time", "acr"} <= set(claims)
    assert not {"client_id", "scope", "jti", "sid"} & set(claims)
    assert claims["exp"] - claims["iat"] == 36000
    # OIDC Core 3.1.3.6: left half of the hash that goes with the alg; for EdDSA (Ed25519) that is SHA-512.
    digest = hashlib.sha512(oauth_tokens.access_token.encode("ascii")).digest()
    assert claims["at_hash"] == b64url(digest[:32])


def test_dpop_bound_tokens_carry_the_key_thumbprint(oauth_tokens: OAuthTokens) -> None:
    assert oauth_tokens.dpop_token_type == "DPoP"
    assert oauth_tokens.token_responses["dpop_machine_access_token"]["token_type"] == "DPoP"
    claims = decode_unverified(oauth_tokens.dpop_access_token)[1]
    assert claims["cnf"] == {"jkt": oauth_tokens.dpop_jkt}
    assert set(decode_unverified(oauth_tokens.dpop_machine_access_token)[1]["cnf"]) == {"jkt"}
    for name, token in access_tokens(oauth_tokens).items():
        if not name.startswith("dpop_"):
            assert "cnf" not in decode_unverified(token)[1], name
            assert oauth_tokens.token_responses[name]["token_type"] == "Bearer", name


def test_first_party_token_for_contrast(oauth_server: OAuthProviderServer, oauth_tokens: OAuthTokens) -> None:
    header, claims = decode_unverified(oauth_tokens.first_party_token)
    assert "typ" not in header
    assert claims["iss"] == claims["aud"] == oauth_tokens.base_url
    assert claims["sub"] == claims["id"] == oauth_tokens.user["id"]
    assert claims["name"] == NAME
    assert claims["exp"] - claims["iat"] == 900
    assert not {"client_id", "azp", "scope", "jti", "sid"} & set(claims)
    # Same key as the OAuth tokens.
    assert header["kid"] == decode_unverified(oauth_tokens.access_token)[0]["kid"]
    # "issuer-origin": iss cannot tell the kinds apart.
    same_issuer = claims["iss"] == oauth_tokens.issuer
    assert same_issuer is (oauth_server.config == "issuer-origin")


def test_issuer_origin_lets_an_oauth_token_look_first_party(
    oauth_server: OAuthProviderServer, oauth_tokens: OAuthTokens
) -> None:
    if oauth_server.config != "issuer-origin":
        assert oauth_tokens.origin_audience_access_token is None
        return
    assert oauth_tokens.origin_audience_access_token is not None
    header, claims = decode_unverified(oauth_tokens.origin_audience_access_token)
    first_party = decode_unverified(oauth_tokens.first_party_token)[1]
    # iss, aud and sub are all the same as a first-party JWT's: only typ and the claim shape differ.
    assert (claims["iss"], claims["aud"], claims["sub"]) == (first_party["iss"], first_party["aud"], first_party["sub"])
    assert header["typ"] == "at+jwt"
    assert set(claims) == USER_CLAIMS


def test_every_jwt_is_signed_by_a_published_key(oauth_tokens: OAuthTokens) -> None:
    live = httpx.get(oauth_tokens.jwks_url, timeout=10.0)
    assert live.status_code == 200
    assert live.json() == oauth_tokens.jwks
    kids = {key["kid"] for key in oauth_tokens.jwks["keys"]}
    keys = {key["kid"]: key for key in oauth_tokens.jwks["keys"]}
    for name, token in oauth_tokens.jwts().items():
        header, claims = decode_unverified(token)
        assert header["kid"] in kids, name
        key = jwt.PyJWK(keys[header["kid"]])
        audience = claims["aud"][0] if isinstance(claims["aud"], list) else claims["aud"]
        verified = jwt.decode(
            token,
            key,
            algorithms=[keys[header["kid"]]["alg"]],
            issuer=claims["iss"],
            audience=audience,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        assert verified == claims, name


def test_a_changed_claim_breaks_every_signature(oauth_tokens: OAuthTokens) -> None:
    keys = {key["kid"]: key for key in oauth_tokens.jwks["keys"]}
    for token in oauth_tokens.jwts().values():
        header_segment, _, signature = token.split(".")
        header, claims = decode_unverified(token)
        payload = json.dumps({**claims, "sub": "someone-else"}, separators=(",", ":")).encode("utf-8")
        forged = f"{header_segment}.{b64url(payload)}.{signature}"
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(
                forged, jwt.PyJWK(keys[header["kid"]]), algorithms=[header["alg"]], options={"verify_aud": False}
            )


def test_introspection(oauth_tokens: OAuthTokens) -> None:
    answers = oauth_tokens.introspection
    jwt_answer = answers["access_token"]
    claims = decode_unverified(oauth_tokens.access_token)[1]
    assert jwt_answer["active"] is True
    assert jwt_answer["token_type"] == "Bearer"
    assert {name: jwt_answer[name] for name in claims} == claims
    machine = answers["machine_access_token"]
    assert machine["active"] is True
    assert machine["sub"] == machine["client_id"] == oauth_tokens.machine_client_id
    assert answers["id_token"] == {"active": False}
    # An opaque token without resources: only the client it was issued to may introspect it.
    assert answers["opaque_access_token"] == {"active": False}
    opaque = answers["opaque_access_token_by_issuing_client"]
    assert opaque["active"] is True
    assert opaque["client_id"] == oauth_tokens.web_client_id
    assert opaque["sub"] == oauth_tokens.user["id"]
    assert opaque["scope"] == "todos:read"
    assert "aud" not in opaque
    # Live, with the resource server's own credentials.
    response = httpx.post(
        oauth_tokens.base_url + "/api/auth/oauth2/introspect",
        data={"token": oauth_tokens.single_audience_access_token, "token_type_hint": "access_token"},
        auth=(oauth_tokens.introspection_client_id, oauth_tokens.introspection_client_secret),
        timeout=10.0,
    )
    assert response.status_code == 200
    assert response.json()["active"] is True


def test_mcp_protected_resource_metadata(oauth_server: OAuthProviderServer, oauth_tokens: OAuthTokens) -> None:
    if oauth_server.config != "mcp":
        assert oauth_tokens.protected_resource_metadata is None
        return
    metadata = oauth_tokens.protected_resource_metadata
    assert metadata is not None
    assert metadata["resource"] == RESOURCE
    assert metadata["authorization_servers"] == [oauth_tokens.issuer]
    assert metadata["bearer_methods_supported"] == ["header"]
    # Only the resource's own scopes: no openid/profile/email/offline_access.
    assert metadata["scopes_supported"] == ["todos:read", "todos:write"]
    assert "EdDSA" in metadata["dpop_signing_alg_values_supported"]
    # Also at the bare well-known path (the resource's path is optional).
    bare = httpx.get(oauth_tokens.base_url + "/.well-known/oauth-protected-resource", timeout=10.0)
    assert bare.json() == metadata


def test_registration_rules(oauth_server: OAuthProviderServer) -> None:
    """Why the harness registers where it does: what dynamic registration refuses and the admin API allows."""
    provider = Provider(oauth_server)
    try:
        provider.sign_up(email=f"registrar-{oauth_server.config}@example.test")
        register = oauth_server.api_url + "/oauth2/register"
        web_loopback = {"redirect_uris": ["http://127.0.0.1:8000/callback"], "token_endpoint_auth_method": "none"}
        response = httpx.post(register, json=web_loopback, timeout=10.0)
        assert (response.status_code, response.json()["error"]) == (400, "invalid_redirect_uri")
        machine = {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"}
        response = httpx.post(register, json=machine, timeout=10.0)
        assert (response.status_code, response.json()["error"]) == (400, "invalid_client_metadata")
        # The server-only admin API (with a session) creates both kinds.
        created = provider.admin_create_client(**machine, client_credentials_scopes=["todos:read"])
        assert created.client_secret
        native = provider.admin_create_client(
            application_type="native",
            redirect_uris=["http://127.0.0.1:8000/callback"],
            token_endpoint_auth_method="client_secret_basic",
        )
        assert native.client_secret
        assert native.redirect_uri == "http://127.0.0.1:8000/callback"
        # Redirect URI rules are the same for both: a web client on loopback is refused by the admin API too.
        with pytest.raises(HarnessError, match=r"HTTP 400.*invalid_redirect_uri"):
            provider.admin_create_client(redirect_uris=["http://127.0.0.1:8000/callback"])
    finally:
        provider.close()
