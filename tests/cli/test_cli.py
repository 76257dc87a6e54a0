"""The ``betterauth-jwt`` command: inspect, verify and jwks, against real tokens, a real JWKS server and real processes."""

from __future__ import annotations

import io
import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from betterauth_jwt import TokenKind
from betterauth_jwt._cli.explain import EXPLANATIONS
from betterauth_jwt._cli.main import EXIT_KEYS_UNAVAILABLE, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, run
from betterauth_jwt._web import outcome as _outcome
from betterauth_jwt.testing import JWKSServer, TokenFactory, b64url, public_jwk, sign_compact

SRC = Path(__file__).resolve().parents[2] / "src" / "betterauth_jwt"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "betterauth"
NOW = 1_800_000_000.0
SECRET = "cli-test-secret-0123456789-abcdefghijklmnop"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]


def cli(*argv: str, stdin: str = "", environ: Mapping[str, str] | None = None, now: float | None = None) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = run(
        list(argv),
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        environ=dict(environ or {}),
        clock=(lambda: now) if now is not None else time.time,
    )
    return Result(code, out.getvalue(), err.getvalue())


def assert_no_token(result: Result, token: str) -> None:
    for part in token.split("."):
        if len(part) > 10:
            assert part not in result.stdout
            assert part not in result.stderr


@pytest.fixture
def pinned() -> TokenFactory:
    return TokenFactory("EdDSA", clock=lambda: NOW)


# -- inspect -----------------------------------------------------------------------------------------------------------


def test_inspect_access_token_is_marked_unverified_and_shows_expiry_in_words(pinned: TokenFactory) -> None:
    token = pinned.access_token("user_42", role="admin")
    result = cli("inspect", token, now=NOW + 60)
    assert result.code == EXIT_OK
    assert result.stdout.startswith("UNVERIFIED")
    assert "access token" in result.stdout
    assert "(in 14 minutes)" in result.stdout
    assert "(1 minute ago)" in result.stdout
    assert '"role": "admin"' in result.stdout
    assert "hint: betterauth-jwt verify - --base-url http://localhost:3000" in result.stdout
    assert_no_token(result, token)


def test_inspect_json(pinned: TokenFactory) -> None:
    token = pinned.access_token("user_42")
    report = cli("inspect", token, "--json", now=NOW + 2 * 3600).json
    assert report["verified"] is False
    assert report["kind"] == "access_token"
    assert report["claims"]["sub"] == "user_42"
    assert report["header"]["kid"] == pinned.kid
    assert report["expired"] is True
    assert report["times"]["exp"]["relative"] == "1 hour 45 minutes ago"


def test_inspect_says_expired(pinned: TokenFactory) -> None:
    result = cli("inspect", pinned.expired_token(ago=3 * 86400), now=NOW)
    assert "(EXPIRED 3 days ago)" in result.stdout


@pytest.mark.parametrize(
    ("config", "token_name", "kind"),
    [
        ("eddsa", "access_token", "access_token"),
        ("rs256", "set_auth_jwt", "access_token"),
        ("hs256", "access_token", "access_token"),
        ("cookie-jwt", "session_data", "session_cookie"),
        ("cookie-jwks", "session_data", "jwks_session_cookie"),
        ("eddsa", "session_token", "session_token"),
    ],
)
def test_inspect_recognises_real_better_auth_tokens(config: str, token_name: str, kind: str) -> None:
    token = fixture(config)["tokens"][token_name]
    report = cli("inspect", "-", "--json", stdin=token + "\n").json
    assert report["kind"] == kind
    assert report["verified"] is False


def test_inspect_redacts_the_session_token_inside_cookies() -> None:
    for config in ("cookie-jwt", "cookie-jwks"):
        recorded = fixture(config)
        session_token = recorded["claims"]["session_data"]["session"]["token"]
        for extra in ((), ("--json",)):
            result = cli("inspect", recorded["tokens"]["session_data"], *extra)
            assert result.code == EXIT_OK
            assert session_token not in result.stdout
            assert "<redacted session token>" in result.stdout


