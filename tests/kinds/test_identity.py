"""``Identity``: where each field comes from for each token kind, read-only claims all the way down, UTC datetimes."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from betterauth_jwt import Identity, TokenKind
from betterauth_jwt._kinds import identity as _identity
from betterauth_jwt._kinds.identity import VerifiedClaims, identity_from_claims
from betterauth_jwt.testing import TokenFactory

NOW = 1_760_000_000


@pytest.fixture(scope="module")
def factory() -> TokenFactory:
    return TokenFactory("HS256", clock=lambda: NOW)


def test_access_identity_comes_from_top_level_claims(factory: TokenFactory) -> None:
    claims = factory.access_claims(
        "u1", name="Ada", email="ada@example.com", emailVerified=True, image="https://img.example/a.png", sid="s1"
    )
    identity = factory.verifier().verify(factory.sign(claims))
    assert identity.user_id == "u1"
    assert identity.kind is TokenKind.ACCESS
    assert identity.name == "Ada"
    assert identity.email == "ada@example.com"
    assert identity.email_verified is True
    assert identity.image == "https://img.example/a.png"
    assert identity.session_id == "s1"
    assert identity.claims["sub"] == "u1"


def test_access_identity_user_id_is_sub_not_id(factory: TokenFactory) -> None:
    # jwt.getSubject may make sub differ from the user object's id; sub is what the token asserts.
    identity = factory.verifier().verify(factory.sign(factory.access_claims("from-sub", id="from-id")))
    assert identity.user_id == "from-sub"
    assert identity.claims["id"] == "from-id"


def test_cookie_identity_comes_from_nested_user_and_session(factory: TokenFactory) -> None:
    claims = factory.session_cookie_claims("u2")
    claims["user"].update(name="Grace", email="grace@example.com", emailVerified=False, image=None)
    identity = factory.verifier(TokenKind.SESSION_COOKIE).verify(factory.sign(claims, {"alg": "HS256"}))
    assert identity.user_id == "u2"
    assert identity.kind is TokenKind.SESSION_COOKIE
    assert identity.name == "Grace"
    assert identity.email == "grace@example.com"
    assert identity.email_verified is False
    assert identity.image is None
    assert identity.session_id == claims["session"]["id"]
    assert identity.claims["session"]["token"] == claims["session"]["token"]


@pytest.mark.parametrize(
    ("field", "value"), [("name", 5), ("email", ["a@b"]), ("emailVerified", "true"), ("image", {"u": 1}), ("sid", 1)]
)
def test_fields_of_the_wrong_type_are_left_empty(factory: TokenFactory, field: str, value: Any) -> None:
    identity = factory.verifier().verify(factory.sign(factory.access_claims(**{field: value})))
    attribute = {"emailVerified": "email_verified", "sid": "session_id"}.get(field, field)
    assert getattr(identity, attribute) is None
    assert identity.claims[field] == (tuple(value) if isinstance(value, list) else value)


def test_claims_are_read_only_all_the_way_down(factory: TokenFactory) -> None:
    claims = factory.access_claims(role="admin", orgs=[{"id": "o1", "roles": ["owner"]}], meta={"a": {"b": [1]}})
    identity = factory.verifier().verify(factory.sign(claims))
    with pytest.raises(TypeError):
        identity.claims["role"] = "root"  # type: ignore[index]
    with pytest.raises(TypeError):
        del identity.claims["role"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        identity.claims["meta"]["a"]["c"] = 1
    with pytest.raises(AttributeError):
        identity.claims["meta"]["a"]["b"].append(2)
    with pytest.raises(TypeError):
        identity.claims["orgs"][0]["roles"] = ("root",)
    with pytest.raises(AttributeError):
        identity.claims["orgs"].append({})
    assert identity.claims["orgs"] == ({"id": "o1", "roles": ("owner",)},)
    assert not hasattr(identity.claims, "__setitem__")


def test_a_cached_identity_cannot_be_changed_by_one_caller_for_the_next(factory: TokenFactory) -> None:
    verifier = factory.verifier()
    token = factory.access_token(role="user")
    first = verifier.verify(token)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.user_id = "admin"  # type: ignore[misc]
    with pytest.raises(TypeError):
        first.claims["role"] = "admin"  # type: ignore[index]
    second = verifier.verify(token)
    assert second is first  # served from the cache, unchanged
    assert second.claims["role"] == "user"


def test_the_identity_does_not_share_the_parsers_dict(factory: TokenFactory) -> None:
    claims = factory.access_claims(role="user")
    identity = identity_from_claims(TokenKind.ACCESS, claims)
    claims["role"] = "admin"
    claims["sub"] = "mallory"
    assert identity.claims["role"] == "user"
    assert identity.claims["sub"] == "user_1"


def test_verified_claims_are_decoded_from_the_payload_when_first_read(factory: TokenFactory) -> None:
    claims = factory.access_claims("u1", role="admin", orgs=[{"id": "o1"}], emailVerified=True)
    identity = factory.verifier().verify(factory.sign(claims))
    assert isinstance(identity.claims, VerifiedClaims)
    assert identity.claims._decoded is None  # nothing but the payload's text is kept until someone reads a claim
    assert identity.claims.get("role") == "admin"
    assert identity.claims["orgs"] == ({"id": "o1"},)
    assert identity.claims == {**claims, "orgs": ({"id": "o1"},)}
    assert dict(identity.claims) == identity.claims
    assert len(identity.claims) == len(claims)
    assert "role" in identity.claims
    assert "missing" not in identity.claims
    assert identity.claims.get("missing", 7) == 7
    with pytest.raises(KeyError):
        identity.claims["missing"]
    decoded = identity.claims._decoded
    assert decoded is not None
    assert identity.claims.get("sub") == "u1"
    assert identity.claims._decoded is decoded
    assert repr(identity.claims).startswith("VerifiedClaims({")
    assert "'role': 'admin'" in repr(identity.claims)


def test_an_identity_with_verified_claims_can_be_copied_and_pickled(factory: TokenFactory) -> None:
    identity = factory.verifier().verify(factory.sign(factory.access_claims("u1", role="admin", orgs=["o1"])))
    for read_first in (False, True):
        if read_first:
            assert identity.claims["orgs"] == ("o1",)
        for copied in (copy.deepcopy(identity), pickle.loads(pickle.dumps(identity))):
            assert copied == identity
            assert copied.claims == identity.claims
            assert copied.claims["role"] == "admin"
        assert dataclasses.asdict(identity)["claims"] == identity.claims


def test_identities_of_tokens_issued_in_the_same_second_share_their_datetimes(factory: TokenFactory) -> None:
    verifier = factory.verifier()
    first, second = (verifier.verify(factory.access_token(user, expires_in=900)) for user in ("u1", "u2"))
    assert first.issued_at is second.issued_at
    assert first.expires_at is second.expires_at
    for seconds in range(NOW, NOW + 3 * _identity._MOMENTS_KEPT):  # the memo of datetimes stays bounded
        assert _identity.moment(seconds) == datetime.fromtimestamp(seconds, UTC)
        assert len(_identity._moments) <= _identity._MOMENTS_KEPT


def test_datetimes_are_aware_utc(factory: TokenFactory) -> None:
    identity = factory.verifier().verify(factory.access_token(expires_in=900))
    for moment in (identity.issued_at, identity.expires_at):
        assert moment.tzinfo is UTC
        assert moment.utcoffset() == timedelta(0)
    assert identity.issued_at == datetime.fromtimestamp(NOW, UTC)
    assert identity.expires_at - identity.issued_at == timedelta(seconds=900)


def test_identity_works_as_starlettes_request_user(factory: TokenFactory) -> None:
    identity = factory.verifier().verify(factory.access_token("u3", name=None, email="e@example.com"))
    assert identity.is_authenticated is True
    assert identity.identity == "u3"
    assert identity.display_name == "e@example.com"
    from starlette.authentication import BaseUser

    # Duck-typed to BaseUser's three properties; the core does not import Starlette.
    for name in ("is_authenticated", "display_name", "identity"):
        assert isinstance(getattr(BaseUser, name), property)
        assert hasattr(identity, name)


def test_repr_does_not_dump_the_claims(factory: TokenFactory) -> None:
    claims = factory.session_cookie_claims()
    identity = identity_from_claims(TokenKind.SESSION_COOKIE, claims)
    text = repr(identity)
    assert claims["session"]["token"] not in text  # the raw session token stays out of logs and tracebacks
    assert "user_1" in text


def test_identities_compare_by_value_not_claims() -> None:
    a = Identity(user_id="u", kind=TokenKind.ACCESS, issued_at=datetime.now(UTC), expires_at=datetime.now(UTC))
    b = dataclasses.replace(a)
    assert a == b
    assert hash(a) == hash(b)
