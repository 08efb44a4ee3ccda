"""@reviewer: the Lambda handler the review state machine invokes with the compiled report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from deepalert import (
    EventError,
    HandlerDefinitionError,
    InvalidResultError,
    Report,
    ReportResult,
    Severity,
    WireError,
)
from deepalert.reviewer import Case, Reviewer, reviewer
from deepalert.testing import (
    FakeLambdaContext,
    direct_event,
    make_attribute,
    make_report,
    sns_event,
)


def urgent_review(report: Report) -> ReportResult | None:
    return ReportResult.of(Severity.URGENT, f"{len(report.alerts or [])} alert(s)")


def test_bare_decorator_returns_a_reviewer_that_keeps_the_function() -> None:
    """@reviewer gives a Reviewer whose .func is the plain function, callable as written."""
    review = reviewer(urgent_review)
    assert isinstance(review, Reviewer)
    assert review.func is urgent_review
    assert review.__name__ == "urgent_review"
    assert review.func(make_report()) == ReportResult.of(Severity.URGENT, "1 alert(s)")
    assert review.on_error == "unclassified"
    assert review.cases == ()


def test_decorator_with_options_keeps_them() -> None:
    """@reviewer(on_error=..., cases=...) records the policy and the cases."""
    case = Case("one", report=make_report(), expect=Severity.URGENT)
    review = reviewer(on_error="raise", cases=[case])(urgent_review)
    assert review.on_error == "raise"
    assert review.cases == (case,)


def test_handler_returns_the_result_in_go_wire_form() -> None:
    """The handler reads the report from the event and returns {"severity", "reason"}."""
    review = reviewer(urgent_review)
    assert review(direct_event(make_report()), FakeLambdaContext()) == {
        "severity": "urgent", "reason": "1 alert(s)"}


def test_handler_reason_survives_the_wire_codec_unchanged() -> None:
    """Text the codec escapes (<, >, &, non-ASCII) reaches Step Functions as written."""
    review = reviewer(lambda report: ReportResult.of("safe", "<b> & ünïcode \u2028"))
    assert review(direct_event(make_report())) == {
        "severity": "safe", "reason": "<b> & ünïcode \u2028"}


@pytest.mark.parametrize(("returned", "wire"), [
    (Severity.URGENT, {"severity": "urgent", "reason": ""}),
    ("safe", {"severity": "safe", "reason": ""}),
    ({"severity": "unclassified", "reason": "r"}, {"severity": "unclassified", "reason": "r"}),
    ({"severity": "urgent"}, {"severity": "urgent", "reason": ""}),
    (ReportResult(), {"severity": "", "reason": ""}),
    (None, None),
])
def test_shorthand_returns_become_report_results(returned: object, wire: Any) -> None:
    """A bare Severity, a severity string or a Go-shaped dict is a result; None is null."""
    review = reviewer(on_error="raise")(lambda report: returned)
    assert review(direct_event(make_report())) == wire


def test_review_returns_the_validated_result() -> None:
    """review(report) runs the function and returns a ReportResult (a Severity expanded)."""
    review = reviewer(lambda report: Severity.SAFE)
    assert review.review(make_report()) == ReportResult.of(Severity.SAFE)


INVALID_RETURNS = [
    pytest.param(42, "a int (42)", id="number"),
    pytest.param("high", "severity 'high', which names no severity", id="unknown-string"),
    pytest.param("URGENT", "severity 'URGENT'", id="wrong-case"),
    pytest.param(ReportResult(severity="critical"), "severity 'critical'", id="result"),
    pytest.param({"level": "urgent"}, "a dict of the wrong shape", id="dict-keys"),
    pytest.param({"severity": "urgent", "reason": 3}, "a dict of the wrong shape",
                 id="dict-values"),
    pytest.param({"severity": "urgent", "extra": "x"}, "a dict of the wrong shape",
                 id="dict-extra"),
    pytest.param(True, "a bool", id="bool"),
    pytest.param(["urgent"], "a list", id="list"),
]


@pytest.mark.parametrize(("returned", "message"), INVALID_RETURNS)
def test_a_return_value_the_core_cannot_read_is_an_error(returned: object, message: str
                                                         ) -> None:
    """With on_error="raise", an unreadable return raises InvalidResultError, naming it."""
    def bad(report: Report) -> Any:
        return returned

    review = reviewer(on_error="raise")(bad)
    with pytest.raises(InvalidResultError, match=r"reviewer .*bad returned") as caught:
        review(direct_event(make_report()))
    assert message in str(caught.value)
    assert caught.value.role == review.name


@pytest.mark.parametrize(("returned", "message"), INVALID_RETURNS)
def test_an_unreadable_return_is_published_unclassified_by_default(
        returned: object, message: str, caplog: pytest.LogCaptureFixture) -> None:
    """By default an unreadable return is logged and the report is published unclassified."""
    review = reviewer(lambda report: returned)
    with caplog.at_level(logging.ERROR, logger="deepalert.reviewer"):
        response = review(direct_event(make_report()))
    assert response == {
        "severity": "unclassified",
        "reason": "reviewer failed with deepalert.errors.InvalidResultError "
                  "(details in the reviewer's log)"}
    assert message in caplog.text


class LookupFailed(Exception):
    pass


def failing_review(report: Report) -> ReportResult:
    raise LookupFailed("token=sk-live-SECRET refused")


def test_a_raising_reviewer_publishes_unclassified_naming_only_the_exception_type(
        caplog: pytest.LogCaptureFixture) -> None:
    """By default an exception becomes unclassified; the reason names its type, no secrets."""
    review = reviewer(failing_review)
    with caplog.at_level(logging.ERROR, logger="deepalert.reviewer"):
        response = review(direct_event(make_report(id="r-1")))
    assert response is not None
    assert response["severity"] == "unclassified"
    assert "LookupFailed" in response["reason"]
    assert "SECRET" not in response["reason"]
    assert "Traceback" not in response["reason"]
    record = caplog.records[-1]
    assert record.exc_text is not None  # the traceback, redacted (exc_info is cleared)
    assert "LookupFailed" in record.exc_text
    assert "r-1" in record.getMessage()


def test_a_builtin_exception_is_named_without_its_module() -> None:
    """A builtin exception type is named plainly in the reason (KeyError, not builtins.)."""
    review = reviewer(lambda report: {}["missing"])
    assert review.review(make_report()) == ReportResult.of(
        Severity.UNCLASSIFIED, "reviewer failed with KeyError (details in the reviewer's log)")


def test_on_error_raise_keeps_the_go_behaviour() -> None:
    """With on_error="raise" the exception fails the invocation, as a Go reviewer's does."""
    review = reviewer(on_error="raise")(failing_review)
    with pytest.raises(LookupFailed):
        review(direct_event(make_report()), FakeLambdaContext())
    with pytest.raises(LookupFailed):
        review.review(make_report())


