"""Fixtures for inspector tests: tasks, a sink, and a simple inspector."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deepalert import Attribute, AttrType, ContentHost, Task
from deepalert.inspector import Inspector, inspector
from deepalert.testing import MemorySink

REPORT_ID = "5b4d2c3e-8f9a-4b1c-9d2e-3f4a5b6c7d8e"
FINDING = MemorySink.FINDING_QUEUE_URL
ATTRIBUTE = MemorySink.ATTRIBUTE_QUEUE_URL


def make_task(value: str = "192.0.2.1", *, type: str = AttrType.IPADDR,
              context: list[str] | None = None,
              timestamp: str | None = "2020-01-01T09:00:00+09:00",
              report_id: str = REPORT_ID) -> Task:
    """A Task for one attribute, as the core would send it."""
    return Task(report_id=report_id, attribute=Attribute(
        type=type, key="src", value=value, context=context or ["remote"], timestamp=timestamp))


@pytest.fixture
def sink() -> MemorySink:
    """An empty in-memory SQS."""
    return MemorySink()


@pytest.fixture
def host_inspector() -> Inspector[Callable[[Attribute], ContentHost]]:
    """An inspector that finds one host content per IP address."""
    @inspector(author="host-intel", types=[AttrType.IPADDR])
    def host_intel(attr: Attribute) -> ContentHost:
        return ContentHost(ipaddr=[attr.value], country=["JP"])

    return host_intel
