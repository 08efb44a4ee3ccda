"""Recognising the source and its delivery envelope, reading files, and failing one event."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path

import pytest

from deepalert import Alert, DeepAlertError
from deepalert.sources import SOURCES, SourceError, convert, convert_file, detect_source
from deepalert.testing import sns_event, sqs_event, sqs_sns_event

from ._fixtures import check, lines, load, path

EVE = "suricata-eve.jsonl"


def _awslogs(messages: list[str]) -> dict[str, object]:
    payload = {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "trail",
               "logStream": "s", "subscriptionFilters": ["f"],
               "logEvents": [{"id": str(i), "timestamp": 0, "message": m}
                             for i, m in enumerate(messages)]}
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


def test_source_names_for_the_cli() -> None:
    """SOURCES lists auto, deepalert and every format, each once."""
    assert SOURCES[:2] == ("auto", "deepalert")
    assert set(SOURCES) >= {"guardduty", "asff", "ocsf", "suricata", "falco", "cloudtrail",
                            "elastic", "chainsaw", "hayabusa", "zircolite"}
    assert len(set(SOURCES)) == len(SOURCES)


@pytest.mark.parametrize(("name", "expected"), [
    ("aws-samples-guardduty_ec2_event.json", "guardduty"),
    ("ecs-example-alert.json", "elastic"),
    ("elastic-threshold-alert.json", "elastic"),
])
def test_detect_source(name: str, expected: str) -> None:
    """A record is recognised by its own fields."""
    assert detect_source(load(name)) == expected


def test_text_and_bytes_are_read_as_json() -> None:
    """A JSON string or UTF-8 bytes convert like the parsed dict."""
    event = load("falco-website-channels.jsonl")
    as_dict = convert(event)
    assert convert(json.dumps(event)) == as_dict
    assert convert(json.dumps(event).encode()) == as_dict


def test_cloudtrail_log_file_records() -> None:
    """A CloudTrail log file's Records are each run through the rules."""
    [alert] = check(convert(load("awsdocs-cloudtrail-console-signin.json")))
    assert alert.rule_id == "aws-console-login-without-mfa"


def test_cloudwatch_logs_subscription() -> None:
    """CloudWatch Logs subscription data (base64 gzip) is unpacked to its log events."""
    records = load("awsdocs-cloudtrail-console-signin.json")["Records"]
    alerts = check(convert(_awslogs([json.dumps(r) for r in records])))
    assert [a.alert_key for a in alerts] == ["arn:aws:iam::111122223333:user/anaya"]


def test_cloudwatch_logs_control_message_is_empty() -> None:
    """The control message CloudWatch sends when a subscription starts gives no alert."""
    payload = {"messageType": "CONTROL_MESSAGE", "logEvents": []}
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    assert convert({"awslogs": {"data": data}}) == []


def test_cloudwatch_logs_corrupt_data_names_the_field() -> None:
    """Data that is not base64 gzip fails naming awslogs.data."""
    with pytest.raises(SourceError) as info:
        convert({"awslogs": {"data": "not-base64!"}})
    assert info.value.field == "awslogs.data"


@pytest.mark.parametrize("wrap", [sns_event, sqs_event, sqs_sns_event])
def test_lambda_envelopes(wrap: object) -> None:
    """GuardDuty events arriving through SNS, SQS or SNS-in-SQS convert as if direct."""
    event = load("guardduty-ipv6-eventbridge.json")
    wrapped = wrap(json.dumps(event))  # type: ignore[operator]
    assert convert(wrapped) == convert(event)


def test_security_hub_findings_list() -> None:
    """A get-findings style {"Findings": [...]} converts each finding (kept when asked)."""
    from deepalert.sources import SourcePolicy

    policy = SourcePolicy(keep_archived=True, keep_closed=True)
    [alert] = check(convert(load("awscli-securityhub-get-findings.json"), policy=policy))
    assert (alert.detector, alert.rule_id) == ("aws.securityhub:aws/securityhub",
                                               "PCI.Lambda.2")


def test_deepalert_alerts_pass_through() -> None:
    """Input that already is a DeepAlert alert is read through the wire codec, unchanged."""
    alert = Alert(detector="d", rule_id="r", alert_key="k", attributes=[])
    assert convert(alert.to_json()) == [alert]
    assert convert(alert.to_json(), source="deepalert") == [alert]


def test_unrecognised_event_names_the_sources() -> None:
    """An event no converter recognises fails saying so and listing the source names."""
    with pytest.raises(SourceError) as info:
        convert({"hello": "world"})
    assert info.value.source == "auto"
    assert "suricata" in str(info.value)
    assert "hello" in str(info.value)
    assert isinstance(info.value, DeepAlertError)
    assert isinstance(info.value, ValueError)


