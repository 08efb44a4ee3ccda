"""Stores written against the first ReportStore keep working with the core."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from deepalert import Alert, Attribute, ContentHost, TaskResult
from deepalert.core import CoreSettings, StoredFinding, StoredReport, TakenReport
from deepalert.inspector import inspector
from deepalert.local import LocalPipeline, ManualClock, MemoryStore

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


class LegacyStore:
    """The ten methods of the first protocol, with their first signatures, and nothing else."""

    def __init__(self) -> None:
        self._inner = MemoryStore()

    def take_report(self, alert_id: str, new_report_id: str, now: datetime,
                    ttl: timedelta) -> TakenReport:
        return self._inner.take_report(alert_id, new_report_id, now, ttl)

    def save_alert(self, report_id: str, alert: str) -> None:
        self._inner.save_alert(report_id, alert)

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta) -> bool:
        return self._inner.put_attribute(report_id, attr_hash, attribute, now, ttl)

    def save_finding(self, report_id: str, finding: StoredFinding) -> None:
        self._inner.save_finding(report_id, finding)

    def put_report(self, report: StoredReport) -> None:
        self._inner.put_report(report)

    def get_report(self, report_id: str) -> StoredReport | None:
        return self._inner.get_report(report_id)

    def alerts(self, report_id: str) -> list[str]:
        return self._inner.alerts(report_id)

    def attributes(self, report_id: str) -> list[tuple[str, str]]:
        return self._inner.attributes(report_id)

    def findings(self, report_id: str) -> list[StoredFinding]:
        return self._inner.findings(report_id)

    def report_ids(self) -> list[str]:
        return self._inner.report_ids()


def test_a_store_without_receipts_or_depths_still_bounds_feedback_and_keys() -> None:
    """The core keeps receipts and depths itself when the store cannot."""
    counter = itertools.count()

    @inspector(author="endless")
    def find_more(attr: Attribute) -> TaskResult:
        return TaskResult(contents=[ContentHost(owner=["x"])], new_attributes=[
            Attribute(type="domain", key="d", value=f"n{next(counter)}.example.org")])

    run = LocalPipeline(inspectors=[find_more], store=LegacyStore(),  # type: ignore[arg-type]
                        clock=ManualClock(START), settings=CoreSettings(max_feedback_depth=2))
    alert = Alert(detector="d", rule_id="r",
                  attributes=[Attribute(type="domain", key="d", value="example.org")])
    first = run.submit(alert, key="one")
    again = run.submit(alert, key="one")
    run.run()
    assert (first.repeated, again.repeated) == (False, True)
    (report,) = run.published()
    assert len(report.alerts or []) == 1
    assert [e.stage for e in run.errors] == ["feedback"]
