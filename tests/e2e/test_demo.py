"""``scripts/demo.py`` (``make demo``): the servers come up wired to each other, and go away on Ctrl-C."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from scripts import demo

from tests.interop.harness import sign_up
from tests.interop.todo_server import free_port

pytestmark = [pytest.mark.interop, pytest.mark.slow]

DEMO = demo.ROOT / "scripts" / "demo.py"
READY_LINE = "Press Ctrl-C to stop them all."
STARTUP_TIMEOUT = 120.0


@dataclass
class DemoRun:
    process: subprocess.Popen[bytes]
    log: Path
    web_url: str
    api_url: str
    mcp_url: str
    data_dir: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_demo(mode: str, tmp_path: Path) -> Iterator[DemoRun]:
    web_port, api_port, mcp_port = free_port(), free_port(), free_port()
    log = tmp_path / "demo.log"
    env = {key: value for key, value in os.environ.items() if key != "BETTER_AUTH_SECRET"}
    command = [sys.executable, str(DEMO), "--mode", mode, "--web-port", str(web_port), "--api-port", str(api_port)]
    command += ["--mcp-port", str(mcp_port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--data-dir", str(tmp_path / "data")],
            cwd=demo.ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    run = DemoRun(
        process,
        log,
        f"http://localhost:{web_port}",
        f"http://127.0.0.1:{api_port}",
        f"http://127.0.0.1:{mcp_port}/mcp",
        tmp_path / "data",
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while READY_LINE not in run.output():
            assert process.poll() is None, f"the demo exited with {process.returncode}:\n{run.output()}"
            assert time.monotonic() < deadline, f"the demo did not get ready in time:\n{run.output()}"
            time.sleep(0.25)
        yield run
    finally:
        if process.poll() is None:  # the test failed half-way: stop it the way a user would
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    state: str


def processes() -> list[Proc]:
    """Every process on this machine, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) "
        found.append(Proc(int(entry.name), ppid=int(fields[1]), pgid=int(fields[2]), state=fields[0]))
    return found


def children_of(pid: int) -> list[Proc]:
    return [proc for proc in processes() if proc.ppid == pid]


def members_of(pgids: set[int]) -> list[Proc]:
    """Live members of these process groups. Zombies (state Z) are dead already: they wait for their parent to
    collect their status, and an orphan's new parent, PID 1, does not always do it (in some sandboxes, never)."""
    return [proc for proc in processes() if proc.pgid in pgids and proc.state != "Z"]


def wait_for_exit(process: subprocess.Popen[bytes], timeout: float = 40.0) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail("the demo did not exit after its servers were asked to stop")


def assert_wired(run: DemoRun, mode: str) -> None:
    """A user of the front end's Better Auth gets a token the API accepts, and the browser may call the API."""
    assert httpx.get(f"{run.web_url}/", timeout=10).status_code == 307  # to /sign-in
    health = httpx.get(f"{run.api_url}/health", timeout=10).json()
    assert health["status"] == "ok"
    with sign_up(run.web_url, "demo-user@example.test", "a demo password 123", "Demo User") as user:
        token = user.token()
    header = jwt_header(token)
    assert header["alg"] == {"jwks": "EdDSA", "secret": "HS256"}[mode]
    with httpx.Client(base_url=run.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as api:
        created = api.post("/api/tasks", json={"title": "From the demo test"})
        assert created.status_code == 201
        assert api.get("/api/tasks").json()["total"] == 1
    preflight = httpx.options(
        f"{run.api_url}/api/tasks",
        headers={
            "Origin": run.web_url,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == run.web_url
    if mode == "jwks":  # the MCP server asks for an OAuth token and says where to get one
        assert f"MCP server:    {run.mcp_url}" in run.output()
        refused = httpx.post(run.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
        assert refused.status_code == 401
        metadata_url = refused.headers["www-authenticate"].split('resource_metadata="')[1].split('"')[0]
        metadata = httpx.get(metadata_url, timeout=10).json()
        assert metadata["resource"] == run.mcp_url
        assert metadata["authorization_servers"] == [run.web_url]
    else:
        assert "MCP server:    not started in secret mode" in run.output()


def jwt_header(token: str) -> dict[str, str]:
    part = token.split(".")[0]
    header: dict[str, str] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return header


@pytest.mark.parametrize("mode", ["jwks", "secret"])
def test_demo_serves_the_wired_stack_and_stops_both_on_ctrl_c(mode: str, frontend_build: None, tmp_path: Path) -> None:
    with running_demo(mode, tmp_path) as run:
        children = children_of(run.process.pid)
        # next start, python -m todo_api and (JWKS mode) python -m mcp_todo
        assert len(children) == (3 if mode == "jwks" else 2), children
        assert all(child.pgid == child.pid for child in children), "each server leads its own process group"
        groups = {child.pgid for child in children}
        assert_wired(run, mode)

        run.process.send_signal(signal.SIGINT)
        assert wait_for_exit(run.process) == 0, run.output()

    assert members_of(groups) == [], "a server process outlived the demo"
    for url in (run.web_url, f"{run.api_url}/health", run.mcp_url):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)
    output = run.output()
    assert "SIGINT received; stopping all servers" in output
    assert "all servers stopped" in output
    assert "generated a random BETTER_AUTH_SECRET" in output
    secret = (run.data_dir / demo.SECRET_FILE).read_text().strip()
    assert len(secret) >= 32
    assert secret not in output
    assert (run.data_dir / demo.SECRET_FILE).stat().st_mode & 0o077 == 0, "the kept secret is readable by others"


def test_demo_stops_everything_and_fails_when_a_server_dies(frontend_build: None, tmp_path: Path) -> None:
    with running_demo("jwks", tmp_path) as run:
        children = children_of(run.process.pid)
        groups = {child.pgid for child in children}
        api = next(child for child in children if "todo_api" in cmdline(child.pid))
        os.kill(api.pid, signal.SIGKILL)  # the API crashes

        assert wait_for_exit(run.process) == 1, run.output()

    assert members_of(groups) == [], "the front end outlived the demo"
    assert "api stopped on its own" in run.output()


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
