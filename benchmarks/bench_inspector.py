"""Inspector handler cost, SQS requests, and import cost, as ratios to baselines.

Run: ``python benchmarks/bench_inspector.py``. Figures are kept in ``docs/performance.md``.

* Per-record cost: 10,000 tasks in SQS events of 10 records (SNS envelopes in the bodies,
  as the task topic delivers them to a queue), an inspector that returns one ContentHost, and
  the in-memory sink. The baseline is the handler a user would write by hand with
  aws-lambda-powertools: ``BatchProcessor`` with a parser model (``SqsRecordModel`` whose body
  is ``Json`` of powertools' ``SnsNotificationModel`` whose Message is ``Json`` of a Task
  model), a Finding model dumped with ``model_dump_json``, and one ``send_message`` per
  finding, sent to the same sink. Target: at most 0.5x.
* SQS requests per 1,000 findings, same workload (the Go SDK makes 1,000). Target: <= 100.
* ``python -c "import deepalert.inspector"`` against ``python -c "from pydantic import
  BaseModel"``, medians of interleaved subprocess runs. Target: at most 1.4x.

Issue 13 (fast path) adds, each as a ratio to the baseline measured in the same run:

* the fast path and the general path (``deepalert.inspector._fast.ENABLED = False``) side by
  side, in events of 10 records (target: fast path at most 0.7x, stretch 0.6x);
* one event of 10,000 records;
* a real boto3 SQS client whose network is stubbed (a ``before-send`` hook answers each
  request as SQS would, so requests are still built, signed and parsed), for both handlers;
* ``from deepalert import Alert, Report, Attribute, Severity`` against ``from pydantic import
  BaseModel`` (target: at most 1.3x) and against the floor of any model class.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel, SqsRecordModel
from pydantic import BaseModel, Json

sys.path.insert(0, str(Path(__file__).parent))
from _util import startup

from deepalert import Attribute, AttrType, ContentHost, Task
from deepalert.inspector import _fast, inspector
from deepalert.testing import FakeLambdaContext, MemorySink, sqs_sns_event

TASKS = 10_000
BATCH = 10
FINDING = "https://sqs.us-east-1.amazonaws.com/123456789012/finding"
ATTRIBUTE = "https://sqs.us-east-1.amazonaws.com/123456789012/attribute"


def make_events(n: int) -> list[dict[str, Any]]:
    tasks = [Task(report_id=f"report-{i // 50}", attribute=Attribute(
        type="ipaddr", key="src", value=f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
        context=["client", "remote"], timestamp="2026-01-02T03:04:05.123456789Z"))
        for i in range(n)]
    return [sqs_sns_event(*tasks[i:i + BATCH]) for i in range(0, n, BATCH)]


# -- deepalert ----------------------------------------------------------------------------


@inspector(author="bench", types=[AttrType.IPADDR])
def ours(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"])


def run_ours(events: list[dict[str, Any]], sink: Any) -> None:
    context = FakeLambdaContext(timeout_ms=900_000)
    for event in events:
        response = ours.invoke(event, context, sqs_client=sink, finding_queue_url=FINDING,
                               attribute_queue_url=ATTRIBUTE)
        assert response == {"batchItemFailures": []}


# -- the powertools baseline ---------------------------------------------------------------


class PAttribute(BaseModel):
    type: str
    key: str
    value: str
    context: list[str] | None = None
    timestamp: str | None = None


class PTask(BaseModel):
    report_id: str
    attribute: PAttribute


class PTaskNotification(SnsNotificationModel):
    Message: Json[PTask]  # type: ignore[assignment]


class PTaskRecord(SqsRecordModel):
    body: Json[PTaskNotification]


class PHost(BaseModel):
    country: list[str] | None = None


class PFinding(BaseModel):
    report_id: str
    author: str
    attribute: PAttribute
    type: str
    content: PHost


processor = BatchProcessor(event_type=EventType.SQS, model=PTaskRecord)
baseline_sink: MemorySink = MemorySink()


def record_handler(record: PTaskRecord) -> None:
    task = record.body.Message
    content = PHost(country=["JP"])
    finding = PFinding(report_id=task.report_id, author="bench", attribute=task.attribute,
                       type="host", content=content)
    baseline_sink.send_message(QueueUrl=FINDING,
                               MessageBody=finding.model_dump_json(exclude_none=True))


def baseline_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)


def run_baseline(events: list[dict[str, Any]], sink: Any) -> None:
    global baseline_sink
    baseline_sink = sink
    context = FakeLambdaContext(timeout_ms=900_000)
    for event in events:
        response = baseline_handler(event, context)
        assert response == {"batchItemFailures": []}


def run_general(events: list[dict[str, Any]], sink: Any) -> None:
    """Ours through the general path (the fast path switched off)."""
    _fast.ENABLED = False
    try:
        run_ours(events, sink)
    finally:
        _fast.ENABLED = True


def stubbed_boto3_client() -> Any:
    """A boto3 SQS client whose requests are answered in process, as SQS answers them.

    Requests are built, signed and their responses parsed by botocore as usual; only the
    HTTP round trip is replaced (a ``before-send`` hook returns the response).
    """
    import hashlib
    import json

    import boto3
    from botocore.awsrequest import AWSResponse

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Any:
            yield self.body

    def md5(text: str) -> str:
        return hashlib.md5(text.encode("utf-8")).hexdigest()

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent = json.loads(request.body)
        if "Entries" in sent:
            out: dict[str, Any] = {"Successful": [
                {"Id": e["Id"], "MessageId": f"m-{e['Id']}", "MD5OfMessageBody":
                 md5(e["MessageBody"])} for e in sent["Entries"]]}
        else:
            out = {"MessageId": "m", "MD5OfMessageBody": md5(sent["MessageBody"])}
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"},
                           Raw(json.dumps(out).encode()))

    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="bench",
                          aws_secret_access_key="bench")
    client.meta.events.register("before-send.sqs", answer)
    return client


def rounds_of(funcs: dict[str, Any], rounds: int) -> dict[str, list[float]]:
    """Seconds per round of each function, rounds interleaved so load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return times


