"""Report stores for the laptop: in memory, or in an SQLite file that survives the process.

Both implement :class:`~deepalert.core.ReportStore`, the interface the core's logic is written
against. :class:`SQLiteStore` also keeps the local pipeline's timeline (the steps the Step
Functions machines would run later, and the tasks on their way to the inspectors), so that a
run that was killed part-way resumes where it stopped.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from deepalert.core._store import (
    ReportStore,
    StoredFinding,
    StoredReceipt,
    StoredReport,
    TakenReport,
)

__all__ = [
    "MemoryStore",
    "ReportStore",
    "SQLiteStore",
    "ScheduledStep",
    "StoredFinding",
    "StoredReport",
    "TakenReport",
]


@dataclass(frozen=True)
class ScheduledStep:
    """A step of the local pipeline's timeline, as the store keeps it."""

    seq: int
    due: datetime
    kind: str
    """``inspect``, ``review`` or ``task``."""
    payload: str


class MemoryStore:
    """A store in process memory: fast, and gone with the process."""

    def __init__(self) -> None:
        self._alertmap: dict[str, tuple[str, datetime, datetime]] = {}
        self._alerts: dict[str, list[str]] = {}
        self._attributes: dict[str, dict[str, tuple[str, datetime]]] = {}
        self._findings: dict[str, list[StoredFinding]] = {}
        # Equal values are kept once: per report, the hash and attribute JSON of the first
        # finding about each attribute, which the next ones reuse; contents (country: JP...)
        # across reports; the expiry of attributes put at one instant.
        self._shared: dict[str, dict[str, StoredFinding]] = {}
        self._contents: dict[str, str] = {}
        self._expiry: datetime | None = None
        self._reports: dict[str, StoredReport] = {}
        self._keys: set[str] = set()
        self._depths: dict[tuple[str, str], int] = {}
        self._receipts: dict[str, StoredReceipt] = {}
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

    def save_alert(self, report_id: str, alert: str, key: str | None = None) -> None:
        if key is not None:
            marker = f"alert/{report_id}/{key}"
            if marker in self._keys:
                return
            self._keys.add(marker)
        self._alerts.setdefault(report_id, []).append(alert)

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta, depth: int = 0) -> bool:
        with self._lock:
            table = self._attributes.setdefault(report_id, {})
            entry = table.get(attr_hash)
            if entry is not None and entry[1] >= now:
                return False
            expiry = now + ttl
            if expiry == self._expiry:
                expiry = self._expiry
            else:
                self._expiry = expiry
            table[attr_hash] = (attribute, expiry)
            if depth:
                self._depths[report_id, attr_hash] = depth
            else:
                self._depths.pop((report_id, attr_hash), None)
            return True

    def forget_attribute(self, report_id: str, attr_hash: str) -> None:
        """Drop an attribute whose task could not be published."""
        self._attributes.get(report_id, {}).pop(attr_hash, None)

    def attribute_depth(self, report_id: str, attr_hash: str) -> int | None:
        if attr_hash not in self._attributes.get(report_id, {}):
            return None
        return self._depths.get((report_id, attr_hash), 0)

    def save_finding(self, report_id: str, finding: StoredFinding,
                     key: str | None = None) -> None:
        if key is not None:
            marker = f"finding/{report_id}/{key}"
            if marker in self._keys:
                return
            self._keys.add(marker)
        findings = self._findings.setdefault(report_id, [])
        # Inspectors report on the attributes the core stored, often with the same contents:
        # keep one copy of equal texts.
        shared = self._shared.setdefault(report_id, {})
        first = shared.setdefault(finding.attr_hash, finding)
        content = self._contents.setdefault(finding.content, finding.content)
        if first is not finding or content is not finding.content:
            kept = StoredFinding(
                first.attr_hash,
                first.attribute if first.attribute == finding.attribute else finding.attribute,
                finding.content_type, content)
            if first is finding:  # the first of its hash: keep the copy, not the original
                shared[finding.attr_hash] = kept
            finding = kept
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

    def get_receipt(self, key: str) -> StoredReceipt | None:
        return self._receipts.get(key)

    def put_receipt(self, key: str, receipt: StoredReceipt, now: datetime,
                    ttl: timedelta) -> None:
        self._receipts[key] = receipt


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
CREATE TABLE IF NOT EXISTS receipts (
    key TEXT PRIMARY KEY, report_id TEXT NOT NULL, is_new INTEGER NOT NULL,
    created_at REAL NOT NULL, done INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, due REAL NOT NULL, kind TEXT NOT NULL,
    payload TEXT NOT NULL);
