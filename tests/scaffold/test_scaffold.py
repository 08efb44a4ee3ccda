"""``deepalert new``: each kind of project passes its own tests and mypy --strict as written;
names are checked; nothing is ever overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepalert._scaffold import KINDS, ScaffoldError, files_for, new_project, validate_name
from deepalert.cli import main

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "MYPYPATH"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the three projects: deepalert and pydantic are read once."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_project_passes_its_tests_mypy_strict_and_cfn_lint(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], mypy_cache: Path) -> None:
    """As generated: pytest passes (every test ran), mypy --strict finds no issue, and the
    SAM template passes cfn-lint (SAM translator included)."""
    folder = tmp_path / "proj"
    assert main(["new", kind, "ip_owner", "--dir", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert f"wrote the {kind} project in {folder}" in err
    assert sorted(Path(line).relative_to(folder).as_posix() for line in out.split()) == sorted(
        [".gitignore", "Makefile", "README.md", "ip_owner.py", "pyproject.toml",
         "requirements.txt", "template.yaml", "tests/alerts/alert.json",
         "tests/test_ip_owner.py"])
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=folder, capture_output=True, text=True, env=clean_env())
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout
    assert "failed" not in tests.stdout
    assert "skipped" not in tests.stdout
    mypy = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir",
                           str(mypy_cache), "."], cwd=folder, capture_output=True, text=True,
                          env=clean_env())
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert "Success: no issues found in 2 source files" in mypy.stdout
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "template.yaml"],
                          cwd=folder,
                          capture_output=True, text=True,
                          env={**clean_env(), "AWS_DEFAULT_REGION": "us-east-1"})
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_the_template_the_makefile_and_the_readme_agree(kind: str) -> None:
    """The handler is NAME.NAME; the Makefile builds the template's function for its runtime;
    the README's command runs the fixture alert through this function."""
    files = files_for(kind, "ip_owner")
    template = files["template.yaml"]
    assert "Handler: ip_owner.ip_owner" in template
    assert "BuildMethod: makefile" in template
    python = RUNNING if RUNNING in {"3.10", "3.11", "3.12", "3.13", "3.14"} else "3.12"
    assert f"Runtime: python{python}" in template
    assert "IpOwnerFunction:" in template
    assert "build-IpOwnerFunction:\n\tdeepalert package ." in files["Makefile"]
    assert f"PYTHON_VERSION ?= {python}" in files["Makefile"]
    assert (f"deepalert run tests/alerts/alert.json --{kind} ip_owner:ip_owner"
            in files["README.md"])
    assert "deepalert" not in [line.split()[0] for line in files["requirements.txt"].splitlines()
                               if line and not line.startswith("#")]
    assert not [text for text in files.values() if "__NAME__" in text or "__PYTHON__" in text]


def test_the_readme_command_runs_the_fixture_alert(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`deepalert run tests/alerts/alert.json --inspector NAME:NAME` in the new project
    publishes one report with the inspector's finding."""
    new_project("inspector", "owner_probe", tmp_path / "p")
    monkeypatch.chdir(tmp_path / "p")
    monkeypatch.syspath_prepend(str(tmp_path / "p"))
    assert main(["run", "tests/alerts/alert.json", "--inspector", "owner_probe:owner_probe"]) == 0
    out, err = capsys.readouterr()
    assert "owner=Example Bad Hosting Ltd." in out
    assert "1 reports published, 0 errors" in err


@pytest.mark.parametrize(("name", "message"), [
    ("ip-owner", "'ip-owner' is not a Python identifier: use letters, digits and underscores, "
                 "not starting with a digit (such as ip_owner)"),
    ("1st", "'1st' is not a Python identifier"),
    ("größe", "'größe' is not a Python identifier"),
    ("class", "'class' is a Python keyword"),
    ("match", "'match' is a Python keyword"),
    ("json", "'json' would shadow a module the project imports"),
    ("deepalert", "'deepalert' would shadow a module"),
    ("_private", "'_private' would shadow a module the project imports (or is private)"),
])
def test_a_name_that_cannot_be_a_module_is_refused_with_the_reason(name: str,
                                                                   message: str) -> None:
    """Names that are no identifier, keywords, or shadow a module are refused, saying why."""
    with pytest.raises(ScaffoldError) as info:
        validate_name(name)
    assert message in str(info.value)


def test_the_cli_refuses_a_bad_name_with_status_2_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """deepalert new inspector ip-owner: exit 2, the reason on stderr, no folder made."""
    assert main(["new", "inspector", "ip-owner", "--dir", str(tmp_path / "x")]) == 2
    assert "deepalert new: NAME 'ip-owner' is not a Python identifier" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_existing_files_are_never_overwritten(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Into a folder holding one of the files: refused, naming it, and nothing is written;
    an existing folder holding none of them is fine."""
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "template.yaml").write_text("mine")
    assert main(["new", "reviewer", "triage", "--dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "would overwrite template.yaml; nothing was written" in err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "template.yaml"]
    assert (folder / "template.yaml").read_text() == "mine"
    (folder / "template.yaml").unlink()
    assert main(["new", "reviewer", "triage", "--dir", str(folder)]) == 0
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "triage.py").is_file()


def test_an_unknown_kind_is_refused() -> None:
    """Only inspector, reviewer and emitter exist."""
    with pytest.raises(ScaffoldError, match="unknown kind 'collector'; expected one of "
                                            "inspector, reviewer, emitter"):
        files_for("collector", "x1")
