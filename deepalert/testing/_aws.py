"""The DeepAlert core on moto: what AWS does around the Lambdas, played in process.

moto keeps the table, the topics, the queues and the state machines' executions, but runs no
Lambda function and no state machine. :class:`AwsCore` deploys the core's SAM template on
moto and plays the rest:

- SQS event-source mappings: batches from each queue to its function, partial batch
  responses honoured, failed records made visible again and moved to the dead-letter queue
  by SQS after ``maxReceiveCount`` receives;
- the table's stream (moto's DynamoDB Streams) into ``publish_report``, with the mapping's
  filter, batch size, partial batch responses, retries and on-failure destination;
- each state machine execution (moto's Step Functions records them), step by step: Wait
  states on a simulated clock you advance, Task states invoking the function their
  ``Resource`` names, ``ResultPath``/``OutputPath``, ``Retry`` and ``Catch``;
- SNS subscriptions: inspectors' task queues and emitters' report queues, as the examples'
  stacks wire them (SNS envelopes in SQS bodies, partial batch responses).

Each core function runs with the environment and the permissions its template gives it: a
call its role does not allow fails with ``AccessDeniedException``, as on AWS. Every AWS
request a function makes is counted by service and operation.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from deepalert.models import Report
from deepalert.testing._aws_template import Resolver, load_cfn_yaml
from deepalert.testing._context import FakeLambdaContext

__all__ = ["AwsCore", "CoreFunction", "Execution"]

_ACCOUNT = "123456789012"
_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
_MAX_STATE_BYTES = 262_144
_BLOCKED_AFTER = 50  # tries of one stream record, without a retry limit, before giving up
_LAMBDA_ERRORS = ("Lambda.ServiceException", "Lambda.AWSLambdaException",
                  "Lambda.SdkClientException", "Lambda.TooManyRequestsException")


@dataclass
class CoreFunction:
    """A Lambda function of the stack, as the driver runs it.

    Attributes:
        logical_id: its logical ID in the template (``ReceptAlertFunction``).
        name: its function name.
        arn: its ARN.
        handler: the ``Handler`` (``deepalert.core.handlers.recept_alert``), or the user
            function's name.
        environment: the variables it runs with.
        statements: the IAM statements its role allows (``None``: not checked).
        call: the Python callable.
        invocations: how many times the driver invoked it.
        timeout_s: its ``Timeout`` (the function's, else the template's ``Globals``, else
            Lambda's default of 3 seconds; 30 for the functions of the roles you pass): the
            time budget its Lambda context counts down in each invocation.
    """

    logical_id: str
    name: str
    arn: str
    handler: str
    environment: dict[str, str]
    statements: list[dict[str, Any]] | None
    call: Callable[[Any, Any], Any] | None = None
    invocations: int = 0
    timeout_s: float = 30.0


_LAMBDA_DEFAULT_TIMEOUT_S = 3
"""Lambda's timeout for a function whose template gives none."""


@dataclass
class Execution:
    """One state machine execution, as the driver ran it.

    Attributes:
        machine: the state machine's logical ID (``ReviewMachine``).
        arn: the execution ARN moto gave it.
        input: the execution input.
        status: ``RUNNING``, ``SUCCEEDED`` or ``FAILED``.
        output: the final state (``SUCCEEDED``).
        error: the error name and cause (``FAILED``).
        states: the states entered, in order.
    """

    machine: str
    arn: str
    input: Any
    status: str = "RUNNING"
    output: Any = None
    error: dict[str, str] | None = None
    states: list[str] = field(default_factory=list)
    _state: str = ""
    _data: Any = None


@dataclass
class _Mapping:
    queue_url: str
    queue_arn: str
    function: CoreFunction
    batch_size: int
    partial: bool
    twice: int = 0


@dataclass
class _Stream:
    arn: str
    iterator: str
    function: CoreFunction
    batch_size: int
    filters: list[Any]
    partial: bool
    max_retries: int
    on_failure: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0


class AwsCore:
    """The core's SAM stack on moto, with your inspectors, reviewer and emitters.

    Create it inside an active moto mock (``with moto.mock_aws(): ...``). It deploys the
    template, subscribes each inspector and emitter through its own queue (as the examples'
    stacks do) and passes the reviewer's ARN to the template's ``ReviewerFunctionArn``.

    Example:
        >>> with mock_aws():                                    # doctest: +SKIP
        ...     core = AwsCore(inspectors=[ip_classifier], reviewer=review,
        ...                    emitters=[post_to_slack])
        ...     core.send([alert])
        ...     core.run()                        # the 5- and 10-minute waits, simulated
        ...     [r.result.severity for r in core.published()]

    Args:
        inspectors: ``@inspector`` handlers, each fed by a queue subscribed to the task topic.
        reviewer: the ``@reviewer`` handler; ``None`` runs the core's ``dummy_reviewer``.
        emitters: ``@emitter`` handlers, each fed by a queue subscribed to the report topic.
        template: the SAM template's text (the core's, by default).
        parameters: template parameter values (``InspectDelay``, ``ReviewDelay``, ...).
        region: the region to deploy in.
        stack_name: prefixes resource names.
        start: the simulated clock's start.
        enforce_iam: fail core functions' calls that their role does not allow.
    """

    def __init__(self, *, inspectors: Sequence[Callable[..., Any]] = (),
                 reviewer: Callable[..., Any] | None = None,
                 emitters: Sequence[Callable[..., Any]] = (), template: str | None = None,
                 parameters: Mapping[str, str] | None = None, region: str = "us-east-1",
                 stack_name: str = "deepalert", start: datetime = _START,
                 enforce_iam: bool = True) -> None:
        from deepalert._cli_template import core_template

        _require_moto()

        self.region = region
        self.stack_name = stack_name
        self.enforce_iam = enforce_iam
        self._now = start
        self._seq = itertools.count()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        """AWS requests made by the functions: (function logical ID, service, operation)."""
        self.executions: list[Execution] = []
        """Every state machine execution started, in start order."""
        self.errors: list[str] = []
        """Function errors seen by the driver (raised exceptions), for diagnosis."""
        self.denied: list[tuple[str, str, str]] = []
        """Requests refused for want of permission: (function logical ID, action, resource)."""
        self._faults: list[list[Any]] = []
        self._published: list[str] = []
        self._schedule: list[tuple[datetime, int, Execution]] = []
        self._dirty: set[str] = set()
        self._seen_executions: set[str] = set()
        self._clients = _driver_clients(region)
        _forget_cached_clients()

        params = dict(parameters or {})
        self._reviewer = reviewer
        if reviewer is not None:
            params.setdefault("ReviewerFunctionArn", self._function_arn("reviewer"))
        params.setdefault("AWS::Region", region)
        params.setdefault("AWS::StackName", stack_name)
        self.template = load_cfn_yaml(template if template is not None else core_template())
        self._physical: dict[str, dict[str, str]] = {}
        self._resolver = Resolver(self.template, params, self._ref, self._get_att)
        self.functions: dict[str, CoreFunction] = {}
        """The stack's functions by logical ID (and the user's, by name)."""
        self._by_arn: dict[str, CoreFunction] = {}
        self._mappings: list[_Mapping] = []
        self._streams: list[_Stream] = []
        self._machines: dict[str, str] = {}
        self._definitions: dict[str, Any] = {}
        self._deploy()
        if reviewer is not None:
            self._add_function(CoreFunction("reviewer", "reviewer",
                                            self._function_arn("reviewer"), _name_of(reviewer),
                                            {}, None, reviewer))
        for inspector in inspectors:
            self._subscribe_inspector(inspector)
        for emitter in emitters:
            self._subscribe_queue(emitter, self.output("ReportTopicArn"), "emitter", {})
        recorder = self._clients["sqs"].create_queue(
            QueueName=f"{stack_name}-published-recorder")["QueueUrl"]
        self._recorder = recorder
        self._clients["sns"].subscribe(
            TopicArn=self.output("ReportTopicArn"), Protocol="sqs",
            Endpoint=self._queue_arn(recorder), Attributes={"RawMessageDelivery": "true"})

    # --- what a test uses ------------------------------------------------------------------

    def output(self, name: str) -> str:
        """A stack output's value (``AlertQueueUrl``, ``TaskTopicArn``, ...)."""
        value = self._resolver.resolve(self.template["Outputs"][name]["Value"])
        return str(value)

    def now(self) -> datetime:
        """The simulated clock's time."""
        return self._now

    def send(self, alerts: Sequence[Any]) -> None:
        """Send alerts to the alert queue with :func:`deepalert.send`; raise if any failed."""
        from deepalert._send import send

        send(alerts, queue_url=self.output("AlertQueueUrl"),
             client=self._clients["sqs"]).raise_for_failures()

    def deliver_twice(self, queue_output: str = "AlertQueueUrl", batches: int = 1) -> None:
        """Hand the next ``batches`` batches of a queue to its function twice, with the same
        message IDs, as SQS's at-least-once delivery may."""
        url = self.output(queue_output)
        for mapping in self._mappings:
            if mapping.queue_url == url:
                mapping.twice += batches
                return
        raise ValueError(f"no function reads {queue_output}")

    def fail_next(self, function: str, operation: str, *, times: int = 1,
                  code: str = "InternalError") -> None:
        """Make the function's next ``times`` requests of ``operation`` (``"PublishBatch"``)
        fail with the AWS error ``code``, as a throttled or failing service would."""
        self._faults.append([function, operation, times, code])

    def run(self, *, max_steps: int = 10_000) -> None:
        """Run until nothing is left to do, moving the clock over every wait."""
        for _ in range(max_steps):
            self._drain()
            if not self._schedule:
                return
            due = self._schedule[0][0]
            self._now = max(self._now, due)
            self._step_due()
        raise RuntimeError(f"still busy after {max_steps} steps")

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> None:
        """Move the clock forward (``advance(minutes=5)``), running what falls due on the way."""
        end = self._now + (delta if delta is not None else timedelta(**kwargs))
        self._drain()
        while self._schedule and self._schedule[0][0] <= end:
            self._now = max(self._now, self._schedule[0][0])
            self._step_due()
            self._drain()
        self._now = end
        self._drain()

    def reports(self) -> list[Report]:
        """Every report published on the report topic, in order (``new``, ``more``,
        ``published``)."""
        self._drain()
        return [Report.from_json(text) for text in self._published]

    def published(self) -> list[Report]:
        """The reports published with status ``published``."""
        return [r for r in self.reports() if r.status == "published"]

    def dead_letters(self, queue_output: str) -> list[str]:
        """The bodies waiting in a dead-letter queue (``AlertDeadLetterQueueUrl``, ...)."""
        return _bodies(self._clients["sqs"], self.output(queue_output), delete=False)

    def requests_by_operation(self) -> Counter[tuple[str, str]]:
        """AWS requests made by the core's functions, by (service, operation)."""
        out: Counter[tuple[str, str]] = Counter()
        for (_function, service, operation), n in self.requests.items():
            out[(service, operation)] += n
        return out

    # --- deployment ------------------------------------------------------------------------

    def _function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{_ACCOUNT}:function:{name}"

    def _queue_arn(self, url: str) -> str:
        return f"arn:aws:sqs:{self.region}:{_ACCOUNT}:{url.rstrip('/').rsplit('/', 1)[-1]}"

    def _resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def _active(self, logical: str) -> bool:
        condition = self._resources()[logical].get("Condition")
        return condition is None or self._resolver.condition(condition)

    def _ref(self, logical: str) -> str:
        return self._ensure(logical)["Ref"]

    def _get_att(self, logical: str, attribute: str) -> str:
        physical = self._ensure(logical)
        if attribute not in physical:
            raise KeyError(f"the driver knows no {logical}.{attribute}")
        return physical[attribute]

    def _ensure(self, logical: str) -> dict[str, str]:
        if logical in self._physical:
            return self._physical[logical]
        resource = self._resources()[logical]
        kind = resource["Type"]
        props = resource.get("Properties") or {}
        name = f"{self.stack_name}-{logical}"
        physical: dict[str, str]
        if kind == "AWS::DynamoDB::Table":
            physical = self._create_table(name, props)
        elif kind == "AWS::SNS::Topic":
            arn = self._clients["sns"].create_topic(Name=name)["TopicArn"]
            physical = {"Ref": arn, "TopicName": name}
        elif kind == "AWS::SQS::Queue":
            attributes = {}
            for key in ("VisibilityTimeout", "MessageRetentionPeriod"):
                if key in props:
                    attributes[key] = str(self._resolver.resolve(props[key]))
            if "RedrivePolicy" in props:
                attributes["RedrivePolicy"] = json.dumps(
                    self._resolver.resolve(props["RedrivePolicy"]))
            url = self._clients["sqs"].create_queue(QueueName=name, Attributes=attributes)[
                "QueueUrl"]
            physical = {"Ref": url, "Arn": self._queue_arn(url), "QueueName": name}
        elif kind in {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
            arn = self._function_arn(name)
            physical = {"Ref": name, "Arn": arn}
        elif kind == "AWS::StepFunctions::StateMachine":
            physical = {"Ref": f"arn:aws:states:{self.region}:{_ACCOUNT}:stateMachine:{name}",
                        "Name": name}
        elif kind == "AWS::IAM::Role":
            physical = {"Ref": name, "Arn": f"arn:aws:iam::{_ACCOUNT}:role/{name}"}
        else:
            physical = {"Ref": name}
        self._physical[logical] = physical
        return physical

    def _create_table(self, name: str, props: Mapping[str, Any]) -> dict[str, str]:
        dynamodb = self._clients["dynamodb"]
        stream = props.get("StreamSpecification")
        extra: dict[str, Any] = {}
        if stream:
            extra["StreamSpecification"] = {"StreamEnabled": True,
                                            "StreamViewType": stream["StreamViewType"]}
        table = dynamodb.create_table(
            TableName=name, KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"), **extra)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        physical = {"Ref": name, "Arn": table["TableArn"]}
        if stream:
            physical["StreamArn"] = table["LatestStreamArn"]
        return physical

    def _deploy(self) -> None:
        globals_ = (self.template.get("Globals") or {}).get("Function") or {}
        global_env = (globals_.get("Environment") or {}).get("Variables") or {}
        for logical, resource in self._resources().items():
            if not self._active(logical):
                continue
            kind = resource["Type"]
            if kind in {"AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue"}:
                self._ensure(logical)
            elif kind == "AWS::SNS::Subscription":
                props = self._resolver.resolve(resource["Properties"])
                attributes = {"RawMessageDelivery": str(props.get("RawMessageDelivery",
                                                                  False)).lower()}
                self._clients["sns"].subscribe(TopicArn=props["TopicArn"],
                                               Protocol=props["Protocol"],
                                               Endpoint=props["Endpoint"],
                                               Attributes=attributes)
        for logical, resource in self._resources().items():
            if not self._active(logical):
                continue
            if resource["Type"] == "AWS::Serverless::Function":
                self._deploy_function(logical, resource["Properties"], global_env,
                                      globals_.get("Timeout", _LAMBDA_DEFAULT_TIMEOUT_S))
            elif resource["Type"] == "AWS::StepFunctions::StateMachine":
                self._deploy_machine(logical, resource["Properties"])
        for logical, resource in self._resources().items():
            if self._active(logical) and resource["Type"] == "AWS::Serverless::Function":
                self._deploy_events(logical, resource["Properties"])

    def _deploy_function(self, logical: str, props: Mapping[str, Any],
                         global_env: Mapping[str, Any], global_timeout: Any) -> None:
        env_spec = {**global_env, **((props.get("Environment") or {}).get("Variables") or {})}
        environment = {k: str(self._resolver.resolve(v)) for k, v in env_spec.items()}
        environment.setdefault("AWS_REGION", self.region)
        statements: list[dict[str, Any]] = []
        for policy in props.get("Policies") or ():
            if isinstance(policy, dict) and "Statement" in policy:
                statements += self._resolver.resolve(policy["Statement"])
        physical = self._ensure(logical)
        function = CoreFunction(logical, physical["Ref"], physical["Arn"], props["Handler"],
                                environment, statements, timeout_s=float(
                                    self._resolver.resolve(props.get("Timeout",
                                                                     global_timeout))))
        self._add_function(function)

    def _add_function(self, function: CoreFunction) -> None:
        self.functions[function.logical_id] = function
        self._by_arn[function.arn] = function

    def _deploy_events(self, logical: str, props: Mapping[str, Any]) -> None:
        function = self.functions[logical]
        for event in (props.get("Events") or {}).values():
            spec = self._resolver.resolve(event.get("Properties") or {})
            partial = "ReportBatchItemFailures" in (spec.get("FunctionResponseTypes") or ())
            if event["Type"] == "SQS":
                url = self._queue_url_of(spec["Queue"])
                self._mappings.append(_Mapping(url, spec["Queue"], function,
                                               int(spec.get("BatchSize", 10)), partial))
            elif event["Type"] == "DynamoDB":
                self._streams.append(self._open_stream(function, spec, partial))

    def _queue_url_of(self, arn: str) -> str:
        for physical in self._physical.values():
            if physical.get("Arn") == arn and "QueueName" in physical:
                return physical["Ref"]
        raise KeyError(f"no queue {arn}")

    def _open_stream(self, function: CoreFunction, spec: Mapping[str, Any], partial: bool
                     ) -> _Stream:
        streams = self._clients["dynamodbstreams"]
        arn = spec["Stream"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"],
            ShardIteratorType=spec.get("StartingPosition", "LATEST"))["ShardIterator"]
        filters = [json.loads(f["Pattern"]) for f in
                   ((spec.get("FilterCriteria") or {}).get("Filters") or ())]
        destination = ((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination")
        return _Stream(arn, iterator, function, int(spec.get("BatchSize", 100)), filters,
                       partial, int(spec.get("MaximumRetryAttempts", -1)),
                       None if destination is None else self._queue_url_of(destination))

    def _deploy_machine(self, logical: str, props: Mapping[str, Any]) -> None:
        definition = self._resolver.resolve(props["DefinitionString"])
        physical = self._ensure(logical)
        arn = self._clients["stepfunctions"].create_state_machine(
            name=physical["Name"], definition=definition,
            roleArn=f"arn:aws:iam::{_ACCOUNT}:role/{self.stack_name}-states")["stateMachineArn"]
        physical["Ref"] = arn
        self._machines[logical] = arn
        self._definitions[logical] = json.loads(definition)

    def _subscribe_inspector(self, inspector: Callable[..., Any]) -> None:
        env = {"FINDING_QUEUE_URL": self.output("FindingQueueUrl"),
               "ATTRIBUTE_QUEUE_URL": self.output("AttributeQueueUrl")}
        self._subscribe_queue(inspector, self.output("TaskTopicArn"), "inspector", env)

    def _subscribe_queue(self, handler: Callable[..., Any], topic_arn: str, role: str,
                         env: dict[str, str]) -> None:
        sqs = self._clients["sqs"]
        name = _name_of(handler)
        slug = re.sub(r"[^A-Za-z0-9_-]", "-", name)[:40]
        dlq = sqs.create_queue(QueueName=f"{self.stack_name}-{role}-{slug}-dlq")["QueueUrl"]
        redrive = {"deadLetterTargetArn": self._queue_arn(dlq), "maxReceiveCount": 3}
        url = sqs.create_queue(QueueName=f"{self.stack_name}-{role}-{slug}",
                               Attributes={"RedrivePolicy": json.dumps(redrive),
                                           "VisibilityTimeout": "180"})["QueueUrl"]
        self._clients["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs",
                                       Endpoint=self._queue_arn(url),
                                       Attributes={"RawMessageDelivery": "false"})
        function = CoreFunction(name, name, self._function_arn(slug), name,
                                {**env, "AWS_REGION": self.region}, None, handler)
        self._add_function(function)
        self._mappings.append(_Mapping(url, self._queue_arn(url), function, 10, True))

    # --- the event loop --------------------------------------------------------------------

    def _drain(self) -> None:
        """Deliver queue messages, stream records and new executions until nothing moves.

        Only what a request may have changed is looked at again (a send or publish: the
        queues; a table write: the stream; StartExecution: the executions).
        """
        self._dirty.update(("queues", "stream", "executions", "recorder"))
        for _ in range(100_000):
            moved = False
            if "queues" in self._dirty:
                self._dirty.discard("queues")
                for mapping in self._mappings:
                    if self._poll_queue(mapping):
                        moved = True
                        self._dirty.add("queues")
            if "stream" in self._dirty:
                self._dirty.discard("stream")
                for stream in self._streams:
                    if self._poll_stream(stream):
                        moved = True
                        self._dirty.add("stream")
            if "executions" in self._dirty:
                self._dirty.discard("executions")
                moved |= self._poll_executions()
            if "recorder" in self._dirty:
                self._dirty.discard("recorder")
                self._poll_recorder()
            if not moved and not self._dirty:
                return
        raise RuntimeError("the stack does not settle (a message loop?)")

    def _poll_recorder(self) -> bool:
        bodies = _bodies(self._clients["sqs"], self._recorder, delete=True)
        self._published += bodies
        return False  # recording moves nothing else

    def _poll_queue(self, mapping: _Mapping) -> bool:
        sqs = self._clients["sqs"]
        got = sqs.receive_message(QueueUrl=mapping.queue_url,
                                  MaxNumberOfMessages=min(mapping.batch_size, 10),
                                  AttributeNames=["All"], MessageAttributeNames=["All"]
                                  ).get("Messages", [])
        if not got:
            return False
        records = [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": mapping.queue_arn, "awsRegion": self.region,
        } for m in got]
        rounds = 1
        if mapping.twice:
            mapping.twice -= 1
            rounds = 2
        for _ in range(rounds):
            failed = self._invoke_batch(mapping.function, {"Records": records},
                                        [r["messageId"] for r in records], mapping.partial)
        done = [m for m in got if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=mapping.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        for m in got:
            if m["MessageId"] in failed:  # visible again at once: the timeout, simulated
                sqs.change_message_visibility(QueueUrl=mapping.queue_url,
                                              ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=0)
        return True

    def _invoke_batch(self, function: CoreFunction, event: dict[str, Any], ids: list[str],
                      partial: bool) -> set[str]:
        """Invoke with a batch; the IDs of the records that failed."""
        try:
            response = self._invoke(function, event)
        except Exception:
            return set(ids)
        if not partial or not response:
            return set()
        if not isinstance(response, dict):
            return set(ids)
        failures = response.get("batchItemFailures") or []
        failed: set[str] = set()
        for item in failures:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if identifier not in ids:
                return set(ids)  # Lambda treats an unknown identifier as a failed batch
            failed.add(str(identifier))
        return failed

    def _poll_stream(self, stream: _Stream) -> bool:
        client = self._clients["dynamodbstreams"]
        got = client.get_records(ShardIterator=stream.iterator, Limit=1000)
        stream.iterator = got["NextShardIterator"]
        for record in got["Records"]:
            record = {**_plain(record), "eventSourceARN": stream.arn}
            if not stream.filters or any(_matches(f, record) for f in stream.filters):
                stream.pending.append(record)
        if not stream.pending:
            return False
        batch = stream.pending[:stream.batch_size]
        ids = [r["dynamodb"]["SequenceNumber"] for r in batch]
        failed = self._invoke_batch(stream.function, {"Records": batch}, ids, stream.partial)
        if not failed:
            del stream.pending[:len(batch)]
            stream.attempts = 0
            return True
        # Lambda checkpoints before the first failed record and retries from there; after the
        # retries (bisecting down to that record), it goes to the on-failure destination.
        first = min(ids.index(i) for i in failed)
        del stream.pending[:first]
        stream.attempts += 1
        if stream.max_retries < 0 and stream.attempts >= _BLOCKED_AFTER:
            raise RuntimeError(
                f"stream record {stream.pending[0]['dynamodb']['SequenceNumber']} failed "
                f"{stream.attempts} times in {stream.function.logical_id}; with no "
                "MaximumRetryAttempts the shard is blocked until the record expires (24 h)")
        if 0 <= stream.max_retries < stream.attempts:
            poison = stream.pending.pop(0)
            stream.attempts = 0
            if stream.on_failure is not None:
                sequence = poison["dynamodb"]["SequenceNumber"]
                self._clients["sqs"].send_message(QueueUrl=stream.on_failure, MessageBody=(
                    json.dumps({"requestContext": {"condition": "RetryAttemptsExhausted",
                                                   "functionArn": stream.function.arn},
                                "DDBStreamBatchInfo": {
                                    "shardId": "shardId-00000001", "streamArn": stream.arn,
                                    "startSequenceNumber": sequence,
                                    "endSequenceNumber": sequence, "batchSize": 1}})))
        return True

    def _poll_executions(self) -> bool:
        sfn = self._clients["stepfunctions"]
        moved = False
        for logical, arn in self._machines.items():
            listed = sfn.list_executions(stateMachineArn=arn)["executions"]
            fresh = [e for e in listed if e["executionArn"] not in self._seen_executions]
            for item in sorted(fresh, key=lambda e: e["startDate"]):
                self._seen_executions.add(item["executionArn"])
                described = sfn.describe_execution(executionArn=item["executionArn"])
                data = json.loads(described.get("input") or "{}")
                definition = self._definitions[logical]
                execution = Execution(logical, item["executionArn"], data,
                                      _state=definition["StartAt"], _data=data)
                self.executions.append(execution)
                self._advance_execution(execution)
                moved = True
        return moved

    def _step_due(self) -> None:
        while self._schedule and self._schedule[0][0] <= self._now:
            _due, _n, execution = heapq.heappop(self._schedule)
            execution._state = self._definitions[execution.machine]["States"][
                execution._state]["Next"]
            self._advance_execution(execution)

    def _advance_execution(self, execution: Execution) -> None:
        """Run states until the execution waits or ends."""
        states = self._definitions[execution.machine]["States"]
        while execution.status == "RUNNING":
            name = execution._state
            state = states[name]
            execution.states.append(name)
            kind = state["Type"]
            if kind == "Wait":
                seconds = int(state.get("Seconds", 0))
                heapq.heappush(self._schedule, (self._now + timedelta(seconds=seconds),
                                                next(self._seq), execution))
                return
            if kind == "Pass":
                data = execution._data
            elif kind == "Task":
                outcome = self._run_task(state, execution._data)
                if isinstance(outcome, _Failure):
                    handler = _catcher(state, outcome.error)
                    if handler is None:
                        execution.status = "FAILED"
                        execution.error = {"error": outcome.error, "cause": outcome.cause}
                        return
                    data = _put(execution._data, handler.get("ResultPath", "$"),
                                {"Error": outcome.error, "Cause": outcome.cause})
                    execution._data = data
                    execution._state = handler["Next"]
                    continue
                data = _put(execution._data, state.get("ResultPath", "$"), outcome)
                data = _get(data, state.get("OutputPath", "$"))
            else:
                execution.status = "FAILED"
                execution.error = {"error": "States.Runtime",
                                   "cause": f"the driver does not run {kind} states"}
                return
            execution._data = data
            if state.get("End"):
                execution.status = "SUCCEEDED"
                execution.output = data
                return
            execution._state = state["Next"]

    def _run_task(self, state: Mapping[str, Any], data: Any) -> Any:
        function = self._by_arn.get(state["Resource"])
        if function is None:
            return _Failure("States.Runtime", f"no function {state['Resource']}")
        retries = {i: 0 for i, _ in enumerate(state.get("Retry") or ())}
        while True:
            payload = json.dumps(data)
            if len(payload.encode()) > _MAX_STATE_BYTES:
                return _Failure("States.DataLimitExceeded",
                                f"the state is {len(payload)} bytes, over 256 KiB")
            try:
                result = self._invoke(function, json.loads(payload))
                text = json.dumps(result)
            except Exception as exc:
                error = type(exc).__name__
                cause = json.dumps({"errorMessage": str(exc), "errorType": error})
                for i, rule in enumerate(state.get("Retry") or ()):
                    if _error_matches(rule["ErrorEquals"], error) and retries[i] < int(
                            rule.get("MaxAttempts", 3)):
                        retries[i] += 1
                        break
                else:
                    return _Failure(error, cause)
                continue
            if len(text.encode()) > _MAX_STATE_BYTES:
                return _Failure("States.DataLimitExceeded", "the task's result is over 256 KiB")
            return json.loads(text)

    # --- invoking a function ---------------------------------------------------------------

    def _invoke(self, function: CoreFunction, event: Any) -> Any:
        if function.call is None:
            module, _, attr = function.handler.rpartition(".")
            function.call = getattr(importlib.import_module(module), attr)
        assert function.call is not None
        function.invocations += 1
        context = FakeLambdaContext(function_name=function.name,
                                    invoked_function_arn=function.arn,
                                    timeout_ms=int(function.timeout_s * 1000))
        with (_environment(function.environment), self._watch(function),
              self._core_process(function)):
            try:
                return function.call(event, context)
            except Exception as exc:
                self.errors.append(f"{function.logical_id}: {type(exc).__name__}: {exc}")
                raise

    @contextmanager
    def _core_process(self, function: CoreFunction) -> Iterator[None]:
        """What a core function's own Lambda process holds: its warm runtime (clients, Core),
        kept per function as each Lambda keeps its own, and the simulated clock for "now"."""
        try:
            from deepalert.core.aws import _handlers
        except ImportError:  # pragma: no cover - a stack of other functions
            yield
            return

        namespace = vars(_handlers)  # the module's globals its runtime is built from
        saved_clock, saved_cache = namespace["SystemClock"], namespace["_cache"]
        previous = _DriverClock.driver
        namespace["SystemClock"] = _DriverClock
        namespace["_cache"] = _warm_runtimes.setdefault(function.logical_id, {})
        _DriverClock.driver = self
        try:
            yield
        finally:
            namespace["SystemClock"], namespace["_cache"] = saved_clock, saved_cache
            _DriverClock.driver = previous

    @contextmanager
    def _watch(self, function: CoreFunction) -> Iterator[None]:
        """Count the function's AWS requests, and refuse those its role does not allow."""
        from botocore.client import BaseClient
        from botocore.exceptions import ClientError

        original = BaseClient._make_api_call
        driver = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            driver.requests[(function.logical_id, service, operation)] += 1
            driver._dirty.update(_DIRTIES.get(service, ()))
            for fault in driver._faults:
                if fault[0] == function.logical_id and fault[1] == operation and fault[2] > 0:
                    fault[2] -= 1
                    raise ClientError({"Error": {"Code": fault[3],
                                                 "Message": "injected by AwsCore.fail_next"}},
                                      operation)
            if driver.enforce_iam and function.statements is not None:
                for action, resource in _iam_requests(service, operation, params,
                                                      driver.region):
                    if not _allowed(function.statements, action, resource):
                        driver.denied.append((function.logical_id, action, resource))
                        raise ClientError({"Error": {
                            "Code": "AccessDeniedException",
                            "Message": f"{function.name} is not authorized to perform: "
                                       f"{action} on resource: {resource}"}}, operation)
            return original(client, operation, params)

        BaseClient._make_api_call = make_api_call
        try:
            yield
        finally:
            BaseClient._make_api_call = original


_DIRTIES = {"sqs": ("queues",), "sns": ("queues", "recorder"), "dynamodb": ("stream",),
            "stepfunctions": ("executions",)}


@dataclass
class _Failure:
    error: str
    cause: str


def _name_of(handler: Callable[..., Any]) -> str:
    func = getattr(handler, "func", handler)
    module = getattr(func, "__module__", "") or ""
    return f"{module}.{getattr(func, '__name__', 'handler')}".strip(".")


def _forget_cached_clients() -> None:
    # Clients are process-wide and keyed by region and endpoint: drop them, so a test that
    # changes AWS_ENDPOINT_URL (a moto server) gets clients for the new endpoint.
    from deepalert._lambda import _aws

    _aws._clients.clear()


_warm_runtimes: dict[str, dict[Any, Any]] = {}
"""Each core function's warm runtime, by logical ID, as its own Lambda process would keep it.
Its clients still reach whichever moto mock is active, and its clock is the running driver's,
so it serves every AwsCore of the test session (it is rebuilt if the environment changes)."""


class _DriverClock:
    """The clock the core's functions get under the driver: the running driver's time."""

    driver: AwsCore | None = None

    def now(self) -> datetime:
        if _DriverClock.driver is None:
            return datetime.now(timezone.utc)
        return _DriverClock.driver._now


def _require_moto() -> None:
    """Refuse to deploy anywhere but moto: a whole stack in a real account is not a test."""
    from moto.core.models import MockAWS

    if MockAWS._nested_count > 0:
        return
    from urllib.parse import urlsplit

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urlsplit(endpoint).hostname in {"127.0.0.1", "localhost", "::1"}:
        return  # a moto server the test started
    from deepalert.errors import ConfigurationError

    raise ConfigurationError(
        "AwsCore deploys a whole stack: create it inside moto's mock_aws(), or with "
        "AWS_ENDPOINT_URL pointing at a moto server on 127.0.0.1")


_client_cache: dict[tuple[str, str], dict[str, Any]] = {}


def _driver_clients(region: str) -> dict[str, Any]:
    """The driver's own boto3 clients (kept: they reach whichever moto mock is active)."""
    key = (region, os.environ.get("AWS_ENDPOINT_URL", ""))
    clients = _client_cache.get(key)
    if clients is None:
        import boto3
        from botocore.config import Config

        try:  # moto answers DynamoDB Streams on its classic endpoint, not the account one
            classic = Config(account_id_endpoint_mode="disabled")
        except TypeError:  # a botocore older than account-based endpoints
            classic = Config()
        clients = _client_cache[key] = {
            name: boto3.client(name, region_name=region, config=classic)
            for name in ("sqs", "sns", "dynamodb", "dynamodbstreams", "stepfunctions")}
    return clients


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """The function's environment for one invocation, and what it sets from it (the SDK's
    log level, from LOG_LEVEL), restored after: each function is its own process on AWS."""
    import logging

    from deepalert._lambda import _logging

    saved = {k: os.environ.get(k) for k in values}
    logger = logging.getLogger("deepalert")
    level, applied = logger.level, _logging._applied
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        logger.setLevel(level)
        _logging._applied = applied


def _bodies(sqs: Any, url: str, *, delete: bool) -> list[str]:
    out: list[str] = []
    handles: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                  VisibilityTimeout=30).get("Messages", [])
        if not got:
            break
        out += [m["Body"] for m in got]
        if delete:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
        else:
            handles += [m["ReceiptHandle"] for m in got]
    for handle in handles:  # looked at, not taken: visible again
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return out


def _plain(value: Any) -> Any:
    """A stream record as Lambda hands it over (JSON types, times as epoch seconds)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering, the subset the template uses (values, prefix, exists)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(_matches(p, value.get(k)) for k, p in pattern.items())
    if isinstance(pattern, list):
        for rule in pattern:
            if isinstance(rule, dict):
                if "prefix" in rule and isinstance(value, str) and value.startswith(
                        rule["prefix"]):
                    return True
                if "exists" in rule and (value is not None) == bool(rule["exists"]):
                    return True
            elif rule == value:
                return True
        return False
    return bool(pattern == value)


def _error_matches(names: Sequence[str], error: str) -> bool:
    return "States.ALL" in names or "States.TaskFailed" in names or error in names


def _catcher(state: Mapping[str, Any], error: str) -> dict[str, Any] | None:
    for rule in state.get("Catch") or ():
        if _error_matches(rule["ErrorEquals"], error):
            return dict(rule)
    return None


def _path(path: str) -> list[str]:
    if path == "$":
        return []
    if not path.startswith("$."):
        raise ValueError(f"the driver reads only $ and $.a.b paths, not {path!r}")
    return path[2:].split(".")


def _get(data: Any, path: str | None) -> Any:
    if path is None:
        return {}
    for key in _path(path):
        data = data[key]
    return data


def _put(data: Any, path: str | None, value: Any) -> Any:
    if path is None:
        return data
    keys = _path(path)
    if not keys:
        return value
    out = dict(data) if isinstance(data, dict) else {}
    target = out
    for key in keys[:-1]:
        target[key] = dict(target.get(key) or {})
        target = target[key]
    target[keys[-1]] = value
    return out


_SERVICE_PREFIX = {"stepfunctions": "states"}
_ACTION_ALIASES = {("sns", "PublishBatch"): "Publish",
                   ("sqs", "SendMessageBatch"): "SendMessage",
                   ("sqs", "DeleteMessageBatch"): "DeleteMessage",
                   ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility"}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _iam_requests(service: str, operation: str, params: Mapping[str, Any], region: str
                  ) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs a request needs."""
    prefix = _SERVICE_PREFIX.get(service, service)
    action = f"{prefix}:{_ACTION_ALIASES.get((service, operation), operation)}"
    if service == "dynamodb":
        def table(name: str) -> str:
            return f"arn:aws:dynamodb:{region}:{_ACCOUNT}:table/{name}"

        if operation in {"TransactWriteItems", "TransactGetItems"}:
            return [(f"dynamodb:{_TRANSACT[kind]}", table(spec["TableName"]))
                    for item in params.get("TransactItems", ()) for kind, spec in item.items()]
        if operation in {"BatchWriteItem", "BatchGetItem"}:
            return [(action, table(name)) for name in params.get("RequestItems", {})]
        return [(action, table(str(params.get("TableName", "*"))))]
    if service == "sns":
        return [(action, str(params.get("TopicArn", "*")))]
    if service == "sqs":
        url = str(params.get("QueueUrl", ""))
        return [(action, f"arn:aws:sqs:{region}:{_ACCOUNT}:{url.rsplit('/', 1)[-1]}")]
    if service == "stepfunctions":
        return [(action, str(params.get("stateMachineArn", "*")))]
    return [(action, "*")]


def _allowed(statements: Sequence[Mapping[str, Any]], action: str, resource: str) -> bool:
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else list(actions or ())
        resources = statement.get("Resource")
        resources = [resources] if isinstance(resources, str) else list(resources or ())
        if (any(_glob(a.lower(), action.lower()) for a in actions)
                and any(_glob(r, resource) for r in resources)):
            return True
    return False


def _glob(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None