def test_wrong_source_names_a_missing_field() -> None:
    """Naming a source the event is not fails naming that source and a field it lacks."""
    with pytest.raises(SourceError) as info:
        convert(load("falco-website-channels.jsonl"), source="suricata")
    assert (info.value.source, info.value.field) == ("suricata", "event_type")


def test_unknown_source_name() -> None:
    """A source name outside SOURCES is a ValueError before anything is read."""
    with pytest.raises(ValueError, match="unknown source"):
        convert({}, source="splunk")


def test_invalid_json() -> None:
    """Text that is not JSON fails as a SourceError."""
    with pytest.raises(SourceError, match="not valid JSON"):
        convert("{nope")


def test_error_inside_an_envelope_names_the_record() -> None:
    """A bad record inside Records names its index as the position."""
    records = load("awsdocs-cloudtrail-console-signin.json")
    del records["Records"][1]["eventName"]
    with pytest.raises(SourceError) as info:
        convert(records)
    assert (info.value.source, info.value.field, info.value.position) == (
        "cloudtrail", "eventName", "Records[1]")


def test_file_of_json_lines_fails_only_the_bad_line(tmp_path: Path) -> None:
    """In a JSON-lines file a broken line fails alone, naming its line, and the rest convert."""
    text = path(EVE).read_text().splitlines()
    text.insert(1, '{"event_type": "alert", "timestamp": "x", "alert": {"signature": "s"}}')
    text.insert(2, "{broken")
    file = tmp_path / "eve.json"
    file.write_text("\n".join(text) + "\n")
    items = list(convert_file(file))
    assert [i.position for i in items] == [f"line {n}" for n in range(1, 8)]
    errors = {i.position: i.error for i in items if i.error}
    assert set(errors) == {"line 2", "line 3"}
    assert errors["line 2"].field == "alert.signature_id"
    assert errors["line 2"].source == "suricata"
    assert str(errors["line 2"]).startswith("line 2: suricata event field 'alert.signature_id'")
    assert sum(len(i.alerts) for i in items) == 4
    assert any("event_type 'flow'" in s for i in items for s in i.skipped)


def test_file_holding_a_json_array(tmp_path: Path) -> None:
    """A JSON array file yields one item per element, counted from 1."""
    file = tmp_path / "findings.json"
    file.write_text(json.dumps([load("guardduty-ipv6-eventbridge.json"), {"x": 1}]))
    items = list(convert_file(file))
    assert [(i.position, len(i.alerts), i.error is None) for i in items] == [
        ("item 1", 1, True), ("item 2", 0, False)]
    assert items[1].error is not None
    assert items[1].error.position == "item 2"


def test_file_holding_one_pretty_printed_event() -> None:
    """A pretty-printed file holding one event is one item."""
    [item] = list(convert_file(path("guardduty-ipv6-eventbridge.json")))
    assert item.position == "item 1"
    assert len(item.alerts) == 1


def test_gzip_file_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gzip files are read as their content, and "-" reads standard input."""
    data = path("awsdocs-cloudtrail-console-signin.json").read_bytes()
    file = tmp_path / "trail.json.gz"
    file.write_bytes(gzip.compress(data))
    [from_gzip] = list(convert_file(file))

    class Stdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr("sys.stdin", Stdin)
    [from_stdin] = list(convert_file("-"))
    assert from_gzip.alerts == from_stdin.alerts
    assert len(from_gzip.alerts) == 1


def test_every_fixture_line_converts() -> None:
    """Every event of every JSON-lines fixture converts without error."""
    for name in (EVE, "falco-events.jsonl", "hayabusa-timeline.jsonl", "ocsf-findings.jsonl",
                 "suricata-verify-alert-testmyids.jsonl"):
        for event in lines(name):
            check(convert(event))


def test_guardduty_events_that_are_no_findings_are_skipped(tmp_path: Path) -> None:
    """A GuardDuty EventBridge event of another detail-type (a malware scan result) gives no
    alert and no error, and says why."""
    event = {"version": "0", "detail-type": "GuardDuty Malware Protection Object Scan Result",
             "source": "aws.guardduty", "detail": {"scanStatus": "COMPLETED"}}
    file = tmp_path / "event.json"
    file.write_text(json.dumps(event))
    [item] = list(convert_file(file))
    assert item.alerts == []
    assert item.error is None
    assert item.skipped == ["item 1, guardduty: detail-type "
                            "'GuardDuty Malware Protection Object Scan Result' is not a finding"]
