"""Run an inspector on one attribute, without AWS, and read what it would send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from deepalert.models import (
    Attribute,
    Content,
    ContentBinary,
    ContentHost,
    ContentUser,
    Finding,
    ReportAttribute,
    Task,
)
from deepalert.testing._context import FakeLambdaContext
from deepalert.testing._events import sns_event
from deepalert.testing._sink import MemorySink

if TYPE_CHECKING:
    from deepalert._lambda import LambdaContext
    from deepalert.local import InspectorLike

__all__ = ["DEFAULT_REPORT_ID", "InspectionResult", "run_inspector"]

DEFAULT_REPORT_ID = "00000000-0000-4000-8000-000000000000"
"""The report ID :func:`run_inspector` uses unless told otherwise."""


@dataclass(frozen=True)
class InspectionResult:
    """What an inspector sent for one task, decoded by the wire codec.

    Attributes:
        findings: the Finding messages, in send order.
        contents: each finding's content as the core decodes it.
        new_attributes: the new attributes, timestamps filled in as sent.
        report_attribute: the ReportAttribute message, or ``None`` when none was sent.
        skipped: ``True`` when the inspector's filters did not accept the attribute.
        sink: the sink that captured the messages (raw bodies, request count).
    """

    findings: list[Finding]
    contents: list[Content]
    new_attributes: list[Attribute]
    report_attribute: ReportAttribute | None
    skipped: bool
    sink: MemorySink = field(repr=False)

    def hosts(self) -> list[ContentHost]:
        """The :class:`~deepalert.ContentHost` contents, in send order (typed, unlike
        :attr:`contents`, which mixes the three kinds)."""
        return [c for c in self.contents if isinstance(c, ContentHost)]

    def users(self) -> list[ContentUser]:
        """The :class:`~deepalert.ContentUser` contents, in send order."""
        return [c for c in self.contents if isinstance(c, ContentUser)]

    def binaries(self) -> list[ContentBinary]:
        """The :class:`~deepalert.ContentBinary` contents, in send order."""
        return [c for c in self.contents if isinstance(c, ContentBinary)]


def run_inspector(inspector: InspectorLike, attribute: Attribute, *,
                  report_id: str = DEFAULT_REPORT_ID,
                  context: LambdaContext | None = None) -> InspectionResult:
    """Run ``inspector`` on one attribute as the core would, and return what it sent.

    The attribute goes through a real Task message in an SNS event, and the handler sends to
    a :class:`MemorySink`, so the whole path (filters, checks, wire codec) is exercised.

    Example:
        >>> from deepalert import Attribute
        >>> from deepalert.testing import run_inspector
        >>> result = run_inspector(ip_intel, Attribute(type="ipaddr", value="192.0.2.1"))
        >>> result.hosts()[0].country
        ['JP']

    Args:
        inspector: an object made by ``@inspector``, a ready inspector of
            :mod:`deepalert.integrations` or its ``handler`` (anything
            :class:`~deepalert.local.InspectorLike`).
        attribute: the attribute to inspect.
        report_id: the task's report ID.
        context: the Lambda context; a fresh :class:`FakeLambdaContext` by default.

    Raises:
        Exception: whatever made the record fail (the inspector's own error, a
            ``ContentError`` for an invalid content), as Lambda would see it.
    """
    sink = MemorySink()
    task = Task(report_id=report_id, attribute=attribute)
    inspector.invoke(sns_event(task), context or FakeLambdaContext(), sqs_client=sink,
                     finding_queue_url=sink.finding_queue_url,
                     attribute_queue_url=sink.attribute_queue_url)
    findings = sink.findings()
    contents: list[Content] = []
    for finding in findings:
        content = finding.parsed_content()
        if content is not None:
            contents.append(content)
    reports = sink.report_attributes()
    report_attribute = reports[0] if reports else None
    return InspectionResult(
        findings=findings,
        contents=contents,
        new_attributes=list(report_attribute.attributes or []) if report_attribute else [],
        report_attribute=report_attribute,
        skipped=not inspector.accepts(attribute),
        sink=sink,
    )
