"""The built package, installed as a user would: a wheel and an sdist from this tree, the wheel in a clean virtual
environment without extras, then a token verified there (library and CLI). Runs under CI=true (CI must not skip it);
locally with BETTERAUTH_JWT_WHEEL_SMOKE=1, as it builds and installs from scratch (about a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not (os.environ.get("CI") or os.environ.get("BETTERAUTH_JWT_WHEEL_SMOKE")),
    reason="builds and installs the package from scratch: runs under CI=true or BETTERAUTH_JWT_WHEEL_SMOKE=1",
)

VERIFY = """
import sys
from betterauth_jwt import Verifier, SharedSecret
from betterauth_jwt.testing import TokenFactory

factory = TokenFactory()  # EdDSA, as Better Auth signs by default
identity = factory.verifier().verify(factory.access_token("user_wheel", role="admin"))
assert identity.user_id == "user_wheel" and identity.claims["role"] == "admin"
secret = "a-wheel-smoke-secret-0123456789-abcdef"
hs256 = TokenFactory("HS256", secret=secret)
assert Verifier(SharedSecret(secret), issuer=hs256.issuer, audience=hs256.issuer).verify(hs256.access_token("u2")).user_id == "u2"
print(hs256.access_token("user_cli"))
for extra in ("fastapi", "starlette", "prometheus_client"):
    try:
        __import__(extra)
    except ImportError:
        continue
    sys.exit(f"{extra} is installed in a venv without extras")
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def test_the_wheel_installs_without_extras_and_verifies_a_token(built: dict[str, Path], tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(built["wheel"])],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    # Run from tmp_path, not the repository: `import betterauth_jwt` must find the installed wheel, not ./src.
    done = subprocess.run([str(python), "-c", VERIFY], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    cli = subprocess.run(
        [str(env_dir / "bin" / "betterauth-jwt"), "verify", "-", "--secret-env", "S", "--base-url",
         "http://localhost:3000"],
        input=token,
        env={**os.environ, "S": "a-wheel-smoke-secret-0123456789-abcdef"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "VALID access token" in cli.stdout
    located = subprocess.run(
        [str(python), "-c", "import betterauth_jwt; print(betterauth_jwt.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in located.stdout


def test_the_wheel_holds_the_package_and_its_metadata(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    assert "betterauth_jwt/py.typed" in names
    assert not [name for name in names if name.startswith(("tests/", "examples/", "docs/"))]
    assert "License-Expression: MIT" in metadata
    assert (
        "Classifier: License ::" not in metadata
    )  # the expression says it; a classifier beside it is refused (PEP 639)
    for label in ("Homepage", "Source", "Issues"):
        assert f"Project-URL: {label}, https://" in metadata
    assert "Provides-Extra: dev" not in metadata  # a dependency group, not a user extra
    assert "Provides-Extra: fastapi" in metadata


def test_the_sdist_holds_only_the_top_level_files_and_the_source(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    top = {name.split("/")[0] for name in names}
    assert top <= {"src", "README.md", "CHANGELOG.md", "LICENSE", "pyproject.toml", "PKG-INFO", ".gitignore"}, top
    assert [name for name in names if name.endswith("README.md")] == ["README.md"]
    assert "src/betterauth_jwt/py.typed" in names