def test_inspect_hints_the_verify_options_for_each_kind() -> None:
    hs256 = cli("inspect", fixture("hs256")["tokens"]["access_token"], "--json").json
    assert "--secret-env" in hs256["hint"]
    cookie = cli("inspect", fixture("cookie-jwt")["tokens"]["session_data"], "--json").json
    assert "--kind session-cookie" in cookie["hint"]


def test_inspect_recognises_jwe_and_compact_cookies() -> None:
    header = b64url(json.dumps({"alg": "dir", "enc": "A256CBC-HS512", "kid": "abc"}).encode())
    jwe = f"{header}..{b64url(b'iv' * 8)}.{b64url(b'ciphertext')}.{b64url(b'tag' * 5)}"
    report = cli("inspect", jwe, "--json").json
    assert report["kind"] == "jwe"
    assert report["header"]["enc"] == "A256CBC-HS512"
    assert report["claims"] is None

    compact = {
        "session": {"session": {"token": "secret-session"}, "user": {}},
        "expiresAt": NOW * 1000,
        "signature": "x",
    }
    result = cli("inspect", b64url(json.dumps(compact).encode()), now=NOW - 120)
    assert result.code == EXIT_OK
    assert "strategy 'compact'" in result.stdout
    assert "(in 2 minutes)" in result.stdout
    assert "secret-session" not in result.stdout


def test_inspect_rejects_what_is_not_a_token() -> None:
    result = cli("inspect", "definitely not a token")
    assert result.code == EXIT_REJECTED
    assert "malformed_token" in result.stdout
    report = cli("inspect", "a.b", "--json").json
    assert report["valid"] is False
    assert report["code"] == "malformed_token"
    assert report["explanation"] == EXPLANATIONS["malformed_token"]


def test_inspect_reads_stdin_and_drops_a_bearer_prefix(pinned: TokenFactory) -> None:
    token = pinned.access_token("from_stdin")
    assert cli("inspect", "-", "--json", stdin=f"  Bearer {token}\n").json["claims"]["sub"] == "from_stdin"


def test_hostile_claims_cannot_drive_the_terminal(pinned: TokenFactory) -> None:
    token = pinned.access_token("user_1", name="\x1b[2J\x1b[31mowned\u202e", iss="\x1b]0;title\x07")
    for extra in ((), ("--json",)):
        result = cli("inspect", token, *extra)
        for control in ("\x1b", "\u202e", "\x07"):
            assert control not in result.stdout
        assert "owned" in result.stdout


# -- verify ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def hs256() -> TokenFactory:
    return TokenFactory("HS256", secret=SECRET)


def test_verify_with_a_secret_from_the_environment(hs256: TokenFactory) -> None:
    token = hs256.access_token("user_7", email="seven@example.com")
    result = cli(
        "verify", "-", "--secret-env", "BA_SECRET", "--issuer", hs256.issuer, stdin=token, environ={"BA_SECRET": SECRET}
    )
    assert result.code == EXIT_OK, result.stdout + result.stderr
    assert result.stdout.startswith("VALID access token")
    assert "user_7" in result.stdout
    assert "seven@example.com" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    assert_no_token(result, token)


def test_verify_json_with_base_url(hs256: TokenFactory) -> None:
    token = hs256.access_token("user_7", role="admin")
    result = cli("verify", token, "--secret-env", "S", "--base-url", hs256.issuer, "--json", environ={"S": SECRET})
    report = result.json
    assert report["valid"] is True
    assert report["identity"]["user_id"] == "user_7"
    assert report["identity"]["kind"] == "access"
    assert report["claims"]["role"] == "admin"


