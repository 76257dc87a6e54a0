"""The example API's OpenAPI page in headless Chromium: the Authorize button takes a pasted token and "Try it out"
then answers as that user (issue: "The OpenAPI page shows the Authorize button and works with a pasted token")."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from scripts import demo

from betterauth_jwt.testing import TokenFactory
from tests.e2e._stack import ARTIFACTS
from tests.interop.todo_server import TodoAPIServer

pytestmark = [pytest.mark.browser]

SCRIPT = demo.FRONTEND_DIR / "e2e" / "swagger_authorize.mjs"
BETTER_AUTH_URL = "http://localhost:3000"


def test_swagger_ui_authorize_with_a_pasted_token(frontend_build: None, chromium: Path, tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(32)
    factory = TokenFactory("HS256", secret=secret, issuer=BETTER_AUTH_URL)
    token = factory.access_token("swagger-user")
    env = {
        "BETTER_AUTH_URL": BETTER_AUTH_URL,
        "BETTER_AUTH_SECRET": secret,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}",
    }
    screenshots = ARTIFACTS / "swagger"
    shutil.rmtree(screenshots, ignore_errors=True)
    with TodoAPIServer(env) as api:
        result = subprocess.run(
            [shutil.which("node") or "node", str(SCRIPT)],
            cwd=demo.FRONTEND_DIR,
            env={
                **os.environ,
                "API_URL": api.url,
                "TOKEN": token,
                "USER_ID": "swagger-user",
                "SCREENSHOT_DIR": str(screenshots),
                "CHROMIUM_PATH": str(chromium),
            },
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    steps = {
        record["step"]: record
        for line in result.stdout.splitlines()
        if line.startswith("{")
        for record in [json.loads(line)]
    }
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-3000:]}"
    assert list(steps) == [
        "docs-page-shows-authorize",
        "me-without-token-is-401",
        "paste-token-in-authorize",
        "me-with-pasted-token-answers-as-the-user",
    ]
    assert all(step["ok"] for step in steps.values())
    assert steps["me-without-token-is-401"]["status"] == 401
    assert steps["me-with-pasted-token-answers-as-the-user"]["status"] == 200
