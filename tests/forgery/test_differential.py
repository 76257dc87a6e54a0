"""Differential testing against PyJWT and joserfc: on generated access tokens, a disagreement must have a name.

Every token is correctly signed by the genuine key; header, claims and encoding vary. The three libraries are
configured alike (the key handed over directly, the token's algorithm only, exact issuer, audience, required
``exp``/``iat``/``iss``/``aud``/``sub``, the same leeway). When we refuse what a peer accepts, one of the
:data:`WE_ARE_STRICTER` predicates must hold for the token (a rule we keep on purpose); when a peer refuses what we
accept, one of :data:`PEER_IS_STRICTER`. Otherwise the test fails: one of us has a bug.

PyJWT reads the wall clock, so times here are the real time plus offsets that stay far (at least 15 s) from every
boundary; the edges themselves are the claims-policy model's job (``test_claims_policy``).
"""

from __future__ import annotations

import functools
import hmac
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import event, given
from hypothesis import strategies as st
from joserfc import jwk as jose_jwk
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwt import JWTClaimsRegistry

from betterauth_jwt import InvalidTokenError, Verifier
from betterauth_jwt.testing import b64url

from ._support import ALGORITHMS, B64URL_ALPHABET, factory, scaled

ISSUER = "http://localhost:3000"  # the factories' issuer and audience
OTHER = "https://api.example.com"
LEEWAYS = (0, 30)
OFFSETS = (-7200, -75, 75, 7200)  # seconds from now: with a leeway of 0 or 30, never within 45 s of a boundary
ACCESS_TYPS = ("jwt", "at+jwt", "application/at+jwt")


@dataclass
class Case:
    """One generated token and what went into it, for the predicates to read."""

    alg: str
    header: dict[str, Any]
    claims: dict[str, Any]
    leeway: int
    quirks: set[str] = field(default_factory=set)  # JSON or encoding oddities added to the signed bytes
    token: str = ""


# -- the predicates: each names one rule on which the libraries differ on purpose ----------------------------------


def _typ_is_not_an_access_token_typ(case: Case) -> bool:
    """Our access-token verifier refuses other token types (RFC 8725 section 3.11); the peers do not look at typ."""
    typ = case.header.get("typ", "jwt")
    return not isinstance(typ, str) or typ.lower() not in ACCESS_TYPS


def _sub_is_not_a_user_id(case: Case) -> bool:
    """``sub`` becomes ``Identity.user_id``: it must be a non-empty string of at most 1024 characters, UTF-8 encodable.
    PyJWT accepts an empty string, joserfc any string that is not empty."""
    sub = case.claims.get("sub")
    if not isinstance(sub, str):
        return False  # every library refuses a missing or non-string sub
    return not sub or len(sub) > 1024 or any(0xD800 <= ord(c) <= 0xDFFF for c in sub)


def _numeric_date_is_not_a_number_in_range(case: Case) -> bool:
    """A NumericDate is a JSON number (not a boolean, not a numeric string), finite and between 1970 and 9999. PyJWT
    converts with ``int()``, so ``true`` and ``"1760000000"`` pass; joserfc accepts negative and far-future values."""
    for name in ("exp", "iat", "nbf"):
        if name in case.claims:
            value = case.claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return True
            if not math.isfinite(value) or not 0 <= value <= 253402300799:
                return True
    return False


def _json_is_not_strict(case: Case) -> bool:
    """Duplicate members, NaN/Infinity and nesting deeper than 32 are refused; ``json.loads`` accepts all three."""
    return bool(case.quirks & {"duplicate-member", "nan", "deep-nesting"})


def _base64url_is_not_canonical(case: Case) -> bool:
    """One token, one spelling: padding and non-zero unused bits are refused. PyJWT decodes both leniently."""
    return bool(case.quirks & {"padded", "non-canonical-bits"})


def _header_asks_for_what_we_never_do(case: Case) -> bool:
    """``crit``, ``b64``, embedded or linked keys (``jwk``, ``jku``, ``x5u``, ``x5c``) and JWE members are refused
    outright; PyJWT ignores the key parameters and joserfc honours some ``crit`` values."""
    return any(name in case.header for name in ("crit", "b64", "jwk", "jku", "x5u", "x5c", "enc", "zip"))


def _kid_names_no_published_key(case: Case) -> bool:
    """With a JWKS the kid chooses the key and an unknown or malformed kid is refused; the peers are handed the key
    directly and ignore the kid."""
    if case.alg.startswith("HS"):
        return "kid" in case.header and not (isinstance(case.header["kid"], str) and 0 < len(case.header["kid"]) <= 256)
    return case.header.get("kid", factory(case.alg).kid) != factory(case.alg).kid


