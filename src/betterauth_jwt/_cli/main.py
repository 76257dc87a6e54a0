"""The ``betterauth-jwt`` command (also ``python -m betterauth_jwt``): look inside a token, verify it, check a JWKS.

Exit codes (documented in docs/cli.md): 0 success, 1 the token (or key set) was rejected, 2 usage or configuration
error, 3 the keys could not be obtained (:class:`KeysUnavailableError`, an outage rather than a bad token).

Secrets never come from the command line (they would land in shell history and ``ps``): ``--secret-env VAR`` or a hidden
prompt. Output never contains a secret, the raw token, or the session token embedded in cookie claims.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TextIO
from urllib.parse import unquote

from .._errors import ConfigurationError, InvalidTokenError, KeysUnavailableError
from .._jose.jwk import KeySet
from .._kinds.identity import Identity, TokenKind
from .._logging import logger, token_fingerprint
from .explain import explain
from .recognise import KIND_DESCRIPTIONS, TIME_CLAIMS, recognise, redact, relative, time_report, utc

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_KEYS_UNAVAILABLE = 3

UNVERIFIED_BANNER = "UNVERIFIED: decoded without checking the signature or the claims. Do not trust what follows."
_MAX_INPUT_CHARS = 1024 * 1024


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2, message on stderr."""


# -- reading a token ---------------------------------------------------------------------------------------------------


def read_token(argument: str, stdin: TextIO) -> str:
    """The token from the argument, or from standard input for ``-``; a pasted ``Bearer`` prefix is dropped."""
    text = stdin.read(_MAX_INPUT_CHARS + 1) if argument == "-" else argument
    if len(text) > _MAX_INPUT_CHARS:
        raise UsageError("the input is larger than 1 MiB; that is not a token")
    token = text.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if "%" in token:  # a cookie value copied from browser developer tools is URL-encoded
        token = unquote(token)
    if not token:
        raise UsageError("no token given (pass it as an argument, or '-' to read it from standard input)")
    return token


# -- safe rendering ----------------------------------------------------------------------------------------------------


def _printable(text: str) -> str:
    """Escape control and bidi characters: a hostile claim must not drive the terminal (ANSI escapes, U+202E)."""
    return "".join(c if c.isprintable() or c == "\n" else f"\\u{ord(c):04x}" for c in text)


def _time_lines(times: Mapping[str, Mapping[str, Any]], now: float) -> list[str]:
    lines = []
    for name, label in TIME_CLAIMS:
        info = times.get(name)
        if info is None:
            continue
        if not info["valid"]:
            lines.append(f"{label + ':':<13}'{name}' is not a valid NumericDate")
            continue
        text = f"{info['utc']} ({info['relative']})"
        if name == "exp" and info["timestamp"] <= now:
            text = f"{info['utc']} (EXPIRED {info['relative']})"
        lines.append(f"{label + ':':<13}{text}")
    return lines


# -- output ------------------------------------------------------------------------------------------------------------


class Output:
    """Writes either human text or one JSON document; everything printed goes through :func:`_printable`."""

    def __init__(self, stream: TextIO, *, as_json: bool) -> None:
        self.stream = stream
        self.as_json = as_json

    def line(self, text: str = "") -> None:
        self.stream.write(_printable(text) + "\n")

    def document(self, data: Mapping[str, Any]) -> None:
        # ensure_ascii: control and bidi characters from a hostile token arrive escaped.
        self.stream.write(json.dumps(data, indent=2, ensure_ascii=True, sort_keys=False) + "\n")

    def block(self, title: str, data: Mapping[str, Any]) -> None:
        self.line(f"{title}:")
        self.line(json.dumps(data, indent=2, ensure_ascii=False))


# -- inspect -----------------------------------------------------------------------------------------------------------


