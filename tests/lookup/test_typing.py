"""The toolkit's and the ready inspectors' types are the ones we meant (mypy --strict)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_toolkit_usage_passes_mypy_strict() -> None:
    """HttpClient, Secret, Lookup, caches, limiters, the guard and the factories type-check."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         str(HERE / "_typing_check.py")], capture_output=True, text=True, cwd=HERE.parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
