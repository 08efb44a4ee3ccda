"""Rate limits and caches: quotas hold (also across instances, in DynamoDB under moto),
"nothing found" is cached with its own TTL, errors are never cached."""

from __future__ import annotations

import threading

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deepalert.lookup import (
    DynamoDBCache,
    DynamoDBTokenBucket,
    Lookup,
    MemoryCache,
    RateLimitedError,
    ServiceError,
    TieredCache,
    TokenBucket,
    cache_from_env,
    key_id,
    limiter_from_env,
)


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_table(name: str = "deepalert-lookup") -> None:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")


# --- token buckets -----------------------------------------------------------------------------

def test_a_spent_bucket_refuses_with_the_wait_then_refills():
    clock = Clock()
    bucket = TokenBucket(4, 60, clock=clock)
    for _ in range(4):
        bucket.acquire("k")
    with pytest.raises(RateLimitedError) as caught:
        bucket.acquire("k")
    assert caught.value.retry_after == pytest.approx(15.0)
    bucket.acquire("other-key")  # quotas are per key
    clock.now += 15
    bucket.acquire("k")


def test_max_wait_sleeps_for_the_next_token_instead_of_refusing():
    clock, slept = Clock(), []
    bucket = TokenBucket(1, 10, max_wait=10, clock=clock, sleep=slept.append)
    bucket.acquire()
    bucket.acquire()
    assert slept == [pytest.approx(10.0)]


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(4, 60, burst=5)
    with pytest.raises(ValueError, match="period"):
        TokenBucket(4, 0)


def test_concurrent_threads_never_get_more_tokens_than_the_bucket_holds():
    bucket = TokenBucket(5, 3600, clock=Clock())
    got: list[int] = []

    def worker() -> None:
        for _ in range(10):
            try:
                bucket.acquire("k")
                got.append(1)
            except RateLimitedError:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 5


def test_key_id_hides_the_key():
    assert key_id("secret-key") == key_id("secret-key")
    assert "secret" not in key_id("secret-key")
    assert len(key_id("secret-key")) == 16


@mock_aws
def test_the_dynamodb_bucket_is_shared_by_instances():
    make_table()
    clock = Clock()
    client = boto3.client("dynamodb", region_name="us-east-1")
    instances = [DynamoDBTokenBucket("deepalert-lookup", 4, 60, client=client, clock=clock)
                 for _ in range(3)]
    granted, waits = 0, set()
    for i in range(12):
        try:
            instances[i % 3].acquire("k")
            granted += 1
        except RateLimitedError as exc:
            waits.add(exc.retry_after)
    assert granted == 4
    assert waits == {15.0}
    clock.now += 30
    instances[0].acquire("k")
    instances[1].acquire("k")
    with pytest.raises(RateLimitedError):
        instances[2].acquire("k")


@mock_aws
def test_the_dynamodb_bucket_retries_a_lost_race_on_the_version():
    make_table()
    client = boto3.client("dynamodb", region_name="us-east-1")
    bucket = DynamoDBTokenBucket("deepalert-lookup", 4, 60, client=client, clock=Clock())
    real_update = client.update_item
    calls = []

    def racing_update(**kw):
        if not calls:  # another instance writes between our read and our write
            calls.append(1)
            DynamoDBTokenBucket("deepalert-lookup", 4, 60, client=client,
                                clock=Clock()).acquire("k")
        return real_update(**kw)

    client.update_item = racing_update
    bucket.acquire("k")
    item = client.get_item(TableName="deepalert-lookup",
                           Key={"pk": {"S": "ratelimit#k"}})["Item"]
    assert float(item["tokens"]["N"]) == pytest.approx(2.0)
    assert item["version"]["N"] == "2"


@mock_aws
def test_a_missing_table_is_a_service_error_naming_it():
    bucket = DynamoDBTokenBucket("nope", 4, 60,
                                 client=boto3.client("dynamodb", region_name="us-east-1"))
    with pytest.raises(ServiceError, match=r"'nope'.*ResourceNotFoundException"):
        bucket.acquire()


