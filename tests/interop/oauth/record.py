"""Record real OAuth provider tokens into tests/fixtures/oauth/<config>.json.

    .venv/bin/python tests/interop/oauth/record.py                 # both configurations
    .venv/bin/python tests/interop/oauth/record.py issuer-origin   # just this one

For each configuration of server.mjs beside this file: start the provider, drive every flow once (see
``harness.issue_tokens``), and write the tokens with the JWKS that verifies them and a pinned ``now`` (the latest
``iat``). Installs the Node project (npm ci) if needed. Tokens expire (first-party JWTs 15 min after ``now``, OAuth
access tokens 1 h, id_tokens 10 h): unit tests must pin their clock to ``now``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.interop.oauth.harness import CONFIGS, FIXTURES, ensure_node_modules, write_fixture  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", metavar="CONFIG", help=f"default: all of {', '.join(CONFIGS)}")
    parser.add_argument("--out", type=Path, default=FIXTURES, help="directory (default: tests/fixtures/oauth)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(unknown)}")
    ensure_node_modules()
    for config in args.configs or CONFIGS:
        path = write_fixture(config, args.out)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
