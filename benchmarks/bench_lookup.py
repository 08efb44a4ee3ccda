"""The lookup toolkit at work: the per-indicator cache and the rate limiter.

Run: ``python benchmarks/bench_lookup.py``. Figures are kept in ``docs/performance.md``.

* API calls per 1,000 tasks naming 100 distinct IP addresses (each 10 times, shuffled), run
  through the ready VirusTotal inspector in SQS events of 10 records with ``max_workers=4``,
  against a canned API on 127.0.0.1. Baseline: the same inspector with a cache that keeps
  nothing (what an inspector without the toolkit does). Target: at most 100 calls.
* A 4-calls-a-minute quota under 10 concurrent workers on a simulated clock: each worker
  thread holds tasks that need an API call; at every tick all workers try at once (a
  barrier), a refused task is retried later (as SQS would redeliver it). The most calls in
  any 60-second window must never exceed 4: for the in-process ``TokenBucket`` shared by the
  workers, and for ``DynamoDBTokenBucket`` with one bucket object per worker (10 "Lambda
  instances") on one table under moto. Baselines: no limiter, and a bucket with burst 4.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent))

from deepalert import Task
from deepalert.integrations import virustotal
from deepalert.lookup import (
    CacheEntry,
    DynamoDBTokenBucket,
    RateLimitedError,
    RateLimiter,
    RetryPolicy,
    TokenBucket,
)
from deepalert.testing import (
    CannedHttpServer,
    CannedResponse,
    FakeLambdaContext,
    MemorySink,
    make_attribute,
    sqs_sns_event,
)

TASKS = 1_000
DISTINCT = 100
WORKERS = 10
QUOTA = (4, 60.0)


class NoCache:
    """A cache that keeps nothing: every task calls the API."""

    def get(self, key: str) -> CacheEntry | None:
        return None

    def put(self, key: str, value: Any, ttl: float) -> None:
        return None


def cache_run(cached: bool) -> tuple[int, float]:
    """(API calls, wall seconds) for TASKS tasks over DISTINCT addresses."""
    ips = [f"185.220.{i // 250}.{i % 250 + 1}" for i in range(DISTINCT)]
    answer = {"data": {"id": "x", "type": "ip_address", "attributes": {
        "country": "NL", "as_owner": "EXAMPLE", "last_analysis_stats": {"malicious": 1},
        "last_analysis_results": {}, "last_analysis_date": 1735689600}}}
    order = ips * (TASKS // DISTINCT)
    random.Random(7).shuffle(order)
    with CannedHttpServer({f"GET /ip_addresses/{ip}": CannedResponse(json=answer)
                           for ip in ips}) as api:
        inspector = virustotal.virustotal_inspector(
            api_key="benchmark-key", base_url=api.url, rate=None, max_workers=4,
            retry=RetryPolicy(attempts=1), cache=None if cached else NoCache())
        sink = MemorySink()
        start = time.perf_counter()
        for i in range(0, TASKS, 10):
            event = sqs_sns_event(*(Task(report_id=f"r-{i}", attribute=make_attribute(
                "ipaddr", ip)) for ip in order[i:i + 10]))
            response = inspector.invoke(event, FakeLambdaContext(), sqs_client=sink,
                                        finding_queue_url=sink.finding_queue_url,
                                        attribute_queue_url=sink.attribute_queue_url)
            assert response == {"batchItemFailures": []}, response
        elapsed = time.perf_counter() - start
        assert len(sink.findings()) == TASKS
        return len(api.requests), elapsed


class SimClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def quota_run(make_limiter: Callable[[int, SimClock], RateLimiter], *, tasks_per_worker: int,
              tick: float, minutes: float) -> tuple[list[float], int]:
    """Call times and tasks left when WORKERS threads share a quota on a simulated clock."""
    clock = SimClock()
    start = clock.now
    limiters = [make_limiter(w, clock) for w in range(WORKERS)]
    due = [[start] * tasks_per_worker for _ in range(WORKERS)]  # when each task is next tried
    calls: list[float] = []
    lock = threading.Lock()
    go, done = threading.Barrier(WORKERS + 1), threading.Barrier(WORKERS + 1)
    ticks = int(minutes * 60 / tick)
    stop = [False]

    def worker(w: int) -> None:
        while True:
            go.wait()
            if stop[0]:
                return
            queue = due[w]
            if queue and queue[0] <= clock.now:
                try:
                    limiters[w].acquire("api-key")
                except RateLimitedError as exc:
                    # The record fails; SQS delivers it again after the visibility timeout.
                    queue[0] = clock.now + max(tick, exc.retry_after or tick)
                else:
                    queue.pop(0)
                    with lock:
                        calls.append(clock.now)
            done.wait()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for step in range(ticks):
        clock.now = start + step * tick
        go.wait()
        done.wait()
    stop[0] = True
    go.wait()
    for t in threads:
        t.join()
    return sorted(c - start for c in calls), sum(len(q) for q in due)


def worst_window(calls: list[float], width: float = 60.0) -> int:
    """The most calls in any half-open window [t, t + width)."""
    best = 0
    for i, t in enumerate(calls):
        best = max(best, sum(1 for c in calls[i:] if c < t + width))
    return best


class AtomicRequests:
    """A DynamoDB client whose every request is atomic, as DynamoDB's are. moto evaluates a
    condition and writes in two steps, so concurrent threads could both pass a condition that
    real DynamoDB would let only one pass; between requests, threads still interleave freely
    (the read-then-conditional-write race the bucket must handle)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def get_item(self, **kw: Any) -> Any:
        with self._lock:
            return self._client.get_item(**kw)

    def update_item(self, **kw: Any) -> Any:
        with self._lock:
            return self._client.update_item(**kw)


