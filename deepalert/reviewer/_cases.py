"""Declarative reviewer cases: a report (or a fixture file) and the severity it should get.

Cases sit beside the reviewer, as pypanther keeps tests on its rules, and are run by
:func:`run_cases`, by the pytest plugin and by ``deepalert cases MODULE:NAME``.
"""

from __future__ import annotations

import os
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepalert.errors import HandlerDefinitionError
from deepalert.models import Report, Severity

if TYPE_CHECKING:
    from deepalert.reviewer._reviewer import Reviewer

__all__ = ["Case", "CaseResult", "run_case", "run_cases"]


@dataclass(frozen=True, eq=False)
class Case:
    """A named report and the severity the reviewer should give it.

    Give exactly one of ``report`` and ``fixture``. A fixture is a compiled Report JSON file,
    exactly what Step Functions hands the reviewer; a relative path is read from the folder
    of the file that defines the reviewer function, when the cases run (never at import, so
    a deployment without fixtures still imports).

    Args:
        name: unique among the reviewer's cases; names the test in pytest.
        expect: the severity the core would publish: a ``None`` result and an empty
            severity count as ``unclassified``, as they do in the core.
        report: the report to review.
        fixture: a Report JSON file.

    Example::

        @reviewer(cases=[
            Case("scanner we own", fixture="cases/own-scanner.json", expect=Severity.SAFE),
            Case("empty report", report=Report(), expect=Severity.UNCLASSIFIED),
        ])
        def review(report: Report) -> ReportResult | None: ...
    """

    name: str
    _: KW_ONLY
    expect: Severity
    report: Report | None = None
    fixture: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise HandlerDefinitionError(f"Case name must be a non-empty string, got "
                                         f"{self.name!r}")
        try:
            object.__setattr__(self, "expect", Severity(self.expect))
        except ValueError:
            choices = ", ".join(s.value for s in Severity)
            raise HandlerDefinitionError(
                f"Case {self.name!r}: expect must be a Severity ({choices}), got "
                f"{self.expect!r}") from None
        if (self.report is None) == (self.fixture is None):
            raise HandlerDefinitionError(
                f"Case {self.name!r}: give exactly one of report= and fixture=")
        if self.report is not None and not isinstance(self.report, Report):
            raise HandlerDefinitionError(
                f"Case {self.name!r}: report must be a deepalert.Report, got "
                f"{type(self.report).__name__} (use Report.from_json or fixture=)")

    def fixture_path(self, base: str | os.PathLike[str]) -> Path | None:
        """Where the fixture file is, resolved against ``base``; ``None`` for an inline report."""
        if self.fixture is None:
            return None
        return Path(base, self.fixture)

    def load(self, base: str | os.PathLike[str]) -> Report:
        """The case's report: the inline one, or the fixture read with the wire codec.

        Raises:
            OSError: the fixture cannot be read.
            WireError: the fixture is not a report the core would read.
        """
        if self.report is not None:
            return self.report
        path = self.fixture_path(base)
        assert path is not None
        return Report.from_json(path.read_bytes())


@dataclass(frozen=True)
class CaseResult:
    """What running one case gave.

    Attributes:
        name: the case's name.
        passed: the reviewer gave the expected severity without raising.
        expected: the severity the case expects.
        actual: the severity the core would publish, or ``None`` when the reviewer raised
            or the case's report could not be loaded.
        reason: the reviewer's reason (``""`` when it gave none).
        message: one line saying what happened, for reports and the CLI.
        error: the exception raised, if any (with its traceback, for pytest).
    """

    name: str
    passed: bool
    expected: Severity
    actual: str | None
    message: str
    reason: str = ""
    error: BaseException | None = field(default=None, repr=False, compare=False)


def run_case(reviewer: Reviewer[Any, Any], case: Case) -> CaseResult:
    """Run one case. Exceptions are recorded in the result, never raised.

    The reviewer's ``on_error`` policy does not apply here: a case whose reviewer raises, or
    returns a value the core could not read, fails and names the exception.
    """
    try:
        report = case.load(reviewer.base_dir)
    except Exception as exc:  # any failure is recorded in the result
        where = case.fixture_path(reviewer.base_dir)
        return CaseResult(case.name, False, case.expect, None,
                          f"cannot load fixture {where}: {type(exc).__name__}: {exc}",
                          error=exc)
    try:
        result = reviewer.decide(report)
    except Exception as exc:  # any failure is recorded in the result
        return CaseResult(case.name, False, case.expect, None,
                          f"reviewer raised {type(exc).__name__}: {exc}", error=exc)
    actual = (result.severity if result is not None else "") or Severity.UNCLASSIFIED.value
    reason = result.reason if result is not None else ""
    if actual == case.expect.value:
        return CaseResult(case.name, True, case.expect, actual, f"{actual} as expected",
                          reason)
    said = f" ({reason})" if reason else ""
    return CaseResult(case.name, False, case.expect, actual,
                      f"expected {case.expect.value}, got {actual}{said}", reason)


def run_cases(reviewer: Reviewer[Any, Any]) -> list[CaseResult]:
    """Run every case the reviewer declares, in order; an empty list when it has none.

    Example::

        failed = [r for r in run_cases(review) if not r.passed]
    """
    return [run_case(reviewer, case) for case in reviewer.cases]
