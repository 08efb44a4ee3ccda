"""`deepalert send`: files or standard input to the alert queue; exit 1 when anything failed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deepalert import Alert
from deepalert.cli import main

ROOT = Path(__file__).parents[2]
GUARDDUTY = ROOT / "examples" / "alerts" / "guardduty-ssh-bruteforce.json"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def _bodies(sqs: Any, url: str) -> list[str]:
    out: list[str] = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        out += [m["Body"] for m in got]
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def test_send_converts_and_sends_files(sqs: Any, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Raw source events are converted as `deepalert run` reads them, then sent."""
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    assert main(["send", str(GUARDDUTY), "--queue-url", url]) == 0
    bodies = _bodies(sqs, url)
    assert len(bodies) == 1
    assert Alert.from_json(bodies[0]).detector == "aws.guardduty"
    assert "1 sent, 0 failed (1 requests)" in capsys.readouterr().err


def test_bad_records_are_named_and_make_the_exit_status_1(sqs: Any, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """A line that is not an alert, or breaks a limit, is printed with where it was; the rest
    is sent."""
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    good = Alert(detector="ids", rule_id="scan", alert_key="a").to_json()
    no_rule = Alert(detector="ids", rule_id="x").to_json().replace('"rule_id":"x"',
                                                                    '"rule_id":""')
    path = tmp_path / "alerts.jsonl"
    path.write_text(f"{good}\n{{oops\n{no_rule}\n{good}\n", encoding="utf-8")
    assert main(["send", str(path), "--queue-url", url]) == 1
    err = capsys.readouterr().err
    assert f"{path} line 2:" in err
    assert f"{path} line 3:" in err
    assert "rule_id" in err
    assert "2 sent, 2 failed" in err
    assert len(_bodies(sqs, url)) == 2


def test_a_destination_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    """Neither --queue-url nor --topic-arn is a usage error."""
    with pytest.raises(SystemExit) as exc:
        main(["send", "x.json"])
    assert exc.value.code == 2
    assert "--queue-url" in capsys.readouterr().err


def test_convert_piped_into_send_through_a_moto_server(tmp_path: Path) -> None:
    """`deepalert convert FILE | deepalert send - --queue-url URL`, as separate processes,
    against a moto server on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        client = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
        url = client.create_queue(QueueName="alerts")["QueueUrl"]
        suricata = ROOT / "examples" / "alerts" / "suricata-eve.jsonl"
        command = [sys.executable, "-m", "deepalert"]
        convert = subprocess.Popen([*command, "convert", str(suricata)], env=env,
                                   stdout=subprocess.PIPE, cwd=tmp_path)
        sent = subprocess.run([*command, "send", "-", "--queue-url", url], env=env,
                              stdin=convert.stdout, capture_output=True, text=True,
                              cwd=tmp_path, timeout=60)
        assert convert.stdout is not None
        convert.stdout.close()
        assert convert.wait(timeout=60) == 0
        assert sent.returncode == 0, sent.stderr
        converted = subprocess.run([*command, "convert", str(suricata)], env=env,
                                   capture_output=True, text=True, check=True).stdout
        expected = converted.splitlines()
        assert f"{len(expected)} sent, 0 failed" in sent.stderr
        assert sorted(_bodies(client, url)) == sorted(expected)
    finally:
        server.stop()


def test_send_to_a_topic(sqs: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--topic-arn publishes with PublishBatch; the queue subscribed to it gets envelopes."""
    import json

    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    assert main(["send", str(GUARDDUTY), "--topic-arn", topic]) == 0
    (body,) = _bodies(sqs, url)
    assert Alert.from_json(json.loads(body)["Message"]).detector == "aws.guardduty"
    assert "1 sent, 0 failed" in capsys.readouterr().err


def test_a_malformed_topic_arn_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--topic-arn that is not an SNS ARN: exit 2, naming it, nothing sent."""
    assert main(["send", str(GUARDDUTY), "--topic-arn", "alerts"]) == 2
    assert "not an SNS topic ARN" in capsys.readouterr().err
