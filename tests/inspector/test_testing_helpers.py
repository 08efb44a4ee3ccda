"""deepalert.testing helpers for inspectors: MemorySink and run_inspector."""

from __future__ import annotations

import pytest

import deepalert.testing
from deepalert import Attribute, ContentHost, Finding
from deepalert.inspector import inspector
from deepalert.testing import MemorySink, run_inspector


def test_testing_all_is_complete_and_sorted() -> None:
    """deepalert.testing.__all__ is sorted (as ruff's RUF022 sorts: constants first) and every
    name resolves."""
    names = deepalert.testing.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        assert hasattr(deepalert.testing, name), name


def test_inspector_all_is_complete_and_sorted() -> None:
    """deepalert.inspector.__all__ is sorted, holds the contract names, and resolves."""
    import deepalert.inspector as module

    assert module.__all__ == sorted(module.__all__)
    assert {"Inspector", "InspectionContext", "inspector"} <= set(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


def test_sink_records_bodies_in_send_order_per_queue() -> None:
    """bodies() returns what was sent, per queue or for all, in order."""
    sink = MemorySink()
    sink.send_message_batch(QueueUrl="q1", Entries=[{"Id": "a", "MessageBody": "1"},
                                                   {"Id": "b", "MessageBody": "2"}])
    response = sink.send_message_batch(QueueUrl="q2", Entries=[{"Id": "a", "MessageBody": "3"}])
    assert response["Failed"] == []
    assert [e["Id"] for e in response["Successful"]] == ["a"]
    assert (sink.bodies(), sink.bodies("q1"), sink.requests) == (["1", "2", "3"], ["1", "2"], 2)


@pytest.mark.parametrize(("entries", "code"), [
    ([], "EmptyBatchRequest"),
    ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], "TooManyEntriesInBatchRequest"),
    ([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
     "BatchEntryIdsNotDistinct"),
    ([{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "y" * 600_000}],
     "BatchRequestTooLong"),
])
def test_sink_refuses_requests_sqs_would_refuse(entries: list[dict[str, str]],
                                                code: str) -> None:
    """Requests that break SendMessageBatch's rules raise with the SQS error code."""
    with pytest.raises(ValueError, match=code):
        MemorySink().send_message_batch(QueueUrl="q", Entries=entries)


def test_sink_refuses_characters_sqs_refuses() -> None:
    """A body with a control character SQS does not allow is a sender-fault failure."""
    response = MemorySink().send_message_batch(
        QueueUrl="q", Entries=[{"Id": "a", "MessageBody": "bad\x01"}])
    assert response["Failed"] == [{"Id": "a", "SenderFault": True,
                                   "Code": "InvalidMessageContents",
                                   "Message": "injected InvalidMessageContents"}]


def test_fail_next_fails_that_many_entries_then_stops() -> None:
    """fail_next(n) fails the next n entries only."""
    sink = MemorySink()
    sink.fail_next(2, code="ThrottlingException")
    response = sink.send_message_batch(QueueUrl="q", Entries=[
        {"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    assert [f["Code"] for f in response["Failed"]] == ["ThrottlingException"] * 2
    assert sink.bodies() == ["2"]


def test_fail_next_can_target_one_queue() -> None:
    """fail_next(queue_url=...) leaves other queues alone."""
    sink = MemorySink()
    sink.fail_next(1, queue_url="q2")
    sink.send_message_batch(QueueUrl="q1", Entries=[{"Id": "a", "MessageBody": "1"}])
    sink.send_message_batch(QueueUrl="q2", Entries=[{"Id": "a", "MessageBody": "2"}])
    assert sink.bodies() == ["1"]


def test_raise_next_makes_requests_raise() -> None:
    """raise_next(error) makes the next request raise it, counted as a request."""
    sink = MemorySink()
    sink.raise_next(ConnectionError("reset"))
    with pytest.raises(ConnectionError):
        sink.send_message_batch(QueueUrl="q", Entries=[{"Id": "a", "MessageBody": "1"}])
    assert (sink.requests, sink.bodies()) == (1, [])


def test_clear_forgets_everything() -> None:
    """clear() empties messages, counts and pending failures."""
    sink = MemorySink()
    sink.fail_next(5)
    sink.send_message_batch(QueueUrl="q", Entries=[{"Id": "a", "MessageBody": "1"}])
    sink.clear()
    sink.send_message_batch(QueueUrl="q", Entries=[{"Id": "a", "MessageBody": "2"}])
    assert (sink.bodies(), sink.requests, sink.failed_entries) == (["2"], 1, 0)


def test_send_message_is_one_entry_batch() -> None:
    """send_message (single message) is recorded like a one-entry batch."""
    sink = MemorySink()
    sink.send_message(QueueUrl=sink.finding_queue_url, MessageBody="{}")
    assert (sink.bodies(), sink.requests) == (["{}"], 1)


def test_findings_and_report_attributes_are_typed() -> None:
    """findings() and report_attributes() decode their queue's bodies with the codec."""
    @inspector(author="a")
    def both(attr: Attribute) -> list[ContentHost | Attribute]:
        return [ContentHost(os=["linux"]), Attribute(type="domain", value="d")]

    result = run_inspector(both, Attribute(type="ipaddr", value="v"))
    assert isinstance(result.sink.findings()[0], Finding)
    assert result.sink.report_attributes()[0].attributes == result.new_attributes
    assert result.report_attribute == result.sink.report_attributes()[0]


def test_run_inspector_makes_no_aws_call() -> None:
    """run_inspector works with no queue URL and no credentials in the environment."""
    @inspector(author="offline")
    def offline(attr: Attribute) -> ContentHost:
        return ContentHost(country=["JP"])

    result = run_inspector(offline, Attribute(type="ipaddr", value="192.0.2.1"))
    assert result.contents == [ContentHost(country=["JP"])]
    assert result.skipped is False
