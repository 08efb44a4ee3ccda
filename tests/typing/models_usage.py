"""What users see, checked by mypy (tests/typing/test_mypy.py); never executed by pytest."""

from __future__ import annotations

from datetime import datetime

from typing_extensions import assert_type

from deepalert import (
    Alert,
    AttrContext,
    Attribute,
    AttrType,
    ContentBinary,
    ContentHost,
    ContentUser,
    Finding,
    GoTime,
    Report,
    Severity,
)
from deepalert.local import LocalPipeline, ManualClock, Receipt


def building() -> None:
    attr = Attribute(type=AttrType.IPADDR, value="192.0.2.1", context=[AttrContext.REMOTE],
                     timestamp=datetime(2026, 1, 1))
    alert = Alert(detector="d", rule_id="r", timestamp="2026-01-01T00:00:00Z", attributes=[attr])
    assert_type(alert.timestamp, GoTime)
    assert_type(alert.timestamp.datetime, datetime)
    assert_type(attr.timestamp, GoTime | None)
    assert_type(attr.context, list[str] | None)
    assert_type(alert.alert_id(), str)
    assert_type(attr.hash(), str)
    assert_type(Alert.from_json(b"{}"), Alert)
    assert_type(Report.from_json("{}").to_json(), str)
    assert_type(Finding().parsed_content(), ContentHost | ContentUser | ContentBinary | None)
    assert_type(Severity.URGENT.rank, int)


def pipeline() -> None:
    local = LocalPipeline(clock=ManualClock())
    assert_type(local.submit(Alert(detector="d", rule_id="r")), Receipt)
    assert_type(local.published(), list[Report])


def inspectors_under_test() -> None:
    """run_inspector takes what @inspector, a ready inspector and a ready handler are."""
    from deepalert.inspector import InspectionContext, inspector
    from deepalert.integrations import shodan
    from deepalert.testing import InspectionResult, run_inspector

    @inspector(author="intel", types=["ipaddr"])
    def intel(attr: Attribute, ctx: InspectionContext) -> ContentHost | None:
        return None

    attr = Attribute(type="ipaddr", value="192.0.2.1")
    for candidate in (intel, shodan.shodan_internetdb_inspector(), shodan.handler):
        assert_type(run_inspector(candidate, attr), InspectionResult)
        assert_type(run_inspector(candidate, attr).hosts(), list[ContentHost])
