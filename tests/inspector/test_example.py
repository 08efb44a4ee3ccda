"""The inspector examples run from their folder, as docs/inspector.md says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "inspector"


def test_the_example_tests_pass_when_run_from_the_example_folder() -> None:
    """`python -m pytest` in examples/inspector passes (ip_classifier and blocklist)."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=FOLDER, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "16 passed" in result.stdout
