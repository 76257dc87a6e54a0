"""Record real Better Auth tokens into tests/fixtures/betterauth/<config>.json.

    .venv/bin/python scripts/record_fixtures.py             # every configuration
    .venv/bin/python scripts/record_fixtures.py eddsa hs256 # just these

For each configuration of tests/interop/betterauth/server.mjs: start the server, sign
up a user, collect every token kind it hands out, and write them with the JWKS (or the
shared secret) needed to verify them. Installs the Node project (npm ci) if needed.
Tokens expire (access tokens after 15 min, cookies after 5): verify fixtures with expiry
checks off, or with a clock pinned to the recorded ``iat``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.interop.harness import (  # noqa: E402  (needs the sys.path entry above)
    CONFIGS,
    COOKIE_CACHE_CONFIGS,
    SHARED_SECRET_CONFIGS,
    BetterAuthServer,
    better_auth_version,
    ensure_node_modules,
    fetch_jwks,
    sign_up,
)

FIXTURES = ROOT / "tests" / "fixtures" / "betterauth"
EMAIL = "alice@example.test"
PASSWORD = "correct horse battery staple"
NAME = "Alice Example"
ROTATION_INTERVAL = 2  # seconds; the recorder waits a bit longer than this for a new kid


def _b64url_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(header, claims) of a compact JWS, unverified; None if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        return _b64url_json(parts[0]), _b64url_json(parts[1])
    except (ValueError, binascii.Error):
        return None


def record(config: str) -> dict[str, Any]:
    env = {"BA_ROTATION_INTERVAL": str(ROTATION_INTERVAL)} if config == "rotation" else {}
    with (
        BetterAuthServer(config, env=env) as server,
        sign_up(server.base_url, EMAIL, PASSWORD, NAME) as session,
    ):
        tokens: dict[str, str | None] = {"access_token": session.token()}
        _, tokens["set_auth_jwt"], _ = session.get_session()
        if config in COOKIE_CACHE_CONFIGS:
            tokens["session_data"] = session.session_data_cookie()
        tokens["session_token"] = session.session_token()
        jwks = fetch_jwks(server.base_url)

        fixture: dict[str, Any] = {
            "config": config,
            "better_auth_version": better_auth_version(),
            "base_url": server.base_url,
            "user": session.user,
        }
        if jwks is not None:
            fixture["jwks"] = jwks
        if config == "rotation":
            # The signing key expires after ROTATION_INTERVAL; the next signing mints
            # a new kid while the old key stays published (grace period).
            time.sleep(ROTATION_INTERVAL + 1)
            tokens["access_token_after_rotation"] = session.token()
            fixture["jwks_after_rotation"] = fetch_jwks(server.base_url)
        if config in SHARED_SECRET_CONFIGS:
            fixture["secret"] = server.secret

    fixture["tokens"] = tokens
    decoded = {name: decode_unverified(value) for name, value in tokens.items() if value}
    fixture["header"] = {name: pair[0] for name, pair in decoded.items() if pair}
    fixture["claims"] = {name: pair[1] for name, pair in decoded.items() if pair}
    fixture["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return fixture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "configs",
        nargs="*",
        metavar="CONFIG",
        help=f"default: all of {', '.join(CONFIGS)}",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(unknown)}")
    ensure_node_modules()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for config in args.configs or CONFIGS:
        fixture = record(config)
        path = FIXTURES / f"{config}.json"
        path.write_text(json.dumps(fixture, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
