"""Shared pieces for the emitter tests: reports, fast HTTP clients, a local server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest

from deepalert import Report
from deepalert.integrations import MemoryIdempotencyStore
from deepalert.lookup import HttpClient, RetryPolicy
from deepalert.testing import (
    CannedHttpServer,
    FakeLambdaContext,
    FakeSecretStore,
    make_alert,
    make_attribute,
    make_report,
    sqs_sns_event,
)

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


def deliver_twice(emitter: Callable[[Any, Any], Any], report: Report) -> list[Any]:
    """The same SQS record of ``report`` delivered twice, as a redelivery does; the responses."""
    event = sqs_sns_event(report)
    return [emitter(event, FakeLambdaContext()) for _ in range(2)]


class ReadyHandler(Protocol):
    """A ready emitter handler (``deepalert.integrations.slack.handler``...)."""

    def reset(self) -> None: ...

    def __call__(self, event: Any, context: Any = None) -> Any: ...


class CallEnvHandler(Protocol):
    def __call__(self, handler: ReadyHandler, report: Report, *,
                 secret: tuple[str, dict[str, str]], **env: str) -> Any: ...


@pytest.fixture
def call_env_handler(monkeypatch: pytest.MonkeyPatch) -> CallEnvHandler:
    """Call a ready handler as Lambda would, on one SQS record of ``report``.

    ``SECRET_ARN`` names ``secret`` (a name and its JSON, in a fake secret store), the other
    keywords are more environment variables; the handler is built afresh for the call and
    forgotten after it. Returns the handler's response.
    """
    def call(handler: ReadyHandler, report: Report, *, secret: tuple[str, dict[str, str]],
             **env: str) -> Any:
        name, value = secret
        monkeypatch.setenv("SECRET_ARN", name)
        for variable, setting in env.items():
            monkeypatch.setenv(variable, setting)
        handler.reset()
        try:
            with FakeSecretStore({name: value}).install():
                return handler(sqs_sns_event(report), FakeLambdaContext())
        finally:
            handler.reset()

    return call
