"""AwsCore's mechanics on a small stack of its own: what AWS would do around the functions."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from deepalert.testing import AwsCore
from tests.aws import fake_stack


@pytest.fixture
def core() -> Iterator[AwsCore]:
    fake_stack.calls.clear()
    with mock_aws():
        yield AwsCore(template=fake_stack.TEMPLATE)


def _send(core: AwsCore, *bodies: str) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    for body in bodies:
        sqs.send_message(QueueUrl=core.output("WorkQueueUrl"), MessageBody=body)


def test_a_queue_feeds_its_function_and_partial_failures_are_redelivered_then_dead_lettered(
        core: AwsCore) -> None:
    """Only the failed record comes back; after maxReceiveCount (2) it is in the DLQ."""
    _send(core, "a", "fail", "b")
    core.run()
    worker = [body for who, body in fake_stack.calls if who == "worker"]
    assert sorted(worker) == ["a", "b", "fail", "fail"]
    assert core.dead_letters("DeadLetterQueueUrl") == ["fail"]
    assert core.functions["WorkerFunction"].invocations == 2


def test_the_stream_reaches_the_function_through_its_filter(core: AwsCore) -> None:
    """Items written by one function reach the stream's function; the filter keeps only
    report/ keys."""
    _send(core, "report/1", "other/2", "report/3")
    core.run()
    published = sorted(body for who, body in fake_stack.calls if who == "publisher")
    assert published == ["report/1", "report/3"]


def test_a_poison_stream_record_is_retried_then_set_aside_and_does_not_block(
        core: AwsCore) -> None:
    """A record that keeps failing is retried MaximumRetryAttempts times, sent to the
    on-failure destination, and the records after it are still processed."""
    _send(core, "report/poison")
    core.run()
    _send(core, "report/after")
    core.run()
    tries = [body for who, body in fake_stack.calls if who == "publisher"]
    assert tries.count("report/poison") == 3  # the first try and 2 retries
    assert "report/after" in tries
    failures = core.dead_letters("StreamFailureQueueUrl")
    assert len(failures) == 1
    assert '"condition": "RetryAttemptsExhausted"' in failures[0]


def test_executions_wait_on_the_simulated_clock(core: AwsCore) -> None:
    """A Wait of 60 s runs nothing until the clock passes it."""
    _send(core, "start:slow")
    core.advance(seconds=59)
    (execution,) = core.executions
    assert execution.status == "RUNNING"
    assert execution.states == ["Wait"]
    core.advance(seconds=1)
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"what": "slow", "result": {"ok": "slow"},
                                "after": {"ok": "slow"}}


def test_retry_and_catch_follow_the_definition(core: AwsCore) -> None:
    """A named error is retried; any other is caught into $.error and the machine goes on."""
    _send(core, "start:flaky-once", "start:broken")
    core.run()
    by_input = {e.input["what"]: e for e in core.executions}
    assert by_input["flaky-once"].output["result"] == {"ok": "flaky-once"}
    broken = by_input["broken"]
    assert broken.status == "SUCCEEDED"
    assert broken.states == ["Wait", "Step", "After"]
    assert broken.output["error"]["Error"] == "ValueError"
    assert "broken" in broken.output["error"]["Cause"]


def test_a_call_the_role_does_not_allow_is_access_denied_and_counted(core: AwsCore) -> None:
    """The worker may PutItem but not DeleteItem: the call fails as on AWS."""
    _send(core, "deny", "ok")
    core.run()
    assert core.requests[("WorkerFunction", "dynamodb", "DeleteItem")] == 2
    assert core.requests[("WorkerFunction", "dynamodb", "PutItem")] == 1
    assert core.dead_letters("DeadLetterQueueUrl") == ["deny"]
    assert core.requests_by_operation()[("dynamodb", "PutItem")] == 1


def test_each_function_runs_with_its_own_environment(core: AwsCore) -> None:
    """Globals and the function's variables are resolved to the deployed resources."""
    env = core.functions["WorkerFunction"].environment
    assert env["TOPIC"] == core.output("TopicArn")
    assert env["TABLE"] == "deepalert-Table"
    assert env["MACHINE"].startswith("arn:aws:states:us-east-1:123456789012:stateMachine:")


def test_each_function_gets_its_timeout_as_its_context_s_budget(core: AwsCore) -> None:
    """A function's Timeout (else the Globals', else Lambda's 3 s) is the time its Lambda
    context counts down, so deadline checks behave as they would on AWS."""
    assert core.functions["PublisherFunction"].timeout_s == 7
    assert core.functions["WorkerFunction"].timeout_s == 3  # neither it nor Globals say
    fake_stack.budgets.clear()
    _send(core, "a")
    core.run()
    assert fake_stack.budgets
    assert all(0 < ms <= 3_000 for ms in fake_stack.budgets)  # not the 30 s of before


def test_injected_failures_hit_the_named_requests_only(core: AwsCore) -> None:
    """fail_next makes a function's next requests of one operation fail, then lets them by."""
    core.fail_next("WorkerFunction", "PutItem", times=1, code="ProvisionedThroughputExceeded")
    _send(core, "report/x")
    core.run()
    assert core.requests[("WorkerFunction", "dynamodb", "PutItem")] == 2
    assert core.functions["WorkerFunction"].invocations == 2
    assert ("publisher", "report/x") in fake_stack.calls


def test_the_driver_refuses_to_deploy_outside_moto() -> None:
    """Without an active mock (or a moto server on 127.0.0.1) nothing is created anywhere."""
    from deepalert import ConfigurationError

    with pytest.raises(ConfigurationError, match="mock_aws"):
        AwsCore(template=fake_stack.TEMPLATE)


def test_a_stream_without_a_retry_limit_is_reported_blocked() -> None:
    """Without MaximumRetryAttempts (the Go stack's stream), a record that keeps failing
    blocks the shard: the driver says so instead of spinning."""
    fake_stack.calls.clear()
    template = fake_stack.TEMPLATE.replace("            MaximumRetryAttempts: 2\n", "")
    with mock_aws():
        core = AwsCore(template=template)
        _send(core, "report/poison")
        with pytest.raises(RuntimeError, match="the shard is blocked"):
            core.run()
