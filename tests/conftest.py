"""Shared fixtures: a clean AWS environment for every test, and recorded events."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).parent
EVENTS = TESTS / "events"


def load_event(name: str) -> Any:
    """A recorded event or message from ``tests/events/`` (parsed JSON)."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def load_text(name: str) -> str:
    """A recorded message from ``tests/events/``, as exact text (trailing newline removed)."""
    return (EVENTS / name).read_text(encoding="utf-8").rstrip("\n")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test inherits AWS credentials, a region, an endpoint or DeepAlert settings."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "DEEPALERT_")) or name in {
            "FINDING_QUEUE_URL", "ATTRIBUTE_QUEUE_URL", "FINDING_QUEUE", "ATTRIBUTE_QUEUE",
            "SLACK_WEBHOOK_URL",
        }:
            monkeypatch.delenv(name, raising=False)
    # Fake credentials, so nothing can reach a real account even by mistake.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return
