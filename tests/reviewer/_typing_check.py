"""Checked by mypy in test_typing.py: what users see is what we meant. Never imported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typing_extensions import assert_type

from deepalert import Alert, Attribute, ContentHost, Report, ReportResult, Severity
from deepalert._lambda import PartialBatchResponse
from deepalert.emitter import Emitter, emitter
from deepalert.reviewer import CaseResult, Reviewer, reviewer, run_cases


@reviewer
def bare(report: Report) -> ReportResult | None:
    return None


@reviewer(on_error="raise")
def with_options(report: Report, context: object) -> Severity:
    return Severity.SAFE


@emitter
def notify(report: Report) -> None:
    return None


@emitter(min_severity=Severity.URGENT)
def page(report: Report) -> None:
    return None


report = Report()
assert_type(bare.func(report), ReportResult | None)
assert_type(with_options.func(report, None), Severity)
assert_type(bare.review(report), ReportResult | None)
assert_type(bare({"id": "x"}, None), dict[str, str] | None)
assert_type(run_cases(bare), list[CaseResult])
assert_type(notify.emit(report), bool)
assert_type(page({"Records": []}, None), PartialBatchResponse | None)
reviewer_obj: Reviewer[Any, Any] = bare
emitter_obj: Emitter[Any, Any] = page
assert_type(report.alerts_by_rule("x"), list[Alert])
assert_type(report.hosts("ipaddr", "remote"), Iterator[tuple[Attribute, ContentHost]])
assert_type(report.find_attributes(), list[Attribute])


@reviewer  # type: ignore[type-var]  # a number is no review result
def returns_a_number(report: Report) -> int:
    return 1
