"""Builders for reports, alerts, attributes and findings, shaped as the core compiles them.

Every builder returns the wire models, so what a test builds is what a reviewer or emitter
reads in production::

    ip = make_attribute("ipaddr", "198.51.100.7", "remote")
    report = make_report(
        make_alert(ip, rule_id="ssh-bruteforce"),
        findings=[(ip, ContentHost(related_malware=[make_malware()]))],
    )
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from deepalert._wire import GoTime, coerce_time
from deepalert.models import (
    Alert,
    Attribute,
    AttrType,
    Content,
    ContentBinary,
    ContentHost,
    ContentUser,
    EntityMalware,
    EntityMalwareScan,
    Report,
    ReportResult,
    ReportStatus,
    Section,
    Severity,
)

__all__ = ["make_alert", "make_attribute", "make_malware", "make_report", "make_section"]

DEFAULT_TIME = "2026-01-01T00:00:00Z"
"""The time builders use when none is given, so built reports are the same on every run."""

Time = GoTime | datetime | str


def make_attribute(type: AttrType | str = AttrType.IPADDR, value: str = "198.51.100.7",
                   *contexts: str, key: str | None = None, timestamp: Time | None = None
                   ) -> Attribute:
    """An attribute, such as ``make_attribute("ipaddr", "198.51.100.7", "remote")``.

    Args:
        type: an :class:`AttrType` or any string.
        value: the value.
        *contexts: :class:`AttrContext` values; none gives a ``null`` context, as a Go
            sender that sets none writes it.
        key: what the value is in the alert; defaults to the type.
        timestamp: when it was seen; left out by default.
    """
    return Attribute(type=str(type), key=str(type) if key is None else key, value=value,
                     context=[str(c) for c in contexts] or None,
                     timestamp=None if timestamp is None else coerce_time(timestamp))


def make_alert(*attributes: Attribute, detector: str = "deepalert-test",
               rule_id: str = "test-rule", rule_name: str | None = None, alert_key: str = "",
               description: str = "", timestamp: Time = DEFAULT_TIME, body: Any = None
               ) -> Alert:
    """An alert carrying these attributes; ``rule_name`` defaults to the rule ID."""
    return Alert(detector=detector, rule_id=rule_id,
                 rule_name=rule_id if rule_name is None else rule_name, alert_key=alert_key,
                 description=description, timestamp=coerce_time(timestamp),
                 attributes=list(attributes), body=body)


def make_malware(sha256: str = "0" * 64, *, positive: bool = True, vendor: str = "ExampleAV",
                 name: str = "Example.Trojan", relation: str = "communicated",
                 timestamp: Time = DEFAULT_TIME) -> EntityMalware:
    """A malware sample with one scan, positive by default."""
    return EntityMalware(sha256=sha256, timestamp=coerce_time(timestamp), relation=relation, scans=[
        EntityMalwareScan(vendor=vendor, name=name, positive=positive, source=vendor)])


def make_section(attr: Attribute, *contents: Content) -> Section:
    """The section for one attribute, its contents sorted into hosts, users and binaries."""
    hosts = [c for c in contents if isinstance(c, ContentHost)]
    users = [c for c in contents if isinstance(c, ContentUser)]
    binaries = [c for c in contents if isinstance(c, ContentBinary)]
    return Section(attr=attr, hosts=hosts or None, users=users or None,
                   binaries=binaries or None)


def make_report(*alerts: Alert, findings: Iterable[tuple[Attribute, Content]] = (),
                sections: Sequence[Section] = (), attributes: Sequence[Attribute] | None = None,
                status: ReportStatus | str = ReportStatus.NEW,
                severity: Severity | str = "", reason: str = "", id: str | None = None,
                created_at: Time = DEFAULT_TIME) -> Report:
    """A report as the core compiles it.

    Args:
        *alerts: the alerts; one :func:`make_alert` when none is given.
        findings: ``(attribute, content)`` pairs, grouped into one section per attribute
            (same hash) and sorted by attribute hash, as the core does.
        sections: further sections, added as given after the grouped ones.
        attributes: the report's attributes; by default every alert and section attribute
            once, sorted by hash, as the core stores them.
        status: ``new`` (what a reviewer sees), ``more`` or ``published``.
        severity: the result's severity (empty until the review).
        reason: the result's reason.
        id: the report ID; a new UUID by default.
        created_at: when the report was created.
    """
    chosen = list(alerts) or [make_alert()]
    grouped: dict[str, tuple[Attribute, list[Content]]] = {}
    for attr, content in findings:
        grouped.setdefault(attr.hash(), (attr, []))[1].append(content)
    built = [make_section(attr, *contents) for _, (attr, contents)
             in sorted(grouped.items())]
    all_sections = built + list(sections)
    if attributes is None:
        unique: dict[str, Attribute] = {}
        for attr in [*(a for alert in chosen for a in alert.attributes or ()),
                     *(s.attr for s in all_sections)]:
            unique.setdefault(attr.hash(), attr)
        attributes = [attr for _, attr in sorted(unique.items())]
    return Report(id=str(uuid.uuid4()) if id is None else id, alerts=chosen,
                  attributes=list(attributes), sections=all_sections or None,
                  result=ReportResult(severity=str(severity), reason=reason),
                  status=str(status), created_at=coerce_time(created_at))
