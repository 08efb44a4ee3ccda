"""Fixtures for the ready inspectors: a canned API on 127.0.0.1, a fake secret store, and a
retry policy that records its waits instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deepalert.lookup import RetryPolicy, clear_secret_cache
from deepalert.testing import CannedHttpServer, FakeSecretStore

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:deepalert-intel"
API_KEYS = {
    "virustotal_token": "vt-key-0123456789abcdef",
    "abuseipdb_token": "abuse-key-0123456789abcdef",
    "greynoise_token": "gn-key-0123456789abcdef",
    "otx_token": "otx-key-0123456789abcdef",
    "abusech_token": "abusech-key-0123456789abcdef",
}


class Waits(list[float]):
    """A RetryPolicy.sleep that records the waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def api() -> Iterator[CannedHttpServer]:
    with CannedHttpServer() as server:
        yield server


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSecretStore]:
    clear_secret_cache()
    monkeypatch.setenv("SECRET_ARN", SECRET_ARN)
    store = FakeSecretStore({SECRET_ARN: API_KEYS})
    with store.install():
        yield store
    clear_secret_cache()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def retry(waits: Waits) -> RetryPolicy:
    return RetryPolicy(sleep=waits)
