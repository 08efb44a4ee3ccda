"""The example emitter runs from its folder, imports by MODULE:NAME and deploys as documented."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from deepalert import ReportStatus, Severity
from deepalert.emitter import Emitter
from deepalert.testing import make_report, run_emitter
from tests.reviewer.test_example import load_template

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "examples" / "emitter"


def test_the_example_tests_pass_when_run_from_the_example_folder() -> None:
    """`python -m pytest` in examples/emitter passes (its webhook receiver is on 127.0.0.1)."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=FOLDER, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 passed" in result.stdout


def test_the_example_imports_by_module_and_name() -> None:
    """examples.emitter.slack:post_to_slack is an Emitter for published, non-safe reports."""
    emitter = importlib.import_module("examples.emitter.slack").post_to_slack
    assert isinstance(emitter, Emitter)
    assert emitter.statuses == {"published"}
    assert emitter.min_severity is Severity.UNCLASSIFIED


def test_offline_the_example_prints_instead_of_failing(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """Without SLACK_WEBHOOK_URL (the tests' clean environment) a report is printed."""
    emitter = importlib.import_module("examples.emitter.slack").post_to_slack
    run = run_emitter(emitter, make_report(status=ReportStatus.PUBLISHED, severity="urgent"))
    assert (run.ran, run.failed) == (True, False)
    assert "is printed, not posted" in capsys.readouterr().err


def test_the_sam_template_subscribes_a_queue_with_partial_batch_responses() -> None:
    """template.yaml feeds slack.post_to_slack from an SQS queue subscribed to the topic."""
    template = load_template(FOLDER / "template.yaml")
    resources = template["Resources"]
    props = resources["EmitterFunction"]["Properties"]
    module, name = props["Handler"].split(".")
    assert isinstance(getattr(importlib.import_module(f"examples.emitter.{module}"), name),
                      Emitter)
    source = props["Events"]["Reports"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    subscription = resources["ReportSubscription"]["Properties"]
    assert subscription["Protocol"] == "sqs"
    assert subscription["RawMessageDelivery"] is False  # bodies stay SNS envelopes
    url = props["Environment"]["Variables"]["SLACK_WEBHOOK_URL"]
    assert "resolve:secretsmanager" in url["Sub"]
    assert "hooks.slack.com" not in str(template)
