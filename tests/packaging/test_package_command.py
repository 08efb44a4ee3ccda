"""``deepalert package``: a bundle or layer with unchecked-hash bytecode, reproducible, without
what the Lambda runtime provides and without looking ``deepalert`` up on an index."""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import deepalert
from deepalert import Attribute, Task
from deepalert._package import (
    PackagingError,
    _own_requirements,
    build_bundle,
    parse_python_version,
    template_defaults,
)
from deepalert.cli import main
from deepalert.testing import sqs_sns_event
from tests.packaging.conftest import clean_env

pytestmark = pytest.mark.packaging

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"

APP = '''\
from deepalert import Attribute, ContentHost, TaskResult
from deepalert.inspector import inspector


@inspector(author="geo")
def geo(attr: Attribute) -> TaskResult:
    return TaskResult(contents=[ContentHost(ipaddr=[attr.value], country=["JP"])])
'''

# Run inside the bundle as Lambda would: no site-packages (-S), the bundle first on the path,
# bytecode never written. Prints the handler's answer, then whether any module of the bundle
# was compiled from source instead of read from its .pyc.
RUN = '''\
import json, sys
bundle = sys.argv[1]
sys.path.insert(0, bundle)


class Queue:
    def __init__(self): self.bodies = []

    def send_message_batch(self, *, QueueUrl, Entries):
        self.bodies += [e["MessageBody"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


import app
queue = Queue()
answer = app.geo.invoke(json.loads(sys.argv[2]), sqs_client=queue,
                        finding_queue_url="https://sqs.us-east-1.amazonaws.com/1/finding",
                        attribute_queue_url="https://sqs.us-east-1.amazonaws.com/1/attribute")
print(json.dumps(answer), len(queue.bodies))
print(sorted(m for m in sys.modules if m.split(".")[0] in {"boto3", "botocore"}))
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A function project: a handler, its tests and events, and requirements naming
    deepalert (not on any index here) and jmespath (provided by the Lambda runtime, as boto3
    and the rest of :data:`RUNTIME_PROVIDED` are; the small one keeps the tests quick)."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "tests").mkdir(parents=True)
    (folder / "app.py").write_text(APP)
    (folder / "helpers").mkdir()
    (folder / "helpers" / "__init__.py").write_text("VALUE = 1\n")
    (folder / "tests" / "test_app.py").write_text("def test_x() -> None: ...\n")
    (folder / "test_app.py").write_text("def test_x() -> None: ...\n")
    (folder / "template.yaml").write_text("Resources: {}\n")
    (folder / ".venv").mkdir()
    (folder / ".venv" / "junk.py").write_text("x = 1\n")
    (folder / "requirements.txt").write_text("# mine\ndeepalert>=0.1\njmespath\n")
    return folder


def package(project: Path, wheels: Path, *args: str) -> int:
    return main(["package", str(project), "--no-index", "--find-links", str(wheels), *args])


@pytest.fixture(scope="module")
def built(project: Path, offline_wheels: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, Path, str]:
    """The project built once, as a folder and a zip, with what the command printed."""
    out = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as mp:
        printed: list[str] = []
        mp.setattr(sys, "stderr", _Collect(printed))
        assert package(project, offline_wheels, "--out", str(out / "bundle"),
                       "--zip", str(out / "bundle.zip")) == 0
    return out / "bundle", out / "bundle.zip", "".join(printed)


class _Collect:
    def __init__(self, into: list[str]) -> None:
        self.into = into

    def write(self, text: str) -> int:
        self.into.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_the_bundle_has_the_code_deepalert_and_its_deps_but_not_the_runtimes_boto3(
        built: tuple[Path, Path, str]) -> None:
    """With no index at all, deepalert comes from this copy; jmespath (runtime-provided) is
    installed by pip and removed again; the project's tests, template and venv stay out."""
    out, _, err = built
    top = {p.name for p in out.iterdir()}
    assert {"app.py", "helpers", "deepalert", "pydantic", "pydantic_core"} <= top
    assert not top & {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil",
                      "six.py", "tests", "test_app.py", "template.yaml", ".venv",
                      "requirements.txt", "bin"}
    assert not [p for p in out.glob("*.dist-info") if p.name.startswith("jmespath")]
    installed = Path(deepalert.__file__).parent
    for source in installed.rglob("*.py"):
        if "_templates" not in source.parts:
            rel = source.relative_to(installed)
            assert (out / "deepalert" / rel).read_bytes() == source.read_bytes(), rel
    assert f"function bundle for Python {RUNNING} on x86_64" in err
    assert "left out, the Lambda runtime provides them: jmespath (0.1 MB)" in err
    assert (f"deepalert {deepalert.__version__}"
            f" from {installed} (for deepalert>=0.1)") in err


def test_every_module_has_an_unchecked_hash_pyc_naming_its_lambda_path(
        built: tuple[Path, Path, str]) -> None:
    """Each .py has a PEP 552 .pyc beside it (flags 0b01: hash-based, not checked) holding
    its source's hash; tracebacks name /var/task paths."""
    out = built[0]
    sources = sorted(out.rglob("*.py"))
    assert len(sources) > 100
    for source in sources:
        pyc = Path(importlib.util.cache_from_source(str(source)))
        data = pyc.read_bytes()
        assert data[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(data[4:8], "little") == 0b01, source
        assert data[8:16] == importlib.util.source_hash(source.read_bytes()), source
    code = marshal.loads((out / "__pycache__" / f"app.{sys.implementation.cache_tag}.pyc")
                         .read_bytes()[16:])
    assert code.co_filename == "/var/task/app.py"


def test_the_bundle_runs_read_only_from_its_bytecode_whatever_the_file_times(
        built: tuple[Path, Path, str], tmp_path: Path) -> None:
    """Copied to a read-only place with every source newer than its .pyc, the bundle handles
    an SQS record, loads every module of its own from .pyc (none compiled) and no boto3."""
    out = tmp_path / "bundle"
    shutil.copytree(built[0], out)
    later = 2_000_000_000
    for path in sorted(out.rglob("*"), reverse=True):
        if path.suffix == ".py":
            os.utime(path, (later, later))
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    out.chmod(out.stat().st_mode & ~stat.S_IWUSR)
    try:
        task = Task(report_id="r-1", attribute=Attribute(type="ipaddr", value="192.0.2.1"))
        event = json.dumps(sqs_sns_event(task))
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-v", "-c", RUN, str(out), event],
            capture_output=True, text=True, env={**clean_env(), "PYTHONDONTWRITEBYTECODE": "1"})
        errors = [ln for ln in done.stderr.splitlines() if not ln.startswith(("#", "import "))]
        assert done.returncode == 0, "\n".join(errors)
        answer, imported = done.stdout.splitlines()
        assert answer == '{"batchItemFailures": []} 1'
        assert imported == "[]"
        from_source = [line for line in done.stderr.splitlines()
                       if line.startswith("# code object from") and str(out) in line
                       and line.rstrip("'").endswith(".py")]
        assert from_source == []
        assert f"{out}/deepalert/__pycache__/__init__.{sys.implementation.cache_tag}.pyc" \
            in done.stderr
    finally:
        for path in [out, *out.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_the_zip_is_reproducible_sorted_and_dated_1980(
        built: tuple[Path, Path, str], project: Path, offline_wheels: Path,
        tmp_path: Path) -> None:
    """Two builds give the same bytes, whatever the file times; entries are sorted, readable,
    with one fixed time."""
    first, second = built[1], tmp_path / "b.zip"
    os.utime(project / "app.py", (2_000_000_000, 2_000_000_000))
    assert package(project, offline_wheels, "--zip", str(second)) == 0
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert "app.py" in names
    assert f"__pycache__/app.{sys.implementation.cache_tag}.pyc" in names


def test_a_layer_puts_everything_under_python_and_can_leave_the_source_out(
        project: Path, offline_wheels: Path, tmp_path: Path) -> None:
    """--layer --no-source: deepalert and the requirements under python/, compiled for
    /opt/python; the project's own code left out."""
    layer = tmp_path / "layer.zip"
    assert package(project, offline_wheels, "--layer", "--no-source", "--zip", str(layer)) == 0
    with zipfile.ZipFile(layer) as zf:
        names = zf.namelist()
        init = zf.read(f"python/deepalert/__pycache__/__init__.{sys.implementation.cache_tag}"
                       ".pyc")
    assert all(n.startswith("python/") for n in names)
    assert "python/deepalert/__init__.py" in names
    assert "python/app.py" not in names
    assert "python/pydantic/__init__.py" in names
    assert not [n for n in names if n.startswith("python/jmespath")]
    assert marshal.loads(init[16:]).co_filename == "/opt/python/deepalert/__init__.py"


def test_include_boto3_asks_pip_for_deepalerts_boto3_requirement_and_keeps_it() -> None:
    """Without --include-boto3 deepalert's own boto3 requirement is not installed at all;
    with it, it is (and nothing runtime-provided is removed afterwards)."""
    assert not [r for r in _own_requirements(include_boto3=False) if r.startswith("boto3")]
    assert [r for r in _own_requirements(include_boto3=True) if r.startswith("boto3")]
    assert any(r.startswith("pydantic") for r in _own_requirements(include_boto3=False))


def test_a_target_python_other_than_the_running_one_is_refused(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bytecode and binary wheels are per Python version: building for another is refused,
    saying which Python to run it with, and nothing is written."""
    other = "3.9" if RUNNING != "3.9" else "3.10"
    out = tmp_path / "bundle"
    assert main(["package", str(project), "--python", f"python{other}", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"the bundle is for Python {other} but this is Python {RUNNING}" in err
    assert f"python{other} -m deepalert package" in err
    assert not out.exists()


def test_the_templates_runtime_is_the_default_target_and_is_checked(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With no --python, a template naming another Python's runtime is refused, saying
    where that Python came from."""
    other = "3.9" if RUNNING != "3.9" else "3.10"
    mismatched = tmp_path / "project"
    shutil.copytree(project, mismatched)
    (mismatched / "template.yaml").write_text(
        f"Globals:\n  Function:\n    Runtime: python{other}\n    Architectures: [arm64]\n")
    assert main(["package", str(mismatched), "--zip", str(tmp_path / "b.zip")]) == 2
    err = capsys.readouterr().err
    assert f"template.yaml names Runtime: python{other}; the bundle is for Python {other}" in err
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize(("template", "expected"), [
    ("Globals:\n  Function:\n    Runtime: python3.12\n    Architectures: [arm64]\n",
     ("3.12", "arm64")),
    ("Resources:\n  A:\n    Properties:\n      Runtime: python3.11\n"
     "      Architectures:\n        - x86_64\n  B:\n    Properties:\n"
     "      Runtime: python3.11\n", ("3.11", None)),
    ("Resources:\n  A:\n    Properties:\n      Runtime: python3.11\n"
     "  B:\n    Properties:\n      Runtime: python3.12\n", (None, None)),
    ("Resources: {}\n", (None, None)),
])
def test_template_defaults_are_taken_only_when_the_template_names_one(
        template: str, expected: tuple[str | None, str | None], tmp_path: Path) -> None:
    """One Runtime (and one architecture) across the template: that one; several: none."""
    (tmp_path / "template.yaml").write_text(template)
    assert template_defaults(tmp_path) == expected
    assert template_defaults(tmp_path / "missing") == (None, None)


@pytest.mark.parametrize(("text", "expected"), [
    (None, RUNNING), (RUNNING, RUNNING), (f"python{RUNNING}", RUNNING)])
def test_the_target_python_reads_versions_and_runtime_names(text: str | None,
                                                             expected: str) -> None:
    """--python takes 3.X or a Lambda runtime name; the default is the running Python."""
    assert parse_python_version(text) == expected


def test_a_malformed_python_version_names_the_forms_accepted() -> None:
    """--python 3 is neither form: the error shows both."""
    with pytest.raises(PackagingError, match=r"not a Python version such as 3.12 or a Lambda "
                                             r"runtime such as python3.12"):
        parse_python_version("3")


def test_outputs_in_the_way_are_refused_unless_forced(project: Path, tmp_path: Path) -> None:
    """A non-empty --out folder or an existing --zip is not overwritten without --force; no
    output at all is a usage error."""
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(PackagingError, match="full: not empty"):
        build_bundle(project, folder=tmp_path / "full")
    (tmp_path / "x.zip").write_text("mine")
    with pytest.raises(PackagingError, match=r"x\.zip: exists \(add --force"):
        build_bundle(project, zip_file=tmp_path / "x.zip")
    with pytest.raises(PackagingError, match="give --out FOLDER and/or --zip FILE"):
        build_bundle(project)
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_a_project_file_that_does_not_compile_fails_the_build(
        project: Path, offline_wheels: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The function could never import it: the build stops, naming the file and the line."""
    broken = tmp_path / "project"
    shutil.copytree(project, broken)
    (broken / "helpers" / "broken.py").write_text("def oops(:\n")
    out = tmp_path / "bundle"
    assert package(broken, offline_wheels, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert f"{broken / 'helpers' / 'broken.py'} does not compile" in err
    assert 'File "/var/task/helpers/broken.py", line 1' in err
    assert "SyntaxError" in err
    assert not out.exists()


def test_pip_failing_is_reported_with_its_reason(project: Path, offline_wheels: Path,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A requirement no wheel satisfies fails the build with pip's own words; nothing is
    written."""
    broken = tmp_path / "project"
    shutil.copytree(project, broken)
    (broken / "requirements.txt").write_text("no-such-distribution-here==1.0\n")
    out = tmp_path / "bundle"
    assert package(broken, offline_wheels, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "pip could not install the requirements" in err
    assert "no-such-distribution-here" in err
    assert not out.exists()
