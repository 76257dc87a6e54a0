"""The CLI on the mistakes people make first (issue 23): the wrong key source for an HS256 token, a secret prompt with
no terminal, Ctrl-C, a paste into a terminal, flag names in messages, one ``why:`` line per malformed case."""

from __future__ import annotations

import getpass
import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import betterauth_jwt._jose.token as token_module
from betterauth_jwt._cli.explain import EXPLANATIONS, MALFORMED_CASES, explain
from betterauth_jwt._cli.main import EXIT_INTERRUPTED, EXIT_REJECTED, EXIT_USAGE, PASTE_PROMPT, run
from betterauth_jwt.testing import TokenFactory, b64url
from tests.cli.test_cli import SECRET, _read_until, cli

NO_SECRET = "no secret given"
JWKS_URL = "https://app.example.com/api/auth/jwks"  # never fetched: an HS256 token is refused before any key lookup


@pytest.fixture
def hs256() -> TokenFactory:
    return TokenFactory("HS256", secret=SECRET)


# -- the key source -----------------------------------------------------------------------------------------------------


def test_an_hs256_token_against_a_jwks_names_the_algorithm_the_allowed_set_and_secret_env(hs256: TokenFactory) -> None:
    result = cli("verify", hs256.access_token("u1"), "--jwks", JWKS_URL, "--issuer", hs256.issuer)
    assert result.code == EXIT_REJECTED
    assert "unsupported_algorithm" in result.stdout
    hint = next(line for line in result.stdout.splitlines() if line.startswith("hint: "))
    assert "signed with HS256" in hint
    assert "EdDSA" in hint
    assert "RS256" in hint
    assert "--secret-env BETTER_AUTH_SECRET" in hint
    assert "instead of --jwks" in hint
    report = cli("verify", hs256.access_token("u1"), "--jwks", JWKS_URL, "--issuer", hs256.issuer, "--json").json
    assert any("--secret-env" in text for text in report["hints"])


def test_issuer_and_audience_mismatches_show_both_values_but_never_the_token(hs256: TokenFactory) -> None:
    env = {"S": SECRET}
    token = hs256.access_token("u1", iss="http://127.0.0.1:3000")
    result = cli("verify", token, "--secret-env", "S", "--base-url", hs256.issuer, environ=env)
    assert result.code == EXIT_REJECTED
    assert f"the token's iss 'http://127.0.0.1:3000' (accepted: '{hs256.issuer}')" in result.stdout
    assert "hint: if 'http://127.0.0.1:3000' is your Better Auth server's origin, pass --issuer" in result.stdout
    report = cli("verify", token, "--secret-env", "S", "--base-url", hs256.issuer, "--json", environ=env).json
    assert report["claim"] == {"name": "iss", "value": "http://127.0.0.1:3000", "accepted": [hs256.issuer]}

    token = hs256.access_token("u1", aud=["https://api.example.com", "https://other.example"])
    result = cli("verify", token, "--secret-env", "S", "--base-url", hs256.issuer, environ=env)
    assert "invalid_audience" in result.stdout
    assert "the token's aud ['https://api.example.com', 'https://other.example']" in result.stdout
    assert f"(accepted: '{hs256.issuer}')" in result.stdout
    for part in token.split("."):
        assert part not in result.stdout


# -- the secret prompt ----------------------------------------------------------------------------------------------


def test_secret_prompt_without_a_terminal_says_no_secret_given(hs256: TokenFactory) -> None:
    # A new session has no controlling terminal: getpass cannot open /dev/tty and would fall back to an echoing stdin.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "betterauth_jwt",
            "verify",
            hs256.access_token(),
            "--secret-prompt",
            "--base-url",
            hs256.issuer,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )
    assert done.returncode == EXIT_USAGE
    assert NO_SECRET in done.stderr
    assert "Traceback" not in done.stderr
    assert "Warning" not in done.stderr  # getpass's "input may be echoed" never comes up


@pytest.mark.parametrize("answer", [EOFError(), ""])
def test_secret_prompt_ctrl_d_or_nothing_typed_says_no_secret_given(
    hs256: TokenFactory, monkeypatch: pytest.MonkeyPatch, answer: Any
) -> None:
    def fake_getpass(prompt: str = "") -> str:
        if isinstance(answer, BaseException):
            raise answer
        return str(answer)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    result = cli("verify", hs256.access_token(), "--secret-prompt", "--base-url", hs256.issuer)
    assert result.code == EXIT_USAGE
    assert NO_SECRET in result.stderr


def test_ctrl_d_at_a_real_secret_prompt(hs256: TokenFactory) -> None:
    pty = pytest.importorskip("pty")
    argv = [sys.executable, "-m", "betterauth_jwt", "verify", hs256.access_token(), "--secret-prompt"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [*argv, "--base-url", hs256.issuer])
    try:
        transcript = _read_until(fd, b"(hidden): ")
        os.write(fd, b"\x04")  # Ctrl-D on an empty line: end of input
        transcript += _read_until(fd, None)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == EXIT_USAGE
    assert NO_SECRET.encode() in transcript
    assert b"Traceback" not in transcript


# -- Ctrl-C and pasting into a terminal -------------------------------------------------------------------------------


class _Interrupting:
    def isatty(self) -> bool:
        return False

    def read(self, size: int = -1) -> str:
        raise KeyboardInterrupt


