"""What EMF metrics cost per record, as a ratio to the same handler with metrics off.

Run: ``python benchmarks/bench_metrics.py``. Figures are kept in ``docs/performance.md``.

Workload: 5,000 tasks in SQS events of 10 records (SNS envelopes in the bodies), an
inspector returning one ContentHost, the in-memory sink; and 5,000 published reports in SQS
events of 10 for an emitter that does nothing. Each handler runs with ``DEEPALERT_METRICS``
off and on (the EMF lines go to a discarded stream, as Lambda's stdout goes to CloudWatch
Logs), rounds interleaved in one process, CPU time. The ratio on/off is the figure.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from deepalert import Attribute, AttrType, ContentHost, Report, Task
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.testing import FakeLambdaContext, MemorySink, make_report, sqs_sns_event

RECORDS = 5_000
BATCH = 10
FINDING = "https://sqs.us-east-1.amazonaws.com/123456789012/finding"
ATTRIBUTE = "https://sqs.us-east-1.amazonaws.com/123456789012/attribute"


@inspector(author="bench", types=[AttrType.IPADDR])
def intel(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"])


@emitter
def notify(report: Report) -> None:
    return None


def task_events() -> list[dict[str, Any]]:
    tasks = [Task(report_id=f"r-{i // 50}", attribute=Attribute(
        type="ipaddr", key="src", value=f"10.0.{i // 256 % 256}.{i % 256}",
        context=["remote"])) for i in range(RECORDS)]
    return [sqs_sns_event(*tasks[i:i + BATCH]) for i in range(0, RECORDS, BATCH)]


def report_events() -> list[dict[str, Any]]:
    reports = [make_report(id=f"r-{i}", status="published", severity="urgent")
               for i in range(RECORDS)]
    return [sqs_sns_event(*reports[i:i + BATCH]) for i in range(0, RECORDS, BATCH)]


@contextmanager
def metrics(on: bool) -> Iterator[None]:
    os.environ["DEEPALERT_METRICS"] = "on" if on else "off"
    with redirect_stdout(io.StringIO()):
        yield


def runner(events: list[dict[str, Any]], handler: Callable[[dict[str, Any]], object],
           on: bool) -> Callable[[], None]:
    def run() -> None:
        with metrics(on):
            for event in events:
                handler(event)
    return run


def cpu_interleaved(funcs: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Median CPU seconds (process time, steadier than wall time on a shared machine) per
    call of each function, rounds interleaved."""
    rounds: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.process_time()
            func()
            rounds[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in rounds.items()}


def main() -> None:
    context = FakeLambdaContext(timeout_ms=900_000)
    sink = MemorySink()

    def inspect(event: dict[str, Any]) -> object:
        sink.clear()
        return intel.invoke(event, context, sqs_client=sink, finding_queue_url=FINDING,
                            attribute_queue_url=ATTRIBUTE)

    def emit(event: dict[str, Any]) -> object:
        return notify(event, context)

    tasks, reports = task_events(), report_events()
    print("| Role | off, per record | on, per record | ratio on/off |\n|---|---|---|---|")
    for role, events, handler in (("inspector", tasks, inspect), ("emitter", reports, emit)):
        times = cpu_interleaved({"off": runner(events, handler, False),
                                 "on": runner(events, handler, True)}, repeat=15)
        off, on = times["off"] / RECORDS * 1e6, times["on"] / RECORDS * 1e6
        print(f"| {role} | {off:.1f} µs | {on:.1f} µs | {on / off:.3f}x |")


if __name__ == "__main__":
    main()
