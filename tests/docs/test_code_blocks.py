"""Every code block and command in README.md and docs/*.md runs.

What runs, and how:

* ```` ```python ```` blocks of one page are joined, in order, into one module (later blocks use
  the names of earlier ones). Each page's module is executed under pytest, so top-level code
  runs and any ``def test_...`` it defines is run too, with the deepalert pytest plugin's
  fixtures. All pages' modules are type-checked together with ``mypy --strict``, with two
  error codes off: ``empty-body`` (``...`` stands for "your code here") and ``no-redef`` (a
  page may show a second version of a function under the same name).
* ```` ```console ````, ```` ```bash ```` and ```` ```sh ```` blocks: each ``$ `` line is a
  command (a block without ``$ `` lines is one command a line; a trailing ``\\`` continues a
  line). Every command runs with ``bash -c`` from the root of a temporary copy of the
  repository, with this interpreter's ``bin`` directory first on ``PATH``, and must exit 0.
  The lines after a ``$ `` command are its shown output: the command's standard output must
  match them (``…`` stands for any text).
* ```` ```text ````, ```` ```json ````, ```` ```jsonl ````, ```` ```yaml ````, ```` ```toml ````
  and ```` ```ini ```` blocks are shown, never run; ``json``, ``jsonl`` and ``yaml`` blocks
  must parse (YAML may use CloudFormation's short tags, ``!Ref``, ``!GetAtt``, ``!Sub`` ...).

Markers, an HTML comment on the line just before the opening fence:

* ``<!-- partial -->`` (Python only): the block is deliberately partial. It is type-checked
  with the rest of the page but not executed (it sits under ``if TYPE_CHECKING:``), so later
  blocks cannot use the names it defines at run time.
* ``<!-- no-run: reason -->`` (any runnable block): the block needs AWS, a network or a
  package index. A shell block is reported as skipped with the reason; a Python block is
  type-checked but not executed.

Anything else fails: a fence without a language, an unknown language or marker, a marker
where it means nothing, a ``no-run`` without a reason. Every skip shows up as a skipped test
with its page, line and reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs._blocks import (
    PYTHON,
    ROOT,
    SHELL,
    Block,
    blocks,
    commands,
    expected_output,
    load_yaml,
    pages,
    problems,
)

ALL_BLOCKS = [block for page in pages() for block in blocks(page)]
PYTHON_PAGES = sorted({b.page for b in ALL_BLOCKS if b.lang in PYTHON})
SHELL_BLOCKS = [b for b in ALL_BLOCKS if b.lang in SHELL]
BIN = str(Path(sys.executable).parent)
_IGNORED = shutil.ignore_patterns(".git", ".venv", ".ci-venv", "*.egg-info", "__pycache__",
                                  ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
                                  "build", "dist", "site")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    env.pop("PYTEST_ADDOPTS", None)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, without the virtual environment or caches, to run in."""
    copy = tmp_path_factory.mktemp("docs") / "repo"
    shutil.copytree(ROOT, copy, ignore=_IGNORED)
    return copy


# ---------------------------------------------------------------------------------------------
# Conventions


def test_blocks_are_well_formed() -> None:
    found = [problem for block in ALL_BLOCKS for problem in problems(block)]
    assert found == []


def test_pages_are_found() -> None:
    names = {Path(b.page).name for b in ALL_BLOCKS}
    assert {"README.md", "inspector.md", "testing.md", "wire.md"} <= names


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.lang in {"json", "jsonl", "yaml"}],
                         ids=lambda b: b.where)
def test_shown_data_parses(block: Block) -> None:
    if block.lang == "json":
        json.loads(block.code)
    elif block.lang == "jsonl":
        for line in block.code.splitlines():
            if line.strip():
                json.loads(line)
    else:
        load_yaml(block.code)



# ---------------------------------------------------------------------------------------------
# Python blocks


@dataclass
class PageModule:
    """A page's Python blocks as one module, and where each of its lines came from."""

    page: str
    name: str
    text: str
    origin: dict[int, str]  # module line -> "page:line"


def page_module(page: str) -> PageModule:
    stem = Path(page).stem.lower().replace("-", "_").replace(".", "_")
    name = f"doc_{stem}"
    out = [f"# Generated from {page} by tests/docs/test_code_blocks.py.",
           "import typing as _doc_typing", ""]
    origin: dict[int, str] = {}
    for block in (b for b in ALL_BLOCKS if b.page == page and b.lang in PYTHON):
        indent = ""
        if block.marker is not None:
            out.append(f"if _doc_typing.TYPE_CHECKING:  # <!-- {block.marker} --> {block.where}")
            indent = "    "
        for k, line in enumerate(block.code.splitlines()):
            out.append(indent + line if line.strip() else "")
            origin[len(out)] = f"{block.page}:{block.line + k}"
        if indent:
            out.append("    pass")
        out.append("")
    out += ["", "def test_doc_page_ran() -> None:",
            "    \"\"\"Every page module has a test, so a page that ran is never silent.\"\"\"", ""]
    return PageModule(page=page, name=name, text="\n".join(out), origin=origin)


