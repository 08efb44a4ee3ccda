"""The wheel and sdist: they build, pass ``twine check``, and work installed in a clean venv;
an editable install type-checks in a user's project."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT, clean_env, make_venv, pip_offline

pytestmark = pytest.mark.packaging

USER_CODE = '''\
from deepalert import Attribute, AttrType, ContentHost, TaskResult
from deepalert.inspector import inspector
from deepalert.testing import run_inspector


@inspector(author="geo", types=[AttrType.IPADDR])
def geo(attr: Attribute) -> TaskResult | None:
    return TaskResult(contents=[ContentHost(ipaddr=[attr.value], country=["JP"])])


result = run_inspector(geo, Attribute(type=AttrType.IPADDR, value="192.0.2.1"))
content = result.contents[0]
assert isinstance(content, ContentHost)
print(content.country, len(result.findings))
'''

PLUGIN_AND_SCRIPT = '''\
import importlib.metadata as m
import deepalert
eps = m.entry_points()
print(deepalert.__file__)
print([e.value for e in eps.select(group="pytest11") if e.name == "deepalert"])
print([e.value for e in eps.select(group="console_scripts") if e.name == "deepalert"])
'''


def test_the_wheel_and_sdist_build_and_pass_twine_check(dists: Path) -> None:
    """``python -m build`` makes both; ``twine check --strict`` accepts both."""
    built = sorted(p.name for p in dists.iterdir())
    assert built == ["deepalert-0.1.0-py3-none-any.whl", "deepalert-0.1.0.tar.gz"]
    out = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                          *map(str, sorted(dists.iterdir()))],
                         capture_output=True, text=True, env=clean_env())
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("PASSED") == 2


def test_the_wheel_holds_the_package_data_and_no_bytecode(dists: Path) -> None:
    """py.typed, the scaffold's templates and the entry points ship; no caches or tests do."""
    with zipfile.ZipFile(dists / "deepalert-0.1.0-py3-none-any.whl") as zf:
        names = zf.namelist()
        entry_points = zf.read("deepalert-0.1.0.dist-info/entry_points.txt").decode()
    assert "deepalert/py.typed" in names
    assert "deepalert/_templates/inspector/__NAME__.py.tmpl" in names
    assert "deepalert/_templates/common/gitignore.tmpl" in names
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    assert {n.split("/")[0] for n in names} == {"deepalert", "deepalert-0.1.0.dist-info"}
    assert "deepalert = deepalert.cli:main" in entry_points
    assert "deepalert = deepalert.testing.pytest_plugin" in entry_points


def test_the_wheel_installed_in_a_clean_venv_runs_an_inspector(
        dists: Path, offline_wheels: Path, tmp_path: Path) -> None:
    """pip installs the wheel (no index) and its dependencies; an inspector runs from it."""
    python = make_venv(tmp_path / "venv")
    pip_offline(python, "--find-links", str(dists), "deepalert==0.1.0", wheels=offline_wheels)
    (tmp_path / "app.py").write_text(USER_CODE)
    out = subprocess.run([str(python), "-I", str(tmp_path / "app.py")], capture_output=True,
                         text=True, env=clean_env(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "['JP'] 1\n"
    where = subprocess.run([str(python), "-I", "-c", PLUGIN_AND_SCRIPT], capture_output=True,
                           text=True, env=clean_env(), cwd=tmp_path, check=True).stdout
    assert str(tmp_path / "venv") in where.splitlines()[0]
    cli = subprocess.run([str(python.parent / "deepalert"), "--help"], capture_output=True,
                         text=True, env=clean_env(), cwd=tmp_path)
    assert cli.returncode == 0
    assert "validate" in cli.stdout


def test_an_editable_install_type_checks_downstream_code(
        offline_wheels: Path, tmp_path: Path) -> None:
    """After ``pip install -e``, mypy --strict finds deepalert (a path entry, not an import
    hook) and accepts a user's file; the entry points and py.typed come along."""
    python = make_venv(tmp_path / "venv")
    pip_offline(python, "-e", str(ROOT), wheels=offline_wheels)
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(USER_CODE)
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--python-executable", str(python), "app.py"],
        capture_output=True, text=True, env=clean_env(), cwd=project)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert "Success: no issues found in 1 source file" in mypy.stdout
    # The same file fails when deepalert's types are broken: mypy really read them.
    (project / "bad.py").write_text(USER_CODE + "x: int = content\n")
    bad = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--python-executable", str(python), "bad.py"],
        capture_output=True, text=True, env=clean_env(), cwd=project)
    assert bad.returncode == 1
    assert "bad.py:15: error: Incompatible types in assignment" in bad.stdout
    where = subprocess.run([str(python), "-I", "-c", PLUGIN_AND_SCRIPT], capture_output=True,
                           text=True, env=clean_env(), cwd=project, check=True).stdout.splitlines()
    assert where[0] == str(ROOT / "deepalert" / "__init__.py")
    assert where[1] == ["deepalert.testing.pytest_plugin"].__repr__()
    assert where[2] == ["deepalert.cli:main"].__repr__()
    cli = subprocess.run([str(python.parent / "deepalert"), "new", "--help"],
                         capture_output=True, text=True, env=clean_env(), cwd=project)
    assert cli.returncode == 0
    assert "inspector,reviewer,emitter" in cli.stdout
    templates = subprocess.run(
        [str(python), "-I", "-c", "from deepalert._scaffold import files_for; "
                                  "print(sorted(files_for('emitter', 'x1')))"],
        capture_output=True, text=True, env=clean_env(), cwd=project, check=True)
    assert "'x1.py'" in templates.stdout
