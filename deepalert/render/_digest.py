"""A report boiled down to what a person reads: the same for every format and target."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deepalert._wire import ZERO_TIME
from deepalert.models import (
    Attribute,
    ContentBinary,
    ContentHost,
    ContentUser,
    EntityActivity,
    EntityMalware,
    Report,
    Severity,
)
from deepalert.render._escape import clip, one_line

__all__ = ["AlertLine", "AttributeLine", "Digest", "FindingGroup", "FindingItem", "digest",
           "effective_severity", "report_title"]

MAX_VALUE = 300
"""Longest single value shown; longer ones are cut with an ellipsis."""
MAX_LIST = 10
"""Most entries of one finding field shown (``… and N more`` after)."""


@dataclass(frozen=True)
class AlertLine:
    """One alert of the report."""

    detector: str
    rule: str
    description: str
    timestamp: str


@dataclass(frozen=True)
class AttributeLine:
    """One attribute of the report or its alerts."""

    type: str
    key: str
    value: str
    context: tuple[str, ...]


@dataclass(frozen=True)
class FindingItem:
    """What the inspectors found about one attribute: its label and named facts."""

    subject: AttributeLine
    facts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FindingGroup:
    """The findings of one kind: ``Hosts``, ``Users`` or ``Binaries``."""

    title: str
    items: tuple[FindingItem, ...]


@dataclass(frozen=True)
class Digest:
    """What every renderer shows of a report, as plain (unescaped) text.

    Attributes:
        report_id: the report ID.
        status: ``new``, ``more`` or ``published``.
        severity: the reviewer's severity; an empty one reads ``unclassified``, as the core
            publishes it.
        reason: the reviewer's reason.
        rules: every alert's rule name (or rule ID), each once, sorted.
        detectors: every alert's detector, each once, sorted.
        created_at: when the core created the report (``""`` for the zero time).
        alerts: the alerts, in report order.
        attributes: every attribute of the report and its alerts, each once.
        links: ``http(s)`` URL attributes with the ``additional`` context: investigation
            links an inspector added (the convention of the Go GitHub emitter).
        findings: hosts, users and binaries, the groups that have any.
    """

    report_id: str
    status: str
    severity: str
    reason: str
    rules: tuple[str, ...]
    detectors: tuple[str, ...]
    created_at: str
    alerts: tuple[AlertLine, ...]
    attributes: tuple[AttributeLine, ...]
    links: tuple[str, ...]
    findings: tuple[FindingGroup, ...]


def effective_severity(report: Report) -> str:
    """The report's severity as the core publishes it: an empty one is ``unclassified``."""
    return report.result.severity or Severity.UNCLASSIFIED.value


def report_title(report: Report, limit: int = 256) -> str:
    """``[URGENT] rule-a, rule-b (report 3f2a…)``: plain text of at most ``limit`` characters.

    The rules of every alert are named, never only ``alerts[0]`` (which the core fills in no
    particular order); the report ID always fits, the rules are cut first.
    """
    severity = effective_severity(report).upper()
    rules = _rules(report)
    tail = f" (report {report.id})" if report.id else ""
    head = f"[{one_line(severity)}] "
    room = max(limit - len(head) - len(tail), 8)
    body = clip(one_line(", ".join(rules) or "report without alerts"), room)
    return clip(head + body + tail, limit)


def _rules(report: Report) -> list[str]:
    return sorted({alert.rule_name or alert.rule_id for alert in report.alerts or ()})


def _attribute(attr: Attribute) -> AttributeLine:
    return AttributeLine(type=attr.type, key=clip(attr.key, MAX_VALUE),
                         value=clip(attr.value, MAX_VALUE), context=tuple(attr.context or ()))


def _time(value: str) -> str:
    return "" if value == ZERO_TIME else str(value)


def _listed(values: Iterable[str]) -> str:
    items = [clip(one_line(v), MAX_VALUE) for v in values if v]
    shown = ", ".join(items[:MAX_LIST])
    if len(items) > MAX_LIST:
        shown += f" … and {len(items) - MAX_LIST} more"
    return shown


