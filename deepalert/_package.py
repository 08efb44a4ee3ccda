"""Build a Lambda function bundle or layer with bytecode that stays valid in Lambda.

A ``sam build`` bundle holds no ``.pyc`` files and Lambda's code directory is read-only, so every
cold start compiles every module it imports. :func:`build_bundle` installs a project's
requirements for the Lambda platform, adds ``deepalert`` from this installed copy (never looked up
on a package index) and the project's own code, and compiles everything to *unchecked-hash*
``.pyc`` files (PEP 552): Python loads them without comparing timestamps or hashes, so they stay
valid with any file times on a read-only filesystem.

What the Lambda runtime already provides (boto3 and what it needs) is left out unless asked for.
The zip is reproducible: entries sorted, one fixed timestamp and fixed permissions.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from deepalert.errors import DeepAlertError

__all__ = [
    "RUNTIME_PROVIDED",
    "Bundle",
    "PackagingError",
    "build_bundle",
    "parse_python_version",
    "template_defaults",
]

#: Distributions the Lambda Python runtimes already provide: left out unless ``include_boto3``.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"})

#: What a project folder holds that does not belong in a function bundle.
DEFAULT_EXCLUDES = (
    ".*", "__pycache__", "*.pyc", "build", "dist", "tests", "test_*.py", "*_test.py",
    "conftest.py", "template.yaml", "template.yml", "samconfig.toml", "Makefile",
    "requirements*.txt", "pyproject.toml", "venv", "*.egg-info",
)

ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}

# 1980-01-01, the earliest time a zip entry can hold: every entry gets it.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class PackagingError(DeepAlertError):
    """A bundle that cannot be built as asked: the message says what and how to fix it."""


@dataclass
class Bundle:
    """What :func:`build_bundle` made.

    Attributes:
        folder: the bundle as a folder, when one was asked for.
        zip_file: the bundle as a zip, when one was asked for.
        python: the Python version it is for, such as ``"3.12"``.
        architecture: ``"x86_64"`` or ``"arm64"``.
        files: how many files it holds.
        size: their total size in bytes.
        compiled: how many modules were compiled to ``.pyc``.
        left_out: the runtime-provided distributions removed, with their size in bytes.
        deepalert: the version and folder of the deepalert copy bundled.
        replaced: the requirement lines naming deepalert that this copy stands for.
        not_compiled: dependencies' files that do not compile (kept as they are, as pip
            does; the project's own files must compile).
    """

    folder: Path | None
    zip_file: Path | None
    python: str
    architecture: str
    files: int = 0
    size: int = 0
    compiled: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    deepalert: str = ""
    replaced: list[str] = field(default_factory=list)
    not_compiled: list[str] = field(default_factory=list)


def parse_python_version(text: str | None) -> str:
    """``"3.12"`` from ``"3.12"``, ``"python3.12"`` (a Lambda runtime name) or ``None`` (this
    Python); a :class:`PackagingError` when it is not the Python running this."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if text is None:
        return running
    match = re.fullmatch(r"(?:python)?(3\.\d+)", text.strip())
    if match is None:
        raise PackagingError(f"--python {text!r} is not a Python version such as 3.12 or a "
                             "Lambda runtime such as python3.12")
    if match.group(1) != running:
        raise PackagingError(
            f"the bundle is for Python {match.group(1)} but this is Python {running}: its "
            f"bytecode and binary wheels would not load there. Run it with Python "
            f"{match.group(1)} (python{match.group(1)} -m deepalert package ...)")
    return running


