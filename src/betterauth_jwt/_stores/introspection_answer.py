"""What an RFC 7662 introspection answer must say to become an :class:`AccessGrant` (Better Auth 1.7,
``@better-auth/oauth-provider`` 1.7.5), written without I/O; ``introspection`` sends the request and caches the result.

- ``active: true``; anything else is a rejected token (401, ``inactive_token``): revoked, expired, unknown, or not
  introspectable by this client.
- ``iss`` exactly the verifier's issuer; ``client_id`` present (``azp``, when present, equal to it); ``exp`` and ``iat``
  valid now; ``scope`` strict; no ``cnf`` and no ``token_type`` ``DPoP`` (a key-bound token is not a bearer token).
- Audience: an answer with ``aud`` must name this resource. Better Auth's opaque tokens have no audience (the jwt plugin
  turns every token asked for a resource into a JWT), and it answers ``active: true`` for such a token only to the
  client the token was issued to. So an answer without ``aud`` is accepted only for a client in ``accept_clients``,
  by default this resource server's own ``client_id``: a token some other client obtained for no resource in
  particular is not a token for this API.

A body that is not an RFC 7662 answer (not a JSON object, no boolean ``active``) is an outage, not a bad token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import InvalidClaimsError, InvalidTokenError, KeysUnavailableError, SenderConstrainedTokenError
from .._jose.json import JSONError, loads_strict
from .._kinds.claims import check_issuer, check_times, is_identifier
from .._kinds.identity import _frozen
from .._kinds.oauth import AccessGrant, access_grant

__all__ = ["IntrospectionRules", "decode_answer", "grant_from_answer"]


@dataclass(frozen=True, slots=True)
class IntrospectionRules:
    """What the verifier requires of every token, whatever its form (``OAuthVerifier``'s issuer, resource, scopes)."""

    issuer: str
    resource: str
    required_scopes: frozenset[str]
    leeway: float


def decode_answer(body: bytes) -> dict[str, Any]:
    """The RFC 7662 answer as a JSON object with a boolean ``active``, or an outage (it is not one)."""
    try:
        answer = loads_strict(body)
    except JSONError:
        answer = None
    if not isinstance(answer, dict) or type(answer.get("active")) is not bool:
        raise KeysUnavailableError(
            "token introspection failed: the introspection endpoint did not answer with an RFC 7662 JSON object",
            code="introspection_unavailable",
            retry_after=5.0,
        )
    return answer


def grant_from_answer(answer: dict[str, Any], rules: IntrospectionRules, now: float) -> tuple[AccessGrant, float]:
    """The grant an active answer describes and until when it holds, or the reason the token is refused."""
    if answer["active"] is not True:
        raise InvalidTokenError(
            "the authorization server says this token is not active (revoked, expired, unknown, or not issued to a "
            "client this resource server may introspect for)",
            code="inactive_token",
        )
    if "cnf" in answer or str(answer.get("token_type", "")).lower() == "dpop":
        raise SenderConstrainedTokenError(
            "this token is bound to a key (DPoP) and cannot be used as a bearer token; the resource server must check "
            "its DPoP proof"
        )
    check_issuer(answer, rules.issuer)
    client_id: Any = answer.get("client_id")
    if not is_identifier(client_id):
        raise InvalidClaimsError("the introspection answer names no client_id", code="missing_claim")
    if "azp" in answer and answer["azp"] != client_id:
        raise InvalidClaimsError("the introspection answer's 'azp' is not its client_id")
    # Better Auth leaves sub out for a client_credentials token without a resource: the client acts for itself.
    subject: Any = answer.get("sub", client_id)
    if not is_identifier(subject):
        raise InvalidClaimsError("the introspection answer's 'sub' is not an identifier", code="invalid_claim")
    aud = answer.get("aud")
    audience = () if aud is None else (aud,) if isinstance(aud, str) else aud
    if not isinstance(audience, tuple | list) or not all(isinstance(value, str) for value in audience):
        raise InvalidClaimsError("the introspection answer's 'aud' is not a string or a list of strings")
    _, valid_until = check_times(answer, now, rules.leeway)
    return access_grant(answer, subject, tuple(audience), _frozen(answer)), valid_until