def cmd_inspect(args: argparse.Namespace, stdin: TextIO, out: Output, clock: Callable[[], float]) -> int:
    token = read_token(args.token, stdin)
    now = clock()
    try:
        found = recognise(token)
    except InvalidTokenError as exc:
        return _report_rejection(out, exc, token, verified=False)
    claims = redact(found.claims) if found.claims is not None else None
    times = time_report(claims, now) if claims is not None else {}
    if found.kind == "compact_session_cookie" and claims and "expiresAt" in claims:
        times = time_report({"exp": claims["expiresAt"] / 1000}, now)
    expired = "exp" in times and times["exp"]["valid"] and times["exp"]["timestamp"] <= now
    if out.as_json:
        out.document(
            {
                "verified": False,
                "kind": found.kind,
                "description": found.description,
                "fingerprint": token_fingerprint(token),
                "header": found.header,
                "claims": claims,
                "times": times,
                "expired": expired,
                "notes": found.notes,
                "hint": found.hint,
            }
        )
        return EXIT_OK
    out.line(UNVERIFIED_BANNER)
    out.line(f"{'kind:':<13}{found.description}")
    out.line(f"{'fingerprint:':<13}{token_fingerprint(token)}")
    if found.header is not None:
        out.line(f"{'algorithm:':<13}{found.header.get('alg')}" + _kid_suffix(found.header))
    if claims:
        for label, name in (("issuer:", "iss"), ("audience:", "aud"), ("subject:", "sub")):
            if name in claims:
                out.line(f"{label:<13}{claims[name]}")
    for text in _time_lines(times, now):
        out.line(text)
    for note in found.notes:
        out.line(f"note: {note}")
    if found.header is not None:
        out.block("header", found.header)
    if claims is not None and found.kind != "compact_session_cookie":
        out.block("claims (unverified)", claims)
    if found.hint:
        out.line(f"hint: {found.hint}")
    return EXIT_OK


def _kid_suffix(header: Mapping[str, Any]) -> str:
    parts = [f"{name} {header[name]}" for name in ("kid", "typ") if name in header]
    return f" ({', '.join(parts)})" if parts else ""


# -- verify ------------------------------------------------------------------------------------------------------------


def _secret(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    if args.secret_env:
        value = environ.get(args.secret_env)
        if not value:
            raise UsageError(f"the environment variable {args.secret_env} is not set or empty")
        return value
    if args.secret_prompt:
        if not sys.stdin.isatty() and args.token == "-":
            raise UsageError("--secret-prompt needs a terminal; with the token on standard input use --secret-env")
        value = getpass.getpass("Better Auth secret (hidden): ")
        if not value:
            raise UsageError("no secret entered")
        return value
    return None


def build_verifier(args: argparse.Namespace, environ: Mapping[str, str]) -> Any:
    """The :class:`Verifier` the options describe; :class:`UsageError` when they do not describe one."""
    from .._keys.fixed import KeyProvider, SharedSecret
    from .._verifier import Verifier

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
    except InvalidTokenError as exc:
        return _report_rejection(out, exc, token, verified=True)
    except KeysUnavailableError as exc:
        return _report_outage(out, exc)
    finally:
        _close(verifier.keys)
    claims = redact(_plain(identity.claims))
    data = _identity_data(identity)
    if out.as_json:
        out.document({"valid": True, "fingerprint": token_fingerprint(token), "identity": data, "claims": claims})
        return EXIT_OK
    now = clock()
    label = "session cookie" if identity.kind is TokenKind.SESSION_COOKIE else "access token"
    out.line(f"VALID {label}: signature and claims verified")
    for name, value in data.items():
        if value is not None and name not in ("issued_at", "expires_at", "kind"):
            out.line(f"{name + ':':<16}{value}")
    for label, when in (("issued at:", identity.issued_at), ("expires:", identity.expires_at)):
        out.line(f"{label:<16}{utc(when.timestamp())} ({relative(when.timestamp(), now)})")
    out.block("claims", claims)
    return EXIT_OK


def _report_rejection(out: Output, exc: InvalidTokenError, token: str, *, verified: bool) -> int:
    looks_like: str | None = None
    if verified:
        with contextlib.suppress(InvalidTokenError):
            looks_like = recognise(token).kind
    if out.as_json:
        data: dict[str, Any] = {"valid": False, "code": exc.code, "description": exc.description}
        data["explanation"] = explain(exc.code)
        data["fingerprint"] = token_fingerprint(token)
        if looks_like is not None:
            data["looks_like"] = looks_like
        out.document(data)
        return EXIT_REJECTED
    out.line(f"{'REJECTED' if verified else 'NOT A TOKEN'}: {exc.code}: {exc.description}")
    out.line(f"why: {explain(exc.code)}")
    if looks_like is not None:
        out.line(f"the token looks like: {KIND_DESCRIPTIONS[looks_like]} (betterauth-jwt inspect - shows it)")
    return EXIT_REJECTED


def _report_outage(out: Output, exc: KeysUnavailableError) -> int:
    if out.as_json:
        out.document(
            {"valid": None, "code": exc.code, "description": exc.description, "explanation": explain(exc.code)}
        )
    else:
        out.line(f"KEYS UNAVAILABLE: {exc.description}")
        out.line(f"why: {explain(exc.code)}")
    return EXIT_KEYS_UNAVAILABLE


# -- jwks --------------------------------------------------------------------------------------------------------------


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


# -- argument parsing --------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse repeats unrecognised arguments verbatim; one of them may be a secret typed on the command line.
        if message.startswith("unrecognized arguments"):
            message = (
                "unrecognized arguments (not repeated here in case one is a secret); secrets are read with "
                "--secret-env VAR or --secret-prompt, never from the command line"
            )
        super().error(message)


def _token_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "token", help="the token, or '-' to read it from standard input (keeps it out of shell history)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def _insecure_http_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="fetch the JWKS over plain http from a host that is not loopback (development networks only)",
    )