@pytest.fixture(scope="session")
def page_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[PageModule, Path]]:
    folder = tmp_path_factory.mktemp("doc_modules")
    written = {}
    for page in PYTHON_PAGES:
        module = page_module(page)
        path = folder / f"{module.name}.py"
        path.write_text(module.text, encoding="utf-8")
        written[page] = (module, path)
    return written


@pytest.fixture(scope="session")
def pytest_results(page_modules: dict[str, tuple[PageModule, Path]], repo_copy: Path
                   ) -> dict[str, list[str]]:
    """Run every page module under pytest once; the failures of each page, by page."""
    if not page_modules:
        return {}
    folder = next(iter(page_modules.values()))[1].parent
    (folder / "pytest.ini").write_text(
        "[pytest]\npython_files = doc_*.py\n"
        # No page uses hypothesis, whose plugin costs a second and a half at every start.
        "addopts = -p no:cacheprovider -p no:hypothesispytest\n"
        "filterwarnings =\n    error\n", encoding="utf-8")
    report = folder / "junit.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-c", str(folder / "pytest.ini"),
         "--rootdir", str(folder), f"--junitxml={report}", "--tb=short", str(folder)],
        cwd=repo_copy, env=_env(PYTHONPATH=str(repo_copy)), capture_output=True, text=True,
        timeout=600)
    if not report.exists():
        pytest.fail(f"pytest did not run the page modules:\n{run.stdout}\n{run.stderr}")
    failures: dict[str, list[str]] = {}
    ran: set[str] = set()
    for case in ET.parse(report).getroot().iter("testcase"):
        module = (case.get("classname") or case.get("name") or "").split(".")[0]
        ran.add(module)
        for problem in [*case.iter("failure"), *case.iter("error")]:
            failures.setdefault(module, []).append(
                f"{case.get('name')}: {problem.get('message')}\n{problem.text or ''}")
    results = {}
    for page, (module, _path) in page_modules.items():
        results[page] = failures.get(module.name, [])
        if module.name not in ran:
            results[page].append(f"{module.name} was not run:\n{run.stdout[-3000:]}")
    return results


@pytest.fixture(scope="session")
def mypy_results(page_modules: dict[str, tuple[PageModule, Path]]) -> dict[str, list[str]]:
    """One ``mypy --strict`` run over every page module; the errors of each page, by page."""
    if not page_modules:
        return {}
    # A cache per checkout, kept between runs (str hashes change per process; sha1 does not).
    key = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"deepalert-docs-mypy-{key}"
    paths = {str(path): module for module, path in page_modules.values()}
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--disable-error-code", "empty-body",
         "--disable-error-code", "no-redef",
         "--no-error-summary", "--show-error-codes", "--cache-dir", str(cache), *paths],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    errors: dict[str, list[str]] = {page: [] for page in page_modules}
    for line in run.stdout.splitlines():
        path, _, rest = line.partition(":")
        module = paths.get(path)
        if module is None:
            errors.setdefault("(elsewhere)", []).append(line)
            continue
        number, _, message = rest.partition(":")
        where = module.origin.get(int(number), f"{module.name}.py:{number}") \
            if number.isdigit() else module.name
        errors[module.page].append(f"{where}:{message}")
    if run.returncode not in (0, 1) or errors.get("(elsewhere)"):
        pytest.fail(f"mypy failed to run:\n{run.stdout}\n{run.stderr}")
    return errors


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_blocks_run(page: str, pytest_results: dict[str, list[str]]) -> None:
    failures = pytest_results[page]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_blocks_pass_mypy_strict(page: str, mypy_results: dict[str, list[str]]) -> None:
    errors = mypy_results[page]
    assert not errors, "\n".join(errors)


# ---------------------------------------------------------------------------------------------
# Shell blocks


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda b: b.where)
def test_shell_commands_run(block: Block, repo_copy: Path) -> None:
    if block.marker == "no-run":
        pytest.skip(f"{block.where}: <!-- no-run: {block.reason} -->")
    found = commands(block)
    assert found, f"{block.where}: a shell block without a command"
    for command in found:
        run = subprocess.run(["bash", "-c", command.text], cwd=repo_copy, env=_env(),
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, (
            f"{block.page}:{command.line}: `{command.text}` exited {run.returncode}\n"
            f"stdout:\n{run.stdout[-4000:]}\nstderr:\n{run.stderr[-4000:]}")
        shown = expected_output(command)
        if shown is not None:
            assert shown.fullmatch(run.stdout.strip()), (
                f"{block.page}:{command.line}: `{command.text}` printed\n{run.stdout}\n"
                f"but the page shows\n{chr(10).join(command.output)}")
