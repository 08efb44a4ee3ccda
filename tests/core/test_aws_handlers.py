"""The core's Lambda entry points against moto's DynamoDB, SNS, SQS and Step Functions."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from deepalert import Alert, Attribute, ContentHost, Finding, Report, ReportAttribute, Task
from deepalert.core import handlers
from deepalert.testing import sqs_event, sqs_sns_event
from tests.core.aws_stack import Stack, build


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with mock_aws():
        yield build(monkeypatch)


def alert(*ips: str, key: str = "k", **fields: Any) -> Alert:
    return Alert(detector="ids", rule_id="scan", alert_key=key,
                 attributes=[Attribute(type="ipaddr", key="src", value=ip,
                                       context=["remote", "client"]) for ip in ips], **fields)


def ids(event: dict[str, Any]) -> list[str]:
    return [r["messageId"] for r in event["Records"]]


def receive(stack: Stack, *alerts: Alert) -> tuple[dict[str, Any], list[str]]:
    event = sqs_event(*alerts)
    return handlers.recept_alert(event, None), ids(event)


def report_id(stack: Stack) -> str:
    (item,) = stack.items("report/")
    return str(item["id"]["S"])


# --- recept_alert ------------------------------------------------------------------------------


def test_an_alert_opens_a_report_and_starts_both_machines(stack: Stack) -> None:
    """A first alert stores the alertmap, alert and report items and starts the inspection
    and review machines with the one-alert report Go starts them with."""
    response, _ = receive(stack, alert("192.0.2.1"))
    assert response == {"batchItemFailures": []}
    rid = report_id(stack)
    (inspection,) = stack.executions(stack.inspection)
    (review,) = stack.executions(stack.review)
    assert inspection == review
    started = Report.from_json(inspection)
    assert (started.id, started.status, started.attributes, started.sections) == (
        rid, "new", None, None)
    assert started.result.severity == ""
    assert [a.to_json() for a in started.alerts or []] == [alert("192.0.2.1").to_json()]
    (report,) = stack.items("report/")
    assert report["expires_at"] == {"N": "0"}
    assert report["status"] == {"S": "new"}
    assert json.loads(report["result"]["S"]) == {"severity": "", "reason": ""}
    assert stack.messages(stack.report_queue) == []  # the stream publishes, not recept_alert


def test_an_sns_envelope_of_an_alert_is_read(stack: Stack) -> None:
    """Alerts sent through the optional alert topic arrive wrapped in SNS notifications."""
    response = handlers.recept_alert(sqs_sns_event(alert("192.0.2.1")), None)
    assert response == {"batchItemFailures": []}
    assert len(stack.items("alert/")) == 1


def test_a_redelivered_message_changes_nothing_but_an_equal_body_is_a_second_alert(
        stack: Stack) -> None:
    """The same messageId again stores nothing and starts nothing; another message with the
    same body is another alert of the report, as in Go."""
    event = sqs_event(alert("192.0.2.1"))
    handlers.recept_alert(event, None)
    handlers.recept_alert(event, None)
    assert len(stack.items("alert/")) == 1
    assert len(stack.executions(stack.inspection)) == 1
    assert len(stack.executions(stack.review)) == 1
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    assert len(stack.items("alert/")) == 2
    assert len(stack.executions(stack.inspection)) == 2
    assert len(stack.executions(stack.review)) == 1  # reviewed once, 10 min after the first
    (report,) = stack.items("report/")
    assert report["status"] == {"S": "more"}


def test_a_delivery_interrupted_after_its_first_writes_is_finished_on_redelivery(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A redelivery after a failure part-way starts the machines the first attempt did not,
    with the status the first attempt decided, and stores the alert once."""
    from deepalert.core.aws._delivery import AwsDelivery

    def fail(self: AwsDelivery, machine: str, execution_input: str) -> None:
        raise RuntimeError("throttled")

    event = sqs_event(alert("192.0.2.1"))
    with monkeypatch.context() as patch:
        patch.setattr(AwsDelivery, "_start", fail)
        assert handlers.recept_alert(event, None) == {
            "batchItemFailures": [{"itemIdentifier": ids(event)[0]}]}
    assert handlers.recept_alert(event, None) == {"batchItemFailures": []}
    assert len(stack.items("alert/")) == 1
    assert [Report.from_json(i).status for i in stack.executions(stack.review)] == ["new"]


