"""What each error ``code`` usually means and how to fix it: the CLI's explanations, mirrored in docs/troubleshooting.md.

The error messages themselves stay short and safe to send to a client; these longer notes are for the developer reading
a terminal or the docs.
"""

from __future__ import annotations

__all__ = ["EXPLANATIONS", "MALFORMED_CASES", "explain"]

EXPLANATIONS: dict[str, str] = {
    "invalid_token": "The token was rejected. The more specific code, when there is one, says why.",
    "malformed_token": (
        "The value is not a compact JWT (three base64url parts). Check that the client sends the JWT itself, without "
        "quotes, whitespace or a second 'Bearer ' prefix."
    ),
    "token_too_large": (
        "The token is larger than the verifier's max_token_bytes (16 KiB by default). Better Auth tokens are far "
        "smaller: check what the client is sending, or raise max_token_bytes if your custom claims are large."
    ),
    "not_a_jwt": (
        "This is a Better Auth session token (bearer plugin, or the session_token cookie), not a JWT. Add the jwt() "
        "plugin to Better Auth and send the token from GET /api/auth/token (authClient.token()) or the set-auth-jwt "
        "header instead."
    ),
    "encrypted_token": (
        "The token is encrypted (JWE) and this verifier cannot read it: Better Auth's cookieCache strategy 'jwe' is "
        "decrypted only by Verifier(SharedSecret(secret), kind=TokenKind.SESSION_COOKIE); anything else encrypted is "
        "refused. Send a JWT-plugin access token to other verifiers."
    ),
    "no_bearer_scheme": (
        "The Authorization header holds a token without the Bearer scheme. Send 'Authorization: Bearer <token>': "
        "'Bearer', one space, then the JWT."
    ),
    "malformed_authorization": (
        "The Authorization header is not exactly 'Bearer <token>': two headers, two tokens, a comma, quotes or stray "
        "characters. Send one header with one token."
    ),
    "malformed_cookie": (
        "The session_data cookie is duplicated or its chunks (.0, .1, ...) are incomplete, or the session_token cookie "
        "is not '<token>.<44-character base64 signature>'. Clear the cookies and sign in again; check that a proxy "
        "does not drop or duplicate cookies."
    ),
    "unsupported_algorithm": (
        "The token's alg is not allowed by this verifier (or is 'none'). With a JWKS the algorithms come from the keys; "
        "with a shared secret only HS256 is allowed unless you pass algorithms=."
    ),
    "algorithm_mismatch": (
        "The token's alg differs from the algorithm of the key it names. Either the token was forged, or the server "
        "changed jwks.keyPairConfig.alg without rotating the key: check the JWKS."
    ),
    "unsupported_header": (
        "The token header carries 'crit' or 'b64', extensions this verifier never accepts. Better Auth never sets them."
    ),
    "embedded_key": (
        "The token header offers its own key (jwk, jku, x5u or x5c). Keys only come from your configuration; a token "
        "that brings its own key is an attack or a token from another system."
    ),
    "unknown_key": (
        "No key in the key set has the token's kid. Usual causes: the token comes from another Better Auth server "
        "(wrong JWKS URL), the key was rotated out after its grace period, or the JWKS could not be refreshed yet."
    ),
    "invalid_signature": (
        "The signature does not verify with the configured key. Usual causes: a different BETTER_AUTH_SECRET on the two "
        "sides (HS256), the wrong JWKS URL, or a token that was edited."
    ),
    "token_expired": (
        "The token's exp has passed. Access tokens from the jwt plugin live 15 minutes by default: the client should "
        "fetch a new one from /api/auth/token. Check also that the server's clock is right; leeway= allows small skew."
    ),
    "token_not_yet_valid": (
        "The token's iat or nbf lies in the future: usually a clock difference between the Better Auth server and this "
        "one. Synchronise the clocks (NTP) or allow a few seconds of leeway=."
    ),
    "invalid_issuer": (
        "The token's iss is not the configured issuer. Better Auth sets iss to the origin of its baseURL (scheme, host "
        "and port, no path): configure exactly that, or set jwt.issuer on the Better Auth side."
    ),
    "invalid_audience": (
        "The token's aud is not one the verifier accepts. Better Auth sets aud to the origin of its baseURL unless "
        "jwt.audience is configured: pass the same value as audience=."
    ),
    "missing_claim": (
        "A claim the token kind requires is missing (exp, iat, iss, aud or sub for access tokens; user.id for the "
        "session cookie). A custom jwt.definePayload must keep these."
    ),
    "invalid_claim": "A claim has the wrong type or value, for example a non-numeric exp or a session of another user.",
    "wrong_token_kind": (
        "The token is a different Better Auth token than the verifier expects: an access token where the session "
        "cookie is expected or the reverse, or an OAuth access token or id_token (signed by the same keys) where a "
        "first-party JWT is expected, or the reverse. Use kind=TokenKind.SESSION_COOKIE for the session_data cookie, "
        "and OAuthVerifier for tokens that OAuth clients (MCP clients, third-party apps) obtained."
    ),
    "opaque_token": (
        "The token is opaque (no dots), not a JWT: Better Auth's session token from sign-in's JSON, or an OAuth access "
        "token issued without a resource. Send the JWT from GET /api/auth/token (or the set-auth-jwt header); an OAuth "
        "client gets a JWT access token by sending resource=<this API> to the token endpoint."
    ),
    "sender_constrained_token": (
        "The OAuth access token is bound to a key (its cnf claim: DPoP or mTLS) and was sent as a plain bearer token. "
        "A bound token proves nothing without its proof; have the client ask for a bearer token (no DPoP header)."
    ),
    "inactive_token": (
        "Token introspection answered active: false: the opaque OAuth token is revoked, expired or unknown, or Better "
        "Auth will not vouch for it to this client (it does so only to the client the token was issued to). Have the "
        "client send resource=<this API> and present the JWT it then gets."
    ),
    "introspection_unavailable": (
        "The introspection endpoint could not be asked about an opaque token: down, slow, rate-limited, redirecting, "
        "answering garbage, or refusing our client credentials (check client_id, client_secret and auth_method). An "
        "outage, not a bad token."
    ),
    "keys_unavailable": (
        "The verification keys could not be fetched (JWKS endpoint down, unreachable, too slow or answering garbage) "
        "and nothing usable is cached. This is an outage, not a bad token: check the JWKS URL and the network."
    ),
    "configuration_error": (
        "The verifier's configuration cannot be safe or cannot work (weak secret, non-https JWKS URL, missing "
        "issuer/audience...). The message names the fix."
    ),
    "missing_token": (
        "The request carries no token: no 'Authorization: Bearer <jwt>' header (and no session cookie when cookies "
        "are enabled). Check that the client attaches the token, and that a proxy does not strip the header."
    ),
    "insufficient_scope": (
        "The token is valid but lacks what the route requires (HTTP 403): the user's role or claim for a first-party "
        "token (add the role on the Better Auth side, or check the guard), or an OAuth token's scope(s) (ask for "
        "them in the authorization request, scope=..., and have the user consent again)."
    ),
    # SessionVerifier: the session_token cookie against Better Auth's store
    "session_not_found": (
        "The session cookie is genuine but the store has no such session: signed out, revoked, deleted by Better Auth "
        "(expired, user banned), or the verifier reads another database / Redis than Better Auth writes."
    ),
    "session_expired": "The session's expiresAt is past (Better Auth's session.expiresIn). Sign in again.",
    "session_revoked": (
        "Redis: Better Auth's revoked-sessions-before-<userId> marker (revoke-all, user deleted or banned) is later "
        "than the session's creation."
    ),
    "user_not_found": "The session's user row no longer exists; Better Auth refuses such a session too.",
    "user_banned": "The admin plugin marks the user banned (banned set, banExpires unset or in the future).",
    "cross_site_request": (
        "HTTP 403: a cookie-authenticated request came from another site (Sec-Fetch-Site / Origin), or a WebSocket "
        "handshake did. Add the front end's origin to OriginCheck([...]); API clients should send a bearer token."
    ),
    "store_unavailable": (
        "HTTP 503: the session store could not be read (database or Redis down, timeout; Better Auth's get-session "
        "unreachable, 5xx or a redirect). An outage, not a bad cookie: retry after Retry-After."
    ),
    "store_data_invalid": (
        "HTTP 503: the session store holds something Better Auth does not write. Check table and column names "
        "(session_fields / user_fields), or the Redis database and key_prefix."
    ),
}


