"""pytest plugin for deepalert, loaded through the ``pytest11`` entry point.

It stays thin: pytest imports it (and with it the ``deepalert`` package) in every session,
so it imports nothing more at load time. Reviewers are recognised by looking their module
up in ``sys.modules``: a session that never imported one pays nothing for the check.

* Reviewer cases: a test module that has a reviewer with cases as a module-level name
  (``from policy import review`` is enough) gets one test per case, named
  ``test_policy.py::review::<case name>``.
* Fixtures: ``deepalert_``-prefixed, importing what they need inside the fixture body.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from deepalert.reviewer import Case, Reviewer

# ---------------------------------------------------------------------------------------------
# Reviewer cases


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object
                              ) -> pytest.Collector | None:
    """Collect the cases of a reviewer bound to a name in a test module or class."""
    module = sys.modules.get("deepalert.reviewer._reviewer")
    if module is None or not isinstance(obj, module.Reviewer) or not obj.cases:
        return None  # deepalert.reviewer never imported: this cannot be a reviewer
    return ReviewerCases.from_parent(collector, name=name, reviewer=obj)


class CaseFailed(AssertionError):
    """A reviewer case gave another severity than expected, or could not run."""


class ReviewerCases(pytest.Collector):
    """The cases of one reviewer."""

    def __init__(self, *, reviewer: Reviewer[Any, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reviewer = reviewer

    def collect(self) -> Iterator[ReviewerCase]:
        """One item per case, in declaration order."""
        for case in self.reviewer.cases:
            yield ReviewerCase.from_parent(self, name=case.name, case=case)


class ReviewerCase(pytest.Item):
    """One reviewer case, run as a test."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        """Run the case; fail with the case's message, chained to any exception."""
        from deepalert.reviewer._cases import run_case

        assert isinstance(self.parent, ReviewerCases)
        result = run_case(self.parent.reviewer, self.case)
        if not result.passed:
            raise CaseFailed(result.message) from result.error

    def repr_failure(self, excinfo: ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        """The case's message alone when nothing was raised, else the full traceback."""
        if isinstance(excinfo.value, CaseFailed) and excinfo.value.__cause__ is None:
            return f"reviewer case {self.name!r}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        """Where the case is reported: the test module, under the reviewer's name."""
        return self.path, None, f"reviewer case {self.name}"


# ---------------------------------------------------------------------------------------------
# Fixtures (deepalert_-prefixed; import deepalert modules inside the fixture bodies)

if TYPE_CHECKING:
    from deepalert.local import LocalPipeline, ManualClock
    from deepalert.models import Alert, Attribute
    from deepalert.testing._fixtures import AlertFactory, PipelineFactory, ReportFactory


@pytest.fixture
def deepalert_clock() -> ManualClock:
    """A :class:`~deepalert.local.ManualClock` at 2026-01-01T00:00:00Z; move it with
    ``advance()``."""
    from datetime import datetime, timezone

    from deepalert.local import ManualClock

    return ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))


@pytest.fixture
def deepalert_pipeline(deepalert_clock: ManualClock) -> PipelineFactory:
    """Build a :class:`~deepalert.local.LocalPipeline` on ``deepalert_clock``.

    Example::

        def test_flow(deepalert_pipeline: PipelineFactory,
                      deepalert_alert: AlertFactory) -> None:
            pipeline = deepalert_pipeline(inspectors=[ip_intel], reviewer=review)
            pipeline.submit(deepalert_alert("198.51.100.7"))
            pipeline.run()
            assert pipeline.published()[0].result.severity == "urgent"
    """
    from deepalert.local import LocalPipeline

    def build(**kwargs: Any) -> LocalPipeline:
        kwargs.setdefault("clock", deepalert_clock)
        return LocalPipeline(**kwargs)

    return build


@pytest.fixture
def deepalert_alert(deepalert_clock: ManualClock) -> AlertFactory:
    """Build alerts: ``deepalert_alert("198.51.100.7", "evil.example", rule_id="scan")``.

    Positional values become attributes (``ipaddr`` when the value is an IP address,
    ``domain`` otherwise, context ``remote``; pass :class:`~deepalert.Attribute` objects for
    anything else). The alert's time is the clock's current time.
    """
    import ipaddress

    from deepalert.models import Attribute
    from deepalert.testing._reports import make_alert

    def build(*values: str | Attribute, **fields: Any) -> Alert:
        attributes = []
        for value in values:
            if isinstance(value, Attribute):
                attributes.append(value)
                continue
            try:
                ipaddress.ip_address(value)
                kind = "ipaddr"
            except ValueError:
                kind = "domain"
            attributes.append(Attribute(type=kind, key=kind, value=value, context=["remote"]))
        fields.setdefault("timestamp", deepalert_clock.now())
        return make_alert(*attributes, **fields)

    return build


@pytest.fixture
def deepalert_report() -> ReportFactory:
    """Build compiled reports: the same arguments as :func:`deepalert.testing.make_report`."""
    from deepalert.testing._reports import make_report

    return make_report
