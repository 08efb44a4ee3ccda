"""deepalert.send: alerts into the core's alert queue or topic, in batches, nothing dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import deepalert
from deepalert import Alert, Attribute, ConfigurationError, DeliveryError, send
from deepalert._send import MAX_MESSAGE_BYTES


def _alert(i: int, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "detector": "ids", "rule_id": "port-scan", "rule_name": "Port scan",
        "alert_key": f"host-{i}", "timestamp": "2026-01-01T00:00:00Z",
        "attributes": [Attribute(type="ipaddr", key="src", value=f"198.51.100.{i % 250}",
                                 context=["remote"])],
    }
    values.update(fields)
    return Alert(**values)


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queue_url(aws: Any) -> str:
    url: str = aws.create_queue(QueueName="deepalert-alerts")["QueueUrl"]
    return url


def _drain(sqs: Any, url: str) -> list[str]:
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        bodies += [m["Body"] for m in got]
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])


def test_alerts_go_to_the_queue_as_the_go_cores_bytes_ten_per_request(aws: Any, queue_url: str
                                                                      ) -> None:
    """25 alerts take 3 SendMessageBatch requests; each body is the alert's wire JSON."""
    alerts = [_alert(i) for i in range(25)]
    result = send(alerts, queue_url=queue_url)
    assert result.ok
    assert result.requests == 3
    assert [s.index for s in result.sent] == list(range(25))
    assert result.sent[3].alert_id == alerts[3].alert_id()
    assert sorted(_drain(aws, queue_url)) == sorted(a.to_json() for a in alerts)


def test_json_text_is_read_and_written_back_with_the_wire_codec(aws: Any, queue_url: str
                                                               ) -> None:
    """Alerts given as JSON text are sent as the codec writes them (Go's field order)."""
    text = json.dumps({"rule_id": "r", "detector": "d", "attributes": None})
    result = send([text, text.encode()], queue_url=queue_url)
    assert result.ok
    assert _drain(aws, queue_url) == [Alert.from_json(text).to_json()] * 2


def test_dicts_are_read_and_anything_else_fails_alone(aws: Any, queue_url: str) -> None:
    """A dict is read as the alert's JSON; a value of another type fails its position only."""
    alerts: list[Any] = [{"detector": "d", "rule_id": "r"}, 5, b"\xff{", _alert(3)]
    result = send(alerts, queue_url=queue_url)
    assert [s.index for s in result.sent] == [0, 3]
    assert [f.index for f in result.failed] == [1, 2]
    assert "an Alert, its JSON text or a dict" in result.failed[0].reason
    assert sorted(_drain(aws, queue_url)) == sorted(
        [Alert(detector="d", rule_id="r").to_json(), _alert(3).to_json()])


def test_an_invalid_alert_is_reported_and_the_rest_still_sent(aws: Any, queue_url: str) -> None:
    """Bad alerts fail alone, naming their position and what was wrong."""
    alerts: list[Any] = [_alert(0), _alert(1, rule_id=""), "{not json", _alert(3),
                         _alert(4, description="x" * 4097)]
    result = send(alerts, queue_url=queue_url)
    assert [s.index for s in result.sent] == [0, 3]
    assert [f.index for f in result.failed] == [1, 2, 4]
    assert "rule_id" in result.failed[0].reason
    assert result.failed[0].alert is alerts[1]
    assert result.failed[1].alert is None
    assert "description" in result.failed[2].reason
    assert "4096" in result.failed[2].reason
    assert len(_drain(aws, queue_url)) == 2
    with pytest.raises(DeliveryError, match=r"3 of 5 alerts not sent; first: alert #1"):
        result.raise_for_failures()


def test_an_alert_larger_than_a_message_may_be_is_refused_before_sending(
        aws: Any, queue_url: str) -> None:
    """Within the core's limits but over 256 KiB as JSON: refused, with its size."""
    big = _alert(0, body={"blob": "y" * 60_000}, attributes=[
        Attribute(type="domain", key="k" * 1000, value=f"{i}" + "v" * 1000)
        for i in range(100)])
    big.validate_limits()
    result = send([big, _alert(1)], queue_url=queue_url)
    assert [f.index for f in result.failed] == [0]
    assert f"{MAX_MESSAGE_BYTES} bytes" in result.failed[0].reason
    assert [s.index for s in result.sent] == [1]