def _token_exceeds_the_size_cap(case: Case) -> bool:
    """16 KiB by default, checked before any decoding; the peers have no cap."""
    return len(case.token) > 16 * 1024


def _jti_is_not_a_string(case: Case) -> bool:
    """PyJWT and joserfc validate ``jti`` if present; Better Auth never sends one and we do not read it."""
    return "jti" in case.claims and not isinstance(case.claims["jti"], str)


def _joserfc_header_member_of_the_wrong_type(case: Case) -> bool:
    """joserfc type-checks registered header members (``x5t``...) that we neither read nor need. (``cty`` we refuse
    whatever its type: RFC 8725 section 3.11.)"""
    return "x5t" in case.header and not isinstance(case.header["x5t"], str)


_JOSERFC_KNOWN_HEADER_MEMBERS = frozenset(
    {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64"}
)


def _joserfc_header_member_it_does_not_know(case: Case) -> bool:
    """joserfc refuses header members it has no definition for; RFC 7515 section 4 says to ignore them, as we do
    (Better Auth adds none, but a future version or a custom signer may)."""
    return bool(set(case.header) - _JOSERFC_KNOWN_HEADER_MEMBERS)


Predicate = Callable[[Case], bool]
WE_ARE_STRICTER: dict[str, Predicate] = {
    "typ_is_not_an_access_token_typ": _typ_is_not_an_access_token_typ,
    "sub_is_not_a_user_id": _sub_is_not_a_user_id,
    "numeric_date_is_not_a_number_in_range": _numeric_date_is_not_a_number_in_range,
    "json_is_not_strict": _json_is_not_strict,
    "base64url_is_not_canonical": _base64url_is_not_canonical,
    "header_asks_for_what_we_never_do": _header_asks_for_what_we_never_do,
    "kid_names_no_published_key": _kid_names_no_published_key,
    "token_exceeds_the_size_cap": _token_exceeds_the_size_cap,
}
PEER_IS_STRICTER: dict[str, dict[str, Predicate]] = {
    "pyjwt": {"jti_is_not_a_string": _jti_is_not_a_string},
    "joserfc": {
        "jti_is_not_a_string": _jti_is_not_a_string,
        "header_member_of_the_wrong_type": _joserfc_header_member_of_the_wrong_type,
        "header_member_it_does_not_know": _joserfc_header_member_it_does_not_know,
    },
}


# -- the three verifiers -------------------------------------------------------------------------------------------


@functools.cache
def _verifier(alg: str, leeway: int) -> Verifier:
    return factory(alg).verifier(clock=time.time, leeway=leeway, cache_size=0)


def ours(case: Case) -> bool:
    try:
        _verifier(case.alg, case.leeway).verify(case.token)
    except InvalidTokenError:
        return False
    return True


@functools.cache
def _pyjwt_key(alg: str) -> Any:
    issuer = factory(alg)
    return issuer.secret if issuer.secret is not None else pyjwt.PyJWK(issuer.jwks["keys"][0]).key


def pyjwt_accepts(case: Case) -> bool:
    try:
        pyjwt.decode(
            case.token,
            _pyjwt_key(case.alg),
            algorithms=[case.alg],
            audience=ISSUER,
            issuer=ISSUER,
            leeway=case.leeway,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except pyjwt.PyJWTError:
        return False
    except (ValueError, TypeError, RecursionError, OverflowError):  # PyJWT's own bugs still count as a refusal
        return False
    return True


@functools.cache
def _joserfc_key(alg: str) -> Any:
    issuer = factory(alg)
    if issuer.secret is not None:
        return jose_jwk.OctKey.import_key(issuer.secret)
    return jose_jwk.import_key(issuer.jwks["keys"][0])


def joserfc_accepts(case: Case) -> bool:
    claims_registry = JWTClaimsRegistry(
        now=int(time.time()),
        leeway=case.leeway,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": ISSUER},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)  # joserfc flags "EdDSA" as deprecated by RFC 9864
            token = jose_jwt.decode(case.token, _joserfc_key(case.alg), algorithms=[case.alg])
        claims_registry.validate(token.claims)
    except JoseError:
        return False
    except (ValueError, TypeError, RecursionError, OverflowError, KeyError):
        return False
    return True


PEERS: dict[str, Callable[[Case], bool]] = {"pyjwt": pyjwt_accepts, "joserfc": joserfc_accepts}


# -- generating cases ----------------------------------------------------------------------------------------------


def _mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` seven times in eight: about a third of the tokens are valid, most others differ in one way only."""
    return st.sampled_from([*[usual] * 7, odd]).flatmap(lambda chosen: chosen)


def _sometimes(usual: Any, odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _mostly(st.just(usual), odd)


def _numeric_dates(now: int, past: bool) -> st.SearchStrategy[Any]:
    """Past or future offsets (mostly the ones that make the claim valid), or values that are not dates at all."""
    valid, invalid = (OFFSETS[:2], OFFSETS[2:]) if past else (OFFSETS[2:], OFFSETS[:2])
    offsets = _mostly(st.sampled_from(valid), st.sampled_from(invalid)).map(lambda offset: now + offset)
    odd = st.sampled_from([True, str(now + 600), -5, 10**20, 1e300, now - 600.5, None])
    return _mostly(offsets, odd)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    alg = draw(st.sampled_from(ALGORITHMS), label="alg")
    issuer = factory(alg)
    now = int(time.time())
    header: dict[str, Any] = dict(issuer.header())
    header_changes = draw(
        _mostly(
            st.just({}),
            st.dictionaries(
                st.sampled_from(["typ", "kid", "crit", "jku", "jwk", "x5c", "b64", "zip", "cty", "x-extra"]),
                st.sampled_from(["JWT", "at+jwt", "JOSE", 7, None, ["exp"], "https://evil.example/jwks", {"a": 1}]),
                min_size=1,
                max_size=2,
            ),
        ),
        label="header changes",
    )
    for name, value in header_changes.items():
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    claims = issuer.access_claims("user_1")
    claims.update(exp=now + 900, iat=now - 10)
    claims["sub"] = draw(_sometimes("user_1", st.sampled_from(["", "x" * 1025, "\ud800", 7, None])), label="sub")
    claims["iss"] = draw(_sometimes(ISSUER, st.sampled_from([ISSUER + "/", [ISSUER], "", None])), label="iss")
    claims["aud"] = draw(
        _sometimes(ISSUER, st.sampled_from([[ISSUER, OTHER], [OTHER], [], [ISSUER, 7], "", None])), label="aud"
    )
    for name in ("exp", "iat", "nbf"):
        if name != "nbf" or draw(st.booleans(), label="with nbf"):
            claims[name] = draw(_numeric_dates(now, past=name != "exp"), label=name)
    claims["jti"] = draw(_sometimes(None, st.sampled_from(["a-jti", 7])), label="jti")
    if draw(st.integers(0, 15), label="oversized") == 0:
        claims["padding"] = "x" * (17 * 1024)
    claims = {name: value for name, value in claims.items() if value is not None or name == "image"}
    case = Case(alg=alg, header=header, claims=claims, leeway=draw(st.sampled_from(LEEWAYS), label="leeway"))
    json_quirk = draw(_sometimes(None, st.sampled_from(["duplicate-member", "nan", "deep-nesting"])), label="json")
    encoding = draw(_sometimes(None, st.sampled_from(["padded", "non-canonical-bits"])), label="encoding")
    case.token = _sign(case, json_quirk, encoding)
    return case


def _sign(case: Case, json_quirk: str | None, encoding: str | None) -> str:
    """Sign exactly the bytes chosen, quirks included: the signature is always genuine."""
    payload = json.dumps(case.claims, separators=(",", ":"))
    if json_quirk is not None:
        case.quirks.add(json_quirk)
        extra = {
            "duplicate-member": '"sub":"admin"',
            "nan": '"score":NaN',
            "deep-nesting": '"deep":' + "[" * 40 + "]" * 40,
        }
        payload = payload[:-1] + "," + extra[json_quirk] + "}"
    header_segment = b64url(json.dumps(case.header, separators=(",", ":")).encode())
    payload_segment = b64url(payload.encode())
    if encoding == "padded" and len(payload_segment) % 4:
        case.quirks.add(encoding)
        payload_segment += "=" * (-len(payload_segment) % 4)
    elif encoding == "non-canonical-bits" and len(payload_segment) % 4:
        case.quirks.add(encoding)
        last = B64URL_ALPHABET.index(payload_segment[-1])
        payload_segment = payload_segment[:-1] + B64URL_ALPHABET[last | 1]
    signature_segment = _sign_bytes(case.alg, f"{header_segment}.{payload_segment}".encode())
    return f"{header_segment}.{payload_segment}.{signature_segment}"


def _sign_bytes(alg: str, signing_input: bytes) -> str:
    """The genuine key's signature over exactly ``signing_input`` (sign_compact would re-encode the segments)."""
    key = factory(alg).private_key
    if isinstance(key, bytes):
        return b64url(hmac.digest(key, signing_input, "sha256"))
    if isinstance(key, rsa.RSAPrivateKey):
        pad = padding.PKCS1v15() if alg.startswith("RS") else padding.PSS(padding.MGF1(hashes.SHA256()), 32)
        return b64url(key.sign(signing_input, pad, hashes.SHA256()))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        hash_ = hashes.SHA512() if alg == "ES512" else hashes.SHA256()
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hash_)))
        size = (key.curve.key_size + 7) // 8
        return b64url(r.to_bytes(size, "big") + s.to_bytes(size, "big"))
    return b64url(key.sign(signing_input))


# -- the properties ------------------------------------------------------------------------------------------------


def _reasons(case: Case, predicates: dict[str, Predicate]) -> list[str]:
    return [name for name, holds in predicates.items() if holds(case)]


@scaled(3)
@given(case=cases())
def test_we_disagree_with_pyjwt_and_joserfc_only_for_a_named_reason(case: Case) -> None:
    we_accept = ours(case)
    event("we accept" if we_accept else "we refuse")
    for peer, accepts in PEERS.items():
        they_accept = accepts(case)
        if we_accept == they_accept:
            continue
        if they_accept:
            reasons = _reasons(case, WE_ARE_STRICTER)
            assert reasons, f"{peer} accepts a token we refuse, for no listed reason: {case}"
        else:
            reasons = _reasons(case, PEER_IS_STRICTER[peer])
            assert reasons, f"{peer} refuses a token we accept, for no listed reason: {case}"
        for reason in reasons:
            event(f"{peer}: {reason}")


# Each predicate is checked: a hand-made token where it alone holds, and the disagreement it names really happens.


def _case(
    alg: str = "EdDSA", header: dict[str, Any] | None = None, quirks: tuple[str, ...] = (), **claims: Any
) -> Case:
    issuer = factory(alg)
    now = int(time.time())
    base = issuer.access_claims("user_1")
    base.update(exp=now + 900, iat=now - 10, iss=ISSUER, aud=ISSUER)
    base.update(claims)
    case = Case(alg=alg, header={**issuer.header(), **(header or {})}, claims=base, leeway=0)
    json_quirk = next((q for q in quirks if q in ("duplicate-member", "nan", "deep-nesting")), None)
    encoding = next((q for q in quirks if q in ("padded", "non-canonical-bits")), None)
    case.token = _sign(case, json_quirk, encoding)
    return case


def _examples() -> dict[str, tuple[Callable[[], Case], str]]:
    """reason -> (a case where it holds, the peer that disagrees with us on it)."""
    return {
        "typ_is_not_an_access_token_typ": (lambda: _case(header={"typ": "JOSE"}), "pyjwt"),
        "sub_is_not_a_user_id": (lambda: _case(sub="x" * 1025), "joserfc"),
        "numeric_date_is_not_a_number_in_range": (lambda: _case(exp=10**20), "joserfc"),
        "json_is_not_strict": (lambda: _case(quirks=("duplicate-member",)), "pyjwt"),
        "base64url_is_not_canonical": (lambda: _padded_case(), "pyjwt"),
        "header_asks_for_what_we_never_do": (lambda: _case(header={"jku": "https://evil.example/jwks"}), "pyjwt"),
        "kid_names_no_published_key": (lambda: _case(header={"kid": "someone-else"}), "pyjwt"),
        "token_exceeds_the_size_cap": (lambda: _case(padding="x" * (17 * 1024)), "joserfc"),
        "jti_is_not_a_string": (lambda: _case(jti=7), "pyjwt"),
        "header_member_of_the_wrong_type": (lambda: _case(header={"x5t": 7}), "joserfc"),
        "header_member_it_does_not_know": (lambda: _case(header={"x-extra": "JWT"}), "joserfc"),
    }


def _padded_case() -> Case:
    for length in range(8):
        case = _case(quirks=("padded",), name="x" * length)
        if "padded" in case.quirks:
            return case
    raise AssertionError("no payload length needing padding")


@pytest.mark.parametrize("reason", sorted(_examples()))
def test_each_named_reason_is_real(reason: str) -> None:
    make, peer = _examples()[reason]
    case = make()
    all_predicates = {**WE_ARE_STRICTER, **PEER_IS_STRICTER["pyjwt"], **PEER_IS_STRICTER["joserfc"]}
    assert all_predicates[reason](case), "the example does not have the property the reason names"
    if reason in WE_ARE_STRICTER:
        assert not ours(case)
        assert PEERS[peer](case), f"{peer} refuses it too: the reason no longer explains a difference"
    else:
        assert ours(case)
        assert not PEERS[peer](case)


def test_the_peers_accept_a_genuine_token_so_disagreements_mean_something() -> None:
    for alg in ALGORITHMS:
        case = _case(alg)
        assert ours(case)
        for peer, accepts in PEERS.items():
            assert accepts(case), f"{peer} refuses a plain {alg} token: the differential test would prove nothing"
