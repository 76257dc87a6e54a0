"""The shared HTTP translation: token extraction, RFC 6750 answers, guards, outcomes (betterauth_jwt._web.authenticator)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from betterauth_jwt import (
    ConfigurationError,
    KeysUnavailableError,
    MalformedTokenError,
    TokenKind,
    token_fingerprint,
)
from betterauth_jwt._web.authenticator import Authenticator
from betterauth_jwt._web.credentials import bearer_token, session_cookie
from betterauth_jwt._web.denial import Denied
from betterauth_jwt._web.denial import retry_after as _retry_after
from betterauth_jwt._web.principal import Guard, identity_roles, identity_scopes
from tests._adapter_support import Recorder, cookie_verifier, factory, unavailable_verifier

LIMIT = 16 * 1024 + 64
PLAIN = "better-auth.session_data"
SECURE = "__Secure-better-auth.session_data"
NAMES = (SECURE, PLAIN)


def auth_header(value: bytes | str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", value if isinstance(value, bytes) else value.encode("latin-1"))]


def cookie_header(*pairs: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", "; ".join(pairs).encode())]


def request(headers: list[tuple[bytes, bytes]], path: str = "/") -> dict[str, Any]:
    return {"type": "http", "path": path, "headers": headers}


# -- Authorization: Bearer ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi", "Bearer  abc.def.ghi"]
)
def test_bearer_scheme_is_case_insensitive(value: str) -> None:
    assert bearer_token(auth_header(value), LIMIT) == "abc.def.ghi"


def test_no_authorization_header_is_no_token() -> None:
    assert bearer_token([(b"accept", b"*/*")], LIMIT) is None


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Token abc", "Bearerx abc", "Digest username=x"])
def test_another_scheme_carries_no_bearer_token(value: str) -> None:
    assert bearer_token(auth_header(value), LIMIT) is None


@pytest.mark.parametrize(
    "value",
    [
        "Bearer",
        "Bearer ",
        "Bearer\tabc.def.ghi",
        "Bearer abc.def.ghi\t",
        "Bearer a, Bearer b",
        "Bearer abc def",
        "Bearer abc.def.ghi ",
        " Bearer abc.def.ghi",
        "\tBearer abc",
        "Bearer =abc",
        'Bearer "abc.def.ghi"',
        b"Bearer abc.d\xe9f.ghi",  # Latin-1 byte
        b"Bearer \xc3\xa9\xc3\xa9",  # UTF-8 bytes
        b"Bearer abc\x00def",
        b"\xff\xfe",
        "",
    ],
)
def test_malformed_bearer_headers_are_refused(value: str | bytes) -> None:
    with pytest.raises(MalformedTokenError) as caught:
        bearer_token(auth_header(value), LIMIT)
    assert caught.value.code == "malformed_authorization"


def test_more_than_one_authorization_header_is_refused() -> None:
    headers = auth_header("Bearer a.b.c") + auth_header("Bearer a.b.c")
    with pytest.raises(MalformedTokenError, match="more than one Authorization header"):
        bearer_token(headers, LIMIT)


def test_a_huge_header_is_refused_before_parsing() -> None:
    with pytest.raises(MalformedTokenError) as caught:
        bearer_token(auth_header("Bearer " + "a" * 20_000), LIMIT)
    assert caught.value.code == "token_too_large"


# -- the session_data cookie ----------------------------------------------------------------------------------------


def test_plain_cookie() -> None:
    assert session_cookie(cookie_header("theme=dark", f"{PLAIN}=a.b.c", "x=y"), NAMES) == "a.b.c"


def test_secure_cookie_wins_over_the_plain_one() -> None:
    # The __Secure- name can only be set by a secure origin; the plain one may have been planted over http.
    assert session_cookie(cookie_header(f"{PLAIN}=plain", f"{SECURE}=secure"), NAMES) == "secure"


def test_chunks_are_joined_in_index_order() -> None:
    headers = cookie_header(f"{PLAIN}.2=ghi", f"{PLAIN}.0=abc.", f"{PLAIN}.1=def.")
    assert session_cookie(headers, NAMES) == "abc.def.ghi"


def test_twelve_chunks_sort_numerically() -> None:
    parts = [f"p{i:02d}" for i in range(12)]
    headers = cookie_header(*(f"{PLAIN}.{i}={part}" for i, part in reversed(list(enumerate(parts)))))
    assert session_cookie(headers, NAMES) == "".join(parts)


def test_chunks_over_several_cookie_headers() -> None:
    headers = [(b"cookie", f"{SECURE}.0=abc.".encode()), (b"cookie", f"{SECURE}.1=def".encode())]
    assert session_cookie(headers, NAMES) == "abc.def"


def test_the_whole_cookie_wins_over_chunks_and_an_empty_one_does_not() -> None:
    assert session_cookie(cookie_header(f"{PLAIN}=whole", f"{PLAIN}.0=chunk"), NAMES) == "whole"
    assert session_cookie(cookie_header(f"{PLAIN}=", f"{PLAIN}.0=chunk"), NAMES) == "chunk"


def test_missing_chunk_is_refused() -> None:
    with pytest.raises(MalformedTokenError, match="incomplete"):
        session_cookie(cookie_header(f"{PLAIN}.0=a", f"{PLAIN}.2=c"), NAMES)


def test_non_canonical_and_out_of_range_chunk_names_are_ignored() -> None:
    assert (
        session_cookie(cookie_header(f"{PLAIN}.01=a", f"{PLAIN}.100=b", f"{PLAIN}.x=c", f"{PLAIN}.-1=d"), NAMES) is None
    )


@pytest.mark.parametrize("name", [PLAIN, f"{PLAIN}.0"])
def test_duplicate_cookies_are_refused(name: str) -> None:
    # e.g. one cookie tossed in from a sibling subdomain: never guess which one is meant.
    with pytest.raises(MalformedTokenError) as caught:
        session_cookie(cookie_header(f"{name}=a", f"{name}=b"), NAMES)
    assert caught.value.code == "malformed_cookie"


def test_other_cookies_and_lookalike_names_are_not_read() -> None:
    headers = cookie_header("better-auth.session_token=abc", "xbetter-auth.session_data=a", "better-auth.session_dat=b")
    assert session_cookie(headers, NAMES) is None


def test_cookie_prefix_is_configurable() -> None:
    tokens = factory()
    auth = Authenticator(tokens.verifier(), cookie=cookie_verifier(tokens), cookie_prefix="myapp")
    assert auth.cookie_names == ("__Secure-myapp.session_data", "myapp.session_data")
    assert auth.find_token(cookie_header(f"{PLAIN}=a.b.c")) is None
    found = auth.find_token(cookie_header("myapp.session_data=a.b.c"))
    assert found is not None
    assert found[0] == "a.b.c"
    assert found[2] == "cookie"


# -- answers --------------------------------------------------------------------------------------------------------


def test_denied_body_and_close_codes() -> None:
    denied = Denied(401, "token_expired", "the token has expired", ())
    assert json.loads(denied.body) == {"detail": "the token has expired", "code": "token_expired"}
    assert denied.close_code == 1008
    assert Denied(403, "insufficient_scope", "x", ()).close_code == 1008
    assert Denied(503, "keys_unavailable", "x", ()).close_code == 1013


def test_challenge_quotes_descriptions_safely() -> None:
    auth = Authenticator(factory().verifier(), realm="todo")
    assert auth.challenge() == (("WWW-Authenticate", 'Bearer realm="todo"'),)
    ((_, value),) = auth.challenge("invalid_token", 'a "quoted" \\ back\x00slash é\r\nX-Injected: 1')
    assert value == (
        'Bearer realm="todo", error="invalid_token", error_description="a \'quoted\' / back?slash ???X-Injected: 1"'
    )


@pytest.mark.parametrize(
    ("seconds", "header"),
    [(12.5, "13"), (0, "1"), (-5, "1"), (10**9, "3600"), (float("nan"), "30"), (float("inf"), "30")],
)
def test_retry_after(seconds: float, header: str) -> None:
    assert _retry_after(KeysUnavailableError("down", retry_after=seconds)) == header


@pytest.mark.parametrize("realm", ["", 'a"b', "a\\b", "é", "x" * 101, 3])
def test_realm_must_be_quotable(realm: object) -> None:
    with pytest.raises(ConfigurationError, match="realm"):
        Authenticator(factory().verifier(), realm=realm)  # type: ignore[arg-type]


def test_cookie_needs_a_session_cookie_verifier() -> None:
    tokens = factory()
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE"):
        Authenticator(tokens.verifier(), cookie=True)
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE"):
        Authenticator(tokens.verifier(), cookie=tokens.verifier())
    assert Authenticator(cookie_verifier(tokens), cookie=True).cookie_verifier is not None
    assert Authenticator(tokens.verifier(), cookie=False).cookie_verifier is None


@pytest.mark.parametrize("prefix", ["", "a b", "a;b", "a=b"])
def test_cookie_prefix_must_be_a_cookie_name(prefix: str) -> None:
    tokens = factory()
    with pytest.raises(ConfigurationError, match="cookie_prefix"):
        Authenticator(tokens.verifier(), cookie=cookie_verifier(tokens), cookie_prefix=prefix)


def test_adapters_take_a_verifier() -> None:
    with pytest.raises(ConfigurationError, match="Verifier"):
        Authenticator("http://localhost:3000")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="on_outcome"):
        Authenticator(factory().verifier(), on_outcome="print")  # type: ignore[arg-type]


# -- roles and guards -----------------------------------------------------------------------------------------------


def test_roles_from_better_auth_admin_plugin() -> None:
    tokens = factory()
    verifier = tokens.verifier()
    assert identity_roles(verifier.verify(tokens.access_token(role="admin,user"))) == {"admin", "user"}
    assert identity_roles(verifier.verify(tokens.access_token(role=["admin", 3, ""]))) == {"admin"}
    assert identity_roles(verifier.verify(tokens.access_token())) == frozenset()
    assert identity_roles(verifier.verify(tokens.access_token(role={"admin": True}))) == frozenset()
    identity = verifier.verify(tokens.access_token(role=" admin , "))
    assert identity_scopes(identity) == ("authenticated", "role:admin")


def test_roles_of_a_session_cookie_come_from_its_user() -> None:
    tokens = factory()
    claims = tokens.session_cookie_claims()
    claims["user"]["role"] = "admin"
    identity = cookie_verifier(tokens).verify(tokens.sign(claims, tokens.header(typ="better-auth.session-cache+jwt")))
    assert identity.kind is TokenKind.SESSION_COOKIE
    assert identity_roles(identity) == {"admin"}


def test_guards() -> None:
    tokens = factory()
    admin = tokens.verifier().verify(tokens.access_token(role="admin", emailVerified=True))
    user = tokens.verifier().verify(tokens.access_token(role="user", emailVerified=True))
    assert Guard(role="admin").allows(admin)
    assert not Guard(role="admin").allows(user)
    assert Guard(role="admin").description == "the admin role is required"
    verified = Guard(predicate=lambda identity: identity.email_verified is True)
    assert verified.allows(user)
    assert verified.description == "this user is not allowed to do this"
    both = Guard(role="admin", predicate=lambda identity: identity.email == "nobody@example.com")
    assert not both.allows(admin)
    with pytest.raises(ConfigurationError, match="role= or a predicate"):
        Guard()
    with pytest.raises(ConfigurationError, match="role"):
        Guard(role=" ")
    with pytest.raises(ConfigurationError, match="predicate"):
        Guard(predicate="admin")  # type: ignore[arg-type]


# -- authenticate: outcomes and logs --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_outcomes_of_each_decision(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="betterauth_jwt")
    tokens = factory()
    recorder = Recorder()
    auth = Authenticator(tokens.verifier(), on_outcome=recorder)
    good = tokens.access_token(role="user")
    expired = tokens.access_token(issued_at=0)

    identity = await auth.authenticate(request(auth_header(f"Bearer {good}"), "/me"))
    assert identity.user_id == "user_1"
    assert await auth.authenticate(request([], "/maybe"), required=False) is None
    with pytest.raises(Denied) as missing:
        await auth.authenticate(request([], "/me"))
    with pytest.raises(Denied) as refused:
        await auth.authenticate(request(auth_header(f"Bearer {expired}"), "/me"))
    with pytest.raises(Denied) as malformed:
        await auth.authenticate(request(auth_header("Bearer a, Bearer b"), "/me"), required=False)
    with pytest.raises(Denied) as forbidden:
        await auth.authenticate(request(auth_header(f"Bearer {good}"), "/admin"), guard=Guard(role="admin"))

    assert recorder.codes == ["ok", "anonymous", "missing_token", "token_expired", "malformed_authorization",
                              "insufficient_scope"]  # fmt: skip
    assert [outcome.status for outcome in recorder.outcomes] == [200, 200, 401, 401, 401, 403]
    ok, _, _, expired_outcome, _, forbidden_outcome = recorder.outcomes
    assert ok.identity == identity
    assert ok.fingerprint == token_fingerprint(good)
    assert ok.source == "header"
    assert ok.path == "/me"
    assert expired_outcome.fingerprint == token_fingerprint(expired)
    assert expired_outcome.identity is None
    assert forbidden_outcome.identity == identity
    assert (missing.value.status, missing.value.code) == (401, "missing_token")
    assert (refused.value.status, refused.value.code, refused.value.detail) == (
        401,
        "token_expired",
        "the token has expired",
    )
    assert malformed.value.status == 401
    assert (forbidden.value.status, forbidden.value.code) == (403, "insufficient_scope")

    # Logs carry fingerprints, never a token.
    assert token_fingerprint(expired) in caplog.text
    assert expired not in caplog.text
    assert good not in caplog.text


@pytest.mark.anyio
async def test_keys_unavailable_is_a_503_that_hides_our_infrastructure(caplog: pytest.LogCaptureFixture) -> None:
    tokens = factory()
    recorder = Recorder()
    auth = Authenticator(unavailable_verifier(tokens), on_outcome=recorder)
    token = tokens.access_token()
    with pytest.raises(Denied) as caught:
        await auth.authenticate(request(auth_header(f"Bearer {token}"), "/me"))
    denied = caught.value
    assert denied.status == 503
    assert denied.headers == (("Retry-After", "13"),)
    assert json.loads(denied.body) == {
        "detail": "authentication is temporarily unavailable, retry later",
        "code": "keys_unavailable",
    }
    assert "502" in caplog.text  # the reason is logged for us...
    assert b"502" not in denied.body  # ...and not shown to the client
    assert token not in caplog.text
    assert recorder.codes == ["keys_unavailable"]
    assert recorder.outcomes[0].status == 503


@pytest.mark.anyio
async def test_header_wins_over_cookie_and_a_bad_header_is_not_rescued_by_a_cookie() -> None:
    tokens = factory()
    auth = Authenticator(tokens.verifier(), cookie=cookie_verifier(tokens))
    cookie = tokens.session_cookie("cookie_user")
    header = tokens.access_token("header_user")
    both = auth_header(f"Bearer {header}") + cookie_header(f"{PLAIN}=garbage")
    assert (await auth.authenticate(request(both))).user_id == "header_user"
    assert (await auth.authenticate(request(cookie_header(f"{PLAIN}={cookie}")))).user_id == "cookie_user"
    bad_header = auth_header("Bearer a b") + cookie_header(f"{PLAIN}={cookie}")
    with pytest.raises(Denied):
        await auth.authenticate(request(bad_header))
    # A session cookie sent as a bearer token is still the wrong kind for the bearer verifier.
    with pytest.raises(Denied) as caught:
        await auth.authenticate(request(auth_header(f"Bearer {cookie}")))
    assert caught.value.code == "wrong_token_kind"


@pytest.mark.anyio
async def test_a_failing_hook_is_logged_and_does_not_change_the_answer(caplog: pytest.LogCaptureFixture) -> None:
    def broken(outcome: object) -> None:
        raise ZeroDivisionError("hook bug")

    tokens = factory()
    auth = Authenticator(tokens.verifier(), on_outcome=broken)
    assert (await auth.authenticate(request(auth_header(f"Bearer {tokens.access_token()}")))).user_id == "user_1"
    with pytest.raises(Denied):
        await auth.authenticate(request([]))
    assert "on_outcome hook failed" in caplog.text


@pytest.mark.anyio
async def test_an_identity_in_the_scope_is_reused_only_from_the_same_verifier() -> None:
    tokens = factory()
    verifier = tokens.verifier()
    first, same, other = Recorder(), Recorder(), Recorder()
    scope = request(auth_header(f"Bearer {tokens.access_token('u1', role='admin')}"))
    identity = await Authenticator(verifier, on_outcome=first).authenticate(scope)
    assert scope["user"] is identity
    assert scope["auth"].scopes == ("authenticated", "role:admin")

    # Same verifier (e.g. the middleware's and a dependency's): reused, guard still applied, nothing verified twice.
    assert await Authenticator(verifier, on_outcome=same).authenticate(scope, guard=Guard(role="admin")) is identity
    with pytest.raises(Denied):
        await Authenticator(verifier, on_outcome=same).authenticate(scope, guard=Guard(role="owner"))
    assert same.codes == ["insufficient_scope"]

    # Another verifier (here: another audience) never takes the first one's word for it.
    strict = Authenticator(tokens.verifier(audience="https://other.example.com"), on_outcome=other)
    with pytest.raises(Denied) as caught:
        await strict.authenticate(scope)
    assert caught.value.code == "invalid_audience"
    assert other.codes == ["invalid_audience"]

    # An identity put in the scope by something else (no record of who verified it) is not trusted either.
    planted = request(auth_header("Bearer a.b.c"))
    planted["user"] = identity
    with pytest.raises(Denied):
        await Authenticator(verifier).authenticate(planted)


@pytest.mark.anyio
async def test_a_cookie_identity_is_reused_only_where_that_cookie_is_accepted() -> None:
    tokens = factory()
    bearer_verifier, cookies = tokens.verifier(), cookie_verifier(tokens)
    scope = request(cookie_header(f"{PLAIN}={tokens.session_cookie('c1')}"))
    identity = await Authenticator(bearer_verifier, cookie=cookies).authenticate(scope)
    assert identity.user_id == "c1"
    assert await Authenticator(bearer_verifier, cookie=cookies).authenticate(scope) is identity
    with pytest.raises(Denied) as caught:  # an authenticator that reads no cookie: as if there were no token
        await Authenticator(bearer_verifier).authenticate(scope)
    assert caught.value.code == "missing_token"