def build_bundle(
    project: Path,
    *,
    folder: Path | None = None,
    zip_file: Path | None = None,
    layer: bool = False,
    python: str | None = None,
    architecture: str | None = None,
    requirements: Path | None = None,
    include_source: bool = True,
    include_boto3: bool = False,
    excludes: Sequence[str] = (),
    pip_options: Sequence[str] = (),
    force: bool = False,
) -> Bundle:
    """Build a function bundle (or, with ``layer``, a layer under ``python/``) from ``project``.

    Args:
        project: the folder holding the function's code and its ``requirements.txt``.
        folder: write the bundle as this folder (must be empty or absent, unless ``force``).
        zip_file: write the bundle as this zip (refused if it exists, unless ``force``).
        layer: put everything under ``python/``, as Lambda layers expect.
        python: the runtime's Python version (``"3.12"`` or ``"python3.12"``); must be the
            Python running this. ``None``: the one ``project/template.yaml`` names, if all its
            functions name one; else this Python.
        architecture: the function's architecture, ``"x86_64"`` or ``"arm64"``. ``None``: the
            one ``project/template.yaml`` names, if all its functions name one; else x86_64.
        requirements: the requirements file (default: ``project/requirements.txt`` if present).
            Lines naming ``deepalert`` are dropped: this installed copy is bundled instead.
        include_source: copy the project's own files (a layer of dependencies only without).
        include_boto3: keep what the Lambda runtime provides (:data:`RUNTIME_PROVIDED`).
        excludes: more glob patterns of project files to leave out (matched against names).
        pip_options: passed to ``pip install`` as they are (``--no-index``, ``--find-links``...).
        force: replace an existing output.

    Returns:
        What was built.

    Raises:
        PackagingError: a wrong Python, an output in the way, pip failing (its output says
            why), or a project file that does not compile.
    """
    if folder is None and zip_file is None:
        raise PackagingError("nowhere to write the bundle: give --out FOLDER and/or --zip FILE")
    project = project.resolve()
    if not project.is_dir():
        raise PackagingError(f"{project}: not a folder")
    named_python, named_arch = template_defaults(project)
    if python is None and named_python is not None:
        try:
            parse_python_version(named_python)
        except PackagingError as exc:
            raise PackagingError(f"{project / 'template.yaml'} names Runtime: python"
                                 f"{named_python}; {exc}") from None
    version = parse_python_version(python or named_python)
    architecture = architecture or named_arch or "x86_64"
    if architecture not in ARCHITECTURES:
        raise PackagingError(f"--arch {architecture!r}: expected one of "
                             f"{', '.join(ARCHITECTURES)}")
    if requirements is None and (project / "requirements.txt").is_file():
        requirements = project / "requirements.txt"
    if requirements is not None and not requirements.is_file():
        raise PackagingError(f"{requirements}: no such requirements file")
    _check_output(folder, zip_file, force)

    bundle = Bundle(folder=folder, zip_file=zip_file, python=version,
                    architecture=architecture)
    with tempfile.TemporaryDirectory(prefix="deepalert-package-") as tmp:
        stage = Path(tmp) / "bundle"
        root = stage / "python" if layer else stage
        root.mkdir(parents=True)
        _pip_install(root, requirements, version, architecture, include_boto3, pip_options,
                     Path(tmp))
        if not include_boto3:
            bundle.left_out = _remove_distributions(root, RUNTIME_PROVIDED)
        shutil.rmtree(root / "bin", ignore_errors=True)  # console scripts: no use in Lambda
        bundle.deepalert = _copy_deepalert(root)
        if requirements is not None:
            bundle.replaced = _requirement_lines(requirements)[1]
        own: list[str] = []
        if include_source:
            skip = (*DEFAULT_EXCLUDES, *excludes)
            outputs = [p.resolve() for p in (folder, zip_file) if p is not None]
            _copy_tree(project, root, skip, outputs, own)
        bundle.compiled, failed = _compile(root, "/opt/python" if layer else "/var/task")
        broken = sorted(set(failed) & set(own))
        if broken:
            raise PackagingError(f"{project / broken[0]} does not compile, so the function "
                                 f"could not import it:\n{failed[broken[0]]}")
        bundle.not_compiled = sorted(failed)
        files = sorted((p for p in stage.rglob("*") if p.is_file()),
                       key=lambda p: p.relative_to(stage).as_posix())
        bundle.files = len(files)
        bundle.size = sum(p.stat().st_size for p in files)
        if zip_file is not None:
            _write_zip(stage, files, zip_file)
        if folder is not None:
            if folder.exists():
                shutil.rmtree(folder) if force else folder.rmdir()
            folder.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(stage, folder)
    return bundle


