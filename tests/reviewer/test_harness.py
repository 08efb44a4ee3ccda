"""deepalert.testing builders and run_reviewer/run_emitter: roles run on reports without AWS."""

from __future__ import annotations

import pytest

from deepalert import (
    Alert,
    Attribute,
    ContentBinary,
    ContentHost,
    ContentUser,
    Report,
    ReportResult,
    ReportStatus,
    Severity,
)
from deepalert.emitter import emitter
from deepalert.reviewer import reviewer
from deepalert.testing import (
    EmitRun,
    FakeLambdaContext,
    make_alert,
    make_attribute,
    make_malware,
    make_report,
    make_section,
    run_emitter,
    run_reviewer,
)


def test_builders_make_wire_models_that_round_trip() -> None:
    """A built report is a Report the codec writes and reads back unchanged."""
    ip = make_attribute("ipaddr", "198.51.100.7", "remote")
    report = make_report(make_alert(ip, description="<script>"),
                         findings=[(ip, ContentHost(related_malware=[make_malware()]))])
    assert Report.from_json(report.to_json()) == report


def test_make_attribute_fills_the_key_and_leaves_context_null_when_none_is_given() -> None:
    """The key defaults to the type; no contexts is a null context, as a Go sender writes."""
    assert make_attribute("domain", "example.com") == Attribute(
        type="domain", key="domain", value="example.com", context=None)
    assert make_attribute("ipaddr", "192.0.2.1", "remote", "client", key="src").context == [
        "remote", "client"]


def test_make_alert_names_the_rule_after_its_id_by_default() -> None:
    """make_alert gives a valid alert whose rule name is its rule ID unless given."""
    alert = make_alert(rule_id="r1")
    assert alert.rule_name == "r1"
    alert.validate_limits()
    assert make_alert(rule_id="r1", rule_name="Rule one").rule_name == "Rule one"


def test_make_report_groups_findings_by_attribute_sorted_by_hash() -> None:
    """Findings about the same attribute share a section; sections come in hash order."""
    a = make_attribute("ipaddr", "192.0.2.1", "remote")
    b = make_attribute("username", "alice", "subject")
    host1, host2, user, binary = (ContentHost(country=["JP"]), ContentHost(owner=["x"]),
                                  ContentUser(), ContentBinary(os=["linux"]))
    report = make_report(make_alert(a, b),
                         findings=[(a, host1), (b, user), (a, host2), (b, binary)])
    assert report.sections is not None
    assert [s.attr.hash() for s in report.sections] == sorted([a.hash(), b.hash()])
    by_value = {s.attr.value: s for s in report.sections}
    assert by_value["192.0.2.1"] == make_section(a, host1, host2)
    assert by_value["alice"].users == [user]
    assert by_value["alice"].binaries == [binary]
    assert by_value["alice"].hosts is None


def test_make_report_lists_every_attribute_once_in_hash_order() -> None:
    """report.attributes holds alert and section attributes once each, sorted by hash."""
    a = make_attribute("ipaddr", "192.0.2.1", "remote")
    b = make_attribute("domain", "example.com")
    c = make_attribute("url", "https://example.com/x", "additional")
    report = make_report(make_alert(a, b), make_alert(a),
                         sections=[make_section(c, ContentHost())])
    assert report.attributes == sorted([a, b, c], key=lambda x: x.hash())


def test_make_report_defaults_to_a_new_report_with_one_alert() -> None:
    """Without arguments: one alert, status new, empty result, a fresh UUID."""
    report = make_report()
    assert report.status == "new"
    assert report.result == ReportResult()
    assert report.alerts == [make_alert()]
    assert report.sections is None
    assert make_report().id != report.id
    assert make_report(status="published", severity="urgent", reason="r", id="x").result == \
        ReportResult.of(Severity.URGENT, "r")


def test_run_reviewer_follows_the_core_to_the_published_report() -> None:
    """run_reviewer returns the response and the report the core would publish."""
    review = reviewer(lambda report: ReportResult.of(Severity.URGENT, "why"))
    report = make_report()
    run = run_reviewer(review, report)
    assert run.response == {"severity": "urgent", "reason": "why"}
    assert run.published
    assert (run.severity, run.reason) == ("urgent", "why")
    assert run.report == report.model_copy(update={
        "status": "published", "result": ReportResult.of(Severity.URGENT, "why")})


def test_run_reviewer_publishes_a_null_result_as_unclassified() -> None:
    """A reviewer returning None gets the report published unclassified, as by the core."""
    run = run_reviewer(reviewer(lambda report: None), make_report())
    assert run.response is None
    assert run.severity == "unclassified"
    assert run.report is not None
    assert run.report.result.severity == "unclassified"


def test_run_reviewer_reports_a_dropped_report_when_the_handler_raises() -> None:
    """With on_error="raise", a failing reviewer means the core never publishes the report."""
    def boom(report: Report) -> None:
        raise ValueError("nope")

    run = run_reviewer(reviewer(on_error="raise")(boom), make_report())
    assert not run.published
    assert run.report is None
    assert isinstance(run.error, ValueError)


def test_run_emitter_reports_whether_the_function_ran_and_failed() -> None:
    """run_emitter delivers over SNS and tells ran (filters passed) and failed (raised)."""
    seen: list[str] = []

    @emitter
    def notify(report: Report) -> None:
        if report.id == "bad":
            raise RuntimeError("webhook down")
        seen.append(report.id)

    published = make_report(id="ok", status=ReportStatus.PUBLISHED, severity="urgent")
    assert run_emitter(notify, published) == EmitRun(ran=True, failed=False, response=None)
    assert run_emitter(notify, make_report(id="new")) == EmitRun(False, False, None)
    failed = run_emitter(notify, make_report(id="bad", status="published"))
    assert (failed.ran, failed.failed) == (True, True)
    assert isinstance(failed.error, RuntimeError)
    assert seen == ["ok"]


@pytest.mark.parametrize(("report_id", "failed"), [("ok", False), ("bad", True)])
def test_run_emitter_over_sqs_reads_the_partial_batch_response(report_id: str,
                                                               failed: bool) -> None:
    """Over SQS, a failing record is named in batchItemFailures and reported as failed."""
    @emitter
    def notify(report: Report) -> None:
        if report.id == "bad":
            raise RuntimeError("webhook down")

    run = run_emitter(notify, make_report(id=report_id, status="published"), via="sqs",
                      context=FakeLambdaContext())
    assert run.ran
    assert run.failed is failed
    assert run.response is not None
    assert len(run.response["batchItemFailures"]) == int(failed)


def test_alert_builder_output_passes_the_core_limits() -> None:
    """A built alert with built attributes passes Alert.validate_limits()."""
    alert: Alert = make_alert(make_attribute(), make_attribute("domain", "example.com"))
    alert.validate_limits()
