"""``betterauth-jwt jwks``: fetch a JWKS once, the way a verifier would, and list its usable and refused keys."""

from __future__ import annotations

import argparse
from typing import Any

from .._errors import ConfigurationError, KeysUnavailableError
from .._jose.jwk import KeySet
from .output import Output
from .parser import EXIT_KEYS_UNAVAILABLE, EXIT_OK, EXIT_REJECTED, UsageError


class JWKSFetchFailed(Exception):
    """Nothing usable came back from a JWKS URL; ``reason`` is RemoteJWKS's failure code (``redirect``, ``not_json``...)."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


def fetch_jwks(url: str, *, allow_insecure_http: bool = False) -> KeySet:
    """One fetch of ``url`` through :class:`RemoteJWKS` (same https rule, size cap, timeout, no redirects, validation).

    Raises :class:`ConfigurationError` for a URL RemoteJWKS refuses and :class:`JWKSFetchFailed` when nothing usable
    came back.
    """
    from .._keys.remote import RemoteJWKS

    with RemoteJWKS(url, allow_insecure_http=allow_insecure_http) as remote:
        try:
            return remote.fetch_key_set()  # the verifier's own fetch-and-validate path, without its cache
        except KeysUnavailableError as failure:
            raise JWKSFetchFailed(failure.code, failure.description) from None


def cmd_jwks(args: argparse.Namespace, out: Output) -> int:
    try:
        key_set = fetch_jwks(args.url, allow_insecure_http=args.allow_insecure_http)
    except ConfigurationError as exc:
        raise UsageError(exc.description) from None
    except JWKSFetchFailed as failure:
        return _report_jwks_failure(out, args.url, failure)
    keys: list[dict[str, Any]] = [
        {"kid": key.kid, "kty": key.kty, "algorithms": sorted(key.algorithms)} for key in key_set.keys
    ]
    refused = [{"kid": name, "reason": reason} for name, reason in key_set.rejected]
    if out.as_json:
        out.document({"url": args.url, "usable": True, "keys": keys, "refused": refused})
        return EXIT_OK
    out.line(f"{len(keys)} usable key(s), {len(refused)} refused, from {args.url}")
    for key in keys:
        out.line(f"  ok       {key['kid'] or '(no kid)'}  {key['kty']}  {', '.join(key['algorithms'])}")
    for member in refused:
        out.line(f"  refused  {member['kid']}  {member['reason']}")
    return EXIT_OK


def _report_jwks_failure(out: Output, url: str, failure: JWKSFetchFailed) -> int:
    # The endpoint answered but refused every member: a bad key set (1). Anything else: we could not get one (3).
    bad_set = failure.reason == "no_usable_keys"
    status = EXIT_REJECTED if bad_set else EXIT_KEYS_UNAVAILABLE
    verdict = "no_usable_keys" if bad_set else KeysUnavailableError.code
    if out.as_json:
        out.document(
            {"url": url, "usable": False, "code": verdict, "reason": failure.reason, "description": failure.description}
        )
        return status
    out.line(f"{'NO USABLE KEY' if bad_set else 'KEYS UNAVAILABLE'} at {url} ({failure.reason}): {failure.description}")
    out.line("a verifier using this JWKS would answer 503 (keys unavailable) until this is fixed")
    return status
