"""@emitter: the Lambda handler for reports published on the report topic."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from deepalert import (
    EventError,
    HandlerDefinitionError,
    Report,
    ReportStatus,
    Severity,
    WireError,
)
from deepalert.emitter import Emitter, emitter
from deepalert.testing import (
    FakeLambdaContext,
    direct_event,
    make_report,
    message_ids,
    sns_envelope,
    sns_event,
    sqs_event,
    sqs_sns_event,
)


class Recorder:
    """An emit function that records report IDs and fails for the report ID "bad"."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, report: Report) -> None:
        if report.id == "bad":
            raise RuntimeError("delivery refused")
        self.seen.append(report.id)


def published(report_id: str = "r", severity: str = "urgent") -> Report:
    return make_report(id=report_id, status=ReportStatus.PUBLISHED, severity=severity)


def test_bare_decorator_returns_an_emitter_that_keeps_the_function() -> None:
    """@emitter gives an Emitter whose .func is the plain function, callable as written."""
    def notify(report: Report) -> str:
        return report.id

    notify_emitter = emitter(notify)
    assert isinstance(notify_emitter, Emitter)
    assert notify_emitter.func is notify
    assert notify_emitter.func(published("x")) == "x"
    assert notify_emitter.__name__ == "notify"
    assert notify_emitter.statuses == {"published"}
    assert notify_emitter.min_severity is None


@pytest.mark.parametrize(("status", "runs"), [("new", False), ("more", False),
                                              ("published", True), ("", False)])
def test_by_default_only_published_reports_run_the_function(status: str, runs: bool) -> None:
    """The core also publishes new and more snapshots; by default they are skipped."""
    recorder = Recorder()
    notify = emitter(recorder)
    report = make_report(id="r", status=status)
    assert notify.accepts(report) is runs
    assert notify.emit(report) is runs
    assert recorder.seen == (["r"] if runs else [])


def test_statuses_chooses_which_publications_run_the_function() -> None:
    """statuses= lets an emitter act on new and more snapshots too."""
    notify = emitter(statuses=[ReportStatus.NEW, "more"])(Recorder())
    assert notify.accepts(make_report(status="new"))
    assert notify.accepts(make_report(status="more"))
    assert not notify.accepts(published())
    assert emitter(statuses="more")(Recorder()).statuses == {"more"}


@pytest.mark.parametrize(("severity", "runs"), [
    ("safe", False), ("", True), ("unclassified", True), ("urgent", True), ("high", True)])
def test_min_severity_skips_less_severe_reports(severity: str, runs: bool) -> None:
    """min_severity= skips reports below it; empty or unknown severities rank unclassified."""
    notify = emitter(min_severity=Severity.UNCLASSIFIED)(Recorder())
    assert notify.accepts(published(severity=severity)) is runs


def test_min_severity_urgent_runs_only_for_urgent_reports() -> None:
    """min_severity="urgent" pages only for urgent reports."""
    notify = emitter(min_severity="urgent")(Recorder())
    assert [notify.accepts(published(severity=s)) for s in ("safe", "unclassified", "urgent")
            ] == [False, False, True]


def test_an_sns_event_runs_the_function_for_each_record() -> None:
    """An SNS event's reports are read with the wire codec and handed to the function."""
    recorder = Recorder()
    notify = emitter(recorder)
    assert notify(sns_event(published("a"), published("b")), FakeLambdaContext()) is None
    assert recorder.seen == ["a", "b"]


def test_an_sns_failure_is_raised_after_the_other_records_ran(
        caplog: pytest.LogCaptureFixture) -> None:
    """With SNS, the function's exception fails the invocation once every record was tried."""
    recorder = Recorder()
    notify = emitter(recorder)
    with caplog.at_level(logging.ERROR, logger="deepalert.emitter"), \
            pytest.raises(RuntimeError, match="delivery refused"):
        notify(sns_event(published("bad"), published("c")), FakeLambdaContext())
    assert recorder.seen == ["c"]
    assert any(r.exc_text and "RuntimeError" in r.exc_text for r in caplog.records)


def test_an_unreadable_sns_report_raises_a_wire_error() -> None:
    """An SNS message that is not a report the core writes raises WireError."""
    notify = emitter(Recorder())
    with pytest.raises(WireError, match=r"Report\.sections"):
        notify(sns_event('{"id": "x", "status": "published", "sections": {}}'))


def test_an_sqs_event_of_sns_envelopes_answers_with_a_partial_batch_response() -> None:
    """Over SQS, only records whose function raised or report was unreadable are failed."""
    recorder = Recorder()
    notify = emitter(recorder)
    event = sqs_sns_event(published("a"), published("bad"), "not json", published("d"))
    ids = message_ids(event)
    response = notify(event, FakeLambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[1]},
                                              {"itemIdentifier": ids[2]}]}
    assert recorder.seen == ["a", "d"]


def test_an_sqs_batch_without_failures_answers_with_an_empty_list() -> None:
    """A fully processed SQS batch returns an empty batchItemFailures list."""
    notify = emitter(Recorder())
    assert notify(sqs_sns_event(published(), make_report(status="new"))) == {
        "batchItemFailures": []}


