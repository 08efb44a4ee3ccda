"""What users of the ready integrations and the harness see, checked by mypy
(tests/typing/test_mypy.py); never run."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from deepalert import Report
from deepalert.integrations import slack
from deepalert.local import LocalPipeline
from deepalert.testing import EmitRun, ReviewRun, run_emitter, run_reviewer


def harness(report: Report) -> None:
    # A ready emitter's environment-configured handler fits the harness and the pipeline.
    assert_type(run_emitter(slack.handler, report), EmitRun)
    assert_type(run_emitter(slack.slack_emitter(webhook_url="https://example.com/h"), report),
                EmitRun)
    LocalPipeline(emitters=[slack.handler])

    # Any reviewer Lambda handler fits run_reviewer.
    def review(event: Any, context: Any) -> dict[str, str]:
        return {"severity": "safe", "reason": "test"}

    assert_type(run_reviewer(review, report), ReviewRun)
