"""The package's layering, read from the import statements of every module under ``src/betterauth_jwt``.

DESIGN.md's rules: the private folders each import only the layers below them (``_jose`` < ``_keys``/``_kinds`` <
``_stores`` < the pipeline < ``_web`` < the faces); nothing below ``_web`` knows HTTP exists; ``_web`` imports no face;
no face imports another face; and ``import betterauth_jwt`` pulls in no web framework.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "betterauth_jwt"
FACES = frozenset({"asgi", "starlette", "fastapi", "django", "rest_framework", "flask", "litestar", "mcp", "fastmcp"})
BELOW_WEB = ("_jose", "_keys", "_kinds", "_stores")
FRAMEWORKS = ("starlette", "fastapi", "django", "rest_framework", "flask", "litestar", "mcp", "fastmcp", "werkzeug")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module of the package that ``path`` imports (relative imports resolved), anywhere in the file."""
    here = module_name(path).split(".") if module_name(path) else []
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            if node.module is None:  # from . import x: x is a module (or a name of the package itself)
                found.update(".".join([*target, alias.name]) for alias in node.names)
            else:
                found.add(".".join(target))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("betterauth_jwt"):
            found.add(node.module.removeprefix("betterauth_jwt").lstrip("."))
    return {name for name in found if name}


MODULES = {module_name(path): imported_modules(path) for path in sorted(PACKAGE.rglob("*.py"))}


def layer(name: str) -> str:
    return name.split(".", 1)[0]


def test_the_graph_was_read() -> None:
    assert "_web.authenticator" in MODULES
    assert "_verifier" in MODULES["_web.authenticator"]
    assert "_jose.token" in MODULES["_verifier"]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) in BELOW_WEB))
def test_nothing_below_web_imports_web_or_a_face(name: str) -> None:
    offending = {m for m in MODULES[name] if layer(m) == "_web" or layer(m) in FACES or layer(m) == "_cli"}
    assert not offending, f"{name} imports {sorted(offending)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "_jose"))
def test_jose_knows_nothing_of_better_auth(name: str) -> None:
    allowed = {"_jose", "_errors", "_logging"}
    offending = {m for m in MODULES[name] if layer(m) not in allowed}
    assert not offending, f"{name} imports {sorted(offending)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "_web"))
def test_web_imports_no_face(name: str) -> None:
    offending = {m for m in MODULES[name] if layer(m) in FACES}
    assert not offending, f"{name} imports {sorted(offending)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) in FACES))
def test_no_face_imports_another_face(name: str) -> None:
    offending = {m for m in MODULES[name] if layer(m) in FACES and layer(m) != layer(name)}
    assert not offending, f"{name} imports {sorted(offending)}"


def test_importing_the_package_loads_no_web_framework() -> None:
    code = f"import sys, betterauth_jwt; print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