def template_defaults(project: Path) -> tuple[str | None, str | None]:
    """The Python version and architecture ``project/template.yaml`` gives its functions,
    each ``None`` unless the template names exactly one (``Runtime: python3.12``,
    ``Architectures: [arm64]``, in ``Globals`` or the functions)."""
    path = project / "template.yaml"
    if not path.is_file():
        return None, None
    text = path.read_text(encoding="utf-8", errors="replace")
    pythons = set(re.findall(r"^\s*Runtime:\s*[\"']?python(3\.\d+)", text, re.MULTILINE))
    arches = set(re.findall(r"^\s*Architectures:\s*\[?\s*[\"']?(x86_64|arm64)", text,
                            re.MULTILINE))
    return (pythons.pop() if len(pythons) == 1 else None,
            arches.pop() if len(arches) == 1 else None)


def _check_output(folder: Path | None, zip_file: Path | None, force: bool) -> None:
    if folder is not None and folder.exists() and not force:
        if not folder.is_dir():
            raise PackagingError(f"--out {folder}: exists and is not a folder")
        if any(folder.iterdir()):
            raise PackagingError(f"--out {folder}: not empty (add --force to replace it)")
    if zip_file is not None and zip_file.exists() and not force:
        raise PackagingError(f"--zip {zip_file}: exists (add --force to replace it)")


def _requirement_lines(path: Path) -> tuple[list[str], list[str]]:
    """The file's lines without those naming deepalert, and those lines."""
    kept: list[str] = []
    dropped: list[str] = []
    for line in path.read_text().splitlines():
        match = _NAME.match(line)
        name = match.group(1) if match else ""
        if _canonical(name) == "deepalert" and not line.lstrip().startswith("-"):
            dropped.append(line.strip())
        else:
            kept.append(line)
    return kept, dropped


def _own_requirements(include_boto3: bool) -> list[str]:
    """deepalert's own runtime dependencies, from this installed copy's metadata."""
    try:
        declared = importlib.metadata.requires("deepalert") or []
    except importlib.metadata.PackageNotFoundError:
        raise PackagingError(
            "deepalert's metadata is missing: install it (pip install -e . in a clone) "
            "before packaging") from None
    own = []
    for line in declared:
        if "extra ==" in line:
            continue
        match = _NAME.match(line)
        if match and not include_boto3 and _canonical(match.group(1)) in RUNTIME_PROVIDED:
            continue
        own.append(line)
    return own