# --- caches ------------------------------------------------------------------------------------

def test_memory_cache_expires_and_stays_bounded():
    clock = Clock()
    cache = MemoryCache(2, clock=clock)
    cache.put("a", 1, ttl=10)
    cache.put("b", None, ttl=5)
    entry = cache.get("b")
    assert entry is not None
    assert not entry.found
    clock.now += 6
    assert cache.get("b") is None
    assert cache.get("a").value == 1
    cache.put("c", 3, ttl=10)
    cache.put("d", 4, ttl=10)
    assert len(cache) == 2
    assert cache.get("a") is None  # least recently used went first


@mock_aws
def test_dynamodb_cache_round_trips_and_ignores_expired_items():
    make_table()
    clock = Clock(1_700_000_000)
    client = boto3.client("dynamodb", region_name="us-east-1")
    cache = DynamoDBCache("deepalert-lookup", client=client, clock=clock)
    cache.put("vt:ip:198.51.100.7", {"malicious": 3}, ttl=60)
    assert cache.get("vt:ip:198.51.100.7").value == {"malicious": 3}
    item = client.scan(TableName="deepalert-lookup")["Items"][0]
    assert "198.51.100.7" not in item["pk"]["S"]
    assert int(item["expires_at"]["N"]) >= 1_700_000_060
    clock.now += 120
    assert cache.get("vt:ip:198.51.100.7") is None


@mock_aws
def test_tiered_cache_fills_memory_from_the_shared_table():
    make_table()
    clock = Clock(1_700_000_000)
    client = boto3.client("dynamodb", region_name="us-east-1")
    shared = DynamoDBCache("deepalert-lookup", client=client, clock=clock)
    shared.put("k", [1], ttl=60)
    memory = MemoryCache(clock=clock)
    tiered = TieredCache(memory, shared, clock=clock)
    assert tiered.get("k").value == [1]
    assert memory.get("k").value == [1]


# --- Lookup ------------------------------------------------------------------------------------

def test_lookup_calls_the_api_once_per_ttl_and_caches_nothing_found():
    clock = Clock()
    lookup = Lookup("svc", cache=MemoryCache(clock=clock), ttl=100, not_found_ttl=10)
    calls = []

    def fetch(value: str):
        def go():
            calls.append(value)
            return None if value == "unknown" else {"v": value}
        return go

    for _ in range(5):
        assert lookup.get("ip", "a", fetch("a")) == {"v": "a"}
        assert lookup.get("ip", "unknown", fetch("unknown")) is None
    assert calls == ["a", "unknown"]
    clock.now += 11  # the "nothing found" TTL is shorter
    lookup.get("ip", "unknown", fetch("unknown"))
    lookup.get("ip", "a", fetch("a"))
    assert calls == ["a", "unknown", "unknown"]
    assert lookup.stats.fetches == 3


def test_lookup_never_caches_errors():
    lookup = Lookup("svc")
    attempts = []

    def failing():
        attempts.append(1)
        raise ServiceError("down")

    for _ in range(2):
        with pytest.raises(ServiceError):
            lookup.get("ip", "a", failing)
    assert len(attempts) == 2


def test_a_rate_limited_lookup_raises_and_caches_nothing():
    lookup = Lookup("svc", limiter=TokenBucket(1, 60, clock=Clock()))
    lookup.get("ip", "a", lambda: {"x": 1})
    with pytest.raises(RateLimitedError):
        lookup.get("ip", "b", lambda: {"x": 2})
    assert lookup.get("ip", "a", lambda: {"x": 3}) == {"x": 1}  # hits spend no quota