def ratio_line(what: str, times: dict[str, list[float]], tasks: int, target: str = "") -> str:
    """Per-record medians and bests, and the median and range of the per-round ratios."""
    base = times["powertools"]
    parts = []
    for name, values in times.items():
        if name == "powertools":
            continue
        ratios = sorted(v / b for v, b in zip(values, base, strict=True))
        parts.append(f"{name} {statistics.median(values) / tasks * 1e6:.1f} us "
                     f"(best {min(values) / tasks * 1e6:.1f}), ratio median "
                     f"{statistics.median(ratios):.2f}x range {ratios[0]:.2f}-{ratios[-1]:.2f}x")
    return (f"{what}: powertools {statistics.median(base) / tasks * 1e6:.1f} us "
            f"(best {min(base) / tasks * 1e6:.1f}); " + "; ".join(parts) + target)


class SlowSink(MemorySink):
    """The in-memory sink with a fixed delay per request, standing in for SQS's round trip."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(self.delay)
        return super().send_message_batch(**kwargs)


def main() -> None:
    events = make_events(TASKS)

    # Same output, checked once: one finding per task on the finding queue.
    sink_ours, sink_base = MemorySink(), MemorySink()
    run_ours(events, sink_ours)
    run_baseline(events, sink_base)
    assert len(sink_ours.bodies(FINDING)) == len(sink_base.bodies(FINDING)) == TASKS

    thousand = make_events(1000)
    requests_ours, requests_base = MemorySink(), MemorySink()
    run_ours(thousand, requests_ours)
    run_baseline(thousand, requests_base)

    # Rounds of the full 10,000 tasks, interleaved so that load on the machine hits all;
    # the per-round ratio's median is the figure, its spread says how noisy the run was.
    # Many short rounds: on a shared machine a burst of load spoils a round or two, which
    # the median of the per-round ratios then ignores.
    rounds = 31
    per_round = events[:100]
    per_event = rounds_of({
        "fast": lambda: run_ours(per_round, MemorySink()),
        "general": lambda: run_general(per_round, MemorySink()),
        "powertools": lambda: run_baseline(per_round, MemorySink()),
    }, rounds)
    big = {"Records": [r for e in events for r in e["Records"]]}
    single = rounds_of({
        "fast": lambda: run_ours([big], MemorySink()),
        "general": lambda: run_general([big], MemorySink()),
        "powertools": lambda: run_baseline([big], MemorySink()),
    }, 7)
    client = stubbed_boto3_client()
    some_events = events[:200]
    real = rounds_of({
        "fast": lambda: run_ours(some_events, client),
        "powertools": lambda: run_baseline(some_events, client),
    }, 5)

    # The same work when each request costs 1 ms, as a request to SQS costs at least that.
    some = events[:200]
    start = time.perf_counter()
    run_ours(some, SlowSink(0.001))
    slow_ours = (time.perf_counter() - start) / (len(some) * BATCH) * 1e6
    start = time.perf_counter()
    run_baseline(some, SlowSink(0.001))
    slow_base = (time.perf_counter() - start) / (len(some) * BATCH) * 1e6

    imports = startup({
        "inspector": "import deepalert.inspector",
        "names": "from deepalert import Alert, Report, Attribute, Severity",
        "pydantic": "from pydantic import BaseModel",
        "model": "from pydantic import BaseModel\nclass M(BaseModel):\n    x: int = 0",
        "boto3": "import boto3",
    }, runs=21)

    print(f"Python {sys.version.split()[0]}")
    print(ratio_line(f"events of {BATCH} records, in-memory sink ({rounds} rounds of "
                     f"{len(per_round) * BATCH:,} tasks)", per_event, len(per_round) * BATCH,
                     " (target fast <= 0.7x, stretch 0.6x)"))
    print(ratio_line(f"one event of {TASKS:,} records, in-memory sink (7 rounds)", single, TASKS))
    print(ratio_line(f"events of {BATCH} records, boto3 client with the network stubbed (5 rounds "
                     f"of {len(some_events) * BATCH:,} tasks)", real, len(some_events) * BATCH))
    print(f"per record with 1 ms per SQS request ({len(some) * BATCH:,} tasks): deepalert "
          f"{slow_ours:.0f} us, powertools {slow_base:.0f} us, ratio {slow_ours / slow_base:.2f}x")
    print(f"SQS requests per 1,000 findings: deepalert {requests_ours.requests}, "
          f"powertools baseline {requests_base.requests} (target <= 100; Go SDK 1,000)")
    base = imports["pydantic"]
    print(f"import: deepalert.inspector {imports['inspector'] * 1e3:.0f} ms, "
          f"pydantic {base * 1e3:.0f} ms, boto3 {imports['boto3'] * 1e3:.0f} ms; "
          f"ratio {imports['inspector'] / base:.2f}x (target <= 1.4x), "
          f"boto3 {imports['boto3'] / base:.2f}x")
    print(f"import: from deepalert import Alert, Report, Attribute, Severity "
          f"{imports['names'] * 1e3:.0f} ms, ratio {imports['names'] / base:.2f}x (target <= "
          f"1.3x); a pydantic model class alone {imports['model'] / base:.2f}x (the floor)")


if __name__ == "__main__":
    main()
