"""RedisSessionStore on a real redis-server, with values written in Better Auth's secondaryStorage layout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis

from betterauth_jwt import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidSignatureError,
    RedisSessionStore,
    SessionRejectedError,
    StoreUnavailableError,
    TokenKind,
)
from tests.stores._support import NOW, Row
from tests.stores.conftest import Verify, verifier


@pytest.fixture
def kv(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


def put(kv: redis.Redis, row: Row, prefix: str = "") -> Row:
    kv.set(prefix + row.token, row.redis_value(), ex=7 * 86400)  # key = the raw token, as Better Auth writes it
    return row


def test_a_stored_session_gives_its_user(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    row = put(kv, Row())
    identity = verify(verifier(RedisSessionStore(redis_url)), row.cookie())
    assert identity.kind is TokenKind.SESSION
    assert (identity.user_id, identity.session_id, identity.email) == (row.user_id, row.session_id, row.email)
    assert identity.email_verified is True
    assert "token" not in identity.claims["session"]


def test_a_miss_is_refused_without_any_fallback(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    row = put(kv, Row())
    sessions = verifier(RedisSessionStore(redis_url))
    verify(sessions, row.cookie())
    kv.delete(row.token)  # sign-out deletes the key
    with pytest.raises(SessionRejectedError) as refused:
        verify(sessions, row.cookie())
    assert refused.value.code == "session_not_found"  # str() is the description; the code is .code


def test_the_revoked_before_marker_revokes_older_sessions(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    old = put(kv, Row(created_at=NOW - timedelta(hours=2)))
    new = put(kv, Row(user_id=old.user_id, email=old.email, created_at=NOW - timedelta(minutes=1)))
    sessions = verifier(RedisSessionStore(redis_url))
    marker = int((NOW - timedelta(hours=1)).timestamp() * 1000)  # revoke-all / ban, an hour ago
    kv.set(f"revoked-sessions-before-{old.user_id}", str(marker))
    with pytest.raises(SessionRejectedError) as refused:
        verify(sessions, old.cookie())
    assert refused.value.code == "session_revoked"
    assert verify(sessions, new.cookie()).session_id == new.session_id  # signed in again after the revocation


def test_a_marker_that_is_not_a_number_revokes_nothing(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    row = put(kv, Row())
    kv.set(f"revoked-sessions-before-{row.user_id}", "soon")  # Better Auth reads it with Number(): NaN
    assert verify(verifier(RedisSessionStore(redis_url)), row.cookie()).user_id == row.user_id


def test_expired_and_banned(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    expired = put(kv, Row(expires_at=NOW - timedelta(seconds=1)))
    banned = put(kv, Row(banned=True))
    sessions = verifier(RedisSessionStore(redis_url))
    with pytest.raises(ExpiredTokenError) as refused:
        verify(sessions, expired.cookie())
    assert refused.value.code == "session_expired"  # str() is the description; the code is .code
    with pytest.raises(SessionRejectedError) as refused:
        verify(sessions, banned.cookie())
    assert refused.value.code == "user_banned"  # str() is the description; the code is .code


def test_key_prefix(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    row = put(kv, Row(), prefix="ba:")
    assert verify(verifier(RedisSessionStore(redis_url, key_prefix="ba:")), row.cookie()).user_id == row.user_id


def test_a_bad_signature_never_reaches_redis(kv: redis.Redis, redis_url: str, verify: Verify) -> None:
    row = put(kv, Row())
    sessions = verifier(RedisSessionStore(redis_url))
    with pytest.raises(InvalidSignatureError):
        verify(sessions, row.cookie(secret="a-rotated-out-secret-a-rotated-out-secret"))
    assert sessions.stats["store_lookups"] == 0


@pytest.mark.parametrize(
    "value", ["not json", "[]", '{"session": "x"}', '{"session": {"id": "s"}}', '{"session": {"id": "s", "userId": 1}}']
)
def test_values_that_are_not_better_auths_are_503(kv: redis.Redis, redis_url: str, verify: Verify, value: str) -> None:
    row = Row()
    kv.set(row.token, value)
    with pytest.raises(StoreUnavailableError) as outage:
        verify(verifier(RedisSessionStore(redis_url)), row.cookie())
    assert outage.value.code == "store_data_invalid"


def test_a_session_filed_under_another_token_is_refused_as_bad_data(
    kv: redis.Redis, redis_url: str, verify: Verify
) -> None:
    row, other = Row(), Row()
    kv.set(row.token, other.redis_value())
    with pytest.raises(StoreUnavailableError) as refused:
        verify(verifier(RedisSessionStore(redis_url)), row.cookie())
    assert refused.value.code == "store_data_invalid"  # str() is the description; the code is .code


def test_redis_down_is_503_and_never_shows_the_token(verify: Verify, caplog: pytest.LogCaptureFixture) -> None:
    from tests._services import _free_port

    row = Row()
    store = RedisSessionStore(f"redis://127.0.0.1:{_free_port()}/0", timeout=1)
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailableError) as outage:
        verify(verifier(store), row.cookie())
    assert outage.value.code == "store_unavailable"
    assert outage.value.retry_after > 0
    assert row.token not in str(outage.value)
    assert row.token not in caplog.text


def test_configuration_is_checked_at_construction() -> None:
    with pytest.raises(ConfigurationError):
        RedisSessionStore()
    with pytest.raises(ConfigurationError):
        RedisSessionStore("http://cache:6379")
    with pytest.raises(ConfigurationError):
        RedisSessionStore("redis://cache", timeout=0)
    assert "hunter2" not in repr(RedisSessionStore("redis://user:hunter2@cache:6379/0"))


def test_one_store_serves_several_event_loops(kv: redis.Redis, redis_url: str) -> None:
    # asyncio.run twice (scripts, Django's async views under WSGI): each loop gets its own async client.
    row = put(kv, Row())
    sessions = verifier(RedisSessionStore(redis_url))

    async def twice() -> None:
        assert (await sessions.averify(row.cookie())).user_id == row.user_id
        assert (await sessions.averify(row.cookie())).user_id == row.user_id
        await sessions.aclose()  # this loop's client

    asyncio.run(twice())
    asyncio.run(twice())