def test_batches_keep_under_256_kib(aws: Any, queue_url: str) -> None:
    """Ten 60 KB alerts need several requests: no request carries more than 256 KiB."""
    alerts = [_alert(i, body={"blob": "z" * 60_000}) for i in range(10)]
    result = send(alerts, queue_url=queue_url)
    assert result.ok
    assert result.requests == 3  # 4 + 4 + 2 alerts of ~60 KB
    assert len(_drain(aws, queue_url)) == 10


def test_alerts_to_a_topic_reach_the_queue_subscribed_to_it(aws: Any, queue_url: str) -> None:
    """--topic-arn: PublishBatch; the alert queue gets SNS envelopes whose Message is the alert."""
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue_arn = aws.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    alerts = [_alert(i) for i in range(12)]
    result = send(alerts, topic_arn=topic)
    assert result.ok
    assert result.requests == 2
    messages = [json.loads(b)["Message"] for b in _drain(aws, queue_url)]
    assert sorted(messages) == sorted(a.to_json() for a in alerts)


class FlakyQueue:
    """An SQS client whose entries fail as scripted: (code, sender_fault) per attempt."""

    def __init__(self, script: dict[int, list[tuple[str, bool] | None]],
                 raise_first: int = 0) -> None:
        self.script = script
        self.raise_first = raise_first
        self.calls: list[list[str]] = []
        self.accepted: list[str] = []

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                           ) -> dict[str, Any]:
        self.calls.append([e["MessageBody"] for e in Entries])
        if self.raise_first:
            self.raise_first -= 1
            raise ConnectionError("network down")
        ok, failed = [], []
        for entry in Entries:
            key = Alert.from_json(entry["MessageBody"]).alert_key
            steps = self.script.get(int(key.split("-")[1]), [])
            step = steps.pop(0) if steps else None
            if step is None:
                ok.append({"Id": entry["Id"], "MessageId": "m"})
                self.accepted.append(key)
            else:
                failed.append({"Id": entry["Id"], "Code": step[0], "SenderFault": step[1]})
        return {"Successful": ok, "Failed": failed}


def test_failed_entries_are_retried_with_backoff_and_the_rest_reported() -> None:
    """A throttled entry is retried until accepted; a sender fault is not retried; an entry
    that keeps failing is reported with its code; every alert is sent or failed."""
    flaky = FlakyQueue({1: [("ThrottlingException", False)],
                        2: [("InvalidMessageContents", True)],
                        3: [("ServiceUnavailable", False)] * 10})
    waits: list[float] = []
    result = send([_alert(i) for i in range(5)], queue_url="https://sqs.us-east-1.amazonaws.com/1/q",
                  client=flaky, sleep=waits.append, attempts=4)
    assert sorted(flaky.accepted) == ["host-0", "host-1", "host-4"]
    assert [s.index for s in result.sent] == [0, 1, 4]
    assert [(f.index, f.reason) for f in result.failed] == [
        (2, "InvalidMessageContents (sender fault, not retried)"), (3, "ServiceUnavailable")]
    assert len(flaky.calls) == 4
    assert len(waits) == 3
    assert all(w <= 1.0 for w in waits)
    assert result.requests == 4


def test_a_request_that_raises_is_retried_then_reported() -> None:
    """A request that raises is tried again; after the attempts, each alert fails with why."""
    flaky = FlakyQueue({}, raise_first=2)
    result = send([_alert(0)], queue_url="https://sqs.us-east-1.amazonaws.com/1/q",
                  client=flaky, sleep=lambda _: None, attempts=3)
    assert result.ok
    assert flaky.accepted == ["host-0"]
    flaky = FlakyQueue({}, raise_first=5)
    result = send([_alert(0), _alert(1)], queue_url="https://sqs.us-east-1.amazonaws.com/1/q",
                  client=flaky, sleep=lambda _: None, attempts=3)
    assert [(f.index, f.reason) for f in result.failed] == [(0, "ConnectionError"),
                                                           (1, "ConnectionError")]


def test_one_destination_is_required() -> None:
    """Neither or both destinations, or a malformed topic ARN, is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="exactly one"):
        send([], queue_url=None)
    with pytest.raises(ConfigurationError, match="exactly one"):
        send([], queue_url="https://q", topic_arn="arn:aws:sns:us-east-1:1:t")
    with pytest.raises(ConfigurationError, match="not an SNS topic ARN"):
        send([_alert(0)], topic_arn="alerts")


def test_the_producer_api_is_public() -> None:
    """send and its result types are exported from the package root."""
    assert {"send", "SendResult", "SentAlert", "FailedAlert"} <= set(deepalert.__all__)