def test_concurrent_misses_for_one_indicator_make_one_call():
    lookup = Lookup("svc")
    calls = []
    gate = threading.Event()

    def slow():
        calls.append(1)
        gate.wait(0.2)
        return {"x": 1}

    threads = [threading.Thread(target=lookup.get, args=("ip", "a", slow)) for _ in range(6)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert len(calls) == 1


@mock_aws
def test_env_defaults_pick_dynamodb_when_tables_are_named(monkeypatch):
    make_table()
    monkeypatch.setenv("DEEPALERT_LOOKUP_CACHE_TABLE", "deepalert-lookup")
    monkeypatch.setenv("DEEPALERT_RATE_LIMIT_TABLE", "deepalert-lookup")
    cache, limiter = cache_from_env(), limiter_from_env(1, 60)
    cache.put("k", 1, ttl=60)
    limiter.acquire("q")
    with pytest.raises(RateLimitedError, match="shared quota"):
        limiter.acquire("q")
    keys = {i["pk"]["S"].split("#")[0] for i in boto3.client(
        "dynamodb", region_name="us-east-1").scan(TableName="deepalert-lookup")["Items"]}
    assert keys == {"cache", "ratelimit"}


def test_env_defaults_stay_in_memory_without_tables():
    limiter = limiter_from_env(1, 60)
    limiter.acquire("q")
    with pytest.raises(RateLimitedError, match="local quota"):
        limiter.acquire("q")
    cache = cache_from_env()
    cache.put("k", 1, ttl=60)
    assert cache.get("k").value == 1


class AtomicRequests:
    """Each DynamoDB request atomic, as in DynamoDB (moto checks a condition and writes in
    two steps); threads still interleave between a read and the conditional write."""

    def __init__(self, client) -> None:
        self._client = client
        self._lock = threading.Lock()

    def get_item(self, **kw):
        with self._lock:
            return self._client.get_item(**kw)

    def update_item(self, **kw):
        with self._lock:
            return self._client.update_item(**kw)


@mock_aws
def test_concurrent_instances_never_spend_more_than_the_shared_bucket_holds():
    make_table()
    client = AtomicRequests(boto3.client("dynamodb", region_name="us-east-1"))
    clock = Clock()
    granted: list[int] = []
    start = threading.Barrier(10)

    def instance() -> None:
        bucket = DynamoDBTokenBucket("deepalert-lookup", 5, 3600, client=client, clock=clock,
                                     attempts=50)
        start.wait()
        for _ in range(3):
            try:
                bucket.acquire("k")
                granted.append(1)
            except RateLimitedError:
                pass

    threads = [threading.Thread(target=instance) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 5


@mock_aws
def test_a_failing_shared_cache_is_skipped_with_a_warning(caplog):
    lookup = Lookup("svc", cache=DynamoDBCache(
        "missing-table", client=boto3.client("dynamodb", region_name="us-east-1")))
    calls = []
    for _ in range(2):
        assert lookup.get("ip", "a", lambda: calls.append(1) or {"x": 1}) == {"x": 1}
    assert len(calls) == 2  # no cache, but every answer still counts
    assert "cache read failed" in caplog.text
    assert "cache write failed" in caplog.text
    assert "missing-table" in caplog.text


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 6), gaps=st.lists(st.floats(0, 40), min_size=1, max_size=60))
def test_with_burst_1_no_window_ever_holds_more_than_the_limit(limit, gaps):
    """Whatever the arrival times, a bucket of `limit` per 60 s with burst 1 grants at most
    `limit` calls in any 60-second window, and a burst of `limit` at most 2 * limit - 1."""
    for burst, bound in ((1, limit), (limit, 2 * limit - 1)):
        clock = Clock(0.0)
        bucket = TokenBucket(limit, 60, burst=burst, clock=clock)
        granted = []
        for gap in gaps:
            clock.now += gap
            try:
                bucket.acquire("k")
                granted.append(clock.now)
            except RateLimitedError:
                pass
        for i, start in enumerate(granted):
            # (a microsecond of slack for float rounding in the refill arithmetic)
            assert sum(1 for t in granted[i:] if t < start + 60 - 1e-6) <= bound
