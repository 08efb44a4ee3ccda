"""Static types: decorated reviewers and emitters keep the types users wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

CHECKED = Path(__file__).with_name("_typing_check.py")


def test_decorated_roles_type_check_as_written() -> None:
    """mypy --strict accepts _typing_check.py: assert_type holds, a bad return is flagged."""
    api = pytest.importorskip("mypy.api")
    stdout, stderr, status = api.run(["--strict", "--no-incremental", str(CHECKED)])
    assert status == 0, stdout + stderr
