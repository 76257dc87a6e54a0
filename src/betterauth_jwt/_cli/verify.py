"""``betterauth-jwt verify``: build a :class:`Verifier` (or, with ``--oauth``, an :class:`OAuthVerifier`) from the
options, verify a token, show the identity (or the grant) or why not."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from .._errors import (
    BetterAuthJWTError,
    ConfigurationError,
    InsufficientScopeError,
    InvalidClaimsError,
    InvalidTokenError,
    KeysUnavailableError,
)
from .._jose.token import decode_unverified
from .._kinds.identity import Identity, TokenKind
from .._kinds.oauth import AccessGrant
from .._logging import token_fingerprint
from .explain import explain
from .output import Output, report_rejection
from .parser import EXIT_KEYS_UNAVAILABLE, EXIT_OK, UsageError, read_token
from .recognise import redact, relative, utc


def _secret(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    if args.secret_env:
        value = environ.get(args.secret_env)
        if not value:
            raise UsageError(f"the environment variable {args.secret_env} is not set or empty")
        return value
    if args.secret_prompt:
        return _prompt_secret()
    return None


NO_SECRET = "no secret given: --secret-prompt reads it from a terminal; without one, use --secret-env VAR"


def _prompt_secret() -> str:
    try:
        with warnings.catch_warnings():
            # Without a terminal getpass falls back to reading standard input *with echo*, warning first: stop there.
            warnings.simplefilter("error", getpass.GetPassWarning)
            value = getpass.getpass("Better Auth secret (hidden): ")
    except (EOFError, getpass.GetPassWarning):  # Ctrl-D at the prompt, or no terminal at all
        value = ""
    if not value:
        raise UsageError(NO_SECRET)
    return value


def build_oauth_verifier(args: argparse.Namespace) -> Any:
    """The :class:`OAuthVerifier` that ``--oauth`` and its options describe."""
    from .._oauth_verifier import OAuthVerifier

    if args.secret_env or args.secret_prompt:
        raise UsageError("--oauth takes keys from --base-url or --jwks: Better Auth signs OAuth tokens with its JWKS")
    if args.kind != "access" or args.audience:
        raise UsageError("--oauth checks --resource against aud; --kind and --audience are for first-party tokens")
    if not args.resource:
        raise UsageError("--oauth needs --resource URL: the API's identifier, which the token's aud must contain")
    if not args.base_url and not (args.jwks and args.issuer):
        raise UsageError("--oauth needs --base-url URL (or --jwks URL with --issuer)")
    options: dict[str, Any] = {"resource": args.resource, "required_scopes": args.scope or (), "leeway": args.leeway}
    try:
        if args.base_url:
            jwks_options = {"allow_insecure_http": True} if args.allow_insecure_http else None
            return OAuthVerifier.for_better_auth(
                args.base_url, issuer=args.issuer, jwks_url=args.jwks, jwks_options=jwks_options, **options
            )
        from .._keys.remote import RemoteJWKS

        keys = RemoteJWKS(args.jwks, allow_insecure_http=args.allow_insecure_http)
        return OAuthVerifier(keys, issuer=args.issuer, **options)
    except ConfigurationError as exc:
        raise UsageError(exc.description) from None


def build_verifier(args: argparse.Namespace, environ: Mapping[str, str]) -> Any:
    """The :class:`Verifier` the options describe; :class:`UsageError` when they do not describe one."""
    from .._keys.fixed import KeyProvider, SharedSecret
    from .._verifier import Verifier

    if args.oauth:
        return build_oauth_verifier(args)
    if args.resource or args.scope:
        raise UsageError("--resource and --scope are for OAuth access tokens: add --oauth")

    kind = TokenKind.SESSION_COOKIE if args.kind == "session-cookie" else TokenKind.ACCESS
    secret = _secret(args, environ)
    if secret is None and not args.jwks and not args.base_url:
        raise UsageError("say where the keys come from: --jwks URL, --base-url URL or --secret-env VAR")
    if secret is not None and args.jwks:
        raise UsageError("--jwks and a secret exclude each other: a token is signed with one or the other")
    options: dict[str, Any] = {"kind": kind, "leeway": args.leeway}
    if args.issuer:
        options["issuer"] = args.issuer
    if args.audience:
        options["audience"] = args.audience
    elif args.issuer and kind is TokenKind.ACCESS:
        options["audience"] = args.issuer  # Better Auth sets aud = iss = the origin unless configured otherwise
    try:
        if args.base_url:
            if secret is None and args.allow_insecure_http:
                options["jwks_options"] = {"allow_insecure_http": True}
            return Verifier.for_better_auth(args.base_url, secret=secret, jwks_url=args.jwks, **options)
        keys: KeyProvider
        if secret is not None:
            keys = SharedSecret(secret)
        else:
            from .._keys.remote import RemoteJWKS

            keys = RemoteJWKS(args.jwks, allow_insecure_http=args.allow_insecure_http)
        if kind is TokenKind.ACCESS and "issuer" not in options:
            raise UsageError("access tokens are checked against an issuer: add --issuer (or use --base-url)")
        return Verifier(keys, **options)
    except ConfigurationError as exc:
        raise UsageError(exc.description) from None


def _grant_data(grant: AccessGrant) -> dict[str, Any]:
    return {
        "subject": grant.subject,
        "user_id": grant.user_id,
        "client_id": grant.client_id,
        "machine": grant.is_machine,
        "scopes": sorted(grant.scopes),
        "audience": list(grant.audience),
        "issuer": grant.issuer,
        "session_id": grant.session_id,
        "jwt_id": grant.jwt_id,
        "issued_at": grant.issued_at.isoformat(),
        "expires_at": grant.expires_at.isoformat(),
    }


def _identity_data(identity: Identity) -> dict[str, Any]:
    return {
        "user_id": identity.user_id,
        "kind": identity.kind.value,
        "email": identity.email,
        "name": identity.name,
        "email_verified": identity.email_verified,
        "image": identity.image,
        "session_id": identity.session_id,
        "issued_at": identity.issued_at.isoformat(),
        "expires_at": identity.expires_at.isoformat(),
    }


def _plain(value: Any) -> Any:
    """Identity claims are frozen (mapping proxies, tuples); JSON wants dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _close(keys: object) -> None:
    close = getattr(keys, "close", None)
    if callable(close):
        close()


