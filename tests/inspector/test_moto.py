"""Against real SQS semantics (moto): every event shape, messages read back from the queues."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import deepalert._lambda._aws as aws_clients
from deepalert import Attribute, ContentHost, Finding, ReportAttribute, TaskResult
from deepalert.inspector import Inspector, inspector
from deepalert.testing import message_ids, sns_event, sqs_event, sqs_sns_event
from tests.conftest import load_text
from tests.inspector.conftest import make_task


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """Each test starts without cached boto3 clients."""
    aws_clients._clients.clear()
    yield
    aws_clients._clients.clear()


@pytest.fixture
def queues() -> Iterator[tuple[Any, str, str]]:
    """A moto SQS with a finding queue and an attribute queue."""
    with mock_aws():
        client = boto3.client("sqs", region_name="ap-northeast-1")
        finding = client.create_queue(QueueName="finding")["QueueUrl"]
        attribute = client.create_queue(QueueName="attribute")["QueueUrl"]
        yield client, finding, attribute


def drain(client: Any, url: str) -> list[str]:
    """Every body in a queue."""
    bodies: list[str] = []
    while True:
        got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            bodies.append(message["Body"])
            client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def feeder() -> Inspector[Callable[[Attribute], TaskResult]]:
    """An inspector that finds a host and feeds back a domain."""
    @inspector(author="feeder")
    def feed(attr: Attribute) -> TaskResult:
        return TaskResult(contents=[ContentHost(ipaddr=[attr.value])],
                          new_attributes=[Attribute(type="domain", key="ptr",
                                                    value=f"{attr.value}.example")])

    return feed


@pytest.mark.parametrize("make_event", [sns_event, sqs_sns_event, sqs_event])
def test_each_event_shape_reaches_the_queues(make_event: Callable[..., Any], queues: Any,
                                             feeder: Any) -> None:
    """Findings and ReportAttributes land on the queues as raw messages the codec reads."""
    client, finding, attribute = queues
    feeder.invoke(make_event(make_task("192.0.2.1"), make_task("192.0.2.2")),
                  sqs_client=client, finding_queue_url=finding, attribute_queue_url=attribute)
    findings = sorted((Finding.from_json(b) for b in drain(client, finding)),
                      key=lambda f: f.attribute.value)
    reports = [ReportAttribute.from_json(b) for b in drain(client, attribute)]
    assert [f.content["ipaddr"] for f in findings] == [["192.0.2.1"], ["192.0.2.2"]]
    assert sorted(a.value for r in reports for a in r.attributes or []) == [
        "192.0.2.1.example", "192.0.2.2.example"]


def test_direct_invoke_reaches_the_queue_with_the_attribute_echoed(queues: Any,
                                                                   feeder: Any) -> None:
    """A direct invoke of a Go-written Task: the finding echoes its attribute exactly."""
    client, finding, attribute = queues
    task_text = load_text("inspector-task.json")
    feeder.invoke(sns_event(task_text), sqs_client=client, finding_queue_url=finding,
                  attribute_queue_url=attribute)
    body, = drain(client, finding)
    attribute_text = task_text[task_text.index('"attribute":') + len('"attribute":'):-1]
    assert f'"attribute":{attribute_text},' in body


def test_default_client_is_made_from_the_environment_and_reused(
        queues: Any, feeder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no client given, the handler makes one boto3 client for the queue's region."""
    client, finding, attribute = queues
    monkeypatch.setenv("FINDING_QUEUE_URL", finding)
    monkeypatch.setenv("ATTRIBUTE_QUEUE_URL", attribute)
    feeder(sqs_sns_event(make_task("192.0.2.1")), None)
    feeder(sqs_sns_event(make_task("192.0.2.2")), None)
    assert len(drain(client, finding)) == 2
    assert list(aws_clients._clients) == [("sqs", "ap-northeast-1", None)]


class Flaky:
    """A client that passes requests to moto but fails some entries or requests first."""

    def __init__(self, client: Any, *, fail_entries: int = 0, throttle_requests: int = 0,
                 refuse: Callable[[str], bool] | None = None) -> None:
        self.client = client
        self.fail_entries = fail_entries
        self.throttle_requests = throttle_requests
        self.refuse = refuse
        self.requests = 0

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                           ) -> dict[str, Any]:
        self.requests += 1
        if self.throttle_requests:
            self.throttle_requests -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                              "SendMessageBatch")
        failed: list[dict[str, Any]] = []
        forward: list[dict[str, Any]] = []
        for entry in Entries:
            if self.fail_entries or (self.refuse and self.refuse(entry["MessageBody"])):
                self.fail_entries = max(0, self.fail_entries - 1)
                failed.append({"Id": entry["Id"], "SenderFault": False,
                               "Code": "ThrottlingException"})
            else:
                forward.append(entry)
        response: dict[str, Any] = {"Successful": [], "Failed": failed}
        if forward:
            sent = self.client.send_message_batch(QueueUrl=QueueUrl, Entries=forward)
            response["Successful"] = sent.get("Successful", [])
            response["Failed"] += sent.get("Failed", [])
        return response


def test_partial_batch_failures_from_sqs_lose_nothing(queues: Any, feeder: Any) -> None:
    """Entries throttled inside a batch are retried: all messages arrive exactly once."""
    client, finding, attribute = queues
    flaky = Flaky(client, fail_entries=4)
    event = sqs_sns_event(*(make_task(f"192.0.2.{i}") for i in range(10)))
    response = feeder.invoke(event, sqs_client=flaky, finding_queue_url=finding,
                             attribute_queue_url=attribute)
    assert response == {"batchItemFailures": []}
    values = sorted(Finding.from_json(b).attribute.value for b in drain(client, finding))
    assert values == sorted(f"192.0.2.{i}" for i in range(10))
    assert len(drain(client, attribute)) == 10


def test_throttled_requests_are_retried(queues: Any, feeder: Any) -> None:
    """A request refused with ThrottlingException is sent again."""
    client, finding, attribute = queues
    flaky = Flaky(client, throttle_requests=2)
    response = feeder.invoke(sqs_sns_event(make_task()), sqs_client=flaky,
                             finding_queue_url=finding, attribute_queue_url=attribute)
    assert response == {"batchItemFailures": []}
    assert len(drain(client, finding)) == 1


def test_records_never_accepted_are_reported_and_only_those(queues: Any, feeder: Any) -> None:
    """A record whose finding never gets in is a batch item failure; no record is done early."""
    client, finding, attribute = queues
    flaky = Flaky(client, refuse=lambda body: '"value":"192.0.2.3"' in body
                  and '"type":"host"' in body)
    event = sqs_sns_event(*(make_task(f"192.0.2.{i}") for i in range(5)))
    response = feeder.invoke(event, sqs_client=flaky, finding_queue_url=finding,
                             attribute_queue_url=attribute)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[3]}]}
    values = sorted(Finding.from_json(b).attribute.value for b in drain(client, finding))
    assert values == ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.4"]


def test_missing_queue_fails_the_records(feeder: Any) -> None:
    """Sending to a queue that does not exist fails every record that needed it."""
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        url = "https://sqs.us-east-1.amazonaws.com/123456789012/absent"
        event = sqs_sns_event(make_task())
        response = feeder.invoke(event, sqs_client=client, finding_queue_url=url,
                                 attribute_queue_url=url)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[0]}]}
