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


MISSPELT = """
from deepalert.integrations.shodan import shodan_internetdb_inspector
from deepalert.integrations.virustotal import virustotal_inspector
virustotal_inspector(ttl_seconds=60.0)
shodan_internetdb_inspector(timeout="10")
from deepalert.integrations.aws_iam import iam_inspector
iam_inspector(base_url="http://x")
"""


def test_a_misspelt_or_mistyped_factory_keyword_is_rejected() -> None:
    """The ready inspectors' shared keywords are typed (LookupOptions): mypy names the bad ones."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-c", MISSPELT],
        capture_output=True, text=True, cwd=HERE.parents[1])
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Unexpected keyword argument "ttl_seconds"' in result.stdout
    assert 'Argument "timeout" to "shodan_internetdb_inspector" has incompatible type' in (
        result.stdout)
    assert 'Unexpected keyword argument "base_url" for "iam_inspector"' in result.stdout
