"""The core on moto, end to end: alerts into the alert queue come out as published reports.

The stack is the core's own SAM template, deployed on moto by deepalert.testing.AwsCore, with
the examples' inspectors, reviewer and emitter (and small ones written here). Every core
function runs with only the permissions its template role grants.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deepalert import Alert, Attribute, Report, ReportResult, Severity
from deepalert.emitter import emitter
from deepalert.inspector import InspectionContext, inspector
from deepalert.local import LocalPipeline
from deepalert.reviewer import reviewer
from deepalert.testing import AwsCore
from examples.emitter.slack import post_to_slack
from examples.inspector.blocklist import blocklist
from examples.inspector.ip_classifier import ip_classifier
from examples.reviewer.policy import review

ROOT = Path(__file__).parents[2]


def _ids_alerts() -> list[Alert]:
    lines = (ROOT / "examples" / "alerts" / "ids.jsonl").read_text("utf-8").splitlines()
    return [Alert.from_json(line) for line in lines if line.strip()]


received: list[Report] = []


@emitter(statuses=["new", "more", "published"])
def record(report: Report) -> None:
    """Every publication the report topic carries, as an emitter sees it."""
    received.append(report)


watched: list[str] = []


@inspector(author="watch")
def watch(attr: Attribute) -> None:
    """Every attribute a task carried to the inspectors."""
    watched.append(attr.value)


@pytest.fixture
def aws() -> Iterator[None]:
    received.clear()
    watched.clear()
    with mock_aws():
        yield


def _alert(key: str, *values: str, rule: str = "scan") -> Alert:
    return Alert(detector="ids", rule_id=rule, rule_name="Port scan", alert_key=key,
                 timestamp="2026-01-01T00:00:00Z",
                 attributes=[Attribute(type="ipaddr", key="src", value=v, context=["remote"])
                             for v in values])


def _summary(report: Report) -> tuple[Any, ...]:
    sections = sorted((s.attr.type, s.attr.value, len(s.hosts or ()), len(s.binaries or ()))
                      for s in report.sections or ())
    attributes = sorted((a.type, a.value) for a in report.attributes or ())
    alerts = sorted(a.to_json() for a in report.alerts or ())
    return (report.result.severity, report.result.reason, alerts, attributes, sections)


def test_alerts_come_out_as_the_local_core_publishes_them(
        aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    """The example alerts, inspectors, reviewer and emitter on the AWS core give the reports
    the local core gives: same alerts, attributes (fed-back ones too), sections, verdicts."""
    alerts = _ids_alerts()
    core = AwsCore(inspectors=[ip_classifier, blocklist], reviewer=review,
                   emitters=[record, post_to_slack])
    core.send(alerts)
    core.run()
    assert core.errors == []
    # The Slack example (no webhook set: a dry run on stderr) got every non-safe report.
    err = capsys.readouterr().err
    for report in core.published():
        if report.result.severity != Severity.SAFE:
            assert f"the Slack message for report {report.id} is printed" in err
    local = LocalPipeline(inspectors=[ip_classifier, blocklist], reviewer=review)
    for alert in alerts:
        local.submit(alert)
    local.run()
    on_aws = sorted(_summary(r) for r in core.published())
    assert on_aws == sorted(_summary(r) for r in local.published())
    assert {r.result.severity for r in core.published()} >= {Severity.URGENT}
    # The emitter got every publication through its own queue, in the topic's order.
    assert [r.to_json() for r in received] == [r.to_json() for r in core.reports()]


def test_a_report_is_published_new_then_published(aws: None) -> None:
    """One alert: `new` with an empty result at once, `published` after the review, as the
    Go core publishes; nothing after `published`."""
    core = AwsCore(inspectors=[ip_classifier])
    core.send([_alert("a", "192.0.2.1")])
    core.advance(minutes=1)
    assert [(r.status, r.result.severity) for r in core.reports()] == [("new", "")]
    core.advance(minutes=4)
    assert len(core.reports()) == 1
    core.advance(minutes=6)
    reports = core.reports()
    assert [r.status for r in reports] == ["new", "published"]
    assert reports[1].result.severity == Severity.UNCLASSIFIED  # dummy_reviewer
    core.run()
    assert len(core.reports()) == 2


def test_feedback_attributes_are_inspected_and_reported(aws: None) -> None:
    """ip_classifier feeds back each address's reverse-DNS name: the core publishes tasks for
    them (the Go stack could not: §2.4), they appear in the report with their sections."""
    core = AwsCore(inspectors=[ip_classifier, blocklist, watch])
    core.send([_alert("b", "198.51.100.23")])
    core.run()
    assert "23.100.51.198.in-addr.arpa" in watched
    (report,) = core.published()
    attributes = {(a.type, a.value) for a in report.attributes or ()}
    assert ("domain", "23.100.51.198.in-addr.arpa") in attributes
    assert core.functions["FeedbackAttributeFunction"].invocations >= 1
    assert core.requests[("FeedbackAttributeFunction", "sns", "PublishBatch")] + \
        core.requests[("FeedbackAttributeFunction", "sns", "Publish")] >= 1
    hosts = [s for s in report.sections or () if s.attr.value == "198.51.100.23"]
    assert hosts
    assert hosts[0].hosts


def test_a_failing_reviewer_still_publishes_unclassified(aws: None) -> None:
    """The review machine catches the reviewer's error into $.error and submit_report
    publishes the report unclassified (the Go core lost it)."""
    @reviewer(on_error="raise")
    def broken(report: Report) -> ReportResult | None:
        raise RuntimeError("the threat-intel service is down")

    core = AwsCore(inspectors=[blocklist], reviewer=broken)
    core.send([_alert("c", "198.51.100.23")])
    core.run()
    (published,) = core.published()
    assert published.result.severity == Severity.UNCLASSIFIED
    (execution,) = [e for e in core.executions if e.machine == "ReviewMachine"]
    assert execution.status == "SUCCEEDED"
    assert execution.states == ["WaitCompile", "CompileReport", "Review", "SubmitReport"]
    assert core.functions["reviewer"].invocations == 1


def test_a_redelivered_alert_is_not_a_second_alert(aws: None) -> None:
    """The same SQS message handed over twice adds one alert; the same body sent twice (two
    messages) is two alerts, as in Go."""
    core = AwsCore()
    core.deliver_twice("AlertQueueUrl")
    core.send([_alert("d", "192.0.2.7")])
    core.run()
    assert core.functions["ReceptAlertFunction"].invocations == 2
    (report,) = core.published()
    assert len(report.alerts or ()) == 1
    assert len([e for e in core.executions if e.machine == "ReviewMachine"]) == 1

    again = AwsCore(stack_name="twice")
    again.send([_alert("d", "192.0.2.7"), _alert("d", "192.0.2.7")])
    again.run()
    (report,) = again.published()
    assert len(report.alerts or ()) == 2


def test_a_redelivered_finding_is_not_a_second_finding(aws: None) -> None:
    """Findings redelivered with the same message ID are stored once."""
    core = AwsCore(inspectors=[blocklist])
    core.deliver_twice("FindingQueueUrl", batches=5)
    core.send([_alert("e", "198.51.100.23")])
    core.run()
    (report,) = core.published()
    (section,) = [s for s in report.sections or () if s.attr.value == "198.51.100.23"]
    assert len(section.hosts or ()) == 1
    assert core.functions["SubmitFindingFunction"].invocations >= 2


def test_a_poison_alert_goes_to_the_dead_letter_queue_alone(aws: None) -> None:
    """An unreadable alert fails its own record only: the alerts beside it are processed
    once, and it lands in the alert dead-letter queue after maxReceiveCount (5) receives."""
    core = AwsCore()
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = core.output("AlertQueueUrl")
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "0", "MessageBody": _alert("f", "192.0.2.8").to_json()},
        {"Id": "1", "MessageBody": '{"detector": "ids", "rule_id": '},
        {"Id": "2", "MessageBody": _alert("g", "192.0.2.9").to_json()}])
    core.run()
    assert core.dead_letters("AlertDeadLetterQueueUrl") == ['{"detector": "ids", "rule_id": ']
    assert core.functions["ReceptAlertFunction"].invocations == 5
    published = core.published()
    assert sorted(r.alerts[0].alert_key for r in published if r.alerts) == ["f", "g"]
    assert all(len(r.alerts or ()) == 1 for r in published)


def test_a_finding_the_core_cannot_read_is_refused_not_stored(aws: None) -> None:
    """A host content that does not fit ContentHost fails its record (to the finding
    dead-letter queue); the report still compiles and publishes (Go: every compile broke)."""
    core = AwsCore()
    core.send([_alert("h", "192.0.2.10")])
    core.advance(minutes=1)
    (first,) = core.reports()
    bad = json.dumps({"report_id": first.id, "author": "broken",
                      "attribute": {"type": "ipaddr", "key": "src", "value": "192.0.2.10",
                                    "context": ["remote"], "timestamp": None},
                      "type": "host", "content": {"ipaddr": "192.0.2.10"}})
    boto3.client("sqs", region_name="us-east-1").send_message(
        QueueUrl=core.output("FindingQueueUrl"), MessageBody=bad)
    core.run()
    assert core.dead_letters("FindingDeadLetterQueueUrl") == [bad]
    (published,) = core.published()
    assert published.sections is None or all(not s.hosts for s in published.sections)


def test_feedback_without_sns_publish_is_refused_as_on_aws(aws: None) -> None:
    """The driver enforces each function's role: with the Go stack's missing grant (§2.4),
    publishing feedback tasks is refused and the fed-back attributes are never inspected."""
    from deepalert._cli_template import core_template

    go_like = core_template().replace(
        """              Action: [dynamodb:GetItem, dynamodb:PutItem]
              Resource: !GetAtt CacheTable.Arn
            # The Go stack forgot this grant (protocol notes §2.4): feedback tasks were lost.
            - Effect: Allow
              Action: sns:Publish
              Resource: !Ref TaskTopic
