"""The API reference builds with ``mkdocs build --strict`` and documents every public name,
every model field (named by its Go JSON key) and every enumeration member."""

from __future__ import annotations

import enum
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.docs._blocks import ROOT

PAGES = {"deepalert": "deepalert", "deepalert.inspector": "inspector",
         "deepalert.reviewer": "reviewer", "deepalert.emitter": "emitter",
         "deepalert.testing": "testing", "deepalert.local": "local",
         "deepalert.sources": "sources"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings_handlers.python",
                        reason="mkdocstrings[python] is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    return out


def _page(site: Path, module: str) -> str:
    return (site / "reference" / PAGES[module] / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("module", sorted(PAGES))
def test_every_public_name_is_documented(site: Path, module: str) -> None:
    html = _page(site, module)
    names = [n for n in importlib.import_module(module).__all__ if n != "__version__"]
    missing = [n for n in names if f'id="{module}.{n}"' not in html]
    assert missing == []


def test_every_model_field_and_enum_member_is_documented(site: Path) -> None:
    import deepalert

    html = _page(site, "deepalert")
    missing = []
    for name in deepalert.__all__:
        obj = getattr(deepalert, name)
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            members = list(obj.model_fields)
        elif isinstance(obj, type) and issubclass(obj, enum.Enum):
            members = [m.name for m in obj]
        else:
            continue
        missing += [f"{name}.{m}" for m in members if f'id="deepalert.{name}.{m}"' not in html]
    assert missing == []
    # The names users had to find by introspection.
    assert 'id="deepalert.ContentHost.as_owner"' in html
    assert 'id="deepalert.AttrType.FILEHASHVALUE"' in html


def test_model_fields_carry_their_docstrings(site: Path) -> None:
    html = _page(site, "deepalert")
    assert "Owners of the autonomous system the address belongs to." in html
    assert "Field names are the Go JSON keys" in (
        site / "reference" / "index.html").read_text(encoding="utf-8")
