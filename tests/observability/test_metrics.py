"""Metrics in CloudWatch Embedded Metric Format: off by default, on with DEEPALERT_METRICS=on,
one EMF document per invocation whose structure follows the EMF specification."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from deepalert import Attribute, ConfigurationError, ContentHost, Report, Severity, Task
from deepalert._lambda import _metrics
from deepalert.emitter import emitter
from deepalert.inspector import _fast, inspector
from deepalert.reviewer import reviewer
from deepalert.testing import (
    FakeLambdaContext,
    MemorySink,
    direct_event,
    make_report,
    sqs_sns_event,
)

UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
         "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
         "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
         "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
         "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}


def check_emf(doc: dict[str, Any]) -> None:
    """Assert a document is valid EMF (the structure the specification requires)."""
    meta = doc["_aws"]
    assert isinstance(meta["Timestamp"], int)
    assert meta["Timestamp"] > 1_600_000_000_000
    directives = meta["CloudWatchMetrics"]
    assert isinstance(directives, list)
    assert directives
    for directive in directives:
        assert isinstance(directive["Namespace"], str)
        assert 1 <= len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for name in dimension_set:  # each dimension is a top-level string member
                assert isinstance(doc[name], str)
                assert 1 <= len(doc[name]) <= 1024
        metrics = directive["Metrics"]
        assert 1 <= len(metrics) <= 100
        for metric in metrics:
            assert metric.get("Unit", "None") in UNITS
            value = doc[metric["Name"]]  # each metric is a top-level number or list of them
            values = value if isinstance(value, list) else [value]
            assert 1 <= len(values) <= 100
            assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def emf_lines(text: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]
    for doc in docs:
        check_emf(doc)
    return docs


def metric_names(doc: dict[str, Any]) -> dict[str, str]:
    return {m["Name"]: m["Unit"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPALERT_METRICS", "on")
    for name in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_METRICS_DISABLED",
                 "POWERTOOLS_SERVICE_NAME", "DEEPALERT_METRICS_NAMESPACE",
                 "DEEPALERT_METRICS_DIMENSIONS"):
        monkeypatch.delenv(name, raising=False)


@inspector(author="intel")
def intel(attr: Attribute) -> list[ContentHost | Attribute] | None:
    if attr.value == "boom":
        raise RuntimeError("lookup failed")
    if attr.value == "two":
        return [ContentHost(country=["JP"]), ContentHost(owner=["x"]),
                Attribute(type="domain", value="a.example"),
                Attribute(type="domain", value="b.example")]
    return [ContentHost(country=["ZZ"])]


@pytest.fixture(params=[True, False], ids=["fast path", "general path"])
def inspector_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both of the inspector's paths count the same (the fast path is the SQS default)."""
    monkeypatch.setattr(_fast, "ENABLED", request.param)


def task(value: str) -> Task:
    return Task(report_id="r-1", attribute=Attribute(type="ipaddr", value=value))


def run_intel(*values: str, sink: MemorySink | None = None) -> MemorySink:
    sink = sink or MemorySink()
    intel.invoke(sqs_sns_event(*[task(v) for v in values]), FakeLambdaContext(),
                 sqs_client=sink, finding_queue_url=sink.finding_queue_url,
                 attribute_queue_url=sink.attribute_queue_url)
    return sink