class _Terminal:
    def __init__(self, text: str) -> None:
        self.text = text

    def isatty(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        return self.text


def test_ctrl_c_is_a_quiet_exit_130() -> None:
    err = io.StringIO()
    code = run(["inspect", "-"], stdin=_Interrupting(), stdout=io.StringIO(), stderr=err)  # type: ignore[arg-type]
    assert code == EXIT_INTERRUPTED == 130
    assert err.getvalue().strip() == ""


def test_ctrl_c_in_a_real_terminal_while_pasting() -> None:
    pty = pytest.importorskip("pty")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-m", "betterauth_jwt", "inspect", "-"])
    status, done = None, 0
    try:
        transcript = _read_until(fd, PASTE_PROMPT.encode())  # inspect - on a terminal says what it waits for
        # Ctrl-C: the terminal sends SIGINT. Pressed again after a pause if the first landed in the instant before the
        # read began (a signal there is only seen when the read returns).
        for _ in range(20):
            os.write(fd, b"\x03")
            transcript += _read_for(fd, 0.5)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
    finally:
        if status is None or not done:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == EXIT_INTERRUPTED
    assert b"Traceback" not in transcript
    assert b"KeyboardInterrupt" not in transcript


def _read_for(fd: int, seconds: float) -> bytes:
    import select

    data, deadline = b"", time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return data
            if not chunk:
                return data
            data += chunk
    return data


def test_sigint_during_a_piped_read_exits_130_without_a_traceback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "from betterauth_jwt._cli.main import main; print('ready', flush=True); main()",
         "inspect", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    time.sleep(0.5)  # into main(), waiting on standard input (a signal before main() is Python's own business)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in stderr


def test_inspect_dash_on_a_terminal_says_paste_then_ctrl_d(hs256: TokenFactory) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(["inspect", "-"], stdin=_Terminal(hs256.access_token()), stdout=out, stderr=err)  # type: ignore[arg-type]
    assert code == 0
    assert "paste the token, then Ctrl-D" in err.getvalue()
    assert "paste" not in out.getvalue()  # the prompt stays off stdout, which may be piped into jq
    piped = cli("inspect", "-", stdin=hs256.access_token())
    assert "paste" not in piped.stderr


# -- flag names, and one why: per malformed case ------------------------------------------------------------------------


def test_messages_use_flag_names_not_keyword_arguments(hs256: TokenFactory) -> None:
    result = cli("verify", hs256.access_token(), "--jwks", "http://auth.internal/api/auth/jwks", "--issuer", "x")
    assert result.code == EXIT_USAGE
    assert "--allow-insecure-http" in result.stderr
    assert "allow_insecure_http" not in result.stderr
    leeway = cli("verify", hs256.access_token(), "--secret-env", "S", "--base-url", hs256.issuer, "--leeway", "900",
                 environ={"S": SECRET})  # fmt: skip
    assert "--leeway must be" in leeway.stderr
    expired = cli(
        "verify", hs256.expired_token(), "--secret-env", "S", "--base-url", hs256.issuer, environ={"S": SECRET}
    )
    why = next(line for line in expired.stdout.splitlines() if line.startswith("why: "))
    assert "--leeway" in why
    assert "leeway=" not in why


def _malformed(header: bytes, payload: bytes = b'{"sub":"u"}', signature: str = "c2ln") -> str:
    return f"{b64url(header)}.{b64url(payload)}.{signature}"


MALFORMED_TOKENS = {
    "empty": "",
    "non-ASCII": "eyJhbGciOiJIUzI1NiJ9.é.c2ln",
    "two parts": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0",
    "not base64url": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0=.c2ln",
    "not canonical": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In1.c2ln",
    "header not JSON": _malformed(b'{"alg":"HS256","alg":"HS256"}'),
    "payload not JSON": _malformed(b'{"alg":"HS256"}', b'{"sub":NaN}'),
    "header not an object": _malformed(b"[1]"),
    "payload not an object": _malformed(b'{"alg":"HS256"}', b"[1]"),
    "no alg": _malformed(b'{"typ":"JWT"}'),
    "bad kid": _malformed(b'{"alg":"HS256","kid":null}'),
    "bad typ": _malformed(b'{"alg":"HS256","typ":1}'),
    "empty signature": _malformed(b'{"alg":"HS256"}', signature=""),
}


def test_each_malformed_case_has_its_own_why_line(hs256: TokenFactory) -> None:
    seen: dict[str, str] = {}
    for case, token in MALFORMED_TOKENS.items():
        result = cli("verify", "-", "--secret-env", "S", "--base-url", hs256.issuer, stdin=token or " ",
                     environ={"S": SECRET})  # fmt: skip
        if case == "empty":  # the CLI refuses an empty input itself; the library's case is checked directly below
            assert result.code == EXIT_USAGE
            continue
        assert result.code == EXIT_REJECTED, (case, result.stdout)
        assert "malformed_token" in result.stdout, case
        why = next(line for line in result.stdout.splitlines() if line.startswith("why: "))
        assert why != f"why: {EXPLANATIONS['malformed_token']}", case
        assert why not in seen.values(), (case, seen)
        seen[case] = why
    assert explain("malformed_token", "the token is empty") != EXPLANATIONS["malformed_token"]
    assert len({text for _, text in MALFORMED_CASES}) == len(MALFORMED_CASES)


def test_every_malformed_description_in_the_parser_has_a_case() -> None:
    source = Path(token_module.__file__).read_text(encoding="utf-8")
    # every MalformedTokenError("...") without another code, plus the shared base64url message and f-string templates
    raised = re.findall(r'MalformedTokenError\(\s*f?"([^"]+)"\s*\)', source)
    raised.append(token_module._NOT_BASE64URL)
    for description in raised:
        for what in ("header", "payload"):
            text = description.replace("{what}", what).replace(" ({exc})", "")
            assert explain("malformed_token", text) != EXPLANATIONS["malformed_token"] or "string" in text, text
