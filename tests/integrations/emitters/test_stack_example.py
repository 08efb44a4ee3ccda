"""examples/stack/template.yaml: two ready inspectors and two ready emitters on a deployed core.

Parsed with yaml and checked for the wiring; validated by cfn-lint and transformed by the SAM
translator when they are installed (both offline).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from tests.reviewer.test_example import load_template

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "examples" / "stack" / "template.yaml"
CORE_OUTPUTS = {"TaskTopicArn", "ReportTopicArn", "FindingQueueUrl", "AttributeQueueUrl"}


@pytest.fixture(scope="module")
def template() -> Any:
    return load_template(TEMPLATE)


def _functions(template: Any) -> dict[str, Any]:
    return {name: r["Properties"] for name, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def test_the_core_outputs_are_parameters(template: Any) -> None:
    """The stack takes the core's task topic, report topic and queues as parameters."""
    assert set(template["Parameters"]) >= CORE_OUTPUTS | {"IntegrationsSecretArn"}


def test_two_inspectors_and_two_emitters_with_ready_handlers(template: Any) -> None:
    """Every handler is a ready handler of deepalert.integrations that imports."""
    handlers = {name: props["Handler"] for name, props in _functions(template).items()}
    assert handlers == {
        "VirusTotalFunction": "deepalert.integrations.virustotal.handler",
        "ShodanFunction": "deepalert.integrations.shodan.handler",
        "SlackFunction": "deepalert.integrations.slack.handler",
        "PagerDutyFunction": "deepalert.integrations.pagerduty.handler",
    }
    for handler in handlers.values():
        module, _, name = handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), handler


def test_each_function_reads_a_queue_on_the_right_topic(template: Any) -> None:
    """Inspectors' queues are subscribed to the task topic and emitters' to the report topic,
    without raw delivery; each has a DLQ and reports partial batch failures."""
    resources = template["Resources"]
    topic_of = {"VirusTotal": "TaskTopicArn", "Shodan": "TaskTopicArn",
                "Slack": "ReportTopicArn", "PagerDuty": "ReportTopicArn"}
    for prefix, topic in topic_of.items():
        subscription = resources[f"{prefix}Subscription"]["Properties"]
        assert subscription["TopicArn"] == {"Ref": topic}
        assert subscription["RawMessageDelivery"] is False
        assert subscription["Endpoint"] == {"GetAtt": f"{prefix}Queue.Arn"}
        queue = resources[f"{prefix}Queue"]["Properties"]
        assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
            "GetAtt": f"{prefix}DeadLetterQueue.Arn"}
        # A queue's visibility timeout must exceed the function's (60 s).
        assert queue["VisibilityTimeout"] >= 6 * template["Globals"]["Function"]["Timeout"]
        events = resources[f"{prefix}Function"]["Properties"]["Events"]
        [event] = events.values()
        assert event["Properties"]["Queue"] == {"GetAtt": f"{prefix}Queue.Arn"}
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_environment_matches_what_the_handlers_read(template: Any) -> None:
    """Inspectors get the core's queues; keys come from the secret, never the environment;
    emitters share the idempotency table."""
    functions = _functions(template)
    for name in ("VirusTotalFunction", "ShodanFunction"):
        env = functions[name]["Environment"]["Variables"]
        assert env["FINDING_QUEUE_URL"] == {"Ref": "FindingQueueUrl"}
        assert env["ATTRIBUTE_QUEUE_URL"] == {"Ref": "AttributeQueueUrl"}
    for name in ("SlackFunction", "PagerDutyFunction"):
        env = functions[name]["Environment"]["Variables"]
        assert env["DEEPALERT_IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
        assert env["SECRET_ARN"] == {"Ref": "IntegrationsSecretArn"}
    for props in functions.values():
        for value in props["Environment"]["Variables"].values():
            assert "resolve:secretsmanager" not in str(value)


def test_tables_expire_items(template: Any) -> None:
    """The cache and idempotency tables are keyed on pk and expire items on expires_at."""
    resources = template["Resources"]
    for name in ("LookupCacheTable", "IdempotencyTable"):
        props = resources[name]["Properties"]
        assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at",
                                                    "Enabled": True}


def test_sam_translator_accepts_the_template() -> None:
    """The SAM translator turns the template into CloudFormation (offline)."""
    translator = pytest.importorskip("samtranslator.translator.transform")
    yaml = pytest.importorskip("yaml")
    from samtranslator.yaml_helper import yaml_parse

    parsed = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    assert yaml  # the parse above needs PyYAML too
    # What `sam package` does: the local code folder becomes an uploaded artifact.
    parsed["Globals"]["Function"]["CodeUri"] = "s3://artifacts/stack.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    output = translator.transform(parsed, {"AWS::Region": "us-east-1"}, NoManagedPolicies())
    kinds = {r["Type"] for r in output["Resources"].values()}
    assert "AWS::Lambda::EventSourceMapping" in kinds
    assert "AWS::Lambda::Function" in kinds


def test_cfn_lint_finds_nothing() -> None:
    """cfn-lint reports no error or warning on the template (offline)."""
    api = pytest.importorskip("cfnlint.api")
    matches = api.lint(TEMPLATE.read_text(encoding="utf-8"),
                       config=api.ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []
