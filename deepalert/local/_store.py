"""Report stores: the core's DynamoDB table, as a small interface with two implementations.

The store keeps bytes as the core's table does (alerts and findings as the JSON it received,
attributes by hash) and answers the conditional puts the core's semantics rest on. The core
logic (``deepalert.local._core``) is written against :class:`ReportStore` only, so an
AWS-backed store can take the place of these.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "MemoryStore",
    "ReportStore",
    "SQLiteStore",
    "StoredFinding",
    "StoredReport",
    "TakenReport",
]


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
    """What the core needs from its table. Every method is one conditional put or one query."""

    def take_report(self, alert_id: str, new_report_id: str, now: datetime,
                    ttl: timedelta) -> TakenReport:
        """Claim ``alert_id`` for a new report unless a live entry exists; return the entry.

        A new entry lives ``ttl`` from ``now``; it is not extended by later alerts.
        """
        ...

    def save_alert(self, report_id: str, alert: str) -> None:
        """Keep an alert's JSON under its report (duplicates are kept, as the core does)."""
        ...

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta) -> bool:
        """Record an attribute by hash; ``False`` when a live entry already exists."""
        ...

    def save_finding(self, report_id: str, finding: StoredFinding) -> None:
        """Keep a finding under its report."""
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


class MemoryStore:
    """A store in process memory: fast, and gone with the process."""

    def __init__(self) -> None:
        self._alertmap: dict[str, tuple[str, datetime, datetime]] = {}
        self._alerts: dict[str, list[str]] = {}
        self._attributes: dict[str, dict[str, tuple[str, datetime]]] = {}
        self._findings: dict[str, list[StoredFinding]] = {}
        self._shared: dict[str, dict[str, StoredFinding]] = {}
        self._contents: dict[str, str] = {}  # equal contents (country: JP...) stored once
        self._reports: dict[str, StoredReport] = {}
        self._lock = threading.Lock()

    def take_report(self, alert_id: str, new_report_id: str, now: datetime,
                    ttl: timedelta) -> TakenReport:
        with self._lock:
            entry = self._alertmap.get(alert_id)
            if entry is None or entry[2] < now:
                created = now
                self._alertmap[alert_id] = (new_report_id, created, now + ttl)
                return TakenReport(new_report_id, True, created)
            return TakenReport(entry[0], False, _seconds(entry[1]))

    def save_alert(self, report_id: str, alert: str) -> None:
        self._alerts.setdefault(report_id, []).append(alert)

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta) -> bool:
        with self._lock:
            table = self._attributes.setdefault(report_id, {})
            entry = table.get(attr_hash)
            if entry is not None and entry[1] >= now:
                return False
            table[attr_hash] = (attribute, now + ttl)
            return True

    def save_finding(self, report_id: str, finding: StoredFinding) -> None:
        findings = self._findings.setdefault(report_id, [])
        # Inspectors report on the same task attributes, often with the same contents: keep
        # one copy of equal texts.
        shared = self._shared.setdefault(report_id, {})
        first = shared.setdefault(finding.attr_hash, finding)
        content = self._contents.setdefault(finding.content, finding.content)
        if first is not finding or content is not finding.content:
            finding = StoredFinding(
                first.attr_hash,
                first.attribute if first.attribute == finding.attribute else finding.attribute,
                finding.content_type, content)
        findings.append(finding)

    def put_report(self, report: StoredReport) -> None:
        self._reports[report.report_id] = report

    def get_report(self, report_id: str) -> StoredReport | None:
        return self._reports.get(report_id)

    def alerts(self, report_id: str) -> list[str]:
        return list(self._alerts.get(report_id, ()))

    def attributes(self, report_id: str) -> list[tuple[str, str]]:
        table = self._attributes.get(report_id, {})
        return [(h, table[h][0]) for h in sorted(table)]

    def findings(self, report_id: str) -> list[StoredFinding]:
        # sorted() is stable: arrival order within one attribute hash.
        return sorted(self._findings.get(report_id, ()), key=lambda f: f.attr_hash)

    def report_ids(self) -> list[str]:
        return list(self._reports)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS alertmap (
    alert_id TEXT PRIMARY KEY, report_id TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_report ON alerts (report_id, seq);
CREATE TABLE IF NOT EXISTS attributes (
    report_id TEXT NOT NULL, attr_hash TEXT NOT NULL, data TEXT NOT NULL,
    expires_at REAL NOT NULL, PRIMARY KEY (report_id, attr_hash));
CREATE TABLE IF NOT EXISTS findings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL, attr_hash TEXT NOT NULL,
    attribute TEXT NOT NULL, content_type TEXT NOT NULL, content TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS findings_by_report ON findings (report_id, attr_hash, seq);
CREATE TABLE IF NOT EXISTS reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL, result TEXT NOT NULL, created_at REAL NOT NULL);
"""


class SQLiteStore:
    """A store in an SQLite file (standard library): reports survive between runs.

    Args:
        path: the database file, created when missing; ``":memory:"`` for a private one.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def take_report(self, alert_id: str, new_report_id: str, now: datetime,
                    ttl: timedelta) -> TakenReport:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO alertmap (alert_id, report_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET "
                "report_id = excluded.report_id, created_at = excluded.created_at, "
                "expires_at = excluded.expires_at WHERE alertmap.expires_at < ?",
                (alert_id, new_report_id, now.timestamp(), (now + ttl).timestamp(),
                 now.timestamp()))
            if cur.rowcount == 1:
                return TakenReport(new_report_id, True, now)
            report_id, created = self._db.execute(
                "SELECT report_id, created_at FROM alertmap WHERE alert_id = ?", (alert_id,)
            ).fetchone()
            return TakenReport(report_id, False, _from_epoch(created))

    def save_alert(self, report_id: str, alert: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO alerts (report_id, data) VALUES (?, ?)",
                             (report_id, alert))

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO attributes (report_id, attr_hash, data, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (report_id, attr_hash) DO UPDATE SET "
                "data = excluded.data, expires_at = excluded.expires_at "
                "WHERE attributes.expires_at < ?",
                (report_id, attr_hash, attribute, (now + ttl).timestamp(), now.timestamp()))
            return cur.rowcount == 1

    def save_finding(self, report_id: str, finding: StoredFinding) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO findings (report_id, attr_hash, attribute, content_type, content) "
                "VALUES (?, ?, ?, ?, ?)",
                (report_id, finding.attr_hash, finding.attribute, finding.content_type,
                 finding.content))

    def put_report(self, report: StoredReport) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO reports (report_id, status, result, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (report_id) DO UPDATE SET status = excluded.status, "
                "result = excluded.result, created_at = excluded.created_at",
                (report.report_id, report.status, report.result, report.created_at.timestamp()))

    def get_report(self, report_id: str) -> StoredReport | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, result, created_at FROM reports WHERE report_id = ?",
                (report_id,)).fetchone()
        if row is None:
            return None
        return StoredReport(report_id, row[0], row[1], _from_epoch(row[2]))

    def alerts(self, report_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM alerts WHERE report_id = ? ORDER BY seq", (report_id,))
            return [r[0] for r in rows]

    def attributes(self, report_id: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT attr_hash, data FROM attributes WHERE report_id = ? ORDER BY attr_hash",
                (report_id,))
            return [(r[0], r[1]) for r in rows]

    def findings(self, report_id: str) -> list[StoredFinding]:
        with self._lock:
            rows = self._db.execute(
                "SELECT attr_hash, attribute, content_type, content FROM findings "
                "WHERE report_id = ? ORDER BY attr_hash, seq", (report_id,))
            return [StoredFinding(*r) for r in rows]

    def report_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT report_id FROM reports ORDER BY seq")]


def _seconds(value: datetime) -> datetime:
    # DynamoDB keeps created_at as whole Unix seconds: later reads lose the fraction.
    return value.replace(microsecond=0)


def _from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(int(value), tz=timezone.utc)
