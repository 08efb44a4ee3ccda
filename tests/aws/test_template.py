"""The core's SAM template: what `deepalert template` prints, validated offline.

cfn-lint checks the SAM template and the CloudFormation the SAM translator makes of it; the
rest checks what the stack must wire (queues with dead-letter queues, the stream, the review
machine's catch, least-privilege roles, outputs the examples' stacks take).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from deepalert._cli_template import DEFAULT_CODE_URI, core_template
from deepalert.cli import main
from deepalert.testing._aws_template import Resolver, load_cfn_yaml

ROOT = Path(__file__).parents[2]
HANDLERS = {
    "ReceptAlertFunction": "recept_alert",
    "DispatchInspectionFunction": "dispatch_inspection",
    "SubmitFindingFunction": "submit_finding",
    "FeedbackAttributeFunction": "feedback_attribute",
    "CompileReportFunction": "compile_report",
    "DummyReviewerFunction": "dummy_reviewer",
    "SubmitReportFunction": "submit_report",
    "PublishReportFunction": "publish_report",
}


def _translate(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = load_cfn_yaml(core_template("s3://example-bucket/deepalert-core.zip"))
    return dict(transform(template, parameters or {}, NoManagedPolicies()))


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:  # the translator wants a region
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return _translate()


def _resolver(template: dict[str, Any], **parameters: str) -> Resolver:
    return Resolver(template, parameters, ref=lambda name: f"ref:{name}",
                    get_att=lambda name, att: f"{name}.{att}")


# --- the command ---------------------------------------------------------------------------


def test_template_command_prints_the_shipped_template(capsys: pytest.CaptureFixture[str]) -> None:
    """`deepalert template` prints the template in the package, byte for byte."""
    assert main(["template"]) == 0
    shipped = (ROOT / "deepalert" / "core" / "aws" / "template.yaml").read_text("utf-8")
    assert capsys.readouterr().out == shipped
    assert f"CodeUri: {DEFAULT_CODE_URI}" in shipped


def test_code_uri_points_every_function_at_the_bundle(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """--code-uri sets the code of every function (Globals), and nothing else changes."""
    assert main(["template", "--code-uri", "s3://my-bucket/core.zip"]) == 0
    template = load_cfn_yaml(capsys.readouterr().out)
    assert template["Globals"]["Function"]["CodeUri"] == "s3://my-bucket/core.zip"
    assert all("CodeUri" not in r["Properties"] for r in template["Resources"].values()
               if r["Type"] == "AWS::Serverless::Function")


def test_a_code_uri_that_would_break_the_yaml_is_refused(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """A --code-uri that is not a plain path is a usage error that names it."""
    assert main(["template", "--code-uri", "x\n  Evil: 1"]) == 2
    assert "--code-uri" in capsys.readouterr().err


# --- offline validation --------------------------------------------------------------------


def _problems(matches: list[Any]) -> list[str]:
    # Informational rules (I...) suggest metadata blocks and explicit deletion policies on
    # every queue; errors and warnings are what would fail or misbehave on deploy.
    return [str(m) for m in matches if m.rule.severity in {"error", "warning"}]


def test_cfn_lint_finds_nothing_in_the_sam_template() -> None:
    """cfn-lint (which runs the SAM transform itself) reports no error or warning."""
    from cfnlint.api import lint_all

    assert _problems(lint_all(core_template())) == []


def test_cfn_lint_finds_nothing_in_the_translated_template(translated: dict[str, Any]) -> None:
    """The CloudFormation that the SAM translator makes of it is clean too."""
    from cfnlint.api import lint_all

    assert _problems(lint_all(json.dumps(translated))) == []


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else item.split(".")[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                local = set() if isinstance(item, str) else set(item[1])
                found |= {n.split(".")[0] for n in re.findall(r"\$\{([^}!]+)\}", text)} - local
                if not isinstance(item, str):
                    found |= _references(item[1])
            else:
                found |= _references(item)
    return found


@pytest.mark.parametrize("form", ["sam", "cloudformation"])
def test_every_reference_names_something_that_exists(form: str, translated: dict[str, Any]
                                                     ) -> None:
    """Every Ref, GetAtt and ${} names a resource, a parameter or a pseudo parameter (cfn-lint
    does not look inside a SAM function's inline policies)."""
    template = load_cfn_yaml(core_template()) if form == "sam" else translated
    known = set(template["Resources"]) | set(template["Parameters"]) | {
        "AWS::StackName", "AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}
    assert _references(template) - known == set()
    broken = core_template().replace("Resource: !Ref TaskTopic", "Resource: !Ref TaskTopik", 1)
    assert _references(load_cfn_yaml(broken)) - known == {"TaskTopik"}


def test_every_function_runs_its_go_lambdas_python_handler(translated: dict[str, Any]) -> None:
    """One function per Go Lambda, each on deepalert.core.handlers.<name>."""
    functions = {name: r["Properties"] for name, r in translated["Resources"].items()
                 if r["Type"] == "AWS::Lambda::Function"}
    assert {name: p["Handler"] for name, p in functions.items()} == {
        name: f"deepalert.core.handlers.{handler}" for name, handler in HANDLERS.items()}
    for props in functions.values():
        env = props["Environment"]["Variables"]
        assert {"TASK_TOPIC", "REPORT_TOPIC", "CACHE_TABLE", "LOG_LEVEL"} <= set(env)
        assert props["Code"] == {"S3Bucket": "example-bucket", "S3Key": "deepalert-core.zip"}
    recept = functions["ReceptAlertFunction"]["Environment"]["Variables"]
    assert recept["INSPECTOR_MACHINE"] == {"Ref": "InspectionMachine"}
    assert recept["REVIEW_MACHINE"] == {"Ref": "ReviewMachine"}


def test_the_table_has_the_go_cores_keys_ttl_and_stream(translated: dict[str, Any]) -> None:
    """pk/sk strings, TTL on expires_at, a NEW_IMAGE stream, kept when the stack goes."""
    table = translated["Resources"]["CacheTable"]
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert table["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize(("queue", "function"), [
    ("AlertQueue", "ReceptAlertFunction"),
    ("FindingQueue", "SubmitFindingFunction"),
    ("AttributeQueue", "FeedbackAttributeFunction"),
])
def test_each_queue_feeds_its_function_with_partial_batch_responses_and_a_dlq(
        translated: dict[str, Any], queue: str, function: str) -> None:
    """Each queue has its own dead-letter queue and a mapping that reports failed records only."""
    resources = translated["Resources"]
    redrive = resources[queue]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [queue.replace(
        "Queue", "DeadLetterQueue"), "Arn"]}
    assert redrive["maxReceiveCount"] == 5
    mappings = [r["Properties"] for r in resources.values()
                if r["Type"] == "AWS::Lambda::EventSourceMapping"
                and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}]
    assert len(mappings) == 1
    assert mappings[0]["FunctionName"] == {"Ref": function}
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # AWS advises a visibility timeout of six times the function's timeout.
    timeout = resources[function]["Properties"]["Timeout"]
    assert resources[queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_the_stream_feeds_publish_report_without_blocking_on_a_poison_record(
        translated: dict[str, Any]) -> None:
    """Only report items trigger it; a failing record is bisected, retried, then set aside."""
    resources = translated["Resources"]
    (mapping,) = [r["Properties"] for r in resources.values()
                  if r["Type"] == "AWS::Lambda::EventSourceMapping"
                  and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["CacheTable",
                                                                           "StreamArn"]}]
    assert mapping["FunctionName"] == {"Ref": "PublishReportFunction"}
    pattern = json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern == {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "report/"}]}}}}
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["StreamFailureQueue", "Arn"]}


