"""The reviewer and emitter modules are cheap to import in a Lambda cold start."""

from __future__ import annotations

import pytest

from tests.imports import loaded_by


@pytest.mark.parametrize("module", ["deepalert.reviewer", "deepalert.emitter",
                                    "examples.reviewer.policy", "examples.emitter.slack"])
def test_importing_a_role_loads_no_aws_sdk_asyncio_or_pytest(module: str) -> None:
    """Importing a role (or an example handler) loads no boto3, botocore, asyncio or pytest."""
    assert loaded_by(module, {"boto3", "botocore", "asyncio", "click", "pytest",
                              "deepalert.testing"}) == []


@pytest.mark.parametrize("module", ["deepalert.reviewer", "deepalert.emitter",
                                    "deepalert.testing"])
def test_all_lists_every_public_name_once(module: str) -> None:
    """__all__ is complete, has no duplicates, and every name in it resolves."""
    import importlib
    import types

    mod = importlib.import_module(module)
    names = list(mod.__all__)
    assert len(set(names)) == len(names)
    public = {n for n, v in vars(mod).items()
              if not n.startswith("_") and not isinstance(v, types.ModuleType)
              and n != "annotations"}
    assert public <= set(names)
    for name in names:
        assert hasattr(mod, name), name
