"""Write a new inspector, reviewer or emitter project from the templates in ``_templates/``.

A project is small and complete: the function, its tests with a fixture alert, a SAM template
with the ``Makefile`` that builds it through ``deepalert package``, a README, a
``requirements.txt`` and a ``pyproject.toml`` with the pytest and mypy settings. As written, it
passes its own tests and ``mypy --strict``.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from deepalert.errors import DeepAlertError

__all__ = ["KINDS", "ScaffoldError", "files_for", "new_project", "validate_name"]

KINDS = ("inspector", "reviewer", "emitter")

# Where each template goes in the new project; NAME is the project's name.
_LAYOUT = {
    "common/README.md.tmpl": "README.md",
    "common/Makefile.tmpl": "Makefile",
    "common/requirements.txt.tmpl": "requirements.txt",
    "common/pyproject.toml.tmpl": "pyproject.toml",
    "common/gitignore.tmpl": ".gitignore",
    "common/alert.json.tmpl": "tests/alerts/alert.json",
    "{kind}/__NAME__.py.tmpl": "{name}.py",
    "{kind}/test___NAME__.py.tmpl": "tests/test_{name}.py",
    "{kind}/template.yaml.tmpl": "template.yaml",
}

# Lambda's Python runtimes; the template names the running Python when Lambda has it.
_LAMBDA_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
_RESERVED = {"deepalert", "tests", "test", "conftest", "app"}


class ScaffoldError(DeepAlertError, ValueError):
    """A project that cannot be written as asked: a bad name, or files in the way."""


@dataclass(frozen=True)
class _Names:
    name: str
    kind: str
    logical: str
    python: str


def validate_name(name: str) -> str:
    """``name`` when it can be the project's module and function name; else a
    :class:`ScaffoldError` saying why and what would do."""
    if not name.isidentifier() or not name.isascii():
        hint = re.sub(r"\W", "_", name.replace("-", "_")).strip("_").lower()
        suggestion = f" (such as {hint})" if hint.isidentifier() else ""
        raise ScaffoldError(f"NAME {name!r} is not a Python identifier: use letters, digits "
                            f"and underscores, not starting with a digit{suggestion}")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(f"NAME {name!r} is a Python keyword; choose another name")
    if name in _RESERVED or name in sys.stdlib_module_names or name.startswith("_"):
        raise ScaffoldError(f"NAME {name!r} would shadow a module the project imports (or is "
                            "private); choose another name, such as my_" + name.lstrip("_"))
    return name


def files_for(kind: str, name: str) -> dict[str, str]:
    """The project's files, relative path to text, for a ``kind`` project called ``name``."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    validate_name(name)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    names = _Names(name=name, kind=kind,
                   logical="".join(p.capitalize() for p in name.split("_") if p) + "Function",
                   python=running if running in _LAMBDA_PYTHONS else "3.12")
    root = resources.files("deepalert") / "_templates"
    files: dict[str, str] = {}
    for template, target in _LAYOUT.items():
        text = (root / template.format(kind=kind)).read_text(encoding="utf-8")
        files[target.format(name=name)] = _fill(text, names)
    return files


def _fill(text: str, names: _Names) -> str:
    flag = {"inspector": "--inspector", "reviewer": "--reviewer", "emitter": "--emitter"}
    run = f"deepalert run tests/alerts/alert.json {flag[names.kind]} {names.name}:{names.name}"
    for placeholder, value in (("__NAME__", names.name), ("__KIND__", names.kind),
                               ("__LOGICAL__", names.logical), ("__PYTHON__", names.python),
                               ("__RUN__", run)):
        text = text.replace(placeholder, value)
    return text


def new_project(kind: str, name: str, folder: Path | None = None) -> list[Path]:
    """Write a new ``kind`` project called ``name`` into ``folder`` (default ``./name``).

    Nothing is overwritten: when any of the files exists already, nothing is written and a
    :class:`ScaffoldError` names them.

    Returns:
        The files written, in order.
    """
    files = files_for(kind, name)
    folder = Path(name) if folder is None else folder
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder}: exists and is not a folder")
    existing = sorted(rel for rel in files if (folder / rel).exists())
    if existing:
        raise ScaffoldError(f"{folder}: would overwrite {', '.join(existing)}; nothing was "
                            "written (choose another --dir, or move them away)")
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
