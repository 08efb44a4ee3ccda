"""The package's public surface and its import cost."""

from __future__ import annotations

import pytest

import deepalert
from tests.imports import loaded_by


def test_all_is_complete() -> None:
    """__all__ lists every public name once and each resolves (ruff's RUF022 keeps it sorted)."""
    names = deepalert.__all__
    assert len(set(names)) == len(names)
    public = {n for n in vars(deepalert) if n.isidentifier() and not n.startswith("_")} - {
        "errors", "models", "inspector", "reviewer", "emitter", "testing", "sources", "local",
        "cli", "render", "lookup", "integrations",
    }
    assert public <= set(names) | {"annotations"}
    for name in names:
        assert hasattr(deepalert, name), name


def test_every_error_derives_from_the_root() -> None:
    """One root exception: every error class in deepalert.errors is a DeepAlertError."""
    from deepalert import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), deepalert.DeepAlertError), name


@pytest.mark.parametrize("module", ["deepalert"])
def test_import_loads_no_aws_sdk_and_no_asyncio(module: str) -> None:
    """A cold start pays for no boto3, botocore or asyncio when importing the package."""
    assert loaded_by(module, {"boto3", "botocore", "asyncio", "click", "pytest"}) == []
