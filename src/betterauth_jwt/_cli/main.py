"""The ``betterauth-jwt`` command (also ``python -m betterauth_jwt``): look inside a token, verify it, check a JWKS.

``run`` parses the arguments, routes the library's log, and hands over to one module per subcommand (``inspect``,
``verify``, ``jwks``); the parser and the exit codes are in ``parser``, the shared output in ``output``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn, TextIO

from .._logging import logger
from .inspect import cmd_inspect
from .jwks import cmd_jwks
from .output import Output, printable
from .parser import EXIT_KEYS_UNAVAILABLE, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, UsageError, make_parser
from .verify import cmd_verify

__all__ = ["EXIT_KEYS_UNAVAILABLE", "EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "main", "run"]


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
        stderr.write(f"betterauth-jwt {args.command}: error: {printable(str(exc))}\n")
        return EXIT_USAGE
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(argv))
