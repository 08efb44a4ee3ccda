"""Alerts per second through the local pipeline, and how time and memory grow with input.

Run: ``python benchmarks/bench_pipeline.py [--sizes 1000,10000,100000]``. Each size runs in
its own subprocess (so peak memory is that run's own). The workload follows issue 5: alerts
of 5 attributes, 2 inspectors (one host content each), a reviewer and an emitter, in-memory
store; 5 alerts share each AlertID, so reports have 5 alerts and about 25 attributes.

``--compare N`` runs each size N times with the fast paths on and off (``Core.fast_paths``,
the garbage-collector tuning of ``LocalPipeline.run``), alternating, and prints the median
throughput ratio: the before/after figure, measured in one command on the same machine.
``--baseline DIR`` adds a third variant in each round: the same workload on the ``deepalert``
package of another checkout (``git worktree add /tmp/base <commit>``), e.g. the commit before
issue 13's work, whose general path differs from today's. In ``--compare`` runs, each process
first runs 20 alerts unmeasured (lazy imports, schema builds), so the figures are steady-state
throughput.

Throughput is alerts per CPU second of the run (this machine's wall clock is noisy). Growth is
reported as ratios to the smallest size in the same command: linear cost means the CPU-time
ratio equals the size ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone


def workload(n: int, fast: bool = True, warm_up: bool = False) -> dict[str, float]:
    if warm_up:  # first-use costs (lazy imports, schema builds) out of the measured run
        workload(20, fast)
    from deepalert import Alert, Attribute, ContentHost, Report, ReportResult, Severity
    from deepalert.emitter import emitter
    from deepalert.inspector import inspector
    from deepalert.local import LocalPipeline, ManualClock
    from deepalert.reviewer import reviewer

    @inspector(author="geo", types=["ipaddr"])
    def geo(attr: Attribute) -> ContentHost:
        return ContentHost(country=["JP"])

    @inspector(author="owner")
    def owner(attr: Attribute) -> ContentHost:
        return ContentHost(owner=["corp"])

    @reviewer
    def review(report: Report) -> ReportResult:
        return ReportResult(severity=Severity.URGENT if len(report.sections or []) > 20
                            else Severity.SAFE)

    published = 0

    @emitter
    def count(report: Report) -> None:
        nonlocal published
        published += 1

    alerts = [
        Alert(detector="bench", rule_id="rule", alert_key=f"k{i // 5}",
              timestamp="2026-01-01T00:00:00Z",
              attributes=[Attribute(type="ipaddr", key=f"ip{j}", value=f"10.{i % 250}.{j}.{i % 7}",
                                    context=["remote"]) for j in range(5)]).to_json()
        for i in range(n)
    ]
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pipeline = LocalPipeline(inspectors=[geo, owner], reviewer=review, emitters=[count],
                             clock=ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc)))
    pipeline.core.fast_paths = fast
    start, cpu_start = time.perf_counter(), time.process_time()
    for text in alerts:
        pipeline.submit(text)
    pipeline.run()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert not pipeline.errors, pipeline.errors[:3]
    assert published == n // 5, published
    return {"alerts": n, "seconds": elapsed, "cpu_seconds": cpu, "alerts_per_s": n / cpu,
            "peak_mib": peak_rss / 1024, "growth_mib": (peak_rss - base_rss) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--compare", type=int, default=0, metavar="N",
                        help="N alternating rounds per size, fast paths on and off")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", metavar="DIR",
                        help="with --compare: also run the workload on the deepalert package "
                             "of this checkout (e.g. a git worktree of the commit before)")
    parser.add_argument("--general", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(workload(args.one, fast=not args.general, warm_up=args.warm)))
        return
    if args.compare:
        compare([int(s) for s in args.sizes.split(",")], args.compare, args.baseline)
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], check=True,
                             capture_output=True, text=True).stdout
        rows.append(json.loads(out))
    base = rows[0]
    print(f"{'alerts':>8} {'wall s':>7} {'CPU s':>7} {'alerts/s':>9} {'peak MiB':>9} "
          f"{'run MiB':>8} {'CPU x':>6} {'size x':>7} {'mem x':>6}")
    for row in rows:
        print(f"{row['alerts']:>8,} {row['seconds']:>7.2f} {row['cpu_seconds']:>7.2f} "
              f"{row['alerts_per_s']:>9,.0f} {row['peak_mib']:>9.0f} {row['growth_mib']:>8.0f} "
              f"{row['cpu_seconds'] / base['cpu_seconds']:>6.1f} "
              f"{row['alerts'] / base['alerts']:>7.0f} "
              f"{max(row['growth_mib'], 1) / max(base['growth_mib'], 1):>6.1f}")


def _one(size: int, general: bool = False, baseline: str | None = None) -> dict[str, float]:
    # Warmed up: steady-state throughput, without the first-use costs every variant pays once.
    command = [sys.executable, __file__, "--one", str(size), "--warm"]
    env = dict(os.environ)
    if general:
        command.append("--general")
    if baseline is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [baseline, env.get("PYTHONPATH")]))
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def compare(sizes: list[int], rounds: int, baseline: str | None = None) -> None:
    """Alternate the variants round by round; medians of throughput and of per-round ratios."""
    names = ["general", "fast"] + (["baseline"] if baseline else [])
    print(f"{'alerts':>8} " + " ".join(f"{n + '/s':>11}" for n in names)
          + f" {'fast/general':>13}" + (f" {'fast/baseline':>14}" if baseline else "")
          + " " + " ".join(f"{n + ' MiB':>12}" for n in names))
    for size in sizes:
        runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for _ in range(rounds):
            runs["general"].append(_one(size, general=True))
            runs["fast"].append(_one(size))
            if baseline:
                runs["baseline"].append(_one(size, baseline=baseline))

        def ratio(of: list[dict[str, float]], to: list[dict[str, float]]) -> float:
            return statistics.median(f["alerts_per_s"] / g["alerts_per_s"]
                                     for f, g in zip(of, to, strict=True))

        line = f"{size:>8,} " + " ".join(
            f"{statistics.median(r['alerts_per_s'] for r in runs[n]):>11,.0f}" for n in names)
        line += f" {ratio(runs['fast'], runs['general']):>12.2f}x"
        if baseline:
            line += f" {ratio(runs['fast'], runs['baseline']):>13.2f}x"
        line += " " + " ".join(
            f"{statistics.median(r['growth_mib'] for r in runs[n]):>12.0f}" for n in names)
        print(line)


if __name__ == "__main__":
    main()
