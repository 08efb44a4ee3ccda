"""Acting once per publication: the stores and run_once, DynamoDB under moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deepalert.integrations import (
    DynamoDBIdempotencyStore,
    InProgressError,
    MemoryIdempotencyStore,
    publication_key,
    run_once,
)
from deepalert.testing import make_report

TABLE = "deepalert-idempotency"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk",
                                                   "AttributeType": "S"}])
        yield client


def test_publication_key_names_report_status_severity_and_alerts() -> None:
    """The key is the emitter, the report ID, the status, the effective severity and the
    number of alerts (so each `more` publication is its own)."""
    from deepalert.testing import make_alert

    report = make_report(id="r-1", status="published")
    assert publication_key("slack", report) == "slack:r-1:published:unclassified:1"
    more = make_report(make_alert(), make_alert(rule_id="b"), id="r-1", status="more")
    assert publication_key("slack", more) == "slack:r-1:more:unclassified:2"


def test_run_once_runs_then_skips() -> None:
    """The first call runs the action; the second, for the same key, does not."""
    store = MemoryIdempotencyStore()
    calls: list[int] = []
    assert run_once(store, "k", lambda: calls.append(1) or "a") == (True, "a")
    assert run_once(store, "k", lambda: calls.append(1)) == (False, None)
    assert calls == [1]


def test_a_failed_action_releases_the_claim() -> None:
    """When the action raises, the next delivery may try again."""
    store = MemoryIdempotencyStore()

    def boom() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        run_once(store, "k", boom)
    assert run_once(store, "k", lambda: "ok") == (True, "ok")


def test_a_claim_in_progress_makes_the_other_delivery_retry() -> None:
    """A concurrent delivery of the same publication fails its record (retried later)."""
    store = MemoryIdempotencyStore()
    assert store.claim("k", lease_s=60) == "claimed"
    with pytest.raises(InProgressError, match="another delivery"):
        run_once(store, "k", lambda: None)


def test_an_expired_lease_can_be_claimed_again() -> None:
    """A claim whose holder died (lease over) is taken by the next delivery."""
    now = [0.0]
    store = MemoryIdempotencyStore(clock=lambda: now[0])
    assert store.claim("k", lease_s=10) == "claimed"
    now[0] = 11.0
    assert store.claim("k", lease_s=10) == "claimed"


def test_dynamodb_store_claims_once_across_instances(dynamodb: Any) -> None:
    """Two Lambda instances sharing the table: the second sees the key done and skips."""
    first = DynamoDBIdempotencyStore(TABLE, client=dynamodb)
    second = DynamoDBIdempotencyStore(TABLE, client=dynamodb)
    calls: list[str] = []
    assert run_once(first, "slack:r:published:urgent", lambda: calls.append("a"))[0]
    assert not run_once(second, "slack:r:published:urgent", lambda: calls.append("b"))[0]
    assert calls == ["a"]
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "slack:r:published:urgent"}})
    assert item["Item"]["state"]["S"] == "done"
    assert int(item["Item"]["expires_at"]["N"]) > 0


def test_dynamodb_store_busy_release_and_expired_lease(dynamodb: Any) -> None:
    """A live claim is busy; a released or expired one can be claimed again."""
    store = DynamoDBIdempotencyStore(TABLE, client=dynamodb)
    assert store.claim("k", lease_s=60) == "claimed"
    assert store.claim("k", lease_s=60) == "busy"
    store.release("k")
    assert store.claim("k", lease_s=-1) == "claimed"  # a lease already over
    assert store.claim("k", lease_s=60) == "claimed"
    store.complete("k")
    assert store.claim("k", lease_s=60) == "done"


def test_default_store_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DEEPALERT_IDEMPOTENCY_TABLE the process memory; with it, that table."""
    from deepalert.integrations._common import default_store

    assert isinstance(default_store(), MemoryIdempotencyStore)
    monkeypatch.setenv("DEEPALERT_IDEMPOTENCY_TABLE", TABLE)
    chosen = default_store()
    assert isinstance(chosen, DynamoDBIdempotencyStore)
    assert chosen.table_name == TABLE


def test_emitters_share_a_table_across_instances(dynamodb: Any) -> None:
    """Two emitter instances (two Lambda containers) with one table post a publication once."""
    from deepalert.integrations.slack import slack_emitter
    from deepalert.testing import CannedHttpServer, CannedResponse, run_emitter

    with CannedHttpServer({"POST /hook": CannedResponse(body="ok")}) as server:
        for _ in range(2):
            instance = slack_emitter(webhook_url=server.url + "/hook",
                                     store=DynamoDBIdempotencyStore(TABLE, client=dynamodb))
            assert not run_emitter(instance, make_report(status="published",
                                                         severity="urgent", id="r-9")).failed
        assert len(server.requests) == 1