"""

# Columns added after the first release: files written by it get them on open.
_ADDED_COLUMNS = (
    ("alerts", "key", "TEXT"),
    ("findings", "key", "TEXT"),
    ("attributes", "depth", "INTEGER NOT NULL DEFAULT 0"),
)
_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS alerts_by_key ON alerts (report_id, key);
CREATE UNIQUE INDEX IF NOT EXISTS findings_by_key ON findings (report_id, key);
"""


class SQLiteStore:
    """A store in an SQLite file (standard library): reports survive between runs.

    Besides the reports, the file keeps the local pipeline's pending steps, so that
    :class:`~deepalert.local.LocalPipeline` resumes a run that was interrupted.

    Args:
        path: the database file, created when missing; ``":memory:"`` for a private one.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for table, column, kind in _ADDED_COLUMNS:
            names = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in names:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.executescript(_INDEXES)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make everything written inside the block one transaction: all of it, or none.

        Nested blocks join the outermost one.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._db.execute("ROLLBACK")
                raise
            self._depth = 0
            self._db.execute("COMMIT")

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

    def save_alert(self, report_id: str, alert: str, key: str | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO alerts (report_id, data, key) "
                             "VALUES (?, ?, ?)", (report_id, alert, key))

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta, depth: int = 0) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO attributes (report_id, attr_hash, data, expires_at, depth) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (report_id, attr_hash) DO UPDATE SET "
                "data = excluded.data, expires_at = excluded.expires_at, "
                "depth = excluded.depth WHERE attributes.expires_at < ?",
                (report_id, attr_hash, attribute, (now + ttl).timestamp(), depth,
                 now.timestamp()))
            return cur.rowcount == 1

    def forget_attribute(self, report_id: str, attr_hash: str) -> None:
        """Drop an attribute whose task could not be published."""
        with self._lock:
            self._db.execute("DELETE FROM attributes WHERE report_id = ? AND attr_hash = ?",
                             (report_id, attr_hash))

    def attribute_depth(self, report_id: str, attr_hash: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT depth FROM attributes WHERE report_id = ? AND attr_hash = ?",
                (report_id, attr_hash)).fetchone()
        return None if row is None else int(row[0])

    def save_finding(self, report_id: str, finding: StoredFinding,
                     key: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO findings "
                "(report_id, attr_hash, attribute, content_type, content, key) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (report_id, finding.attr_hash, finding.attribute, finding.content_type,
                 finding.content, key))

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

    def get_receipt(self, key: str) -> StoredReceipt | None:
        with self._lock:
            row = self._db.execute(
                "SELECT report_id, is_new, created_at, done FROM receipts WHERE key = ?",
                (key,)).fetchone()
        if row is None:
            return None
        return StoredReceipt(row[0], bool(row[1]), _from_epoch_exact(row[2]), bool(row[3]))

    def put_receipt(self, key: str, receipt: StoredReceipt, now: datetime,
                    ttl: timedelta) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO receipts (key, report_id, is_new, created_at, done) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "report_id = excluded.report_id, is_new = excluded.is_new, "
                "created_at = excluded.created_at, done = excluded.done",
                (key, receipt.report_id, int(receipt.is_new), receipt.created_at.timestamp(),
                 int(receipt.done)))

    # --- the local pipeline's timeline -------------------------------------------------------

    def add_step(self, due: datetime, kind: str, payload: str) -> int:
        """Keep a pending step of the timeline; its sequence number."""
        with self._lock:
            cur = self._db.execute("INSERT INTO steps (due, kind, payload) VALUES (?, ?, ?)",
                                   (due.timestamp(), kind, payload))
            assert cur.lastrowid is not None
            return cur.lastrowid

    def remove_steps(self, seqs: list[int]) -> None:
        """Forget steps that were carried out."""
        with self._lock:
            self._db.executemany("DELETE FROM steps WHERE seq = ?", [(s,) for s in seqs])

    def steps(self) -> list[ScheduledStep]:
        """The pending steps, in the order they were added."""
        with self._lock:
            rows = self._db.execute("SELECT seq, due, kind, payload FROM steps ORDER BY seq")
            return [ScheduledStep(r[0], _from_epoch_exact(r[1]), r[2], r[3]) for r in rows]


def _seconds(value: datetime) -> datetime:
    # DynamoDB keeps created_at as whole Unix seconds: later reads lose the fraction.
    return value.replace(microsecond=0)


def _from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def _from_epoch_exact(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)
