"""End to end in headless Chromium against the real servers: Better Auth + Next.js and the todo API.

The walk-through itself is ``examples/nextjs_frontend/e2e/full_stack.mjs`` (playwright-core driving Debian's
/usr/bin/chromium); it prints one JSON line per step, and this test checks each step's verdict and evidence.
Screenshots of every step: test-artifacts/e2e/<mode>/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scripts import demo

from tests.e2e._stack import ARTIFACTS, RunningStack, full_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = demo.FRONTEND_DIR / "e2e" / "full_stack.mjs"
JWT_LIFETIME_S = 15  # short, so the test sees tokens expire; the page refreshes at 80 % of it
SCRIPT_TIMEOUT = 300.0

USER_A_TASKS = [
    "a-signs-up",
    "a-creates-tasks",
    "a-edits-a-task",
    "a-completes-a-task",
    "a-deletes-a-task",
    "every-api-call-carries-a-bearer-jwt",
]
ISOLATION = ["b-sees-none-of-a-tasks", "a-token-cannot-reach-b-task"]


@dataclass
class Walkthrough:
    returncode: int
    records: list[dict[str, Any]]
    stderr: str

    def steps(self) -> dict[str, dict[str, Any]]:
        return {record["step"]: record for record in self.records if "step" in record}

    def failure(self, stack: RunningStack) -> str:
        failed = [record for record in self.records if record.get("ok") is False]
        lines = [f"browser walk-through exited with {self.returncode}"]
        for record in failed:
            lines += [
                f"step {record['step']!r} failed: {record.get('error')}",
                f"screenshot: {record.get('screenshot')}",
            ]
        events = [record for record in self.records if "event" in record]
        if events:
            lines.append(f"events: {events}")
        lines += [f"stderr: {self.stderr[-3000:]}", stack.logs()]
        return "\n".join(lines)


def walk_through(stack: RunningStack, chromium: Path, screenshots: Path, *, watch_expiry: bool) -> Walkthrough:
    shutil.rmtree(screenshots, ignore_errors=True)
    env = {
        **os.environ,
        "BASE_URL": stack.config.web_url,
        "API_URL": stack.config.api_url,
        "AUTH_MODE": stack.config.mode,
        "WATCH_EXPIRY": "1" if watch_expiry else "0",
        "SCREENSHOT_DIR": str(screenshots),
        "CHROMIUM_PATH": str(chromium),
    }
    node = shutil.which("node") or "node"
    result = subprocess.run(
        [node, str(SCRIPT)],
        cwd=demo.FRONTEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    for record in records:  # shown by pytest with -rP, or on failure
        print(json.dumps(record))
    return Walkthrough(result.returncode, records, result.stderr)


def assert_all_passed(run: Walkthrough, stack: RunningStack, expected: list[str]) -> dict[str, dict[str, Any]]:
    steps = run.steps()
    assert run.returncode == 0, run.failure(stack)
    assert all(record["ok"] for record in steps.values()), run.failure(stack)
    assert list(steps) == expected, run.failure(stack)
    for record in steps.values():
        assert Path(record["screenshot"]).is_file(), f"no screenshot for {record['step']}"
    return steps


def assert_crud_and_isolation(steps: dict[str, dict[str, Any]], mode: str) -> None:
    signed_up = steps["a-signs-up"]["detail"]
    assert signed_up["alg"] == {"jwks": "EdDSA", "secret": "HS256"}[mode]
    assert steps["a-creates-tasks"]["detail"]["total"] == 3
    edited = steps["a-edits-a-task"]["detail"]["task"]
    assert (edited["title"], edited["description"]) == ("Write quarterly report", "Due Friday")
    assert edited["user_id"] == signed_up["user_id"]
    assert steps["a-completes-a-task"]["detail"]["completed"] is True
    assert steps["a-deletes-a-task"]["detail"]["deleted_status"] == 404
    assert set(steps["every-api-call-carries-a-bearer-jwt"]["detail"]["methods"]) >= {"GET", "POST", "PATCH", "DELETE"}
    bob = steps["b-sees-none-of-a-tasks"]["detail"]
    assert bob["total_before"] == 0
    assert bob["user_id"] != signed_up["user_id"]
    cross = steps["a-token-cannot-reach-b-task"]["detail"]
    assert cross["statuses"] == {"get": 404, "patch": 404, "complete": 404, "delete": 404}
    assert cross["own_task"] == 200


def test_two_users_tasks_refresh_and_sign_out_in_jwks_mode(
    frontend_build: None, chromium: Path, tmp_path: Path
) -> None:
    with full_stack("jwks", tmp_path, jwt_expiration=f"{JWT_LIFETIME_S}s") as stack:
        run = walk_through(stack, chromium, ARTIFACTS / "jwks", watch_expiry=True)
        steps = assert_all_passed(
            run,
            stack,
            [
                *USER_A_TASKS,
                "token-refreshed-after-expiry",
                *ISOLATION,
                "a-signs-out",
                "api-refuses-all-a-tokens-once-expired",
                "no-page-errors",
            ],
        )
    assert_crud_and_isolation(steps, "jwks")
    assert steps["a-signs-up"]["detail"]["lifetime_s"] == JWT_LIFETIME_S

    refresh = steps["token-refreshed-after-expiry"]["detail"]
    assert refresh["used_exp"] > refresh["first_exp"]  # a newer token was in use once the first had expired
    assert refresh["distinct_tokens"] >= 2
    assert refresh["tokens_issued"] >= 2
    assert refresh["expired_token_code"] == "token_expired"

    signed_out = steps["a-signs-out"]["detail"]
    assert signed_out == {"token_endpoint_status": 401, "anonymous_status": 401}
    after = steps["api-refuses-all-a-tokens-once-expired"]["detail"]
    assert after["tokens"] >= 2
    assert (after["statuses"], after["codes"]) == ([401], ["token_expired"])


def test_sign_up_tasks_and_isolation_in_shared_secret_mode(
    frontend_build: None, chromium: Path, tmp_path: Path
) -> None:
    with full_stack("secret", tmp_path) as stack:
        run = walk_through(stack, chromium, ARTIFACTS / "secret", watch_expiry=False)
        steps = assert_all_passed(run, stack, [*USER_A_TASKS, *ISOLATION, "a-signs-out", "no-page-errors"])
    assert_crud_and_isolation(steps, "secret")
    assert steps["a-signs-out"]["detail"] == {"token_endpoint_status": 401, "anonymous_status": 401}