def test_one_invalid_alert_fails_its_record_only(stack: Stack, caplog: pytest.LogCaptureFixture
                                                 ) -> None:
    """An alert the core's Validate() refuses is named in batchItemFailures; the rest go on."""
    bad = Alert(detector="", rule_id="scan")
    event = sqs_event(alert("192.0.2.1"), bad, "{not json", alert("192.0.2.2", key="other"))
    with caplog.at_level(logging.ERROR, logger="deepalert"):
        response = handlers.recept_alert(event, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": i} for i in ids(event)[1:3]]}
    assert len(stack.items("report/")) == 2
    assert "record 1" in caplog.text


def test_a_late_alert_starts_a_new_review(stack: Stack) -> None:
    """After publication, a late alert starts the review machine again (review-again)."""
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    handlers.submit_report({"id": rid, "result": {"severity": "safe", "reason": "ok"}}, None)
    handlers.recept_alert(sqs_event(alert("192.0.2.9")), None)
    assert len(stack.executions(stack.review)) == 2


def test_go_late_alert_policy_from_the_environment(stack: Stack,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """DEEPALERT_LATE_ALERTS=go keeps the Go core's behaviour: no second review."""
    monkeypatch.setenv("DEEPALERT_LATE_ALERTS", "go")
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    handlers.submit_report({"id": report_id(stack), "result": None}, None)
    handlers.recept_alert(sqs_event(alert("192.0.2.9")), None)
    assert len(stack.executions(stack.review)) == 1


# --- dispatch_inspection and feedback ----------------------------------------------------------


def test_dispatch_publishes_one_task_per_new_attribute_in_batches(stack: Stack) -> None:
    """Five attributes: five tasks on the task topic, sent with PublishBatch; dispatching the
    same alert again publishes nothing (the attribute cache)."""
    ips = [f"192.0.2.{i}" for i in range(5)]
    handlers.recept_alert(sqs_event(alert(*ips, timestamp="2026-01-01T00:00:00Z")), None)
    state = json.loads(stack.executions(stack.inspection)[0])
    assert handlers.dispatch_inspection(state, None) == {"report_id": state["id"], "tasks": 5}
    tasks = [Task.from_json(m) for m in stack.messages(stack.task_queue)]
    assert sorted(t.attribute.value for t in tasks if t.attribute) == ips
    for task in tasks:
        assert task.attribute is not None
        assert task.attribute.context == ["client", "remote"]
        assert task.attribute.timestamp == "2026-01-01T00:00:00Z"
    assert handlers.dispatch_inspection(state, None)["tasks"] == 0
    items = stack.items("attribute/")
    assert len(items) == 5
    assert set(items[0]) == {"pk", "sk", "expires_at", "timestamp", "attr_key", "attr_type",
                             "attr_value", "attr_context"}
    assert items[0]["attr_context"] == {"L": [{"S": "client"}, {"S": "remote"}]}


def test_feedback_tasks_are_published_and_bounded(stack: Stack,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """New attributes become tasks (the Go stack lost them); beyond max_feedback_depth they
    are logged and not inspected."""
    monkeypatch.setenv("DEEPALERT_MAX_FEEDBACK_DEPTH", "1")
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    origin = Attribute(type="ipaddr", key="src", value="192.0.2.1")
    found = Attribute(type="domain", key="ptr", value="a.example.org")
    first = ReportAttribute(report_id=rid, author="dns", origin_attr=origin, attributes=[found])
    assert handlers.feedback_attribute(sqs_event(first), None) == {"batchItemFailures": []}
    (task,) = [Task.from_json(m) for m in stack.messages(stack.task_queue)]
    assert task.attribute == found
    deeper = ReportAttribute(report_id=rid, author="dns", origin_attr=found, attributes=[
        Attribute(type="domain", key="ptr", value="b.example.org")])
    with caplog.at_level(logging.WARNING, logger="deepalert"):
        handlers.feedback_attribute(sqs_event(deeper), None)
    assert stack.messages(stack.task_queue) == []
    assert "max_feedback_depth=1" in caplog.text
    depths = {i["attr_value"]["S"]: i.get("depth") for i in stack.items("attribute/")}
    assert depths == {"a.example.org": {"N": "1"}, "b.example.org": {"N": "2"}}


# --- submit_finding ----------------------------------------------------------------------------


def finding(rid: str, **content: Any) -> Finding:
    attr = Attribute(type="ipaddr", key="src", value="192.0.2.1", context=["client", "remote"])
    return Finding(report_id=rid, author="geo", attribute=attr, type="host",
                   content=content or {"country": ["JP"]})


def test_findings_are_stored_once_per_message_and_bad_ones_refused(stack: Stack) -> None:
    """A redelivered finding is not stored twice; a content that does not fit its type fails
    that record only (the Go core stored it and broke the report)."""
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    event = sqs_event(finding(rid), finding(rid, ipaddr="not a list"), finding(rid))
    response = handlers.submit_finding(event, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": ids(event)[1]}]}
    handlers.submit_finding({"Records": [event["Records"][0]]}, None)  # redelivered
    items = stack.items("content/")
    assert len(items) == 2
    assert set(items[0]) == {"pk", "sk", "expires_at", "data"}
    assert items[0]["sk"]["S"].startswith(finding(rid).attribute.hash() + "/")
    compiled = handlers.compile_report({"id": rid}, None)
    (section,) = compiled["sections"]
    assert section["hosts"] == [{"country": ["JP"]}, {"country": ["JP"]}]


# --- the review machine ------------------------------------------------------------------------


def test_compile_report_returns_the_whole_report_as_a_dict(stack: Stack) -> None:
    """compile_report's return is the state the reviewer gets: a dict, not JSON text."""
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    handlers.submit_finding(sqs_event(finding(rid)), None)
    compiled = handlers.compile_report({"id": rid, "alerts": []}, None)
    assert isinstance(compiled, dict)
    report = Report.from_dict(compiled)
    assert report.id == rid
    assert report.status == "new"
    assert len(report.alerts or []) == 1
    assert report.sections is not None
    assert report.sections[0].hosts == [ContentHost(country=["JP"])]


@pytest.mark.parametrize(("state", "severity", "reason"), [
    ({"result": {"severity": "urgent", "reason": "seen"}}, "urgent", "seen"),
    ({"result": None}, "unclassified", ""),
    ({}, "unclassified", ""),
    ({"result": {}}, "unclassified", ""),
    ({"result": "urgent"}, "unclassified", "the reviewer returned a str, not a ReportResult"),
    ({"error": {"Error": "ValueError", "Cause": "{\"errorMessage\": \"token=s3cret\"}"}},
     "unclassified", "the reviewer failed (ValueError); see its logs"),
])
def test_submit_report_always_publishes(stack: Stack, state: dict[str, Any], severity: str,
                                        reason: str) -> None:
    """A verdict, no verdict, an unreadable one or a failed reviewer: the report is stored
    published (the stream then publishes it), and the reviewer's error text is not copied."""
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    compiled = handlers.compile_report({"id": rid}, None)
    returned = handlers.submit_report({**compiled, **state}, None)
    assert returned == {"report_id": rid, "status": "published",
                        "result": {"severity": severity, "reason": reason}}
    (item,) = stack.items("report/")
    assert item["status"] == {"S": "published"}
    assert json.loads(item["result"]["S"]) == {"severity": severity, "reason": reason}


def test_the_dummy_reviewer_is_the_go_one(stack: Stack) -> None:
    """dummy_reviewer answers as the Go core's dummyReviewer does."""
    assert handlers.dummy_reviewer({"id": "x"}, None) == {"severity": "unclassified",
                                                          "reason": "I'm novice"}


# --- publish_report ----------------------------------------------------------------------------


def stream_event(stack: Stack, *pks: str) -> dict[str, Any]:
    """A NEW_IMAGE stream event for the current items with these pks (sk '-')."""
    records = []
    for n, pk in enumerate(pks):
        item = stack.db.get_item(TableName=stack.table,
                                 Key={"pk": {"S": pk}, "sk": {"S": "-"}}).get("Item")
        records.append({"eventName": "MODIFY", "eventSource": "aws:dynamodb",
                        "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "-"}},
                                     "NewImage": item, "SequenceNumber": str(100 + n),
                                     "StreamViewType": "NEW_IMAGE"}})
    return {"Records": records}


def test_publish_report_publishes_the_current_report_once_per_batch(stack: Stack) -> None:
    """Report writes publish the compiled report; other items are skipped; two writes of
    one report in a batch publish it once."""
    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    (alertmap,) = stack.items("alertmap/")
    event = stream_event(stack, f"report/{rid}", alertmap["pk"]["S"], f"report/{rid}")
    assert handlers.publish_report(event, None) == {"batchItemFailures": []}
    (published,) = stack.messages(stack.report_queue)
    assert json.loads(published) == handlers.compile_report({"id": rid}, None)


def test_a_poison_record_is_skipped_and_a_failed_call_retried(
        stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """A report the core cannot compile (a bad finding the Go core stored) is logged and
    skipped, so the shard moves on; a failed AWS call names its record for a retry."""
    handlers.recept_alert(sqs_event(alert("192.0.2.1"), alert("192.0.2.2", key="b")), None)
    first, second = (i["id"]["S"] for i in stack.items("report/"))
    bad = finding(first).model_copy(update={"content": {"ipaddr": "not a list"}})
    stack.db.put_item(TableName=stack.table, Item={
        "pk": {"S": f"content/{first}"}, "sk": {"S": f"{bad.attribute.hash()}/x"},
        "expires_at": {"N": "0"}, "data": {"B": bad.to_json().encode()}})
    with caplog.at_level(logging.ERROR, logger="deepalert"):
        response = handlers.publish_report(
            stream_event(stack, f"report/{first}", f"report/{second}"), None)
    assert response == {"batchItemFailures": []}
    assert [Report.from_json(m).id for m in stack.messages(stack.report_queue)] == [second]
    assert "is skipped" in caplog.text
    stack.sns.delete_topic(TopicArn=stack.report_topic)
    response = handlers.publish_report(stream_event(stack, f"report/{second}"), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}


# --- configuration -----------------------------------------------------------------------------


def test_importing_the_handlers_reads_nothing_and_a_missing_table_is_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CACHE_TABLE the first invocation says what is missing."""
    from deepalert.errors import ConfigurationError

    monkeypatch.delenv("CACHE_TABLE", raising=False)
    with mock_aws(), pytest.raises(ConfigurationError, match="CACHE_TABLE"):
        handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)


def test_the_handlers_module_loads_no_boto3() -> None:
    """A cold start pays for boto3 only when the first event arrives."""
    from tests.imports import loaded_by

    assert loaded_by("deepalert.core.handlers", ["boto3", "botocore"]) == []


class _Throttled:
    """An SNS client whose next ``times`` PublishBatch calls are throttled."""

    def __init__(self, sns: Any, times: int) -> None:
        self._sns, self.times = sns, times

    def publish_batch(self, **kwargs: Any) -> Any:
        if self.times:
            from botocore.exceptions import ClientError

            self.times -= 1
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}},
                              "PublishBatch")
        return self._sns.publish_batch(**kwargs)


def test_a_task_sns_refused_is_published_by_the_retry(stack: Stack,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks SNS did not accept fail the record and leave the attribute free, so the retry
    publishes them (the Go core found them seen and lost them)."""
    from deepalert.core.aws import _handlers

    handlers.recept_alert(sqs_event(alert("192.0.2.1")), None)
    rid = report_id(stack)
    origin = Attribute(type="ipaddr", key="src", value="192.0.2.1")
    message = ReportAttribute(report_id=rid, author="dns", origin_attr=origin, attributes=[
        Attribute(type="domain", key="ptr", value="a.example.org")])
    event = sqs_event(message)
    delivery = _handlers._runtime().delivery
    monkeypatch.setattr(delivery, "_sns", _Throttled(delivery._sns, times=4))
    assert handlers.feedback_attribute(event, None) == {
        "batchItemFailures": [{"itemIdentifier": ids(event)[0]}]}
    assert stack.messages(stack.task_queue) == []
    assert handlers.feedback_attribute(event, None) == {"batchItemFailures": []}
    (task,) = [Task.from_json(m) for m in stack.messages(stack.task_queue)]
    assert task.attribute is not None
    assert task.attribute.value == "a.example.org"
