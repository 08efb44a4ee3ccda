"""The types of the pytest plugin's ``deepalert_`` fixtures, for annotating your tests.

Example::

    from deepalert.local import ManualClock
    from deepalert.testing import AlertFactory, PipelineFactory

    def test_flow(deepalert_pipeline: PipelineFactory, deepalert_alert: AlertFactory,
                  deepalert_clock: ManualClock) -> None:
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from deepalert.local import (
        Clock,
        CoreSettings,
        EmitterLike,
        InspectorLike,
        LateAlertPolicy,
        LocalPipeline,
        ReportStore,
        ReviewerLike,
    )
    from deepalert.models import (
        Alert,
        Attribute,
        Content,
        Report,
        ReportStatus,
        Section,
        Severity,
    )
    from deepalert.testing._reports import Time

__all__ = ["AlertFactory", "PipelineFactory", "ReportFactory"]


class PipelineFactory(Protocol):
    """The type of the ``deepalert_pipeline`` fixture: builds a
    :class:`~deepalert.local.LocalPipeline`, on the ``deepalert_clock`` unless given a clock."""

    def __call__(self, *, inspectors: Sequence[InspectorLike] = (),
                 reviewer: ReviewerLike | None = None, emitters: Sequence[EmitterLike] = (),
                 store: ReportStore | None = None, clock: Clock | None = None,
                 settings: CoreSettings | None = None,
                 late_alerts: LateAlertPolicy | None = None,
                 new_id: Callable[[], str] | None = None) -> LocalPipeline:
        """Build a pipeline; the arguments are :class:`~deepalert.local.LocalPipeline`'s."""
        ...


class AlertFactory(Protocol):
    """The type of the ``deepalert_alert`` fixture: ``deepalert_alert("198.51.100.7",
    rule_id="scan")``. Values become ``ipaddr`` or ``domain`` attributes with context
    ``remote``; the other arguments are :func:`~deepalert.testing.make_alert`'s, and the time
    defaults to the clock's."""

    def __call__(self, *values: str | Attribute, detector: str = ..., rule_id: str = ...,
                 rule_name: str | None = None, alert_key: str = "", description: str = "",
                 timestamp: Time = ..., body: Any = None) -> Alert:
        """Build an alert carrying these values as attributes."""
        ...


class ReportFactory(Protocol):
    """The type of the ``deepalert_report`` fixture: :func:`~deepalert.testing.make_report`."""

    def __call__(self, *alerts: Alert, findings: Iterable[tuple[Attribute, Content]] = (),
                 sections: Sequence[Section] = (), attributes: Sequence[Attribute] | None = None,
                 status: ReportStatus | str = ..., severity: Severity | str = "",
                 reason: str = "", id: str | None = None, created_at: Time = ...) -> Report:
        """Build a report as the core compiles it."""
        ...
