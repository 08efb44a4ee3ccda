"""A task the delivery could not send is not lost: its attribute is forgotten for the retry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from deepalert import Alert, Attribute
from deepalert.core import Core
from deepalert.errors import DeliveryError
from deepalert.local import ManualClock, MemoryStore, SQLiteStore


class FlakyDelivery:
    """Sends in batches, like AwsDelivery; the first ``failures`` flushes fail."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.queued: list[str] = []
        self.sent: list[str] = []

    def schedule_inspection(self, delay: timedelta, report: str) -> None:
        self.inspection = report

    def schedule_review(self, delay: timedelta, report: str) -> None:
        pass

    def publish_task(self, task: str) -> None:
        self.queued.append(task)

    def publish_report(self, report: str) -> None:
        pass

    def invoke_reviewer(self, report: str) -> str | None:
        return None

    def flush(self) -> None:
        queued, self.queued = self.queued, []
        if self.failures:
            self.failures -= 1
            raise DeliveryError("throttled")
        self.sent.extend(queued)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_dispatch_that_could_not_publish_publishes_on_retry(kind: str, tmp_path: Path) -> None:
    """The first dispatch fails after recording its attributes; the retry sends the tasks."""
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "r.db")
    delivery = FlakyDelivery(failures=1)
    core = Core(store, ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc)), delivery)
    core.receive_alert(Alert(detector="d", rule_id="r", attributes=[
        Attribute(type="ipaddr", key="a", value="192.0.2.1"),
        Attribute(type="ipaddr", key="b", value="192.0.2.2")]).to_json())
    with pytest.raises(DeliveryError):
        core.dispatch_inspection(delivery.inspection)
    assert core.dispatch_inspection(delivery.inspection) == 2
    assert len(delivery.sent) == 2
    assert core.dispatch_inspection(delivery.inspection) == 0