def test_verify_session_cookie_redacts_the_session_token(hs256: TokenFactory) -> None:
    token = hs256.session_cookie("user_8")
    result = cli("verify", token, "--kind", "session-cookie", "--secret-env", "S", "--json", environ={"S": SECRET})
    report = result.json
    assert report["valid"] is True
    assert report["identity"]["kind"] == "session_cookie"
    assert report["claims"]["session"]["token"] == "<redacted session token>"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda f: f.expired_token(), "token_expired"),
        (lambda f: f.not_yet_valid_token(starts_in=600), "token_not_yet_valid"),
        (lambda f: TokenFactory("HS256").access_token(), "invalid_signature"),
        (lambda f: f.access_token(iss="https://elsewhere.example"), "invalid_issuer"),
    ],
)
def test_verify_rejections_exit_1_with_code_and_explanation(hs256: TokenFactory, make: Any, code: str) -> None:
    token = make(hs256)
    result = cli("verify", token, "--secret-env", "S", "--base-url", hs256.issuer, environ={"S": SECRET})
    assert result.code == EXIT_REJECTED
    assert result.stdout.startswith(f"REJECTED: {code}: ")
    assert f"why: {EXPLANATIONS[code]}" in result.stdout
    report = cli("verify", token, "--secret-env", "S", "--base-url", hs256.issuer, "--json", environ={"S": SECRET}).json
    assert report == {
        "valid": False,
        "code": code,
        "description": report["description"],
        "explanation": EXPLANATIONS[code],
        "fingerprint": report["fingerprint"],
        "looks_like": "access_token",
    }


def test_verify_points_at_the_right_kind(hs256: TokenFactory) -> None:
    result = cli(
        "verify", hs256.session_cookie(), "--secret-env", "S", "--base-url", hs256.issuer, environ={"S": SECRET}
    )
    assert result.code == EXIT_REJECTED
    assert "wrong_token_kind" in result.stdout
    assert "the token looks like: session cookie cache" in result.stdout


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--secret-env", "MISSING", "--issuer", "http://localhost:3000"], {}, "MISSING is not set"),
        (["--secret-env", "S", "--issuer", "http://localhost:3000"], {"S": "short"}, "at least 32"),
        (["--secret-env", "S"], {"S": SECRET}, "--issuer"),
        ([], {}, "--jwks URL, --base-url URL or --secret-env VAR"),
        (["--jwks", "http://keys.example.com/jwks", "--issuer", "x"], {}, "https"),
        (["--jwks", "https://keys.example.com/jwks", "--secret-env", "S"], {"S": SECRET}, "exclude each other"),
    ],
)
def test_verify_usage_errors_exit_2(argv: list[str], environ: dict[str, str], message: str) -> None:
    result = cli("verify", "a.b.c", *argv, environ=environ)
    assert result.code == EXIT_USAGE
    assert message in result.stderr
    for value in environ.values():
        assert value not in result.stderr


def test_secrets_are_refused_on_the_command_line_and_never_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--secret", "hunter2-but-longer-than-32-bytes!!"], ["--secret=hunter2-but-longer-than-32-bytes!!"]):
        result = cli("verify", "a.b.c", "--base-url", "http://localhost:3000", *argv)
        assert result.code == EXIT_USAGE
        captured = capsys.readouterr()
        assert "hunter2" not in captured.err + captured.out + result.stderr
        assert "--secret-env" in captured.err


def test_verify_against_a_real_jwks_server() -> None:
    factory = TokenFactory("ES256")
    token = factory.access_token("user_9")
    with JWKSServer(factory) as server:
        by_url = cli("verify", token, "--jwks", server.url, "--issuer", factory.issuer, "--json")
        assert by_url.code == EXIT_OK, by_url.stdout
        assert by_url.json["identity"]["user_id"] == "user_9"
        factory_for_server = TokenFactory("ES256", issuer=server.base_url)
        server.set_jwks(factory_for_server)
        by_base_url = cli("verify", factory_for_server.access_token("user_10"), "--base-url", server.base_url)
        assert by_base_url.code == EXIT_OK, by_base_url.stdout
        assert "user_10" in by_base_url.stdout
        unknown = cli("verify", token, "--base-url", server.base_url, "--json")
        assert unknown.code == EXIT_REJECTED
        assert unknown.json["code"] == "unknown_key"


