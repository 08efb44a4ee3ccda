"""The pytest plugin's deepalert_ fixtures, seen from a user's test suite (pytester)."""

from __future__ import annotations

import pytest


def test_fixtures_run_a_whole_flow_on_the_controlled_clock(pytester: pytest.Pytester) -> None:
    """A user's test gets a pipeline, a clock and an alert factory, with no set-up."""
    pytester.makepyfile(test_flow="""
        from datetime import timedelta

        from deepalert import Attribute, ContentHost, Report, ReportResult, Severity
        from deepalert.inspector import inspector
        from deepalert.reviewer import reviewer

        @inspector(author="intel", types=["ipaddr"])
        def intel(attr: Attribute) -> ContentHost:
            return ContentHost(country=["XX"])

        @reviewer
        def review(report: Report) -> ReportResult:
            hosts = [h for _, h in report.hosts()]
            return ReportResult(severity=Severity.URGENT if hosts else Severity.SAFE)

        def test_flow(deepalert_pipeline, deepalert_alert, deepalert_clock):
            pipeline = deepalert_pipeline(inspectors=[intel], reviewer=review)
            first = pipeline.submit(deepalert_alert("198.51.100.7", rule_id="scan"))
            deepalert_clock.advance(timedelta(hours=4))
            second = pipeline.submit(deepalert_alert("198.51.100.7", rule_id="scan"))
            pipeline.run()
            assert first.report_id != second.report_id
            assert [r.result.severity for r in pipeline.published()] == ["urgent", "urgent"]

        def test_report_factory(deepalert_report):
            report = deepalert_report(status="new")
            assert report.status == "new"
            assert report.alerts
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_alert_factory_types_values_and_stamps_the_clock_time(
        pytester: pytest.Pytester) -> None:
    """IP addresses become ipaddr attributes, other values domains; time is the clock's."""
    pytester.makepyfile(test_alert="""
        def test_alert(deepalert_alert, deepalert_clock):
            alert = deepalert_alert("192.0.2.1", "evil.example")
            assert [a.type for a in alert.attributes] == ["ipaddr", "domain"]
            assert alert.timestamp.datetime == deepalert_clock.now()
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
