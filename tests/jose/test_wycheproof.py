"""Project Wycheproof vectors (tests/vectors/wycheproof, Apache-2.0, see its README) against this package's code.

* ``json_web_signature_test.json`` and ``json_web_key_test.json`` run whole compact tokens through the real pipeline:
  the token parser's shape/base64url/header rules, a key provider built from the vector's JWK(s), key selection by
  ``kid``/``alg``, and the signature check. Only the claims step is left out: the vectors' payloads are arbitrary bytes
  ("foo", "Test", empty), not JWT claims, so :func:`verify_jws` stops after the signature.
* The signature-level files (Ed25519, ES256 P1363, RS256, PS256) load each group's key with ``load_public_jwk`` and
  call the bound signature check directly.

HMAC keys (``kty: oct``): our JWKS providers refuse them by design (a shared secret never belongs in a published key
set; the JWK file's tcId 1 checks exactly that). A user with an HMAC key uses :class:`SharedSecret`, so for sets made
only of ``oct`` keys the test builds what that user would: each secret must pass ``SharedSecret``'s checks (length,
HS* algorithm), is bound with ``_jwk.hmac_key`` to its ``kid`` and ``alg``, and the token's key is chosen by the same
``select_keys`` as for a JWKS, with duplicate kids refused as ``KeySet.from_jwks`` refuses them.

Every vector must give its expected result, except the ones listed in ``DEVIATIONS`` with the reason; the test also
fails if a listed deviation stops deviating, so the list stays true.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from betterauth_jwt import BetterAuthJWTError, InvalidSignatureError, InvalidTokenError, MalformedTokenError
from betterauth_jwt._jose.jwk import KeyRejected, KeySet, VerificationKey, hmac_key, load_public_jwk
from betterauth_jwt._jose.token import DEFAULT_MAX_TOKEN_BYTES, _check_header, _check_shape, _json_object, b64url_decode
from betterauth_jwt._keys.fixed import KeyProvider, SharedSecret, StaticJWKS, select_keys

VECTORS = Path(__file__).parent.parent / "vectors" / "wycheproof"

# (file, tcId) -> why our result differs from Wycheproof's expected one. Each is a decision, not a bug.
DEVIATIONS: dict[tuple[str, int], str] = {
    ("json_web_signature_test.json", 346): "PS384 token under a key whose alg is PS256: the algorithm is bound to the "
    "key (JWK alg), so a token may not pick another one (README quirk; the safer behaviour)",
    ("json_web_signature_test.json", 350): "same as 346, with key_ops",
    ("json_web_signature_test.json", 347): "the RFC 7520 EC key says alg 'ES521', which is no JWA algorithm: a key "
    "whose alg does not fit its curve is refused at load rather than guessed at (README quirk)",
    ("json_web_signature_test.json", 351): "same as 347, with key_ops",
    ("json_web_signature_test.json", 367): "byte-identical to the valid tcId 357 yet marked invalid (README quirk): "
    "we accept it, as we accept 357",
    ("json_web_signature_test.json", 370): "byte-identical to the valid tcId 357 yet marked invalid (README quirk)",
    ("json_web_signature_test.json", 372): "'?' inside the header segment is not base64url; RFC 7515 (section 2, "
    "Base64url Encoding) allows no other characters, so we refuse what the vector calls valid (README quirk)",
    ("json_web_signature_test.json", 373): "'?' inside the payload segment: refused like 372",
}

# (file, tcId) of every "acceptable" vector -> (do we accept it?, why). An undecided one fails the test.
ACCEPTABLE: dict[tuple[str, int], tuple[bool, str]] = {
    ("rsa_signature_2048_sha256_test.json", 8): (
        False,
        "legacy PKCS#1 v1.5 DigestInfo without the NULL parameter: refused. jose (Better Auth) never produces it, and "
        "one accepted encoding leaves no room for ASN.1 parsing tricks",
    ),
}


@cache
def vectors(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return data


# -- whole tokens -------------------------------------------------------------------------------------------------------


def verify_jws(token: object, provider: KeyProvider) -> None:
    """The Verifier's path up to and including the signature check, for a payload that need not be JWT claims.

    Uses the parser's own steps (size and shape, header decoding and rules, strict base64url for payload and signature)
    and the provider's key selection; raises what the Verifier would raise.
    """
    header_segment, payload_segment, signature_segment = _check_shape(token, DEFAULT_MAX_TOKEN_BYTES)
    header = _json_object(header_segment, "header")
    alg, kid, _ = _check_header(header, provider.algorithms)
    b64url_decode(payload_segment)
    signature = b64url_decode(signature_segment)
    if not signature:
        raise MalformedTokenError("the token has an empty signature")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    if not any(key.verify(alg, signing_input, signature) for key in provider.get_keys(kid, alg)):
        raise InvalidSignatureError("the token's signature does not verify")


class SharedSecretsByKid:
    """``oct`` JWKs as a user of this library would hold them (see the module docstring)."""

    def __init__(self, members: Sequence[Mapping[str, Any]]) -> None:
        keys: list[VerificationKey] = []
        for member in members:
            alg, kid = member.get("alg"), member.get("kid")
            secret = b64url_decode(member.get("k") or "")
            SharedSecret(secret, algorithms=[alg])  # length, default-secret and algorithm rules; may raise
            keys.append(hmac_key(secret, [alg], kid))
        kids = [key.kid for key in keys if key.kid is not None]
        by_kid = {key.kid: key for key in keys if key.kid is not None and kids.count(key.kid) == 1}
        self.key_set = KeySet(by_kid=by_kid, without_kid=[key for key in keys if key.kid is None], rejected=[])
        self.algorithms = frozenset().union(*(key.algorithms for key in keys))
        self.generation = 0

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        return select_keys(self.key_set, kid, alg)

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        return self.get_keys(kid, alg)


def provider_for(keys: Sequence[Mapping[str, Any]]) -> KeyProvider:
    """Raises ConfigurationError when no provider can be built (every key refused)."""
    if keys and all(member.get("kty") == "oct" for member in keys):
        return SharedSecretsByKid(keys)
    return StaticJWKS({"keys": list(keys)})


def jws_outcome(group: Mapping[str, Any], token: object) -> tuple[bool, str]:
    """(accepted, why) for one vector: 'why' is the error code, or 'keys refused' when no provider could be built."""
    if "keys" in (group.get("public") or group["private"]):  # json_web_key_test.json: a key set
        members = (group.get("public") or group["private"])["keys"]
    else:  # json_web_signature_test.json: one key; the public half when the vector gives it
        members = [group.get("public") or group["private"]]
    try:
        provider = provider_for(members)
    except BetterAuthJWTError:
        return False, "keys refused"
    try:
        verify_jws(token, provider)
    except InvalidTokenError as exc:
        return False, exc.code
    return True, "accepted"


def _check_file(name: str, outcome: Any) -> dict[str, int]:
    data = vectors(name)
    mismatches: list[str] = []
    deviating: set[int] = set()
    counts = {"valid": 0, "invalid": 0, "acceptable": 0}
    for group in data["testGroups"]:
        for test in group["tests"]:
            counts[test["result"]] += 1
            accepted, why = outcome(group, test)
            if test["result"] == "acceptable":
                if (name, test["tcId"]) not in ACCEPTABLE:
                    mismatches.append(f"tcId {test['tcId']}: 'acceptable' with no decision in ACCEPTABLE")
                    continue
                expected = ACCEPTABLE[name, test["tcId"]][0]
            else:
                expected = test["result"] == "valid"
            if accepted == expected:
                continue
            if (name, test["tcId"]) in DEVIATIONS:
                deviating.add(test["tcId"])
                continue
            mismatches.append(f"tcId {test['tcId']} ({test['comment']}): expected {test['result']}, got {why}")
    assert mismatches == []
    listed = {tc for (file, tc) in DEVIATIONS if file == name}
    assert deviating == listed, "a documented deviation no longer deviates: update DEVIATIONS"
    assert sum(counts.values()) == data["numberOfTests"]
    return counts


def test_json_web_signature_vectors() -> None:
    counts = _check_file("json_web_signature_test.json", lambda g, t: jws_outcome(g, t["jws"]))
    assert counts == {"valid": 46, "invalid": 355, "acceptable": 0}


def test_json_web_key_vectors() -> None:
    counts = _check_file("json_web_key_test.json", lambda g, t: jws_outcome(g, t["jws"]))
    assert counts == {"valid": 5, "invalid": 21, "acceptable": 0}


def _test_case(name: str, tc_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    for group in vectors(name)["testGroups"]:
        for test in group["tests"]:
            if test["tcId"] == tc_id:
                return group, test
    raise LookupError(tc_id)


def test_the_byte_identical_quirk_is_what_the_readme_says() -> None:
    name = "json_web_signature_test.json"
    valid = _test_case(name, 357)[1]
    assert valid["result"] == "valid"
    for tc_id in (367, 370):
        group, test = _test_case(name, tc_id)
        assert test["jws"] == valid["jws"]
        assert test["result"] == "invalid"
        assert jws_outcome(group, test["jws"]) == (True, "accepted")


def test_the_question_mark_cases_are_refused_as_malformed() -> None:
    for tc_id in (372, 373):
        group, test = _test_case("json_web_signature_test.json", tc_id)
        assert "?" in test["jws"]
        assert jws_outcome(group, test["jws"]) == (False, "malformed_token")


def test_alg_bound_to_the_key_is_why_346_and_350_fail() -> None:
    for tc_id in (346, 350):
        group, test = _test_case("json_web_signature_test.json", tc_id)
        assert json.loads(base64.urlsafe_b64decode(test["jws"].split(".")[0] + "=="))["alg"] == "PS384"
        assert (group.get("public") or group["private"])["alg"] == "PS256"
        assert jws_outcome(group, test["jws"]) == (False, "unsupported_algorithm")


def test_es521_keys_are_refused_at_load() -> None:
    for tc_id in (347, 351):
        group, test = _test_case("json_web_signature_test.json", tc_id)
        assert group["public"]["alg"] == "ES521"
        with pytest.raises(KeyRejected, match="'alg'"):
            load_public_jwk(group["public"])
        assert jws_outcome(group, test["jws"]) == (False, "keys refused")


def test_oct_members_are_refused_by_the_jwks_provider_itself() -> None:
    # The mixed set of tcId 1 through StaticJWKS: the oct member is dropped, the EC key stays, HS256 is not allowed.
    group, test = _test_case("json_web_key_test.json", 1)
    provider = StaticJWKS(group["private"])
    assert provider.algorithms == {"ES256"}
    with pytest.raises(InvalidTokenError) as caught:
        verify_jws(test["jws"], provider)
    assert caught.value.code == "unsupported_algorithm"


# -- signatures -------------------------------------------------------------------------------------------------------


def _b64(hex_text: str, size: int) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hex_text).rjust(size, b"\x00")[-size:]).rstrip(b"=").decode()


def _signature_outcome(key_member: str, alg: str) -> Any:
    keys: dict[int, VerificationKey | str] = {}

    def outcome(group: dict[str, Any], test: dict[str, Any]) -> tuple[bool, str]:
        if id(group) not in keys:
            jwk = group.get(key_member)
            if jwk is None:  # a few ECDSA groups give only the point's coordinates
                point = group["publicKey"]
                jwk = {"kty": "EC", "crv": "P-256", "x": _b64(point["wx"], 32), "y": _b64(point["wy"], 32)}
            try:
                keys[id(group)] = load_public_jwk(jwk)
            except KeyRejected as exc:
                keys[id(group)] = str(exc)
        key = keys[id(group)]
        if isinstance(key, str):
            return False, f"key refused: {key}"
        accepted = key.verify(alg, bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))
        return accepted, "accepted" if accepted else "invalid_signature"

    return outcome


@pytest.mark.parametrize(
    ("name", "key_member", "alg", "expected_counts"),
    [
        ("ed25519_test.json", "publicKeyJwk", "EdDSA", {"valid": 88, "invalid": 63, "acceptable": 0}),
        ("ecdsa_secp256r1_sha256_p1363_test.json", "publicKeyJwk", "ES256", {"valid": 173, "invalid": 89, "acceptable": 0}),
        ("rsa_signature_2048_sha256_test.json", "keyJwk", "RS256", {"valid": 9, "invalid": 249, "acceptable": 1}),
        ("rsa_pss_2048_sha256_mgf1_32_test.json", "publicKeyJwk", "PS256", {"valid": 63, "invalid": 45, "acceptable": 0}),
    ],
)  # fmt: skip
def test_signature_vectors(name: str, key_member: str, alg: str, expected_counts: dict[str, int]) -> None:
    assert _check_file(name, _signature_outcome(key_member, alg)) == expected_counts


def test_the_pss_vectors_use_the_parameters_of_ps256() -> None:
    # RFC 7518 3.5: SHA-256, MGF1 with SHA-256, salt as long as the hash. Our PSS check fixes exactly these.
    for group in vectors("rsa_pss_2048_sha256_mgf1_32_test.json")["testGroups"]:
        assert (group["sha"], group["mgf"], group["mgfSha"], group["sLen"]) == ("SHA-256", "MGF1", "SHA-256", 32)
