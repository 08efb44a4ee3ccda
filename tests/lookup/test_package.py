"""deepalert.lookup's public surface, and the import cost of the toolkit and the inspectors."""

from __future__ import annotations

import importlib

import pytest

import deepalert.lookup
from deepalert.errors import DeepAlertError
from tests.imports import loaded_by

INSPECTOR_MODULES = ["virustotal", "abuseipdb", "shodan", "greynoise", "aws_ec2", "aws_iam",
                     "otx", "urlhaus", "malwarebazaar", "threatfox"]


def test_all_is_complete() -> None:
    """__all__ lists every public name once, and each resolves (RUF022 keeps it sorted)."""
    names = deepalert.lookup.__all__
    assert len(set(names)) == len(names)
    public = {n for n in vars(deepalert.lookup) if n.isidentifier() and not n.startswith("_")}
    assert public <= set(names)
    assert all(hasattr(deepalert.lookup, name) for name in names)


def test_every_lookup_error_derives_from_the_root() -> None:
    """Each error the toolkit raises is a DeepAlertError."""
    for name in deepalert.lookup.__all__:
        value = getattr(deepalert.lookup, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, DeepAlertError), name


@pytest.mark.parametrize("module", INSPECTOR_MODULES)
def test_each_inspector_module_exports_its_factory_and_handler(module: str) -> None:
    """A ready module has a sorted __all__ naming its factory, SERVICE and handler."""
    loaded = importlib.import_module(f"deepalert.integrations.{module}")
    assert "handler" in loaded.__all__
    assert "SERVICE" in loaded.__all__
    assert any(n.endswith("_inspector") for n in loaded.__all__)
    assert all(hasattr(loaded, n) for n in loaded.__all__)


def test_imports_are_light() -> None:
    """Importing the toolkit or any ready inspector loads no urllib3, boto3, botocore or
    asyncio: they come with the first lookup, not the cold start."""
    modules = ", ".join(["deepalert.lookup",
                         *(f"deepalert.integrations.{m}" for m in INSPECTOR_MODULES)])
    assert loaded_by(modules, {"boto3", "botocore", "urllib3", "asyncio", "http"}) == []
