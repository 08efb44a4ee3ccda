"""What users of the AWS parts see, checked by mypy (tests/typing/test_mypy.py); never run."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from typing_extensions import assert_type

import deepalert
from deepalert import Alert, FailedAlert, Report, SendResult, SentAlert
from deepalert.testing import AwsCore, CoreFunction, Execution


def sending(alerts: list[Alert]) -> None:
    result = deepalert.send(alerts, queue_url="https://sqs.us-east-1.amazonaws.com/1/q")
    assert_type(result, SendResult)
    assert_type(result.sent, list[SentAlert])
    assert_type(result.failed, list[FailedAlert])
    assert_type(result.ok, bool)
    assert_type(result.failed[0].alert, Alert | None)
    deepalert.send(["{}", b"{}"], topic_arn="arn:aws:sns:us-east-1:1:t")


def driving(core: AwsCore) -> None:
    core.advance(minutes=5)
    core.run()
    assert_type(core.now(), datetime)
    assert_type(core.published(), list[Report])
    assert_type(core.output("AlertQueueUrl"), str)
    assert_type(core.executions, list[Execution])
    assert_type(core.functions, dict[str, CoreFunction])
    assert_type(core.requests_by_operation(), Counter[tuple[str, str]])
