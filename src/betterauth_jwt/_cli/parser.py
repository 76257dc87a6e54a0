"""The ``betterauth-jwt`` command line's arguments: the parser, the exit codes, usage errors, and reading the token.

Exit codes (documented in docs/cli.md): 0 success, 1 the token (or key set) was rejected, 2 usage or configuration
error, 3 the keys could not be obtained (:class:`KeysUnavailableError`, an outage rather than a bad token).

Secrets never come from the command line (they would land in shell history and ``ps``): ``--secret-env VAR`` or a hidden
prompt; the parser never repeats an unrecognised argument.
"""

from __future__ import annotations

import argparse
from typing import NoReturn, TextIO
from urllib.parse import unquote

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_KEYS_UNAVAILABLE = 3

_MAX_INPUT_CHARS = 1024 * 1024


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2, message on stderr."""


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
    verify.add_argument(
        "--issuer", help="expected iss (default with --base-url: its origin; with --oauth: the origin plus /api/auth)"
    )
    verify.add_argument(
        "--audience", action="append", help="accepted aud, repeatable (default: the issuer, as Better Auth sets it)"
    )
    verify.add_argument(
        "--kind", choices=("access", "session-cookie"), default="access", help="token kind (default: access)"
    )
    verify.add_argument("--leeway", type=float, default=0.0, help="seconds of clock skew to tolerate (default: 0)")
    oauth = verify.add_argument_group(
        "OAuth access tokens (Better Auth's oauth-provider; keys from --base-url or --jwks)"
    )
    oauth.add_argument("--oauth", action="store_true", help="verify an OAuth access token (typ at+jwt) for an API")
    oauth.add_argument("--resource", metavar="URL", help="the API's resource identifier, required in the token's aud")
    oauth.add_argument("--scope", action="append", metavar="SCOPE", help="a scope the token must grant, repeatable")
    _insecure_http_argument(verify)

    jwks = commands.add_parser("jwks", help="fetch a JWKS, validate each key, list usable and refused keys")
    jwks.add_argument("url", help="JWKS URL, e.g. https://app.example.com/api/auth/jwks")
    jwks.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    _insecure_http_argument(jwks)
    return parser
