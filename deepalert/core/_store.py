"""The report store: the core's DynamoDB table, as a small interface.

The store keeps bytes as the core's table does (alerts and findings as the JSON it received,
attributes by hash) and answers the conditional puts the core's semantics rest on. The core
logic (:class:`~deepalert.core.Core`) is written against :class:`ReportStore` only:
``deepalert.local`` has a memory and an SQLite store, ``deepalert.core.aws`` a DynamoDB one
with the Go core's item layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = ["ReportStore", "StoredFinding", "StoredReceipt", "StoredReport", "TakenReport"]


@dataclass(frozen=True)
class TakenReport:
    """The report an alert belongs to, as ``TakeReport`` decides it."""

    report_id: str
    is_new: bool
    created_at: datetime


@dataclass(frozen=True)
class StoredReport:
    """The ``report/<id>`` row: what the core stores besides alerts, attributes, findings."""

    report_id: str
    status: str
    result: str
    """The ReportResult JSON."""
    created_at: datetime


@dataclass(frozen=True)
class StoredReceipt:
    """What became of one delivered alert (an SQS ``messageId``, a file position...).

    Kept so that a redelivery of the same message, or a rerun of the same input, finishes
    what the first attempt began and stores nothing twice.
    """

    report_id: str
    is_new: bool
    created_at: datetime
    done: bool = False
    """Every step of :meth:`~deepalert.core.Core.receive_alert` went through."""


class StoredFinding(NamedTuple):
    """One finding, kept as the parts a compiled report is made of (Go-exact JSON text).

    A tuple of strings: millions of them cost the garbage collector nothing.
    """

    attr_hash: str
    attribute: str
    """The finding's attribute JSON: the section's ``attr`` when it is the first of its hash."""
    content_type: str
    """``host``, ``user`` or ``binary``; anything else adds no content, as in the core."""
    content: str
    """The content JSON as the core's typed struct writes it."""


@runtime_checkable
class ReportStore(Protocol):
    """What the core needs from its table. Every method is one conditional put or one query.

    The receipt and depth methods (:meth:`get_receipt`, :meth:`put_receipt`,
    :meth:`attribute_depth`, and the ``key``/``depth`` arguments) make redelivery and
    feedback limits survive a restart. A store written before they existed still works: the
    core then keeps that information in its own memory, for the life of the process. A
    store may also offer ``forget_attribute(report_id, attr_hash)``: the core calls it when a
    task it recorded could not be published, so that a retry publishes it.
    """

    def take_report(self, alert_id: str, new_report_id: str, now: datetime,
                    ttl: timedelta) -> TakenReport:
        """Claim ``alert_id`` for a new report unless a live entry exists; return the entry.

        A new entry lives ``ttl`` from ``now``; it is not extended by later alerts.
        """
        ...

    def save_alert(self, report_id: str, alert: str, key: str | None = None) -> None:
        """Keep an alert's JSON under its report.

        Without ``key`` duplicates are kept, as the core does; with one, saving the same key
        again changes nothing.
        """
        ...

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta, depth: int = 0) -> bool:
        """Record an attribute by hash; ``False`` when a live entry already exists.

        ``depth`` is how many feedback rounds led to it (0 for an alert's attribute).
        """
        ...

    def attribute_depth(self, report_id: str, attr_hash: str) -> int | None:
        """The depth recorded with an attribute, or ``None`` when it is unknown."""
        ...

    def save_finding(self, report_id: str, finding: StoredFinding,
                     key: str | None = None) -> None:
        """Keep a finding under its report; with ``key``, saving it again changes nothing.

        A store that keeps the whole Finding as the Go core does (DynamoDB's ``content/``
        items) says so with a class attribute ``keeps_finding_json = True``; the core then
        also passes the Finding's Go JSON as the keyword argument ``finding_json``.
        """
        ...

    def put_report(self, report: StoredReport) -> None:
        """Overwrite the report row."""
        ...

    def get_report(self, report_id: str) -> StoredReport | None:
        """The report row, or ``None``."""
        ...

    def alerts(self, report_id: str) -> list[str]:
        """Alert JSON in arrival order."""
        ...

    def attributes(self, report_id: str) -> list[tuple[str, str]]:
        """``(hash, attribute JSON)`` pairs in ascending hash order."""
        ...

    def findings(self, report_id: str) -> list[StoredFinding]:
        """Findings in ascending attribute hash order, then in arrival order."""
        ...

    def report_ids(self) -> list[str]:
        """Every report ID, oldest first."""
        ...

    def get_receipt(self, key: str) -> StoredReceipt | None:
        """What the delivery ``key`` led to so far, or ``None``."""
        ...

    def put_receipt(self, key: str, receipt: StoredReceipt, now: datetime,
                    ttl: timedelta) -> None:
        """Record (or overwrite) the receipt of delivery ``key``, kept at least ``ttl``."""
        ...