def cmd_verify(
    args: argparse.Namespace, stdin: TextIO, out: Output, clock: Callable[[], float], environ: Mapping[str, str]
) -> int:
    token = read_token(args.token, stdin)
    verifier = build_verifier(args, environ)
    try:
        identity = verifier.verify(token)
    except (InvalidTokenError, InsufficientScopeError) as exc:
        return report_rejection(out, exc, token, verified=True, hints=_hints(exc, token, verifier, args))
    except KeysUnavailableError as exc:
        return _report_outage(out, exc)
    finally:
        _close(verifier.keys)
    claims = redact(_plain(identity.claims))
    if isinstance(identity, AccessGrant):
        data, result, label = _grant_data(identity), "grant", "OAuth access token"
    else:
        data, result = _identity_data(identity), "identity"
        label = "session cookie" if identity.kind is TokenKind.SESSION_COOKIE else "access token"
    if out.as_json:
        out.document({"valid": True, "fingerprint": token_fingerprint(token), result: data, "claims": claims})
        return EXIT_OK
    now = clock()
    out.line(f"VALID {label}: signature and claims verified")
    for name, value in data.items():
        if value is not None and name not in ("issued_at", "expires_at", "kind"):
            shown = " ".join(value) if isinstance(value, list) else value
            out.line(f"{name + ':':<16}{shown}")
    for label, when in (("issued at:", identity.issued_at), ("expires:", identity.expires_at)):
        out.line(f"{label:<16}{utc(when.timestamp())} ({relative(when.timestamp(), now)})")
    out.block("claims", claims)
    return EXIT_OK


def _hints(exc: BetterAuthJWTError, token: str, verifier: Any, args: argparse.Namespace) -> list[str]:
    """What to change on this command line for this token, when the refusal says it (values, never the token)."""
    if exc.code == "unsupported_algorithm":
        alg: object = None
        with contextlib.suppress(InvalidTokenError):
            alg = decode_unverified(token)[0].get("alg")
        if not isinstance(alg, str):
            return []
        allowed = ", ".join(sorted(verifier.algorithms))
        hint = f"the token is signed with {alg}; this verifier allows {allowed}"
        if alg.startswith("HS") and not (args.secret_env or args.secret_prompt):
            hint += (
                f". An {alg} token is signed with Better Auth's secret, not a key from the JWKS: verify it with "
                "--secret-env BETTER_AUTH_SECRET (or --secret-prompt)" + (" instead of --jwks" if args.jwks else "")
            )
        return [hint]
    if isinstance(exc, InvalidClaimsError) and isinstance(exc.actual, str):
        if exc.code == "invalid_issuer":
            return [f"if {exc.actual!r} is your Better Auth server's origin, pass --issuer {exc.actual}"]
        if exc.code == "invalid_audience":
            flag = "--resource" if getattr(args, "oauth", False) else "--audience"
            return [f"if the token is meant for this service, pass {flag} {exc.actual}"]
    return []


def _report_outage(out: Output, exc: KeysUnavailableError) -> int:
    if out.as_json:
        out.document(
            {"valid": None, "code": exc.code, "description": exc.description, "explanation": explain(exc.code)}
        )
    else:
        out.line(f"KEYS UNAVAILABLE: {exc.description}")
        out.line(f"why: {explain(exc.code)}")
    return EXIT_KEYS_UNAVAILABLE
