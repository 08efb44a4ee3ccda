"""deepalert.render's public surface and import cost."""

from __future__ import annotations

import deepalert.render
from tests.imports import loaded_by


def test_all_is_complete() -> None:
    """__all__ lists every public name once, and each resolves."""
    names = deepalert.render.__all__
    assert len(set(names)) == len(names)
    public = {n for n in vars(deepalert.render) if n.isidentifier() and not n.startswith("_")}
    assert public <= set(names)
    assert all(hasattr(deepalert.render, name) for name in names)


def test_import_is_light() -> None:
    """Rendering loads no AWS SDK, no asyncio and no HTTP client."""
    assert loaded_by("deepalert.render", {"boto3", "botocore", "asyncio", "urllib3"}) == []
