"""The types users see are the ones we meant: mypy --strict on a file of assert_type checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.parametrize("name", ["models_usage.py", "aws_usage.py", "integrations_usage.py"])
def test_public_types_pass_mypy_strict(name: str) -> None:
    """Building models with datetimes and enums, and reading them back, type-checks strictly."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / name)],
        capture_output=True, text=True, cwd=HERE.parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