def _platforms(version: str, architecture: str) -> list[str]:
    """pip's ``--platform`` tags for the Lambda runtime (Amazon Linux 2: glibc 2.26 for
    Python 3.10 and 3.11; Amazon Linux 2023: glibc 2.34 after)."""
    machine = ARCHITECTURES[architecture]
    glibc = 26 if version in {"3.10", "3.11"} else 34
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(glibc, 16, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def _pip_install(root: Path, requirements: Path | None, version: str, architecture: str,
                 include_boto3: bool, pip_options: Sequence[str], tmp: Path) -> None:
    wanted = _own_requirements(include_boto3)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-compile", "--target", str(root), "--only-binary=:all:",
               "--implementation", "cp", "--python-version", version]
    for tag in _platforms(version, architecture):
        command += ["--platform", tag]
    if requirements is not None:
        kept, _ = _requirement_lines(requirements)
        filtered = tmp / "requirements.txt"
        filtered.write_text("\n".join(kept) + "\n")
        # Relative paths in a requirements file are read from the current folder: use the file's.
        command += ["-r", str(filtered)]
        cwd: Path | None = requirements.resolve().parent
    else:
        cwd = None
    command += [*pip_options, *wanted]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    if done.returncode != 0:
        raise PackagingError(
            f"pip could not install the requirements for Python {version} on Lambda "
            f"{architecture}:\n{done.stderr.strip()}\n(only binary wheels for Lambda's "
            "platform can be used: a requirement published as source only must be built in a "
            "Lambda-like container, such as the runtime's image)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _remove_distributions(root: Path, names: Iterable[str]) -> dict[str, int]:
    """Delete the files of the installed distributions ``names`` (by their RECORD)."""
    removed: dict[str, int] = {}
    wanted = set(names)
    for info in sorted(root.glob("*.dist-info")):
        name = _canonical(info.name[: -len(".dist-info")].rsplit("-", 1)[0])
        if name not in wanted:
            continue
        size = 0
        record = info / "RECORD"
        paths = [line.split(",", 1)[0] for line in record.read_text().splitlines()
                 if line] if record.is_file() else []
        for rel in paths:
            path = root / rel
            if path.is_file() and path.resolve().is_relative_to(root.resolve()):
                size += path.stat().st_size
                path.unlink()
        shutil.rmtree(info, ignore_errors=True)
        removed[name] = size
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if folder.name == "__pycache__" or not any(folder.iterdir()):
            shutil.rmtree(folder)
    return removed


def _copy_deepalert(root: Path) -> str:
    """Copy this installed deepalert, with a dist-info so its version can be read; return
    its version and folder."""
    source = Path(__file__).resolve().parent
    shutil.rmtree(root / "deepalert", ignore_errors=True)
    for stale in root.glob("deepalert-*.dist-info"):
        shutil.rmtree(stale)
    shutil.copytree(source, root / "deepalert",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_templates"))
    dist = importlib.metadata.distribution("deepalert")
    info = root / f"deepalert-{dist.version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(dist.read_text("METADATA") or "")
    (info / "INSTALLER").write_text("deepalert package\n")
    return f"{dist.version} from {source}"


def _excluded(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch(name, pattern) for pattern in patterns)


def _copy_tree(source: Path, target: Path, patterns: Sequence[str],
               outputs: Sequence[Path], copied: list[str], prefix: str = "") -> None:
    """Copy ``source`` into ``target`` but what ``patterns`` name; note each file in
    ``copied`` (relative paths)."""
    for path in sorted(source.iterdir()):
        if _excluded(path.name, patterns) or path.resolve() in outputs:
            continue
        if path.is_dir():
            (target / path.name).mkdir(exist_ok=True)
            _copy_tree(path, target / path.name, patterns, outputs, copied,
                       f"{prefix}{path.name}/")
        elif path.is_file():
            shutil.copyfile(path, target / path.name)
            copied.append(f"{prefix}{path.name}")


_COMPILE = """
import compileall, py_compile, re, sys
root, prefix = sys.argv[1], sys.argv[2]
ok = compileall.compile_dir(root, ddir=prefix, quiet=1, workers=1,
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


def _compile(root: Path, prefix: str) -> tuple[int, dict[str, str]]:
    """Compile every module under ``root`` to unchecked-hash ``.pyc`` in ``__pycache__``.

    A separate interpreter with a fixed hash seed does it, so set constants come out in the
    same order every time (reproducible bytes). Returns how many ``.pyc`` there are, and the
    files that did not compile (path relative to ``root``: the compiler's message).
    """
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-I", "-c", _COMPILE, str(root), prefix],
                          capture_output=True, text=True, env=env, check=False)
    failed: dict[str, str] = {}
    for chunk in done.stdout.split("*** Error compiling ")[1:]:
        match = re.match(r"'([^']+)'\.\.\.\n(.*)", chunk, re.DOTALL)
        if match:
            path = Path(match.group(1))
            rel = path.relative_to(root).as_posix() if path.is_absolute() else str(path)
            failed[rel] = match.group(2).strip()
    compiled = sum(1 for _ in root.rglob("__pycache__/*.pyc"))
    return compiled, failed


def _write_zip(stage: Path, files: Sequence[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:  # sorted by the caller
            info = zipfile.ZipInfo(path.relative_to(stage).as_posix(), date_time=_ZIP_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, readable by the runtime
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(target)
