"""Every event shape the task topic can deliver, and the ones that are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deepalert import (
    Attribute,
    ConfigurationError,
    ContentHost,
    EventError,
    Finding,
)
from deepalert.inspector import Inspector, inspector
from deepalert.testing import (
    MemorySink,
    direct_event,
    message_ids,
    sns_event,
    sqs_event,
    sqs_sns_event,
)
from tests.conftest import load_event, load_text
from tests.inspector.conftest import ATTRIBUTE, FINDING, make_task

HostInspector = Inspector[Callable[[Attribute], ContentHost]]


def invoke(handler: Any, event: Any, sink: MemorySink) -> Any:
    return handler.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                          attribute_queue_url=ATTRIBUTE)


@pytest.mark.parametrize("make_event", [sns_event, sqs_sns_event, sqs_event])
def test_each_record_of_an_event_yields_its_finding(
        make_event: Callable[..., dict[str, Any]], host_inspector: HostInspector,
        sink: MemorySink) -> None:
    """SNS, SNS-in-SQS and raw SQS events: one finding per task, for the task's attribute."""
    tasks = [make_task("192.0.2.1"), make_task("192.0.2.2")]
    invoke(host_inspector, make_event(*tasks), sink)
    assert [f.attribute.value for f in sink.findings()] == ["192.0.2.1", "192.0.2.2"]
    assert [f.content["ipaddr"] for f in sink.findings()] == [["192.0.2.1"], ["192.0.2.2"]]


def test_sqs_event_returns_an_empty_partial_batch_response_when_all_succeed(
        host_inspector: HostInspector, sink: MemorySink) -> None:
    """An SQS event always gets a partial batch response; no failures, an empty list."""
    assert invoke(host_inspector, sqs_sns_event(make_task()), sink) == {"batchItemFailures": []}


@pytest.mark.parametrize("make_event", [sns_event, direct_event])
def test_sns_and_direct_events_return_none(make_event: Callable[..., dict[str, Any]],
                                           host_inspector: HostInspector,
                                           sink: MemorySink) -> None:
    """SNS and direct invokes return None on success."""
    assert invoke(host_inspector, make_event(make_task()), sink) is None
    assert len(sink.findings()) == 1


def test_recorded_sns_in_sqs_event_is_read(host_inspector: HostInspector,
                                           sink: MemorySink) -> None:
    """A recorded SQS event with SNS envelopes yields findings echoing each task attribute."""
    event = load_event("inspector-sqs-sns.json")
    response = invoke(host_inspector, event, sink)
    assert response == {"batchItemFailures": []}
    # Only the ipaddr task passes the filter; the domain task is skipped, not failed.
    assert len(sink.bodies(FINDING)) == 1
    assert sink.findings()[0].attribute.key == "src <client>"


def test_handler_call_is_the_lambda_entry_point(monkeypatch: pytest.MonkeyPatch,
                                                sink: MemorySink) -> None:
    """Calling the decorated object with (event, context) handles the event."""
    import deepalert.inspector._handler as handler_module

    monkeypatch.setattr(handler_module, "default_client", lambda url: sink)
    monkeypatch.setenv("FINDING_QUEUE_URL", FINDING)
    monkeypatch.setenv("ATTRIBUTE_QUEUE_URL", ATTRIBUTE)

    @inspector(author="a")
    def find(attr: Attribute) -> ContentHost:
        return ContentHost(os=["linux"])

    assert find(sqs_sns_event(make_task()), None) == {"batchItemFailures": []}
    assert sink.findings()[0].content == {"os": ["linux"]}


@pytest.mark.parametrize("event", [
    {"Records": []},
    {"Records": [{"eventSource": "aws:s3", "s3": {}}]},
    {"hello": "world"},
    [],
    "text",
])
def test_events_of_other_shapes_are_refused(event: Any, host_inspector: HostInspector,
                                            sink: MemorySink) -> None:
    """An empty batch, another service's records or a foreign object raise EventError."""
    with pytest.raises(EventError):
        invoke(host_inspector, event, sink)
    assert sink.requests == 0


