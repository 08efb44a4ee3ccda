"""The emitter modules' public surface and import cost."""

from __future__ import annotations

import importlib

import pytest

import deepalert.integrations
from deepalert.emitter import Emitter
from deepalert.errors import DeepAlertError
from deepalert.integrations._common import EnvHandler
from tests.imports import loaded_by

EMITTER_MODULES = ["slack", "pagerduty", "github", "webhook", "securityhub", "teams",
                   "opsgenie", "jira"]


def test_package_all_is_complete() -> None:
    """deepalert.integrations.__all__ lists every public name once, and each resolves."""
    names = deepalert.integrations.__all__
    assert len(set(names)) == len(names)
    assert all(hasattr(deepalert.integrations, name) for name in names)
    assert issubclass(deepalert.integrations.InProgressError, DeepAlertError)


@pytest.mark.parametrize("module", EMITTER_MODULES)
def test_each_emitter_module_exports_its_factory_and_handler(module: str) -> None:
    """A ready emitter module names its factory and its env-configured handler in __all__."""
    loaded = importlib.import_module(f"deepalert.integrations.{module}")
    assert isinstance(loaded.handler, EnvHandler)
    factories = [n for n in loaded.__all__ if n.endswith("_emitter")]
    assert factories == [f"{module}_emitter"]
    assert all(hasattr(loaded, n) for n in loaded.__all__)
    assert "handler" in loaded.__all__


def test_a_factory_builds_an_emitter_without_reading_anything() -> None:
    """Building reads no secret and no environment: it works with nothing configured."""
    from deepalert.integrations.securityhub import securityhub_emitter
    from deepalert.integrations.slack import slack_emitter
    from deepalert.lookup import Secret

    assert isinstance(slack_emitter(webhook_url=Secret(env="SECRET_ARN", key="x")), Emitter)
    assert isinstance(securityhub_emitter(), Emitter)


def test_imports_are_light() -> None:
    """Importing the renderer or any ready emitter loads no urllib3, boto3, botocore,
    asyncio or http: they come with the first report, not the cold start."""
    modules = ", ".join(["deepalert.render", "deepalert.integrations",
                         *(f"deepalert.integrations.{m}" for m in EMITTER_MODULES)])
    assert loaded_by(modules, {"boto3", "botocore", "urllib3", "asyncio", "http"}) == []
