"""A persistent run loses nothing: interrupted, it resumes where it stopped (issue 10)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from deepalert import Alert, Attribute, ContentHost, Report
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.local import LocalPipeline, ManualClock, SQLiteStore

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


def alerts(n: int) -> list[tuple[str, str]]:
    """``n`` alerts, two per AlertID, as (source, JSON) pairs the way the CLI reads a file."""
    pairs = []
    for i in range(n):
        alert = Alert(detector="ids", rule_id="scan", alert_key=f"k{i // 2}",
                      attributes=[Attribute(type="ipaddr", key="src", value=f"10.0.{i}.1")])
        pairs.append((f"alerts.jsonl line {i + 1}", alert.to_json()))
    return pairs


class Interrupted(BaseException):
    """What a Ctrl-C or a kill looks like from inside the pipeline."""


class Roles:
    def __init__(self, interrupt_after: int | None = None) -> None:
        self.calls = 0
        self.published: list[str] = []

        @inspector(author="geo", types=["ipaddr"])
        def geo(attr: Attribute) -> ContentHost:
            self.calls += 1
            if interrupt_after is not None and self.calls > interrupt_after:
                raise Interrupted
            return ContentHost(country=["JP"])

        @emitter(statuses=["published"])
        def record(report: Report) -> None:
            self.published.append(report.id)

        self.geo, self.record = geo, record


def pipeline(db: Path, roles: Roles) -> LocalPipeline:
    return LocalPipeline(inspectors=[roles.geo], emitters=[roles.record],
                         store=SQLiteStore(db), clock=ManualClock(START))


def stored_alerts(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT report_id, data FROM alerts"))


def test_an_interrupted_run_resumes_and_publishes_every_report_once(tmp_path: Path) -> None:
    """Interrupted during inspection, a rerun of the same input resumes the pending steps,
    stores no alert twice, and publishes every report exactly once."""
    db = tmp_path / "r.db"
    pairs = alerts(40)
    first = Roles(interrupt_after=7)
    run = pipeline(db, first)
    run.submit_many(pairs)
    with pytest.raises(Interrupted):
        run.run()
    run.store.close()  # type: ignore[attr-defined]
    assert first.published == []

    second = Roles()
    rerun = pipeline(db, second)
    assert rerun.resumed == 60  # 40 inspections (one per alert) and 20 reviews were pending
    rerun.submit_many(pairs)
    assert rerun.repeated == 40
    rerun.run()
    assert rerun.errors == []
    assert Counter(second.published) == {report_id: 1 for report_id in set(second.published)}
    assert len(second.published) == 20
    rows = stored_alerts(db)
    assert len(rows) == 40 == len(set(rows))
    for report in rerun.published():
        assert len(report.alerts or []) == 2
        assert len(report.sections or []) == 2  # every attribute was inspected after all
    # A third run of the same input finds nothing to do.
    third = pipeline(db, Roles())
    third.submit_many(pairs)
    third.run()
    assert (third.resumed, third.repeated, third.published()) == (0, 40, [])


def test_an_alert_interrupted_half_way_is_finished_not_stored_twice(tmp_path: Path) -> None:
    """A delivery whose first attempt stopped part-way is completed by the next one."""
    db = tmp_path / "r.db"
    (source, alert), = alerts(1)
    broken = pipeline(db, Roles())

    def boom(report: str) -> None:
        raise Interrupted

    broken.publish_report = boom  # type: ignore[method-assign]
    with pytest.raises(Interrupted):
        broken.submit_many([(source, alert)])
    broken.store.close()  # type: ignore[attr-defined]
    assert stored_alerts(db) == []  # the transaction was rolled back

    roles = Roles()
    rerun = pipeline(db, roles)
    (receipt,) = rerun.submit_many([(source, alert)])
    assert (receipt.status, receipt.repeated) == ("new", False)
    rerun.run()
    assert len(roles.published) == 1
    assert len(stored_alerts(db)) == 1


def test_equal_alerts_at_two_positions_stay_two_alerts(tmp_path: Path) -> None:
    """Only the same position with the same bytes is the same delivery, as Go counts them."""
    (_, alert), = alerts(1)
    run = pipeline(tmp_path / "r.db", Roles())
    run.submit_many([("f line 1", alert), ("f line 2", alert)])
    run.run()
    (report,) = run.published()
    assert len(report.alerts or []) == 2


@pytest.mark.parametrize("kill_after", [200, 750], ids=["while-reading", "while-reviewing"])
def test_a_killed_cli_run_resumes_on_rerun(tmp_path: Path, kill_after: int) -> None:
    """``deepalert run --db`` killed part-way: the rerun says what it resumed, every report
    is published (at least once: the one review the kill may have cut short is published
    again) and no alert is stored twice."""
    n = 600
    source = tmp_path / "alerts.jsonl"
    source.write_text("".join(text + "\n" for _, text in alerts(n)))
    db, log = tmp_path / "r.db", tmp_path / "published.log"
    env = {**os.environ, "DEEPALERT_TEST_LOG": str(log), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "deepalert", "run", str(source), "--db", str(db),
            "--inspector", "tests.local.roles_resume:geo",
            "--emitter", "tests.local.roles_resume:log", "--output", "json"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        # 600 new/more publications while reading, then 300 published ones.
        if log.exists() and log.read_text().count("\n") >= kill_after:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    published_before = {line.split()[0] for line in log.read_text().splitlines()
                        if line.split()[1] == "published"}
    assert len(published_before) < n // 2, "the run finished before it could be killed"

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "resumed" in done.stderr
    published = Counter(line.split()[0] for line in log.read_text().splitlines()
                        if line.split()[1] == "published")
    assert len(published) == n // 2
    assert sum(1 for count in published.values() if count > 1) <= 1
    rows = stored_alerts(db)
    assert len(rows) == n == len(set(rows))
    for line in done.stdout.splitlines():
        assert len(json.loads(line)["alerts"]) == 2
