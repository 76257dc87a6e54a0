"""Strict JSON for token segments: what ``loads_strict`` refuses, and that it never echoes its input."""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt._jose.json import MAX_NESTING, JSONError, loads_strict


@pytest.mark.parametrize(
    "text",
    [
        '{"sub": "a", "sub": "b"}',
        '{"a": 1, "b": {"c": 1, "c": 2}}',
        '[{"x": 1, "x": 1}]',
        '{"a": 1, "\\u0061": 2}',  # the same key spelled with an escape
    ],
)
def test_duplicate_keys_are_refused_at_any_depth(text: str) -> None:
    with pytest.raises(JSONError, match="duplicate key"):
        loads_strict(text)


@pytest.mark.parametrize("text", ["NaN", '{"exp": NaN}', '{"exp": Infinity}', "[-Infinity]"])
def test_nan_and_infinity_literals_are_refused(text: str) -> None:
    with pytest.raises(JSONError, match="NaN and Infinity"):
        loads_strict(text)


def test_overflowing_float_becomes_infinity_and_is_left_to_the_claims_policy() -> None:
    # 1e400 is valid JSON syntax; Python reads it as inf. The claims policy refuses it as a NumericDate
    # (tests/kinds/test_claims.py), so the parser need not.
    assert math.isinf(loads_strict('{"exp": 1e400}')["exp"])


def test_huge_integers_parse_or_fail_cleanly() -> None:
    assert loads_strict('{"exp": ' + "9" * 400 + "}")["exp"] == int("9" * 400)
    # Past Python's int-to-str digit limit the parser raises ValueError: it must become our JSONError.
    with pytest.raises(JSONError):
        loads_strict('{"exp": ' + "9" * 5000 + "}")


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe{}", b'{"a": "\xc3"}', b'{"a": "\xed\xa0\x80"}', b"{", b"", b"   ", b"{} {}", b"{},"],
)
def test_invalid_utf8_and_invalid_json_are_refused(data: bytes) -> None:
    with pytest.raises(JSONError):
        loads_strict(data)


def test_nesting_up_to_the_limit_is_accepted_and_deeper_is_refused() -> None:
    assert loads_strict("[" * MAX_NESTING + "]" * MAX_NESTING) is not None
    assert loads_strict('{"a":' * MAX_NESTING + "1" + "}" * MAX_NESTING) is not None
    with pytest.raises(JSONError, match="nested too deeply"):
        loads_strict("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))
    with pytest.raises(JSONError, match="nested too deeply"):
        loads_strict('{"a":' * (MAX_NESTING + 1) + "1" + "}" * (MAX_NESTING + 1))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"a": "' + "[{" * 100 + '"}'
    assert loads_strict(text) == {"a": "[{" * 100}


def test_nesting_far_beyond_the_recursion_limit_is_a_json_error() -> None:
    with pytest.raises(JSONError):
        loads_strict("[" * 100_000 + "]" * 100_000)


def test_whitespace_around_a_value_is_json() -> None:
    # Not canonical, but valid JSON; the fast path falls back to the general decoder (Wycheproof tcId 376/377).
    assert loads_strict(' {\n\t"a" : 1 } ') == {"a": 1}


def test_non_object_values_parse_here_and_are_refused_by_the_token_layer() -> None:
    assert loads_strict("[1]") == [1]
    assert loads_strict('"text"') == "text"


def test_error_messages_never_quote_the_input() -> None:
    secret_looking = "s3cr3t-value-in-the-payload"
    for text in (f'{{"a": "{secret_looking}" "b"}}', f'{{"{secret_looking}": 1, "{secret_looking}": 2}}'):
        with pytest.raises(JSONError) as caught:
            loads_strict(text)
        assert secret_looking not in str(caught.value)
        assert "line 1 column" not in str(caught.value)  # json.JSONDecodeError's wording
        assert caught.value.__cause__ is None


@given(st.binary(max_size=200))
def test_any_bytes_either_parse_or_raise_json_error(data: bytes) -> None:
    with contextlib.suppress(JSONError):
        loads_strict(data)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    )
)
def test_round_trips_whatever_json_dumps_produces(value: object) -> None:
    import json

    assert loads_strict(json.dumps(value)) == value
