"""An interrupted persistent run, then its rerun: what was stranded, repeated or stored twice.

Run: ``python benchmarks/bench_resume.py [--alerts 30000] [--kill-at 0.6,1.2]``. For each kill
point, ``deepalert run FILE --db DB`` is started in a subprocess with an inspector and an
emitter that appends every publication to a log, killed with SIGKILL once the log holds
``kill-at x alerts`` lines (``new``/``more`` come while reading, one per alert, then
``published`` ones while reviewing), and run again on the same file and database. Two alerts
share each AlertID. Reported: reports never published after the rerun (stranded), reports
published twice, alerts stored twice, what the rerun said it resumed, and wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = '''
import os
from deepalert import Attribute, ContentHost, Report
from deepalert.emitter import emitter
from deepalert.inspector import inspector


@inspector(author="geo", types=["ipaddr"])
def geo(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"])


@emitter(statuses=["new", "more", "published"])
def log(report: Report) -> None:
    with open(os.environ["BENCH_LOG"], "a", encoding="utf-8") as out:
        out.write(f"{report.id} {report.status}\\n")
'''


def alert_line(i: int) -> str:
    return json.dumps({"detector": "ids", "rule_id": "scan", "alert_key": f"k{i // 2}",
                       "attributes": [{"type": "ipaddr", "key": "src",
                                       "value": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                                       "context": None}]})


def lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as f:
        return sum(1 for _ in f)


def once(n: int, kill_at: float, work: Path) -> dict[str, object]:
    source, db, log = work / "alerts.jsonl", work / f"r{kill_at}.db", work / f"p{kill_at}.log"
    roles = work / "roles.py"
    roles.write_text(ROLES)
    source.write_text("".join(alert_line(i) + "\n" for i in range(n)))
    env = {**os.environ, "BENCH_LOG": str(log), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "deepalert", "run", str(source), "--db", str(db),
            "--inspector", f"{roles}:geo", "--emitter", f"{roles}:log", "--output", "json"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and lines(log) < kill_at * n:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = time.perf_counter() - start
    start = time.perf_counter()
    rerun = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    second = time.perf_counter() - start
    published = Counter(line.split()[0] for line in log.read_text().splitlines()
                        if line.endswith(" published"))
    with sqlite3.connect(db) as conn:
        reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        stranded = conn.execute(
            "SELECT COUNT(*) FROM reports WHERE status != 'published'").fetchone()[0]
        alerts = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    said = [line for line in rerun.stderr.splitlines() if "resumed" in line]
    return {"kill_at": kill_at, "reports": reports, "stranded": stranded,
            "published": len(published),
            "published_twice": sum(1 for c in published.values() if c > 1),
            "alerts_stored": alerts, "alerts_sent": n, "rerun_exit": rerun.returncode,
            "rerun_said": said[0] if said else "", "first_s": round(first, 1),
            "rerun_s": round(second, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=30000)
    parser.add_argument("--kill-at", default="0.6,1.2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kill_at in (float(k) for k in args.kill_at.split(",")):
            print(json.dumps(once(args.alerts, kill_at, Path(tmp))))


if __name__ == "__main__":
    main()
