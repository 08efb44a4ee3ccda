"""Each package's ``__all__`` is complete (every public name it defines or re-exports from
deepalert) and sorted as ruff's RUF022 sorts it."""

from __future__ import annotations

import importlib
import re
import types

import pytest

PACKAGES = ["deepalert", "deepalert.inspector", "deepalert.reviewer", "deepalert.emitter",
            "deepalert.testing", "deepalert.local", "deepalert.sources", "deepalert._lambda"]

# Helpers a package's own code uses, imported under their plain names, and not part of its API.
INTERNAL = {"deepalert.sources": {"Batch", "dotted", "skip"}}


def _ruf022_key(name: str) -> tuple[int, list[object]]:
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    natural: list[object] = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
    return kind, natural


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__, key=_ruf022_key)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_complete_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    for exported in module.__all__:
        assert getattr(module, exported) is not None, exported
    public = {
        attr for attr, value in vars(module).items()
        if not attr.startswith("_") and not isinstance(value, types.ModuleType)
        and _defined_in(str(getattr(value, "__module__", "")), name)
    }
    assert public - set(module.__all__) - INTERNAL.get(name, set()) == set()


def _defined_in(module: str, package: str) -> bool:
    """Defined in the package itself or one of its private submodules."""
    return module == package or module.startswith(f"{package}._")


def test_the_response_types_users_handle_are_public() -> None:
    from deepalert import emitter, inspector, reviewer, testing

    for role in (inspector, emitter):
        assert {"PartialBatchResponse", "BatchItemFailure", "LambdaContext"} <= set(role.__all__)
    assert "LambdaContext" in reviewer.__all__
    assert {"InspectionResult", "EmitRun", "ReviewRun", "AlertFactory", "PipelineFactory",
            "ReportFactory"} <= set(testing.__all__)