def _malware(samples: Sequence[EntityMalware]) -> str:
    def one(sample: EntityMalware) -> str:
        scans = sample.scans or []
        positive = [s for s in scans if s.positive]
        names = sorted({f"{s.vendor}: {s.name}" for s in positive if s.vendor or s.name})
        detail = f" {len(positive)}/{len(scans)} positive" if scans else ""
        if names:
            detail += " (" + "; ".join(names[:3]) + (" …" if len(names) > 3 else "") + ")"
        relation = f" [{sample.relation}]" if sample.relation else ""
        return f"{sample.sha256 or '?'}{relation}{detail}"
    return _listed(one(s) for s in samples)


def _activities(activities: Sequence[EntityActivity]) -> str:
    def one(a: EntityActivity) -> str:
        text = " ".join(p for p in (a.principal, a.action, a.target) if p) or "activity"
        if a.service_name:
            text = f"{a.service_name}: {text}"
        if a.remote_addr:
            text += f" from {a.remote_addr}"
        if _time(a.last_seen):
            text += f" at {a.last_seen}"
        return text
    return _listed(one(a) for a in activities)


def _facts(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in pairs if value)


def _host_facts(host: ContentHost) -> tuple[tuple[str, str], ...]:
    return _facts([
        ("IP address", _listed(host.ipaddr or ())),
        ("Hostname", _listed(host.hostname or ())),
        ("Country", _listed(host.country or ())),
        ("AS owner", _listed(host.as_owner or ())),
        ("Owner", _listed(host.owner or ())),
        ("User", _listed(host.username or ())),
        ("OS", _listed(host.os or ())),
        ("MAC address", _listed(host.macaddr or ())),
        ("Software", _listed(f"{s.name} ({s.location})" if s.location else s.name
                             for s in host.software or ())),
        ("Related domains", _listed(d.name for d in host.related_domains or ())),
        ("Related URLs", _listed(u.url for u in host.related_urls or ())),
        ("Related malware", _malware(host.related_malware or ())),
        ("Activities", _activities(host.activities or ())),
    ])


def _user_facts(user: ContentUser) -> tuple[tuple[str, str], ...]:
    return _facts([("Activities", _activities(user.activities or ()))])


def _binary_facts(binary: ContentBinary) -> tuple[tuple[str, str], ...]:
    return _facts([
        ("Related malware", _malware(binary.related_malware or ())),
        ("Software", _listed(binary.software or ())),
        ("OS", _listed(binary.os or ())),
        ("Activities", _activities(binary.activities or ())),
    ])


def digest(report: Report) -> Digest:
    """The parts of ``report`` every renderer shows, each value cut to a readable length."""
    alerts = tuple(
        AlertLine(detector=clip(a.detector, MAX_VALUE),
                  rule=clip(a.rule_name or a.rule_id, MAX_VALUE),
                  description=clip(a.description, 1000), timestamp=_time(a.timestamp))
        for a in report.alerts or ())
    attributes = report.find_attributes()
    links = tuple(dict.fromkeys(
        a.value for a in attributes
        if a.type == "url" and a.has_context("additional")
        and a.value.lower().startswith(("https://", "http://")) and len(a.value) <= 2000))
    groups: list[FindingGroup] = []
    hosts: list[FindingItem] = []
    users: list[FindingItem] = []
    binaries: list[FindingItem] = []
    for section in report.sections or ():
        subject = _attribute(section.attr)
        hosts.extend(FindingItem(subject, f) for f in map(_host_facts, section.hosts or ()) if f)
        users.extend(FindingItem(subject, f) for f in map(_user_facts, section.users or ()) if f)
        binaries.extend(FindingItem(subject, f)
                        for f in map(_binary_facts, section.binaries or ()) if f)
    for title, items in (("Hosts", hosts), ("Users", users), ("Binaries", binaries)):
        if items:
            groups.append(FindingGroup(title, tuple(items)))
    return Digest(
        report_id=report.id, status=report.status, severity=effective_severity(report),
        reason=clip(report.result.reason, 2000), rules=tuple(_rules(report)),
        detectors=tuple(sorted({a.detector for a in report.alerts or ()})),
        created_at=_time(report.created_at), alerts=alerts,
        attributes=tuple(_attribute(a) for a in attributes), links=links,
        findings=tuple(groups))
