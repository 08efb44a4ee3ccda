"""The public surface of deepalert.sources and its import cost."""

from __future__ import annotations

import deepalert.sources
from tests.imports import loaded_by


def test_all_is_sorted_and_resolves() -> None:
    """__all__ is sorted, unique, and every name resolves."""
    names = deepalert.sources.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(deepalert.sources, name), name


def test_source_error_is_the_package_error() -> None:
    """SourceError is exported from deepalert and derives from DeepAlertError and ValueError."""
    assert deepalert.sources.SourceError is deepalert.SourceError
    assert issubclass(deepalert.SourceError, deepalert.DeepAlertError)
    assert issubclass(deepalert.SourceError, ValueError)


def test_import_loads_no_aws_sdk_and_no_asyncio() -> None:
    """Importing the converters pays for no boto3, botocore or asyncio."""
    assert loaded_by("deepalert.sources", {"boto3", "botocore", "asyncio", "yaml"}) == []
