"""AwsDelivery: tasks and reports go out in PublishBatch requests; nothing is dropped quietly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from deepalert.core.aws import AwsDelivery, execution_name
from deepalert.core.aws._delivery import SNS_MAX_BYTES, MessageTooLargeError
from deepalert.errors import ConfigurationError, DeliveryError


@pytest.fixture
def sns() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("sns", region_name="us-east-1")


def test_tasks_are_sent_ten_to_a_request(sns: object) -> None:
    """25 tasks: three PublishBatch requests, sent when flushed."""
    topic = sns.create_topic(Name="task")["TopicArn"]  # type: ignore[attr-defined]
    delivery = AwsDelivery(sns=sns, task_topic=topic)
    for n in range(25):
        delivery.publish_task(f'{{"report_id":"r","attribute":{{"value":"{n}"}}}}')
    assert delivery.requests == 0
    delivery.flush()
    assert delivery.requests == 3
    delivery.flush()  # nothing queued: no request
    assert delivery.requests == 3


def test_a_topic_that_refuses_raises_after_the_retries(sns: object) -> None:
    """Messages SNS did not accept are an error the handler turns into a failed record."""
    delivery = AwsDelivery(sns=sns, task_topic="arn:aws:sns:us-east-1:123456789012:missing")
    delivery.publish_task("{}")
    with pytest.raises(DeliveryError, match="1 of 1 messages were not published"):
        delivery.flush()


def test_an_oversized_message_is_refused_before_sending(sns: object) -> None:
    """A report over 256 KiB can never be published: said at once, nothing sent."""
    delivery = AwsDelivery(sns=sns, report_topic="arn:aws:sns:us-east-1:123456789012:r")
    with pytest.raises(MessageTooLargeError, match="over SNS's limit"):
        delivery.publish_report("x" * (SNS_MAX_BYTES + 1))
    assert delivery.requests == 0


def test_missing_arns_are_named() -> None:
    """A delivery without its topic or machine says which variable is missing."""
    with pytest.raises(ConfigurationError, match="TASK_TOPIC"):
        AwsDelivery().publish_task("{}")
    with pytest.raises(ConfigurationError, match="REVIEW_MACHINE"):
        AwsDelivery().schedule_review(timedelta(minutes=10), "{}")


def test_execution_names_follow_the_input() -> None:
    """The same input, the same name (a redelivery starts nothing new); names are valid."""
    a = execution_name("2fb0c0de-0000-4000-8000-000000000001", '{"id":"x"}')
    assert a == execution_name("2fb0c0de-0000-4000-8000-000000000001", '{"id":"x"}')
    assert a != execution_name("2fb0c0de-0000-4000-8000-000000000001", '{"id":"y"}')
    assert len(a) <= 80
    assert all(c.isalnum() or c in "-_" for c in execution_name("a/b c", "{}"))