def test_decide_ignores_the_on_error_policy() -> None:
    """decide() always raises what the function raised (what cases and the CLI use)."""
    with pytest.raises(LookupFailed):
        reviewer(failing_review).decide(make_report())


def test_the_function_gets_the_report_as_the_core_sent_it() -> None:
    """The report the function sees is the event decoded by the wire codec."""
    seen: list[Report] = []
    review = reviewer(lambda report: seen.append(report))
    report = make_report(findings=[(make_attribute(), __import__("deepalert").ContentHost(
        owner=["example"]))])
    review(direct_event(report))
    assert seen == [report]


def test_event_keys_match_case_insensitively_as_in_go() -> None:
    """An event whose keys differ in case from the Go names is read as Go reads it."""
    seen: list[str] = []
    review = reviewer(lambda report: seen.append(report.id))
    review({"ID": "r-42", "Status": "new"})
    assert seen == ["r-42"]


def test_the_context_is_passed_to_a_function_that_takes_it() -> None:
    """A function with a second positional parameter gets the Lambda context."""
    seen: list[object] = []

    @reviewer
    def review(report: Report, context: object) -> None:
        seen.append(context)

    context = FakeLambdaContext()
    review(direct_event(make_report()), context)
    review.review(make_report())
    assert seen == [context, None]


@pytest.mark.parametrize(("event", "message"), [
    (sns_event(make_report()), "invoked by the review state machine"),
    ({"Records": []}, "SNS or SQS event"),
    ({"foo": 1, "bar": 2}, r"expected a Report object, got an object with keys \[bar, foo\]"),
    (None, "expected a Report object, got NoneType"),
    ("{}", "expected a Report object, got str"),
])
def test_an_event_that_is_not_a_report_is_refused(event: Any, message: str) -> None:
    """SNS/SQS events, objects with no report field and non-objects raise EventError."""
    called: list[Report] = []
    review = reviewer(lambda report: called.append(report))
    with pytest.raises(EventError, match=message):
        review(event)
    assert called == []