def dynamodb_limiter() -> tuple[Callable[[int, SimClock], RateLimiter], Any]:
    import boto3
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])

    atomic = AtomicRequests(client)

    def make(_worker: int, clock: SimClock) -> RateLimiter:
        # One bucket object per worker: ten Lambda instances sharing one table.
        return DynamoDBTokenBucket("bench", *map(int, QUOTA), burst=1, client=atomic,
                                   clock=clock)

    return make, mock


def main() -> None:
    import os

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    print(f"## Cache: {TASKS} tasks, {DISTINCT} distinct addresses")
    base_calls, base_s = cache_run(cached=False)
    calls, seconds = cache_run(cached=True)
    print(f"| without cache (baseline) | {base_calls} API calls | {base_s:.2f} s |")
    print(f"| with the toolkit's cache | {calls} API calls | {seconds:.2f} s | "
          f"{calls / base_calls:.2f}x calls, {seconds / base_s:.2f}x time |")

    print(f"\n## Quota {QUOTA[0]} per {QUOTA[1]:g} s, {WORKERS} concurrent workers, "
          "simulated clock")
    limit, per = int(QUOTA[0]), QUOTA[1]
    shared = TokenBucket(limit, per, burst=1, clock=time.monotonic)
    runs: dict[str, tuple[Callable[[int, SimClock], RateLimiter], float]] = {}

    class Unlimited:
        def acquire(self, key: str = "default") -> None:
            return None

    def in_process(_w: int, clock: SimClock) -> RateLimiter:
        nonlocal shared
        if _w == 0:
            shared = TokenBucket(limit, per, burst=1, clock=clock)
        return shared

    def burst4(_w: int, clock: SimClock) -> RateLimiter:
        nonlocal shared
        if _w == 0:
            shared = TokenBucket(limit, per, burst=limit, clock=clock)
        return shared

    runs["no limiter (baseline)"] = (lambda _w, _c: Unlimited(), 1.0)
    runs["TokenBucket, burst=4"] = (burst4, 1.0)
    runs["TokenBucket, burst=1 (default for per-minute quotas)"] = (in_process, 1.0)
    make, mock = dynamodb_limiter()
    runs["DynamoDBTokenBucket, 10 instances, moto"] = (make, 5.0)
    try:
        for name, (factory, tick) in runs.items():
            calls_at, left = quota_run(factory, tasks_per_worker=3, tick=tick, minutes=9)
            worst = worst_window(calls_at)
            verdict = "never exceeded" if worst <= limit else "EXCEEDED"
            print(f"| {name} | {len(calls_at)} calls, {left} left | worst 60 s window: "
                  f"{worst} calls | {verdict} |")
    finally:
        mock.stop()


if __name__ == "__main__":
    main()
