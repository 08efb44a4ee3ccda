"""The SQS sender: regions from queue URLs, endpoints, clients, chunks and lazy boto3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepalert._lambda._aws as aws_clients
import deepalert._lambda._sqs as sqs_module
from deepalert import Attribute, ContentHost, Finding
from deepalert._lambda._sqs import BatchSender, OutMessage, region_from_queue_url
from deepalert.inspector import inspector
from deepalert.testing import MemorySink, sqs_sns_event
from tests.imports import loaded_by
from tests.inspector.conftest import make_task


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """Each test starts without cached boto3 clients."""
    aws_clients._clients.clear()
    yield
    aws_clients._clients.clear()


@pytest.mark.parametrize(("url", "region"), [
    ("https://sqs.ap-northeast-1.amazonaws.com/123456789012/finding", "ap-northeast-1"),
    ("https://sqs.us-gov-west-1.amazonaws.com/123456789012/finding", "us-gov-west-1"),
    ("https://eu-west-2.queue.amazonaws.com/123456789012/finding", "eu-west-2"),
    ("https://queue.amazonaws.com/123456789012/finding", "us-east-1"),
    ("https://vpce-0a1b2c3d-4e5f6a7b.sqs.us-west-2.vpce.amazonaws.com/123456789012/q",
     "us-west-2"),
    ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/finding", "cn-north-1"),
    ("http://sqs.eu-central-1.localhost.localstack.cloud:4566/000000000000/q", "eu-central-1"),
    ("http://127.0.0.1:5000/123456789012/finding", None),
    ("memory://finding", None),
])
def test_region_comes_from_the_queue_url(url: str, region: str | None) -> None:
    """Standard, legacy, VPC-endpoint, China and LocalStack URLs name their region."""
    assert region_from_queue_url(url) == region


def test_one_client_per_region_is_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queues of one region share a client; another region gets its own."""
    a = sqs_module.default_client("https://sqs.us-east-1.amazonaws.com/1/a")
    b = sqs_module.default_client("https://sqs.us-east-1.amazonaws.com/1/b")
    c = sqs_module.default_client("https://sqs.eu-west-1.amazonaws.com/1/c")
    assert a is b
    assert c is not a
    assert c.meta.region_name == "eu-west-1"  # type: ignore[attr-defined]


def test_endpoint_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_ENDPOINT_URL (LocalStack, moto server) becomes the client's endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    client = sqs_module.default_client("http://127.0.0.1:4566/000000000000/q")
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"  # type: ignore[attr-defined]