def test_a_report_the_core_would_not_write_is_a_wire_error() -> None:
    """A malformed report (a time that is not RFC 3339) raises WireError naming the field,
    with on_error="raise"."""
    review = reviewer(on_error="raise")(lambda report: None)
    with pytest.raises(WireError, match="created_at"):
        review({"id": "r", "created_at": ""})


def test_a_report_that_cannot_be_read_is_unclassified_by_default() -> None:
    """on_error="unclassified" covers a report that cannot be read: it is published, with a
    reason naming where, instead of being dropped by the core."""
    review = reviewer(lambda report: ReportResult.of(Severity.URGENT))
    assert review({"id": "r", "created_at": ""}) == {
        "severity": "unclassified",
        "reason": "reviewer could not read the report (Report.created_at)"}


def _no_args() -> None: ...
async def _async(report: Report) -> None: ...
def _three(report: Report, context: object, extra: int) -> None: ...
def _kwonly(report: Report, *, key: str) -> None: ...


@pytest.mark.parametrize(("target", "message"), [
    (_no_args, "takes no argument"),
    (_async, "is async"),
    (_three, r"requires arguments the SDK cannot pass \(extra\)"),
    (_kwonly, r"\(key\)"),
    (Report, "decorates a function"),
    ("review", "decorates a function"),
    (reviewer(lambda report: None), "already a reviewer"),
])
def test_a_function_that_cannot_work_is_refused_at_decoration(target: Any, message: str
                                                               ) -> None:
    """Decoration checks the function once and says how to fix it."""
    with pytest.raises(HandlerDefinitionError, match=message):
        reviewer(target)


def test_optional_and_variadic_parameters_are_fine() -> None:
    """Defaults and *args are accepted; *args receives the context."""
    seen: list[tuple[Any, ...]] = []
    reviewer(lambda report, flag=True: None)
    review = reviewer(lambda report, *rest: seen.append(rest))
    review.review(make_report(), "ctx")
    assert seen == [("ctx",)]


@pytest.mark.parametrize(("options", "message"), [
    ({"on_error": "ignore"}, "on_error must be 'unclassified' or 'raise'"),
    ({"cases": Case("x", report=Report(), expect=Severity.SAFE)}, "takes a list"),
    ({"cases": ["not a case"]}, "must be deepalert.reviewer.Case objects"),
    ({"cases": [Case("x", report=Report(), expect=Severity.SAFE),
                Case("x", report=Report(), expect=Severity.URGENT)]}, "two cases named 'x'"),
])
def test_options_that_cannot_work_are_refused_at_decoration(options: Any, message: str) -> None:
    """Bad on_error values, non-Case cases and duplicate case names raise at decoration."""
    with pytest.raises(HandlerDefinitionError, match=message):
        reviewer(**options)(urgent_review)


class CallableReview:
    """A callable object, not a function: it has no source file of its own."""

    def __call__(self, report: Report) -> None:
        return None


def test_fixtures_of_a_callable_object_resolve_against_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reviewer made from a callable object reads relative fixtures from the cwd."""
    monkeypatch.chdir(tmp_path)
    assert reviewer(CallableReview()).base_dir == str(tmp_path)
    assert reviewer(urgent_review).base_dir == str(Path(__file__).parent)


@pytest.mark.parametrize("text", [
    '{"id":"r-1","alerts":null,"status":"new","result":{"severity":"","reason":""}}',
    '{"id":"r-2","alerts":"not a list","status":"new"}',  # unreadable: unclassified
    '{"id":"r-3","created_at":"yesterday"}',
])
def test_the_text_entry_answers_and_logs_as_the_handler(text: str,
                                                         caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    """The local pipeline hands a @reviewer the report's text (read once); what it returns
    and logs is what the handler does with the decoded event."""
    import json

    @reviewer
    def review(report: Report) -> ReportResult:
        return ReportResult(severity=Severity.SAFE, reason=f"{report.id} read")

    outcomes = []
    for call in (lambda: review._invoke_json(text), lambda: review(json.loads(text))):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="deepalert.reviewer"):
            result = call()
        outcomes.append((result, [(r.getMessage(), r.__dict__.get("report_id"))
                                  for r in caplog.records]))
    assert outcomes[0] == outcomes[1]
