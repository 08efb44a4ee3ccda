"""A moto stack for the core's handlers: the table, the topics (each read through a queue),
the two state machines, and the environment the functions get."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/deepalert-states"
_WAIT = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}})


@dataclass
class Stack:
    db: Any
    sns: Any
    sqs: Any
    sfn: Any
    table: str
    task_topic: str
    report_topic: str
    task_queue: str
    report_queue: str
    inspection: str
    review: str

    def items(self, prefix: str = "") -> list[dict[str, Any]]:
        """Every item of the table (whose pk starts with ``prefix``), sorted by pk, sk."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.table}
        while True:
            page = self.db.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        found = [i for i in items if i["pk"]["S"].startswith(prefix)]
        return sorted(found, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))

    def messages(self, queue: str) -> list[str]:
        """The SNS ``Message`` of everything published on a topic so far (drained)."""
        out: list[str] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            batch = got.get("Messages", [])
            if not batch:
                return out
            for message in batch:
                out.append(json.loads(message["Body"])["Message"])
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def executions(self, machine: str) -> list[str]:
        """The inputs of the machine's executions, oldest first."""
        listed = self.sfn.list_executions(stateMachineArn=machine)["executions"]
        inputs = [self.sfn.describe_execution(executionArn=e["executionArn"])
                  for e in listed]
        return [i["input"] for i in sorted(inputs, key=lambda i: i["startDate"])]


def build(monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Create the stack in the active moto mock and give the handlers its environment."""
    db = boto3.client("dynamodb", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    table = "deepalert-cache"
    db.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    topics = {}
    queues = {}
    for name in ("task", "report"):
        topic = sns.create_topic(Name=f"deepalert-{name}")["TopicArn"]
        queue = sqs.create_queue(QueueName=f"{name}-reader")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        topics[name], queues[name] = topic, queue
    inspection = sfn.create_state_machine(name="inspection", definition=_WAIT,
                                          roleArn=ROLE)["stateMachineArn"]
    review = sfn.create_state_machine(name="review", definition=_WAIT,
                                      roleArn=ROLE)["stateMachineArn"]
    for name, value in {"CACHE_TABLE": table, "TASK_TOPIC": topics["task"],
                        "REPORT_TOPIC": topics["report"], "INSPECTOR_MACHINE": inspection,
                        "REVIEW_MACHINE": review, "AWS_REGION": REGION,
                        "LOG_LEVEL": "debug"}.items():
        monkeypatch.setenv(name, value)
    return Stack(db, sns, sqs, sfn, table, topics["task"], topics["report"], queues["task"],
                 queues["report"], inspection, review)