def test_calling_the_handler_with_an_attribute_points_to_func(
        host_inspector: HostInspector, sink: MemorySink) -> None:
    """Calling the handler like the plain function says to use .func."""
    with pytest.raises(EventError, match=r"\.func\(attr\)"):
        invoke(host_inspector, Attribute(type="ipaddr"), sink)


def test_an_unreadable_record_fails_alone(host_inspector: HostInspector,
                                          sink: MemorySink) -> None:
    """A body that is not a Task fails its record; the other records are done."""
    event = sqs_event(make_task("192.0.2.1"), "not json", '{"report_id": 5}')
    ids = message_ids(event)
    response = invoke(host_inspector, event, sink)
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[1]},
                                              {"itemIdentifier": ids[2]}]}
    assert [f.attribute.value for f in sink.findings()] == ["192.0.2.1"]


def test_task_with_null_attribute_fails_its_record(host_inspector: HostInspector,
                                                   sink: MemorySink) -> None:
    """A Task whose attribute is null is a failed record, not a silent success."""
    event = sqs_event('{"report_id":"r","attribute":null}')
    response = invoke(host_inspector, event, sink)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[0]}]}


def test_direct_event_without_task_keys_is_refused(host_inspector: HostInspector,
                                                   sink: MemorySink) -> None:
    """A direct invoke must carry a Task (report_id or attribute)."""
    with pytest.raises(EventError, match="Task"):
        invoke(host_inspector, {"detector": "x"}, sink)


@pytest.mark.parametrize(("env", "argument"), [
    ({"ATTRIBUTE_QUEUE_URL": ATTRIBUTE}, "FINDING_QUEUE_URL"),
    ({"FINDING_QUEUE_URL": FINDING}, "ATTRIBUTE_QUEUE_URL"),
])
def test_missing_queue_url_names_the_variable(env: dict[str, str], argument: str,
                                              monkeypatch: pytest.MonkeyPatch,
                                              host_inspector: HostInspector,
                                              sink: MemorySink) -> None:
    """Without a queue URL the handler raises an error naming the environment variable."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=argument):
        host_inspector.invoke(sns_event(make_task()), sqs_client=sink)
    assert sink.requests == 0


def test_go_example_variable_names_are_read(monkeypatch: pytest.MonkeyPatch,
                                            host_inspector: HostInspector,
                                            sink: MemorySink) -> None:
    """FINDING_QUEUE and ATTRIBUTE_QUEUE, as in the Go examples, work too."""
    monkeypatch.setenv("FINDING_QUEUE", "memory://go-finding")
    monkeypatch.setenv("ATTRIBUTE_QUEUE", "memory://go-attribute")
    host_inspector.invoke(sns_event(make_task()), sqs_client=sink)
    assert len(sink.bodies("memory://go-finding")) == 1


def test_invoke_arguments_override_decorator_and_environment(
        monkeypatch: pytest.MonkeyPatch, sink: MemorySink) -> None:
    """Queue URLs: invoke() arguments, then the decorator's, then the environment."""
    monkeypatch.setenv("FINDING_QUEUE_URL", "memory://env")
    monkeypatch.setenv("ATTRIBUTE_QUEUE_URL", "memory://env-attr")

    @inspector(author="a", finding_queue_url="memory://decorator")
    def find(attr: Attribute) -> ContentHost:
        return ContentHost()

    find.invoke(sns_event(make_task()), sqs_client=sink)
    find.invoke(sns_event(make_task()), sqs_client=sink, finding_queue_url="memory://call")
    assert [m.queue_url for m in sink.messages()] == ["memory://decorator", "memory://call"]


def test_recorded_go_task_attribute_is_echoed_byte_for_byte(
        host_inspector: HostInspector, sink: MemorySink) -> None:
    """The Finding's attribute is the task's attribute exactly as the Go core wrote it."""
    task_text = load_text("inspector-task.json")
    invoke(host_inspector, sns_event(task_text), sink)
    attribute_text = task_text[task_text.index('"attribute":') + len('"attribute":'):-1]
    body = sink.bodies(FINDING)[0]
    assert f'"attribute":{attribute_text},' in body
    assert Finding.from_json(body).attribute.timestamp == "2020-01-01T09:00:00.123456789+09:00"