def test_raw_sqs_bodies_and_broken_envelopes_are_handled_per_record() -> None:
    """A raw report body is read; an envelope whose Message is not a string fails its record."""
    recorder = Recorder()
    notify = emitter(recorder)
    broken = sns_envelope(published("x"))
    broken["Message"] = {"id": "x"}
    event = sqs_event(published("raw"), json.dumps(broken))
    response = notify(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[1]}]}
    assert recorder.seen == ["raw"]


def test_a_failed_sqs_record_without_a_message_id_fails_the_whole_batch() -> None:
    """A failure that cannot be named by messageId raises, so SQS retries everything."""
    notify = emitter(Recorder())
    event = sqs_sns_event(published("bad"))
    del event["Records"][0]["messageId"]
    with pytest.raises(EventError, match="no messageId"):
        notify(event)


def test_records_are_handed_back_when_the_invocation_is_about_to_time_out() -> None:
    """With too little time left, SQS records are not started and are named as failures."""
    recorder = Recorder()
    notify = emitter(recorder)
    event = sqs_sns_event(published("a"), published("b"))
    response = notify(event, FakeLambdaContext(timeout_ms=100))
    assert response == {"batchItemFailures": [{"itemIdentifier": i}
                                              for i in message_ids(event)]}
    assert recorder.seen == []


def test_a_direct_invoke_with_a_report_runs_the_function() -> None:
    """A report invoked directly (the CLI, a test) is handled like one SNS record."""
    recorder = Recorder()
    notify = emitter(recorder)
    assert notify(direct_event(published("d"))) is None
    assert recorder.seen == ["d"]
    with pytest.raises(RuntimeError):
        notify(direct_event(published("bad")))


@pytest.mark.parametrize("event", [{"Records": []}, {"hello": "world"}, [], None,
                                   {"Records": [{"eventSource": "aws:kinesis"}]}])
def test_an_event_of_no_accepted_shape_is_refused(event: Any) -> None:
    """Empty batches, unrelated objects and other sources raise EventError, never pass."""
    notify = emitter(Recorder())
    with pytest.raises(EventError):
        notify(event)


def test_the_local_pipeline_contract_runs_once_per_report_lifecycle() -> None:
    """Fed every publication (new, more, published) over SNS, the function runs once."""
    recorder = Recorder()
    notify = emitter(recorder)
    for status in ("new", "more", "published"):
        notify(sns_event(make_report(id="r", status=status)), FakeLambdaContext())
    assert recorder.seen == ["r"]


def test_the_context_is_passed_to_a_function_that_takes_it() -> None:
    """A function with a second positional parameter gets the Lambda context."""
    seen: list[object] = []

    @emitter
    def notify(report: Report, context: object) -> None:
        seen.append(context)

    context = FakeLambdaContext()
    notify(sns_event(published()), context)
    assert seen == [context]


@pytest.mark.parametrize(("options", "message"), [
    ({"statuses": ["published", "done"]}, r"statuses must be some of .*got \['done', "),
    ({"statuses": []}, "got none"),
    ({"min_severity": "critical"}, "min_severity must be one of"),
])
def test_options_that_cannot_work_are_refused_at_decoration(options: Any, message: str
                                                            ) -> None:
    """Unknown statuses, no statuses and unknown severities raise at decoration."""
    with pytest.raises(HandlerDefinitionError, match=message):
        emitter(**options)


@pytest.mark.parametrize("target", [lambda: None, Report])
def test_a_function_that_cannot_work_is_refused_at_decoration(target: Any) -> None:
    """The function is checked once, when decorated."""
    with pytest.raises(HandlerDefinitionError):
        emitter(target)


def test_a_message_that_is_not_a_report_is_warned_about(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    """A task (the wrong topic) decodes to an empty report: skipped, with a warning."""
    recorder = Recorder()
    notify = emitter(statuses=["new", "more", "published"])(recorder)
    with caplog.at_level(logging.WARNING, logger="deepalert.emitter"):
        notify(sns_event('{"report_id": "r", "attribute": {"type": "ipaddr"}}'))
    assert recorder.seen == []
    assert "subscribed to the report topic?" in caplog.text


def test_ignored_publications_are_skipped_without_reading_the_whole_report() -> None:
    """A new/more snapshot the filters reject is skipped, even if the rest would not parse."""
    notify = emitter(Recorder())
    assert notify(sns_event('{"id": "x", "status": "new", "sections": {}}')) is None
    with pytest.raises(WireError):
        notify(sns_event('{"id": "x", "status": "published", "sections": {}}'))


def test_a_case_folded_status_key_is_still_read_as_go_reads_it() -> None:
    """Without the exact "status" key the whole report is read, so STATUS still counts."""
    recorder = Recorder()
    notify = emitter(recorder)
    notify(sns_event('{"id": "folded", "STATUS": "published"}'))
    assert recorder.seen == ["folded"]