def _machine(template: dict[str, Any], name: str, **parameters: str) -> dict[str, Any]:
    resolver = _resolver(template, **parameters)
    text = resolver.resolve(template["Resources"][name]["Properties"]["DefinitionString"])
    definition = json.loads(text)
    assert isinstance(definition, dict)
    return definition


def test_the_inspection_machine_waits_then_dispatches() -> None:
    """Wait InspectDelay seconds (default 300), then dispatch_inspection with the whole state."""
    template = load_cfn_yaml(core_template())
    machine = _machine(template, "InspectionMachine")
    wait = machine["States"][machine["StartAt"]]
    assert wait == {"Type": "Wait", "Seconds": 300, "Next": "DispatchInspection"}
    dispatch = machine["States"]["DispatchInspection"]
    assert dispatch["Resource"] == "DispatchInspectionFunction.Arn"
    assert dispatch["End"] is True
    assert _machine(template, "InspectionMachine", InspectDelay="7")["States"][
        "WaitDispatch"]["Seconds"] == 7


def test_the_review_machine_catches_the_reviewer_and_still_submits() -> None:
    """Wait 600 s, compile, review into $.result; a reviewer error goes to $.error and on to
    submit_report, so a failing reviewer still publishes the report (Go: lost, §2.6)."""
    template = load_cfn_yaml(core_template())
    machine = _machine(template, "ReviewMachine")
    states = machine["States"]
    order, name = [], machine["StartAt"]
    while name:
        order.append(name)
        name = states[name].get("Next")
    assert order == ["WaitCompile", "CompileReport", "Review", "SubmitReport"]
    assert states["WaitCompile"]["Seconds"] == 600
    review = states["Review"]
    assert review["Resource"] == "DummyReviewerFunction.Arn"
    assert review["ResultPath"] == "$.result"
    assert review["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                "Next": "SubmitReport"}]
    assert states["SubmitReport"]["End"] is True
    arn = "arn:aws:lambda:us-east-1:123456789012:function:policy-review"
    given = _machine(template, "ReviewMachine", ReviewerFunctionArn=arn)
    assert given["States"]["Review"]["Resource"] == arn


def test_the_dummy_reviewer_exists_only_without_a_reviewer() -> None:
    """The condition that picks dummy_reviewer is on when ReviewerFunctionArn is empty."""
    template = load_cfn_yaml(core_template())
    assert template["Resources"]["DummyReviewerFunction"]["Condition"] == "NoReviewer"
    assert _resolver(template).condition("NoReviewer") is True
    assert _resolver(template, ReviewerFunctionArn="arn:x").condition("NoReviewer") is False
    assert _resolver(template, AlertTopicArn="arn:t").condition("HasAlertTopic") is True
    assert template["Resources"]["AlertSubscription"]["Condition"] == "HasAlertTopic"


# --- least privilege -----------------------------------------------------------------------


def _statements(translated: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = translated["Resources"][f"{function}Role"]["Properties"]
    return [s for p in role.get("Policies", ()) for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def test_no_inline_statement_grants_a_wildcard(translated: dict[str, Any]) -> None:
    """Every action and resource the template grants is named."""
    for function in HANDLERS:
        for statement in _statements(translated, function):
            assert not any("*" in a for a in _actions(statement)), (function, statement)
            assert statement["Resource"] != "*", (function, statement)


def test_each_function_may_do_only_its_part(translated: dict[str, Any]) -> None:
    """Task publishing for the two dispatchers (feedback too: the Go stack forgot it, §2.4),
    report publishing for publish_report, executions for recept_alert only."""
    def granted(function: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for statement in _statements(translated, function):
            for action in _actions(statement):
                out[action] = statement["Resource"]
        return out

    assert granted("DispatchInspectionFunction")["sns:Publish"] == {"Ref": "TaskTopic"}
    assert granted("FeedbackAttributeFunction")["sns:Publish"] == {"Ref": "TaskTopic"}
    assert granted("PublishReportFunction")["sns:Publish"] == {"Ref": "ReportTopic"}
    assert granted("ReceptAlertFunction")["states:StartExecution"] == [
        {"Ref": "InspectionMachine"}, {"Ref": "ReviewMachine"}]
    for function in HANDLERS:
        actions = granted(function)
        if function != "ReceptAlertFunction":
            assert "states:StartExecution" not in actions, function
        if function not in {"DispatchInspectionFunction", "FeedbackAttributeFunction",
                            "PublishReportFunction"}:
            assert "sns:Publish" not in actions, function
    assert granted("DummyReviewerFunction") == {}
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
              "dynamodb:DeleteItem"}
    for reader in ("CompileReportFunction", "PublishReportFunction"):
        assert not writes & set(granted(reader)), reader


def test_the_state_machines_may_invoke_only_the_core_and_the_reviewer(
        translated: dict[str, Any]) -> None:
    """The machines' role invokes the four functions the machines name, nothing else."""
    role = translated["Resources"]["StateMachineRole"]["Properties"]
    (statement,) = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"][:3] == [
        {"Fn::GetAtt": ["DispatchInspectionFunction", "Arn"]},
        {"Fn::GetAtt": ["CompileReportFunction", "Arn"]},
        {"Fn::GetAtt": ["SubmitReportFunction", "Arn"]}]
    assert statement["Resource"][3] == {"Fn::If": [
        "HasReviewer", {"Ref": "ReviewerFunctionArn"},
        {"Fn::GetAtt": ["DummyReviewerFunction", "Arn"]}]}


# --- the examples' stacks take its outputs -------------------------------------------------


@pytest.mark.parametrize("example", ["inspector", "emitter"])
def test_the_examples_parameters_are_the_cores_outputs(example: str) -> None:
    """Every ARN/URL parameter of an example's stack is an output of the core, same name."""
    template = load_cfn_yaml(core_template())
    example_template = load_cfn_yaml(
        (ROOT / "examples" / example / "template.yaml").read_text("utf-8"))
    wanted = {name for name in example_template["Parameters"]
              if name.endswith(("TopicArn", "QueueArn", "QueueUrl"))}
    assert wanted
    assert wanted <= set(template["Outputs"])


def test_the_reviewer_examples_output_is_the_cores_reviewer_parameter() -> None:
    """The reviewer stack's ReviewerFunctionArn output goes into the core's parameter."""
    template = load_cfn_yaml(core_template())
    reviewer = load_cfn_yaml((ROOT / "examples" / "reviewer" / "template.yaml").read_text("utf-8"))
    assert "ReviewerFunctionArn" in reviewer["Outputs"]
    assert "ReviewerFunctionArn" in template["Parameters"]
    assert {"AlertQueueUrl", "AlertQueueArn"} <= set(template["Outputs"])