def test_verify_exits_3_when_the_keys_are_unavailable() -> None:
    factory = TokenFactory()
    with JWKSServer(factory) as server:
        server.fail(500)
        result = cli("verify", factory.access_token(), "--jwks", server.url, "--issuer", factory.issuer)
        report = cli("verify", factory.access_token(), "--jwks", server.url, "--issuer", factory.issuer, "--json").json
    assert result.code == EXIT_KEYS_UNAVAILABLE
    assert result.stdout.startswith("KEYS UNAVAILABLE:")
    assert report["code"] == "keys_unavailable"
    assert report["valid"] is None


# -- jwks --------------------------------------------------------------------------------------------------------------


def test_jwks_lists_usable_and_refused_members() -> None:
    factory = TokenFactory("EdDSA")
    weak_rsa = public_jwk(TokenFactory("RS256").private_key, "RS256", "legacy-rsa")  # type: ignore[arg-type]
    weak_rsa["n"] = b64url(b"\xc5" * 128)  # a 1024-bit modulus
    jwks = {"keys": [*factory.jwks["keys"], weak_rsa, {"kty": "oct", "k": "c2VjcmV0", "kid": "shared"}]}
    with JWKSServer(jwks) as server:
        result = cli("jwks", server.url)
        report = cli("jwks", server.url, "--json").json
    assert result.code == EXIT_OK
    assert f"ok       {factory.kid}  OKP  EdDSA" in result.stdout
    assert "refused  legacy-rsa  RSA modulus is 1024 bits" in result.stdout
    assert "refused  shared  symmetric ('oct') keys never belong in a public key set" in result.stdout
    assert report["usable"] is True
    assert report["keys"] == [{"kid": factory.kid, "kty": "OKP", "algorithms": ["EdDSA"]}]
    assert {member["kid"] for member in report["refused"]} == {"legacy-rsa", "shared"}


def test_jwks_with_no_usable_key_exits_1_and_says_why() -> None:
    with JWKSServer({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "shared"}]}) as server:
        result = cli("jwks", server.url)
        report = cli("jwks", server.url, "--json").json
    assert result.code == EXIT_REJECTED
    assert "NO USABLE KEY" in result.stdout
    assert "oct" in result.stdout
    assert report["code"] == "no_usable_keys"


@pytest.mark.parametrize(
    ("behave", "code"), [("fail", "http_status"), ("send_garbage", "not_json"), ("redirect", "redirect")]
)
def test_jwks_outages_exit_3(behave: str, code: str) -> None:
    with JWKSServer(TokenFactory()) as server:
        getattr(server, behave)()
        result = cli("jwks", server.url, "--json")
    assert result.code == EXIT_KEYS_UNAVAILABLE
    assert result.json["code"] == "keys_unavailable"
    assert result.json["reason"] == code


def test_jwks_refuses_plain_http_to_a_remote_host() -> None:
    result = cli("jwks", "http://keys.example.com/jwks")
    assert result.code == EXIT_USAGE
    assert "https" in result.stderr


def _loopback_alias() -> str | None:
    """A host name (not "localhost") that resolves to 127.0.0.1 here, such as the machine's own name, if any."""
    import socket

    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    except OSError:
        return None
    return name if name != "localhost" and addresses == {"127.0.0.1"} else None


def test_allow_insecure_http_is_an_explicit_opt_in() -> None:
    factory = TokenFactory()
    token = factory.access_token("user_h")
    remote = "http://keys.example.com/api/auth/jwks"
    assert cli("jwks", remote).code == EXIT_USAGE
    assert cli("verify", token, "--jwks", remote, "--issuer", factory.issuer).code == EXIT_USAGE
    assert cli("verify", token, "--base-url", "http://auth.example.com").code == EXIT_USAGE
    alias = _loopback_alias()
    if alias is None:
        return  # no second name for this machine: the refusals above are what can be checked here
    with JWKSServer(factory) as server:
        url = server.url.replace("127.0.0.1", alias)
        assert cli("jwks", url).code == EXIT_USAGE
        assert cli("jwks", url, "--allow-insecure-http").code == EXIT_OK
        accepted = cli("verify", token, "--jwks", url, "--issuer", factory.issuer, "--allow-insecure-http")
        assert accepted.code == EXIT_OK, accepted.stdout
        base = server.base_url.replace("127.0.0.1", alias)
        argv = ("--base-url", base, "--issuer", factory.issuer, "--allow-insecure-http")
        assert cli("verify", token, *argv).code == EXIT_OK


def error_codes() -> set[str]:
    """Every error code the package can raise or send: class defaults and ``code="..."`` arguments in src/."""
    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r'\bcode(?:: str)? ?= ?"([a-z_]+)"', text))
    codes.discard("error")  # BetterAuthJWTError's placeholder, never raised as such
    codes.update((_outcome.MISSING_TOKEN, _outcome.INSUFFICIENT_SCOPE))  # the adapters' own refusals
    return codes


# -- the explanations, and the real command ----------------------------------------------------------------------------


def test_every_error_code_has_an_explanation() -> None:
    assert error_codes() <= set(EXPLANATIONS), sorted(error_codes() - set(EXPLANATIONS))


def test_console_script_and_python_m_read_stdin(pinned: TokenFactory) -> None:
    token = pinned.access_token("user_sub")
    script = Path(sys.executable).parent / "betterauth-jwt"
    for command in ([str(script)], [sys.executable, "-m", "betterauth_jwt"]):
        done = subprocess.run(
            [*command, "inspect", "-", "--json"], input=token, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["claims"]["sub"] == "user_sub"
        usage = subprocess.run([*command, "verify"], capture_output=True, text=True, timeout=60)
        assert usage.returncode == EXIT_USAGE


def test_secret_prompt_reads_a_hidden_secret_from_the_terminal(hs256: TokenFactory) -> None:
    pty = pytest.importorskip("pty")
    token = hs256.access_token("user_tty")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI with the pseudo-terminal as its controlling terminal
        os.execv(
            sys.executable,
            [sys.executable, "-m", "betterauth_jwt", "verify", token, "--secret-prompt", "--base-url", hs256.issuer],
        )
    transcript = b""
    try:
        transcript += _read_until(fd, b"(hidden): ")
        os.write(fd, SECRET.encode() + b"\n")
        transcript += _read_until(fd, None)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = transcript.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == EXIT_OK, text
    assert "VALID access token" in text
    assert "user_tty" in text
    assert SECRET not in text  # not echoed while typed, not printed after


def _read_until(fd: int, marker: bytes | None, timeout: float = 30.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child exited and the terminal closed
            return data
        if not chunk:
            return data
        data += chunk
        if marker is not None and marker in data:
            return data
    raise AssertionError(f"timed out waiting for {marker!r}; got {data!r}")


def test_kind_option_maps_to_token_kind(hs256: TokenFactory) -> None:
    # The same cookie verifies with --kind session-cookie and is refused as an access token.
    cookie = hs256.token(TokenKind.SESSION_COOKIE, "user_c")
    ok = cli("verify", cookie, "--kind", "session-cookie", "--secret-env", "S", environ={"S": SECRET})
    refused = cli(
        "verify", cookie, "--kind", "access", "--secret-env", "S", "--issuer", hs256.issuer, environ={"S": SECRET}
    )
    assert (ok.code, refused.code) == (EXIT_OK, EXIT_REJECTED)


def test_sign_compact_is_the_kits_escape_hatch_for_odd_tokens(pinned: TokenFactory) -> None:
    # A token claiming an unknown alg still inspects (nothing is verified) and is flagged.
    token = sign_compact({"alg": "none", "kid": "x"}, pinned.access_claims(), pinned.private_key)
    report = cli("inspect", token, "--json").json
    assert any("alg is 'none'" in note for note in report["notes"])
