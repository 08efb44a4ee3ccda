"""Fixtures for the packaging tests: one wheelhouse and one build per session."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.packaging._wheelhouse import wheelhouse

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "packaging: builds distributions and virtual environments (deselect with "
                   "-m 'not packaging')")


@pytest.fixture(scope="session")
def offline_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deepalert's dependencies and hatchling, as wheels, from the environment running the tests."""
    return wheelhouse(["pydantic", "typing-extensions", "boto3", "hatchling", "editables"],
                      tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist ``python -m build`` makes of this checkout (no build isolation)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                    str(ROOT)], check=True, capture_output=True, env=clean_env())
    return out


def clean_env() -> dict[str, str]:
    """The environment for subprocesses: no virtual environment or PYTHONPATH leaking in."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def make_venv(path: Path) -> Path:
    """A new virtual environment at ``path`` (with pip, no system packages); its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def pip_offline(python: Path, *args: str, wheels: Path) -> None:
    """``pip install`` into ``python``'s environment from ``wheels`` only: no package index."""
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index",
                    "--find-links", str(wheels), *args],
                   check=True, capture_output=True, env=clean_env(), cwd=python.parent)
