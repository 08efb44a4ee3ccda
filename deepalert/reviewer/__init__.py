"""Reviewers: decide a report's severity.

The review state machine invokes the reviewer Lambda with the compiled report and publishes
the result it returns::

    from deepalert import Report, ReportResult, Severity
    from deepalert.reviewer import reviewer

    @reviewer
    def review(report: Report) -> ReportResult | None:
        ...

Reading a report: :meth:`Report.hosts`, :meth:`Report.users` and :meth:`Report.binaries`
walk the findings with the attribute each is about, :meth:`Report.find_attributes` finds
attributes by type and context, and :meth:`Report.alerts_by_rule` selects alerts by rule.
"""

from deepalert._lambda import LambdaContext
from deepalert.reviewer._cases import Case, CaseResult, run_cases
from deepalert.reviewer._reviewer import OnError, Reviewer, ReviewReturn, reviewer

__all__ = [
    "Case",
    "CaseResult",
    "LambdaContext",
    "OnError",
    "ReviewReturn",
    "Reviewer",
    "reviewer",
    "run_cases",
]
