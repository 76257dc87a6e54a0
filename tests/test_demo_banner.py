"""What ``make demo`` prints once both servers are up (scripts/demo.py ``describe``): the app's URL as Next prints it,
and how to get a token in JWKS mode. tests/e2e/test_demo.py runs the printed recipe against the real stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripts import demo

READY_LINE = "Press Ctrl-C to stop them all."  # tests/e2e/test_demo.py waits for it


def config(mode: str) -> demo.StackConfig:
    return demo.StackConfig(mode=mode, web_port=3005, api_port=8005, secret="s" * 40, data_dir=Path("/tmp/demo-data"))


def test_the_app_url_is_the_one_next_prints() -> None:
    stack = config("jwks")
    command = demo.next_command(stack)
    host = command[command.index("-H") + 1]
    banner = demo.describe(stack, data_kept=False)
    assert (
        f"Open the app:  http://{host}:3005" in banner
    )  # next start -H 127.0.0.1 prints "Local: http://127.0.0.1:3005"
    assert stack.web_url in banner  # the baseURL (iss and aud) is named too: the same server


@pytest.mark.parametrize("mode", ["jwks", "secret"])
def test_the_banner_says_how_to_get_a_token(mode: str) -> None:
    banner = demo.describe(config(mode), data_kept=False)
    assert "sign up or sign in at http://127.0.0.1:3005" in banner
    assert "http://127.0.0.1:3005/api/auth/token" in banner
    assert "Swagger UI's Authorize" in banner
    recipe = demo.token_recipe(config(mode))
    assert all(line in banner for line in recipe)
    assert "Origin: http://127.0.0.1:3005" in recipe[0]  # Better Auth refuses a sign-in without a trusted Origin
    assert "/api/auth/sign-in/email" in recipe[0]
    assert "-b cookies.txt" in recipe[1]
    assert "http://127.0.0.1:8005/api/tasks" in recipe[2]
    assert banner.rstrip().endswith(READY_LINE)  # what tests/e2e waits for


def test_the_examples_readme_shows_the_same_recipe() -> None:
    readme = (demo.ROOT / "examples" / "fastapi_todo" / "README.md").read_text(encoding="utf-8")
    joined = readme.replace(" \\\n  ", " ")  # a shell line continued with a backslash
    stack = demo.StackConfig(mode="jwks", web_port=3000, api_port=8000, secret="s" * 40, data_dir=Path("/tmp/d"))
    for line in demo.token_recipe(stack):
        assert line in joined, line
    assert "/api/auth/token" in readme
    assert "Authorize" in readme