def test_metrics_are_off_by_default(capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPALERT_METRICS", raising=False)
    run_intel("one", "boom")
    assert emf_lines(capsys.readouterr().out) == []


@pytest.mark.usefixtures("metrics_on", "inspector_path")
def test_an_inspector_invocation_writes_one_emf_document(
        capsys: pytest.CaptureFixture[str]) -> None:
    run_intel("one", "two", "boom")
    [doc] = emf_lines(capsys.readouterr().out)
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "DeepAlert"
    assert directive["Dimensions"] == [["Role", "Handler"]]
    assert (doc["Role"], doc["Handler"]) == ("inspector", "intel")
    assert metric_names(doc) == {"Records": "Count", "FailedRecords": "Count",
                                 "Findings": "Count", "NewAttributes": "Count",
                                 "FunctionDuration": "Milliseconds"}
    assert (doc["Records"], doc["FailedRecords"], doc["Findings"], doc["NewAttributes"]) == (
        3, 1, 3, 2)
    assert len(doc["FunctionDuration"]) == 2  # the function that raised has no duration
    assert all(v >= 0 for v in doc["FunctionDuration"])


@pytest.mark.usefixtures("metrics_on", "inspector_path")
def test_findings_count_only_records_whose_messages_were_accepted(
        capsys: pytest.CaptureFixture[str]) -> None:
    sink = MemorySink()
    sink.fail_when(lambda queue_url, body: "JP" in body)
    run_intel("one", "two", sink=sink)
    [doc] = emf_lines(capsys.readouterr().out)
    assert (doc["Records"], doc["FailedRecords"], doc["Findings"], doc["NewAttributes"]) == (
        2, 1, 1, 0)


@pytest.mark.usefixtures("metrics_on")
def test_namespace_and_dimensions_are_configurable(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Security")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "alerts")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "intel-fn")
    monkeypatch.setenv("DEEPALERT_METRICS_DIMENSIONS", "Service,FunctionName,Role")
    run_intel("one")
    [doc] = emf_lines(capsys.readouterr().out)
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Security"
    assert directive["Dimensions"] == [["Service", "FunctionName", "Role"]]
    assert (doc["Service"], doc["FunctionName"], doc["Role"]) == ("alerts", "intel-fn",
                                                                   "inspector")
    assert "Handler" not in doc
    monkeypatch.setenv("DEEPALERT_METRICS_NAMESPACE", "Mine")  # ours wins over Powertools'
    run_intel("one")
    [doc] = emf_lines(capsys.readouterr().out)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Mine"


@pytest.mark.usefixtures("metrics_on")
def test_powertools_switch_turns_them_off(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    run_intel("one")
    assert emf_lines(capsys.readouterr().out) == []


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.parametrize(("name", "value", "words"), [
    ("DEEPALERT_METRICS", "maybe", "DEEPALERT_METRICS must be 'on' or 'off'"),
    ("DEEPALERT_METRICS_DIMENSIONS", "Role,Colour", "unknown dimension(s) ['Colour']"),
])
def test_bad_settings_are_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        _metrics.emit("emitter", "x", records=1, failed=0, durations_ms=[1.0],
                      stream=io.StringIO())
    assert words in str(caught.value)


@pytest.mark.usefixtures("metrics_on")
def test_more_than_100_durations_are_split_as_emf_requires() -> None:
    out = io.StringIO()
    _metrics.emit("emitter", "x", records=250, failed=0, durations_ms=[1.5] * 250, stream=out)
    docs = emf_lines(out.getvalue())
    assert [len(d["FunctionDuration"]) for d in docs] == [100, 100, 50]
    assert docs[0]["Records"] == 250
    assert "Records" not in docs[1]


@pytest.mark.usefixtures("metrics_on")
def test_a_reviewer_invocation_is_one_record(capsys: pytest.CaptureFixture[str]) -> None:
    @reviewer
    def review(report: Report) -> Severity:
        if report.id == "bad":
            raise KeyError("x")
        return Severity.SAFE

    review(direct_event(make_report(id="good")), FakeLambdaContext())
    review(direct_event(make_report(id="bad")), FakeLambdaContext())  # published unclassified
    good, bad = emf_lines(capsys.readouterr().out)
    assert good["Role"] == "reviewer"
    assert good["Handler"].endswith("review")
    assert (good["Records"], good["FailedRecords"], len(good["FunctionDuration"])) == (1, 0, 1)
    assert (bad["Records"], bad["FailedRecords"]) == (1, 1)


@pytest.mark.usefixtures("metrics_on")
def test_an_emitter_batch(capsys: pytest.CaptureFixture[str]) -> None:
    @emitter
    def notify(report: Report) -> None:
        if report.id == "bad":
            raise RuntimeError("webhook down")

    reports = [make_report(id=i, status="published") for i in ("a", "bad", "c")]
    reports.append(make_report(id="d", status="new"))  # filtered out: not a failure, no call
    notify(sqs_sns_event(*reports), FakeLambdaContext())
    [doc] = emf_lines(capsys.readouterr().out)
    assert doc["Role"] == "emitter"
    assert (doc["Records"], doc["FailedRecords"], len(doc["FunctionDuration"])) == (4, 1, 2)
    assert "Findings" not in doc


@pytest.mark.usefixtures("metrics_on")
def test_a_bad_setting_fails_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPALERT_METRICS_DIMENSIONS", "Colour")
    sink = MemorySink()
    with pytest.raises(ConfigurationError, match="DEEPALERT_METRICS_DIMENSIONS"):
        run_intel("one", sink=sink)
    assert sink.requests == 0
    with pytest.raises(ConfigurationError, match="DEEPALERT_METRICS_DIMENSIONS"):
        review_safe(direct_event(make_report()), FakeLambdaContext())


@reviewer
def review_safe(report: Report) -> Severity:
    return Severity.SAFE