""", """              Action: [dynamodb:GetItem, dynamodb:PutItem]
              Resource: !GetAtt CacheTable.Arn
""")
    assert go_like != core_template()
    core = AwsCore(inspectors=[ip_classifier], template=go_like)
    core.send([_alert("i", "192.0.2.11")])
    core.run()
    task_topic = core.output("TaskTopicArn")
    assert ("FeedbackAttributeFunction", "sns:Publish", task_topic) in core.denied
    assert {f for f, _action, _resource in core.denied} == {"FeedbackAttributeFunction"}
    (report,) = core.published()
    assert not any(s.attr.type == "domain" for s in report.sections or ())


def test_every_core_request_is_one_its_role_allows(aws: None) -> None:
    """A full run with feedback and a reviewer makes no request the template does not grant
    (the driver would have refused it), and counts them by function."""
    core = AwsCore(inspectors=[ip_classifier, blocklist], reviewer=review)
    core.send(_ids_alerts())
    core.run()
    assert core.errors == []
    functions = {f for f, _service, _operation in core.requests}
    assert {"ReceptAlertFunction", "DispatchInspectionFunction", "SubmitFindingFunction",
            "FeedbackAttributeFunction", "CompileReportFunction", "SubmitReportFunction",
            "PublishReportFunction"} <= functions
    assert ("sns", "Publish") not in {(s, o) for (f, s, o) in core.requests
                                      if f == "DispatchInspectionFunction"}


def test_a_late_alert_is_reviewed_again(aws: None) -> None:
    """An alert for a published report, within the window, gets the report reviewed and
    published again (LateAlerts=review-again, the default); the core's clock is the driver's."""
    core = AwsCore(inspectors=[blocklist], reviewer=review)
    core.send([_alert("j", "192.0.2.12")])
    core.run()
    (first,) = core.published()
    assert str(first.created_at) == "2026-01-01T00:00:00Z"  # the driver's clock, not ours
    core.advance(minutes=20)
    core.send([_alert("j", "198.51.100.23")])
    core.run()
    published = core.published()
    assert len(published) == 2
    assert published[1].id == first.id
    assert len(published[1].alerts or ()) == 2
    assert published[1].result.severity == Severity.URGENT


def test_the_template_handlers_are_the_cores_entry_points() -> None:
    """Every Handler of the template names a function of deepalert.core.handlers."""
    from deepalert._cli_template import core_template
    from deepalert.core import handlers
    from deepalert.testing._aws_template import load_cfn_yaml

    template = load_cfn_yaml(core_template())
    names = [r["Properties"]["Handler"] for r in template["Resources"].values()
             if r["Type"] == "AWS::Serverless::Function"]
    assert len(names) == 8
    for name in names:
        module, _, attr = name.rpartition(".")
        assert module == "deepalert.core.handlers"
        assert callable(getattr(handlers, attr))
        assert attr in handlers.__all__


def test_a_failed_task_publish_is_retried_not_lost(aws: None) -> None:
    """A throttled PublishBatch in dispatch_inspection: the inspection machine retries, and the
    tasks still reach the inspectors."""
    core = AwsCore(inspectors=[blocklist])
    # More failures than the sender's own retries (4 tries): the function fails.
    core.fail_next("DispatchInspectionFunction", "PublishBatch", times=4, code="Throttling")
    core.send([_alert("k", "198.51.100.23")])
    core.run()
    (report,) = core.published()
    assert any(s.hosts for s in report.sections or ())


def test_a_failed_feedback_publish_is_retried_not_lost(aws: None) -> None:
    """A throttled PublishBatch in feedback_attribute fails the record; its redelivery still
    gets the fed-back attributes inspected."""
    core = AwsCore(inspectors=[ip_classifier, watch])
    core.fail_next("FeedbackAttributeFunction", "PublishBatch", times=4, code="Throttling")
    core.send([_alert("l", "198.51.100.23")])
    core.run()
    assert "23.100.51.198.in-addr.arpa" in watched


def test_max_feedback_depth_is_a_template_parameter(aws: None) -> None:
    """MaxFeedbackDepth=0: the core follows no fed-back attribute (the functions get
    DEEPALERT_MAX_FEEDBACK_DEPTH from the template)."""
    core = AwsCore(inspectors=[ip_classifier, watch], parameters={"MaxFeedbackDepth": "0"})
    assert core.functions["FeedbackAttributeFunction"].environment[
        "DEEPALERT_MAX_FEEDBACK_DEPTH"] == "0"
    core.send([_alert("m", "198.51.100.23")])
    core.run()
    assert "23.100.51.198.in-addr.arpa" not in watched
    assert "198.51.100.23" in watched


def test_a_report_too_big_to_publish_blocks_nothing(aws: None) -> None:
    """A report over 256 KiB cannot go through the review machine or SNS: its review fails
    (States.DataLimitExceeded) and the stream goes on to the next report."""
    core = AwsCore()
    big = [_alert("big", "192.0.2.20").model_copy(update={"body": {"blob": f"{i}" + "x" * 60_000}})
           for i in range(5)]
    core.send(big)
    core.send([_alert("small", "192.0.2.21")])
    core.run()
    published = core.published()
    assert [r.alerts[0].alert_key for r in published if r.alerts] == ["small"]
    (failed,) = [e for e in core.executions if e.status == "FAILED"]
    assert failed.machine == "ReviewMachine"
    assert failed.error is not None
    assert failed.error["error"] == "States.DataLimitExceeded"
    assert core.dead_letters("StreamFailureQueueUrl") == []


def test_alerts_through_an_alert_topic(aws: None) -> None:
    """With AlertTopicArn, the stack subscribes the alert queue to that topic: alerts
    published there with deepalert.send arrive as SNS envelopes and are reported alike."""
    import deepalert

    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="siem")["TopicArn"]
    core = AwsCore(parameters={"AlertTopicArn": topic})
    result = deepalert.send([_alert("n", "192.0.2.30"), _alert("o", "192.0.2.31")],
                            topic_arn=topic)
    assert result.ok
    core.run()
    assert core.errors == []
    assert sorted(r.alerts[0].alert_key for r in core.published() if r.alerts) == ["n", "o"]


def test_an_emitter_that_fails_gets_the_report_again_then_its_dead_letter_queue(
        aws: None) -> None:
    """An emitter's queue is wired as examples/emitter/template.yaml wires it: a report whose
    emitter raised comes back, and after 3 receives waits in that emitter's DLQ; the other
    emitter got it once."""
    @emitter
    def flaky(report: Report) -> None:
        raise ConnectionError("the ticketing system is down")

    core = AwsCore(emitters=[flaky, record])
    core.send([_alert("p", "192.0.2.40")])
    core.run()
    (published,) = core.published()
    tries = core.functions[f"{__name__}.flaky"].invocations
    assert tries >= 3
    assert [r.status for r in received] == ["new", "published"]
    sqs = boto3.client("sqs", region_name="us-east-1")
    urls = sqs.list_queues(QueueNamePrefix="deepalert-emitter-")["QueueUrls"]
    (dlq,) = [u for u in urls if "flaky" in u and u.endswith("-dlq")]
    bodies = [json.loads(m["Body"])["Message"] for m in sqs.receive_message(
        QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]]
    assert [Report.from_json(b).status for b in bodies] == ["published"]  # `new`: ignored
    assert Report.from_json(bodies[0]).id == published.id


def test_each_function_s_log_level_stays_in_its_invocation(aws: None) -> None:
    """Each function runs with its own LOG_LEVEL, as its own process would: the level it sets
    is gone after the invocation, so the test process (or the next function) keeps its own."""
    import logging

    logger = logging.getLogger("deepalert")
    before = logger.level
    seen: list[int] = []

    @inspector(author="levels")
    def levels(attr: Attribute) -> None:
        seen.append(logging.getLogger("deepalert").getEffectiveLevel())

    core = AwsCore(inspectors=[levels], parameters={"LogLevel": "debug"})
    core.send([_alert("a", "192.0.2.1")])
    core.run()
    assert logger.level == before
    assert seen  # the inspector ran (with the example stack's own LOG_LEVEL, if any)


def test_the_core_s_functions_run_with_the_template_s_timeout(aws: None) -> None:
    """The core's template gives its functions 30 s (Globals); your roles get 30 s too."""
    seen: list[int | None] = []

    @inspector(author="budget")
    def budget(attr: Attribute, ctx: InspectionContext) -> None:
        seen.append(ctx.remaining_ms())

    core = AwsCore(inspectors=[budget])
    assert {f.timeout_s for f in core.functions.values()} == {30.0}
    core.send([_alert("a", "192.0.2.1")])
    core.run()
    assert seen
    assert all(ms is not None and 0 < ms <= 30_000 for ms in seen)