def test_handler_talks_to_a_local_moto_server_through_aws_endpoint_url(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With AWS_ENDPOINT_URL set, the handler's own client sends to the server it names."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        import boto3

        admin = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
        finding = admin.create_queue(QueueName="finding")["QueueUrl"]
        attribute = admin.create_queue(QueueName="attribute")["QueueUrl"]
        monkeypatch.setenv("FINDING_QUEUE_URL", finding)
        monkeypatch.setenv("ATTRIBUTE_QUEUE_URL", attribute)

        @inspector(author="local")
        def local(attr: Attribute) -> ContentHost:
            return ContentHost(country=["JP"])

        assert local(sqs_sns_event(make_task()), None) == {"batchItemFailures": []}
        got = admin.receive_message(QueueUrl=finding, MaxNumberOfMessages=10)["Messages"]
        assert Finding.from_json(got[0]["Body"]).content == {"country": ["JP"]}
    finally:
        server.stop()


def test_importing_the_inspector_loads_no_aws_sdk_or_asyncio() -> None:
    """import deepalert.inspector loads no boto3, botocore or asyncio (boto3 comes on send)."""
    assert loaded_by("deepalert.inspector, deepalert.testing",
                     {"boto3", "botocore", "asyncio", "concurrent"}) == []


def messages(sizes: list[int]) -> list[OutMessage]:
    return [OutMessage("q", "x" * size, size, i) for i, size in enumerate(sizes)]


def test_chunks_hold_at_most_ten_entries() -> None:
    """A batch never has more than 10 entries."""
    sender = BatchSender(MemorySink)
    assert [len(c) for c in sender.chunks(messages([1] * 23))] == [10, 10, 3]


def test_chunks_hold_at_most_the_byte_ceiling() -> None:
    """A batch never carries more than the byte ceiling, and keeps the order."""
    sender = BatchSender(MemorySink, max_batch_bytes=100)
    chunks = list(sender.chunks(messages([60, 30, 20, 100, 1])))
    assert [[m.owner for m in c] for c in chunks] == [[0, 1], [2], [3], [4]]


def _greedy(sizes: list[int], ceiling: int) -> list[list[int]]:
    """Batches as the sender must make them: in order, a new batch when the next message
    would make 11 entries or pass the ceiling (a message alone over it goes alone)."""
    batches: list[list[int]] = []
    batch: list[int] = []
    total = 0
    for i, size in enumerate(sizes):
        if batch and (len(batch) == 10 or total + size > ceiling):
            batches.append(batch)
            batch, total = [], 0
        batch.append(i)
        total += size
    if batch:
        batches.append(batch)
    return batches


@given(sizes=st.lists(st.integers(0, 120), max_size=25), ceiling=st.integers(50, 400))
@settings(max_examples=200, deadline=None)
def test_chunks_pack_greedily_in_order(sizes: list[int], ceiling: int) -> None:
    """Whether the messages fit one batch (checked cheaply) or not, the batches are the
    greedy packing in order."""
    sender = BatchSender(MemorySink, max_batch_bytes=ceiling)
    chunks = [[m.owner for m in c] for c in sender.chunks(messages(sizes))]
    assert chunks == _greedy(sizes, ceiling)


def test_a_batch_over_ten_entries_is_sent_whole() -> None:
    """send_batch given more than 10 messages sends them all (SQS then refuses the request),
    losing none silently."""
    sent: list[list[dict[str, Any]]] = []

    class Client:
        def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                               ) -> dict[str, Any]:
            sent.append(Entries)
            return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    sender = BatchSender(lambda _url: Client())
    assert sender.send_batch("q", messages([1] * 12)) == []
    assert [e["Id"] for e in sent[0]] == [str(i) for i in range(12)]


def test_retries_are_bounded() -> None:
    """An entry that keeps failing is tried a fixed number of times, then reported."""
    sink = MemorySink()
    sink.fail_when(lambda url, body: True, code="InternalError")
    waits: list[float] = []
    sender = BatchSender(lambda url: sink, attempts=4, sleep=waits.append)
    failures = sender.send(messages([5, 5]))
    assert [(f.message.owner, f.reason) for f in failures] == [
        (0, "InternalError"), (1, "InternalError")]
    assert (sink.requests, len(waits)) == (4, 3)
    assert all(0 <= w <= 1.0 for w in waits)


def test_response_missing_an_entry_counts_it_as_failed() -> None:
    """An entry in neither Successful nor Failed is not assumed to be sent."""
    class Forgetful:
        def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                               ) -> dict[str, Any]:
            return {"Successful": [{"Id": "0"}], "Failed": []}  # only ever the first

    sender = BatchSender(lambda url: Forgetful(), attempts=1, sleep=lambda s: None)
    failures = sender.send(messages([1, 1, 1]))
    assert [(f.message.owner, f.reason) for f in failures] == [
        (1, "missing from the response"), (2, "missing from the response")]


def test_request_error_reason_keeps_only_the_code() -> None:
    """A failed request is described by its error code, not by text that may echo data."""
    from botocore.exceptions import ClientError

    sink = MemorySink()
    sink.raise_next(ClientError({"Error": {"Code": "AccessDenied",
                                           "Message": "user arn:aws:iam::1:user/x"}},
                                "SendMessageBatch"), times=2)
    sender = BatchSender(lambda url: sink, attempts=2, sleep=lambda s: None)
    failure, = sender.send(messages([1]))
    assert failure.reason == "ClientError AccessDenied"
