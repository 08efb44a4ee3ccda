"""A small stack and its handlers, to test the driver's mechanics apart from the core."""

from __future__ import annotations

import os
from typing import Any

import boto3

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Delay:
    Type: Number
    Default: 60
Globals:
  Function:
    Runtime: python3.12
    CodeUri: .
    Environment:
      Variables:
        TABLE: !Ref Table
        TOPIC: !Ref Topic
        MACHINE: !Ref Machine
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Topic:
    Type: AWS::SNS::Topic
  DeadLetterQueue:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetterQueue.Arn
        maxReceiveCount: 2
  StreamFailureQueue:
    Type: AWS::SQS::Queue
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.aws.fake_stack.worker
      Policies:
        - Statement:
            - Effect: Allow
              Action: dynamodb:PutItem
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: states:StartExecution
              Resource: !Ref Machine
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            FunctionResponseTypes: [ReportBatchItemFailures]
  PublisherFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.aws.fake_stack.publisher
      Timeout: 7
      Policies:
        - Statement:
            - Effect: Allow
              Action: sns:Publish
              Resource: !Ref Topic
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 10
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "report/"}]}}}}'
            FunctionResponseTypes: [ReportBatchItemFailures]
            MaximumRetryAttempts: 2
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt StreamFailureQueue.Arn
  StepFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.aws.fake_stack.step
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/states
      DefinitionString: !Sub
        - |-
          {"StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "Seconds": ${Delay}, "Next": "Step"},
            "Step": {"Type": "Task", "Resource": "${Step}", "ResultPath": "$.result",
                     "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                "Next": "After"}],
                     "Next": "After"},
            "After": {"Type": "Task", "Resource": "${Step}", "ResultPath": "$.after",
                      "End": true}}}
        - Step: !GetAtt StepFunction.Arn
Outputs:
  WorkQueueUrl:
    Value: !Ref WorkQueue
  DeadLetterQueueUrl:
    Value: !Ref DeadLetterQueue
  StreamFailureQueueUrl:
    Value: !Ref StreamFailureQueue
  TopicArn:
    Value: !Ref Topic
  ReportTopicArn:
    Value: !Ref Topic
"""

calls: list[tuple[str, Any]] = []
budgets: list[int] = []  # the worker's remaining milliseconds, at the start of each invocation


class Flaky(Exception):
    """An error the machine's Retry names."""


def worker(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Bodies: "fail" fails its record, "deny" makes a call it may not, "start:X" starts the
    machine, anything else writes report/<body>."""
    budgets.append(context.get_remaining_time_in_millis())  # type: ignore[attr-defined]
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["TABLE"])
    failures = []
    for record in event["Records"]:
        body = record["body"]
        calls.append(("worker", body))
        if body == "fail":
            failures.append({"itemIdentifier": record["messageId"]})
        elif body == "deny":
            try:
                table.delete_item(Key={"pk": "x"})
            except Exception:
                failures.append({"itemIdentifier": record["messageId"]})
        elif body.startswith("start:"):
            boto3.client("stepfunctions", region_name="us-east-1").start_execution(
                stateMachineArn=os.environ["MACHINE"], input=f'{{"what": "{body[6:]}"}}')
        else:
            table.put_item(Item={"pk": body})
    return {"batchItemFailures": failures}


def publisher(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Publish each report item's key; report/poison always fails."""
    sns = boto3.client("sns", region_name="us-east-1")
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["pk"]["S"]
        calls.append(("publisher", key))
        if key == "report/poison":
            return {"batchItemFailures": [
                {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        sns.publish(TopicArn=os.environ["TOPIC"], Message=key)
    return {"batchItemFailures": []}


def step(event: dict[str, Any], context: object) -> Any:
    """A task: "flaky-once" fails once then works; "broken" always fails."""
    calls.append(("step", event.get("what")))
    what = event.get("what")
    if what == "flaky-once" and sum(1 for c in calls if c == ("step", what)) == 1:
        raise Flaky("try again")
    if what == "broken" and "error" not in event:
        raise ValueError("broken")
    return {"ok": what}
