"""Shared pieces for the emitter tests: reports, fast HTTP clients, a local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deepalert import Report
from deepalert.integrations import MemoryIdempotencyStore
from deepalert.lookup import HttpClient, RetryPolicy
from deepalert.testing import CannedHttpServer, make_alert, make_attribute, make_report

REPORT_ID = "2f0ad1c4-7d5e-4c47-8a8f-0d2b1c9e5a11"


def urgent_report(severity: str = "urgent", status: str = "published",
                  description: str = "SSH brute force") -> Report:
    """A published report of one alert about a remote IP."""
    ip = make_attribute("ipaddr", "198.51.100.7", "remote")
    return make_report(make_alert(ip, rule_id="ssh-bruteforce", detector="suricata",
                                  description=description),
                       status=status, severity=severity, reason="known bad address",
                       id=REPORT_ID)


class Sleeps(list[float]):
    """The waits a retry policy asked for, recorded instead of slept."""


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def server() -> Iterator[CannedHttpServer]:
    with CannedHttpServer() as canned:
        yield canned


@pytest.fixture
def store() -> MemoryIdempotencyStore:
    return MemoryIdempotencyStore()


def fast_client(service: str, base_url: str, sleeps: list[float], *, timeout: float = 2.0
                ) -> HttpClient:
    """A client whose retries record their waits instead of sleeping."""
    return HttpClient(service, base_url=base_url, timeout=timeout, connect_timeout=1.0,
                      retry=RetryPolicy(attempts=3, backoff=0.01, sleep=sleeps.append))
