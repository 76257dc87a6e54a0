"""What each contender does not check: tokens betterauth-jwt refuses, tried on every peer as the benchmark configures it.

The agreement check (``_contenders.disagreements``) requires what every verifier must refuse (bad signatures, ``alg:
none``, expiry, ``iss``, ``aud``, a missing ``exp``). These probes go further, to what betterauth-jwt also refuses; a
peer that accepts one gets its label in the benchmark's "does not check" column. Each probe is signed with the genuine
key, so only the rule it breaks can refuse it.
"""

from __future__ import annotations

import json
import time

from benchmarks._contenders import TOKEN_LIFETIME, Case, Contender
from betterauth_jwt.testing import sign_compact

# label -> what the token does that betterauth-jwt refuses
PROBES = {
    "no iat": "no 'iat' claim (Better Auth always sets one)",
    "iat in the future": "issued an hour from now",
    "nbf in the future": "not valid for another hour",
    "no sub": "no 'sub' claim: no user",
    "duplicate claim": "two 'sub' members in the payload JSON (which one is the user?)",
    "non-canonical base64url": "the signature's last character spelled with unused bits set",
    "crit header": "a critical header extension no one implements",
    "another token kind": "typ of Better Auth's session-cookie JWT",
}


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def probes(case: Case) -> dict[str, str]:
    f = case.factory
    now = int(time.time())
    claims = f.access_claims("victim", expires_in=TOKEN_LIFETIME)
    without = {name: {k: v for k, v in claims.items() if k != name} for name in ("iat", "sub")}
    payload = json.dumps(claims, separators=(",", ":"))
    duplicate = payload[:-1] + ',"sub":"admin"}'
    genuine = f.access_token("victim", expires_in=TOKEN_LIFETIME)
    head, body, signature = genuine.split(".")
    # The last character of a 4n+2 or 4n+3 character segment has unused low bits, all zero when canonical: setting
    # one spells the same bytes differently (RFC 4648 3.5), and lenient decoders drop it.
    twin = _ALPHABET[_ALPHABET.index(signature[-1]) | 1]
    return {
        "no iat": f.sign(without["iat"]),
        "iat in the future": f.sign({**claims, "iat": now + 3600}),
        "nbf in the future": f.sign({**claims, "nbf": now + 3600}),
        "no sub": f.sign(without["sub"]),
        "duplicate claim": f.sign(duplicate.encode()),
        "non-canonical base64url": f"{head}.{body}.{signature[:-1]}{twin}",
        "crit header": sign_compact({**f.header(), "crit": ["exp-ext"], "exp-ext": 1}, claims, f.private_key),
        "another token kind": sign_compact(
            {**f.header(), "typ": "better-auth.session-cache+jwt"}, claims, f.private_key
        ),
    }


def accepted_probes(contender: Contender, case: Case) -> list[str] | None:
    """The probes ``contender`` accepts (plus any tampered token it cannot be configured to refuse); None when it
    does not support this case."""
    verify = contender.build(case)
    if verify is None:
        return None
    out = list(contender.cannot_refuse)
    for label, token in probes(case).items():
        try:
            verify(token)
        except Exception:  # noqa: BLE001  (any library's error means it refused)
            continue
        out.append(label)
    return out
