"""The documentation is tested like code: every ```python block in docs/*.md and README.md runs, and the site builds.

Blocks of one page run in order in one module namespace (a later block may use what an earlier one defined) and on one
event loop, so ``await`` works at the top level of a block. A block is skipped only when the line before its fence is
``<!-- docs-test: skip <reason> -->``; skips must say why and stay rare.

Each page runs in a temporary working directory, with ``BETTER_AUTH_SECRET`` set to a fresh random value (what a reader
would have in their environment; examples read it with ``os.environ``).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import secrets
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.test_cli import error_codes

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
SKIP_MARKER = re.compile(r"<!--\s*docs-test:\s*skip\b(?P<reason>.*?)-->")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
MAX_SKIPS = 3


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    source: str
    skip_reason: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def extract_blocks(page: Path) -> list[Block]:
    """Every fenced code block of a Markdown page, with the skip marker that precedes it, if any."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        language = opening["info"].strip().split(" ")[0].lower() if opening["info"].strip() else ""
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            line = lines[end]
            # A fence indented in a list item indents its body too; remove exactly that much.
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            end += 1
        previous = lines[index - 1] if index > 0 else ""
        marker = SKIP_MARKER.search(previous)
        reason = marker["reason"].strip() if marker else None
        blocks.append(Block(page, index + 1, language, "\n".join(body) + "\n", reason))
        index = end + 1
    return blocks


def python_blocks(page: Path) -> list[Block]:
    return [block for block in extract_blocks(page) if block.language in ("python", "py")]


def run_page(page: Path) -> None:
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}")
    module.__file__ = str(page)
    sys.modules[module.__name__] = module  # dataclasses and pydantic look their module up
    try:
        with asyncio.Runner() as runner:
            for block in python_blocks(page):
                if block.skip_reason is not None:
                    continue
                code = compile(
                    block.source, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
                )
                try:
                    result = eval(code, module.__dict__)  # our own documentation, compiled above
                    if inspect.iscoroutine(result):
                        runner.run(result)
                except BaseException as exc:
                    exc.add_note(f"in the python block at {block.where}")
                    raise
    finally:
        del sys.modules[module.__name__]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_code_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BETTER_AUTH_SECRET", secrets.token_urlsafe(32))
    run_page(page)


def test_every_python_block_compiles() -> None:
    for page in PAGES:
        for block in python_blocks(page):
            compile(block.source, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def test_skips_are_rare_and_justified() -> None:
    skipped = [block for page in PAGES for block in python_blocks(page) if block.skip_reason is not None]
    for block in skipped:
        assert len(block.skip_reason or "") >= 15, f"{block.where}: a docs-test skip must say why"
    assert len(skipped) <= MAX_SKIPS, [block.where for block in skipped]


def test_skip_markers_sit_right_above_a_python_block() -> None:
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        starts = {block.line for block in python_blocks(page)}
        for number, line in enumerate(lines, start=1):
            if SKIP_MARKER.search(line):
                assert number + 1 in starts, f"{page.name}:{number}: the skip marker is not followed by a python block"


def test_the_harness_finds_blocks() -> None:
    # Guards the harness itself: a regex that silently matches nothing would make every page pass.
    total = sum(len(python_blocks(page)) for page in PAGES)
    assert total >= 20
    assert all(python_blocks(DOCS / name) for name in ("quickstart.md", "testing.md", "fastapi.md"))


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [page.name for page in DOCS.glob("*.md") if page.name not in config]
    assert not missing


def test_troubleshooting_covers_every_error_code() -> None:
    page = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#{2,4} `([a-z_]+)`", page, flags=re.MULTILINE))
    assert error_codes() <= documented, sorted(error_codes() - documented)


def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "troubleshooting" / "index.html").is_file()


# -- blocks as a reader runs them -----------------------------------------------------------------------------------

REPL_FAILURE = re.compile(r"^(Traceback|\w+Error\b|\w+Exception\b)", re.MULTILINE)


def paste_into_asyncio_repl(source: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Feed ``source`` line by line to ``python -m asyncio``, as a reader pasting the blocks would."""
    env = {**os.environ, "BETTER_AUTH_SECRET": secrets.token_urlsafe(32), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "asyncio"], input=source, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


AWAIT_PAGES = [page for page in PAGES if any("await " in block.source for block in python_blocks(page))]


@pytest.mark.parametrize("page", AWAIT_PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_pages_with_await_run_as_pasted_into_python_m_asyncio(page: Path, tmp_path: Path) -> None:
    # docs/index.md promises it: the REPL ends a compound statement at a blank line, so a blank line inside a function
    # or a `with` block, or a statement right after a top-level loop, breaks there though it runs as a module.
    source = "".join(block.source + "\n" for block in python_blocks(page) if block.skip_reason is None)
    result = paste_into_asyncio_repl(source, tmp_path)
    assert not REPL_FAILURE.search(result.stderr), result.stderr[-4000:]


def test_the_repl_check_catches_a_failure(tmp_path: Path) -> None:
    broken = "async def main():\n    x = 1\n\n    return x\n\nassert await main() == 2\n"
    assert REPL_FAILURE.search(paste_into_asyncio_repl(broken, tmp_path).stderr)


def test_readme_opens_with_a_block_that_runs_as_pasted() -> None:
    first = python_blocks(ROOT / "README.md")[0]
    assert first.skip_reason is None
    ast.parse(first.source)  # plain Python: no top-level await, so it runs in a module, a REPL or uvicorn
    assert "FastAPI(" in first.source
    assert "Verifier.for_better_auth(" in first.source


def test_docs_index_says_how_the_blocks_run() -> None:
    text = " ".join((DOCS / "index.md").read_text(encoding="utf-8").split())
    assert "python -m asyncio" in text
    assert "build on each other" in text


def _top_level_calls(source: str) -> list[str]:
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [ast.dump(node)[:60] for node in ast.parse(source).body if not isinstance(node, allowed)]


def test_test_files_in_the_docs_start_nothing_when_pytest_imports_them(tmp_path: Path) -> None:
    # A block that starts with "# test_....py" or "# conftest.py" is a file the reader saves: collecting it must not
    # start a server. Only imports, functions and classes at the top level; then pytest really runs it.
    files = {}
    for page in PAGES:
        for block in python_blocks(page):
            name = re.match(r"# ((?:test_\w+|conftest)\.py)\n", block.source)
            if name:
                assert _top_level_calls(block.source) == [], f"{block.where}: {name[1]} runs code at import"
                files[name[1]] = block.source
    assert "test_me.py" in files
    for name, source in files.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