def make_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(
        prog="betterauth-jwt",
        description="Inspect and verify Better Auth tokens, and check a JWKS.",
        epilog="Exit codes: 0 ok, 1 token or key set rejected, 2 usage or configuration error, 3 keys unavailable.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"betterauth-jwt {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the library's log (fetches, refusals)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    inspect = commands.add_parser(
        "inspect", help="decode a token WITHOUT verifying it and say what it is", allow_abbrev=False
    )
    _token_argument(inspect)

    verify = commands.add_parser("verify", help="verify a token's signature and claims", allow_abbrev=False)
    _token_argument(verify)
    source = verify.add_argument_group("where the keys come from (one of --jwks, --base-url, a secret)")
    source.add_argument("--jwks", metavar="URL", help="JWKS URL (https, or http on loopback)")
    source.add_argument(
        "--base-url", metavar="URL", help="Better Auth baseURL: JWKS at /api/auth/jwks, issuer = audience = its origin"
    )
    secret = source.add_mutually_exclusive_group()
    secret.add_argument(
        "--secret-env", metavar="VAR", help="read the HS256 shared secret from this environment variable"
    )
    secret.add_argument("--secret-prompt", action="store_true", help="ask for the shared secret (input hidden)")
    verify.add_argument("--issuer", help="expected iss (default with --base-url: its origin)")
    verify.add_argument(
        "--audience", action="append", help="accepted aud, repeatable (default: the issuer, as Better Auth sets it)"
    )
    verify.add_argument(
        "--kind", choices=("access", "session-cookie"), default="access", help="token kind (default: access)"
    )
    verify.add_argument("--leeway", type=float, default=0.0, help="seconds of clock skew to tolerate (default: 0)")
    _insecure_http_argument(verify)

    jwks = commands.add_parser("jwks", help="fetch a JWKS, validate each key, list usable and refused keys")
    jwks.add_argument("url", help="JWKS URL, e.g. https://app.example.com/api/auth/jwks")
    jwks.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    _insecure_http_argument(jwks)
    return parser


def run(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run the command line and return its exit code (``main`` passes it to ``sys.exit``)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    environ = os.environ if environ is None else environ
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error (already printed by argparse)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    out = Output(stdout, as_json=args.json)
    # The library logs (fingerprints and our own words only) go to stderr with --verbose; otherwise nowhere, rather than
    # through logging's last-resort handler.
    handler: logging.Handler = logging.StreamHandler(stderr) if args.verbose else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous_level = logger.level
    logger.addHandler(handler)
    if args.verbose:
        logger.setLevel(logging.DEBUG)
    try:
        if args.command == "inspect":
            return cmd_inspect(args, stdin, out, clock)
        if args.command == "verify":
            return cmd_verify(args, stdin, out, clock, environ)
        return cmd_jwks(args, out)
    except UsageError as exc:
        stderr.write(f"betterauth-jwt {args.command}: error: {_printable(str(exc))}\n")
        return EXIT_USAGE
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(argv))