# ``malformed_token`` covers many different faults; the CLI says which one, keyed by a fragment of the description
# that _jose/token.py raises (tests/cli/test_cli_onramp.py pins one line per case).
MALFORMED_CASES: tuple[tuple[str, str], ...] = (
    ("is empty", "The value is empty: nothing was pasted, or the client sent 'Bearer ' with no token after it."),
    (
        "non-ASCII",
        "A JWT is plain ASCII, and this value has other characters: it was copied from a rendered page (a smart "
        "quote, an ellipsis, a non-breaking space). Copy it again from the raw response or the network tab.",
    ),
    (
        "three dot-separated parts",
        "A JWT has exactly three parts separated by two dots (header.payload.signature). This value has another "
        "number of parts: it was cut short when copied, or it is another value (an id, a refresh token, a cookie).",
    ),
    (
        "not unpadded base64url",
        "A part has characters outside base64url (A-Z a-z 0-9 - _): '=' padding, '+' or '/' of standard base64, "
        "whitespace or a line break. The value was changed on the way (wrapped, URL-encoded, re-encoded).",
    ),
    (
        "not canonical base64url",
        "A part's last character was changed: a token is accepted only in the one spelling it was signed in. The "
        "value was edited by hand or by a tool.",
    ),
    (
        "header is not strict JSON",
        "The first part decodes but is not strict JSON (a duplicate key, NaN, a trailing comma): no JWT library "
        "writes that; the token was made by hand or edited.",
    ),
    (
        "payload is not strict JSON",
        "The second part (the claims) decodes but is not strict JSON (a duplicate key, NaN, a trailing comma): the "
        "token was made by hand or edited.",
    ),
    (
        "header is not a JSON object",
        "The first part is JSON but not an object: not a JWT header, so this value is not a JWT.",
    ),
    (
        "payload is not a JSON object",
        "The second part is JSON but not an object: a JWT's claims are always an object, so this is not a JWT.",
    ),
    ("has no alg", "The header has no 'alg' (the signature algorithm): not a JWS; Better Auth always sets it."),
    (
        "kid is not",
        "The header's kid (which key signed it) is null, empty, not a string or very long: Better Auth writes the "
        "key's id as a string, so the token was made elsewhere or edited.",
    ),
    ("typ is not", "The header's typ is not a string: the token was made by hand or edited."),
    (
        "empty signature",
        "The third part (the signature) is empty: an unsigned token, or one cut short after the second dot.",
    ),
)


def explain(code: str, description: str | None = None) -> str:
    """The explanation for ``code``; a generic one for codes this version does not know. With the error's
    ``description``, a ``malformed_token`` is explained case by case."""
    if code == "malformed_token" and description:
        for fragment, text in MALFORMED_CASES:
            if fragment in description:
                return text
    return EXPLANATIONS.get(code, EXPLANATIONS["invalid_token"])
