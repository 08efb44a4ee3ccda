"""The Lambda entry points of the core on AWS, one per Go Lambda.

Each is ``(event, context)``. Nothing happens at import: the environment is read, boto3
imported and the clients made on the first invocation, then kept for warm ones (and made
again if the environment changed, as it does between tests). The events, returns, variables
and permissions are described in :mod:`deepalert.core.aws._delivery`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepalert._lambda import BatchItemFailure, PartialBatchResponse, unpack_event
from deepalert._lambda._logging import apply_log_level
from deepalert.core._clock import Clock, SystemClock
from deepalert.core._core import Core, CoreSettings, review_verdict
from deepalert.core.aws._delivery import AwsDelivery, MessageTooLargeError
from deepalert.core.aws._store import DynamoStore
from deepalert.errors import (
    ConfigurationError,
    ContentError,
    DeepAlertError,
    EventError,
    WireError,
)

__all__ = [
    "compile_report",
    "dispatch_inspection",
    "dummy_reviewer",
    "feedback_attribute",
    "publish_report",
    "recept_alert",
    "submit_finding",
    "submit_report",
]

_log = logging.getLogger("deepalert.core")

_ENV = ("CACHE_TABLE", "TASK_TOPIC", "REPORT_TOPIC", "INSPECTOR_MACHINE", "REVIEW_MACHINE",
        "LOG_LEVEL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
        "DEEPALERT_LATE_ALERTS", "DEEPALERT_MAX_FEEDBACK_DEPTH")


@dataclass
class _Runtime:
    core: Core
    store: DynamoStore
    delivery: AwsDelivery


_cache: dict[tuple[str, ...], _Runtime] = {}
_cache_lock = threading.Lock()

clock_override: Clock | None = None
"""A clock for the next runtimes instead of the system's (the AWS driver in
:mod:`deepalert.testing` sets it, and clears ``_cache``)."""


def _runtime() -> _Runtime:
    # LOG_LEVEL as every role's handler reads it, at each invocation: the same names and
    # aliases, a bad value refused, a level the application set itself kept.
    apply_log_level()
    env = tuple(os.environ.get(name, "") for name in _ENV)
    runtime = _cache.get(env)
    if runtime is None:
        with _cache_lock:
            runtime = _cache.get(env)
            if runtime is None:
                _cache.clear()
                runtime = _cache[env] = _build(dict(zip(_ENV, env, strict=True)))
    return runtime


def _build(env: dict[str, str]) -> _Runtime:
    import boto3  # on the first invocation only: importing it costs more than the SDK

    table = env["CACHE_TABLE"]
    if not table:
        raise ConfigurationError("CACHE_TABLE is not set: the core's functions need the "
                                 "name of its DynamoDB table")
    region = env["AWS_REGION"] or env["AWS_DEFAULT_REGION"] or None
    session = boto3.session.Session(region_name=region)
    clock = clock_override or SystemClock()
    store = DynamoStore(table, session.client("dynamodb"), clock=clock)
    delivery = AwsDelivery(sns=session.client("sns"), sfn=session.client("stepfunctions"),
                           task_topic=env["TASK_TOPIC"], report_topic=env["REPORT_TOPIC"],
                           inspector_machine=env["INSPECTOR_MACHINE"],
                           review_machine=env["REVIEW_MACHINE"])
    settings = CoreSettings()
    late = env["DEEPALERT_LATE_ALERTS"]
    if late:
        if late not in ("review-again", "go"):
            raise ConfigurationError(f"DEEPALERT_LATE_ALERTS must be review-again or go, "
                                     f"not {late!r}")
        settings = CoreSettings(late_alerts="go" if late == "go" else "review-again")
    depth = env["DEEPALERT_MAX_FEEDBACK_DEPTH"]
    if depth:
        if not depth.isdigit():
            raise ConfigurationError("DEEPALERT_MAX_FEEDBACK_DEPTH must be a whole number, "
                                     f"not {depth!r}")
        settings = CoreSettings(late_alerts=settings.late_alerts,
                                max_feedback_depth=int(depth))
    core = Core(store, clock, delivery, settings, publish_on_write=False)
    return _Runtime(core, store, delivery)


def _why(exc: BaseException) -> str:
    # AWS errors: the service's code only (their text can echo request details).
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return f"{type(exc).__name__} {response['Error'].get('Code', '')}".strip()
    if isinstance(exc, DeepAlertError):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


def _sqs_batch(event: Any, payload: str, handle: Any) -> PartialBatchResponse:
    """Run ``handle(runtime, payload, message_id)`` per SQS record; the failed ones are named."""
    runtime = _runtime()
    unpacked = unpack_event(event, payload=payload)
    if unpacked.source != "sqs":
        raise EventError(f"expected an SQS event of {payload} messages, got an "
                         f"{unpacked.source.upper()} event")
    failures: list[BatchItemFailure] = []
    for record in unpacked.records:
        where = f"record {record.index} ({record.message_id or 'no messageId'})"
        try:
            if record.payload is None:
                raise EventError(record.error or "unreadable record")
            handle(runtime, record.payload, record.message_id)
            runtime.delivery.flush()
        except Exception as exc:
            runtime.delivery.discard()
            _log.error("%s failed: %s", where, _why(exc))
            if record.message_id is None:
                raise EventError(f"{where} failed and has no messageId to report") from None
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


def _state(event: Any, what: str) -> dict[str, Any]:
    if not isinstance(event, Mapping) or not isinstance(event.get("id"), str):
        raise EventError(f"{what} expects the state machine's Report (an object with an "
                         "'id'), got " + (f"keys {sorted(event)[:6]}" if isinstance(
                             event, Mapping) else f"a {type(event).__name__}"))
    return dict(event)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- the entry points ----------------------------------------------------------------------


def recept_alert(event: Any, context: Any) -> PartialBatchResponse:
    """receptAlert: fold each alert of an SQS batch into its report.

    A record whose alert is unreadable or invalid, or whose writes AWS refused, is named in
    ``batchItemFailures``; the others go on. A redelivered ``messageId`` stores nothing twice.
    """
    def handle(runtime: _Runtime, payload: str, message_id: str | None) -> None:
        receipt = runtime.core.receive_alert(payload, key=message_id)
        _log.info("alert %s: report %s (%s%s)", message_id, receipt.report_id, receipt.status,
                  ", repeated delivery" if receipt.repeated else "")

    return _sqs_batch(event, "Alert", handle)


def dispatch_inspection(event: Any, context: Any) -> dict[str, Any]:
    """dispatchInspection: publish a task per attribute new to the report."""
    state = _state(event, "dispatch_inspection")
    runtime = _runtime()
    try:
        sent = runtime.core.dispatch_inspection(_text(state))
        runtime.delivery.flush()
    except BaseException:
        runtime.delivery.discard()
        raise
    return {"report_id": state["id"], "tasks": sent}


def submit_finding(event: Any, context: Any) -> PartialBatchResponse:
    """submitFinding: store each finding; one the core cannot read fails its record only."""
    def handle(runtime: _Runtime, payload: str, message_id: str | None) -> None:
        runtime.core.submit_finding(payload, key=message_id)

    return _sqs_batch(event, "Finding", handle)


def feedback_attribute(event: Any, context: Any) -> PartialBatchResponse:
    """feedbackAttribute: publish a task per new attribute, up to ``max_feedback_depth``."""
    def handle(runtime: _Runtime, payload: str, message_id: str | None) -> None:
        feedback = runtime.core.feed_back(payload)
        if feedback.cut_off:
            _log.warning("report %s: %d new attributes beyond max_feedback_depth=%d were not "
                         "inspected (first: %s %r)", feedback.report_id, len(feedback.cut_off),
                         runtime.core.settings.max_feedback_depth, feedback.cut_off[0].type,
                         feedback.cut_off[0].value)

    return _sqs_batch(event, "ReportAttribute", handle)


def compile_report(event: Any, context: Any) -> dict[str, Any]:
    """compileReport: the whole report, read from the table, as the review machine's state."""
    state = _state(event, "compile_report")
    text = _runtime().core.compile_report_json(state["id"])
    if text is None:
        raise DeepAlertError(f"report {state['id']} is not in the table")
    compiled: dict[str, Any] = json.loads(text)
    return compiled


def dummy_reviewer(event: Any, context: Any) -> dict[str, str]:
    """dummyReviewer: every report is ``unclassified``, as the Go core's stand-in says."""
    return {"severity": "unclassified", "reason": "I'm novice"}


def submit_report(event: Any, context: Any) -> dict[str, Any]:
    """submitReport: store the reviewer's verdict ``published``; the stream publishes it.

    The state is the compiled report with the reviewer's output at ``result``, or its error
    at ``error`` (the review machine's Catch). A failed reviewer, or no verdict, is
    ``unclassified``: the report is published either way.
    """
    state = _state(event, "submit_report")
    report_id = state["id"]
    error = state.get("error")
    name = error.get("Error") if isinstance(error, Mapping) else None
    outcome, problem = review_verdict(state.get("result"), failed=error is not None,
                                      error_type=name if isinstance(name, str) else None)
    if problem is not None:
        _log.warning("report %s: %s", report_id, problem)
    if _runtime().core.store_verdict(report_id, outcome) is None:
        raise DeepAlertError(f"report {report_id} is not in the table")
    return {"report_id": report_id, "status": "published",
            "result": {"severity": outcome.severity, "reason": outcome.reason}}


def publish_report(event: Any, context: Any) -> dict[str, list[BatchItemFailure]]:
    """publishReport: publish each written report on the report topic (DynamoDB stream).

    Records of other items, and removals, are skipped. A report written several times in one
    batch is published once, in its current state (what Go would publish each time). A
    report that can never be published is logged and skipped, so it cannot block the shard;
    a failed AWS call names its record in ``batchItemFailures`` so the stream retries from
    there.
    """
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise EventError("publish_report expects a DynamoDB stream event with 'Records'")
    runtime = _runtime()
    wanted: list[tuple[str, str]] = []  # (report id, sequence number), last write wins
    for record in records:
        found = _report_of(record)
        if found is not None:
            wanted = [w for w in wanted if w[0] != found[0]]
            wanted.append(found)
    for report_id, sequence in wanted:
        try:
            runtime.core.publish(report_id)
            runtime.delivery.flush()
        except (WireError, ContentError, MessageTooLargeError) as exc:
            # This report cannot be published, now or later: retrying would only hold the
            # shard's later records back.
            runtime.delivery.discard()
            _log.error("report %s (stream record %s) is skipped: %s", report_id, sequence,
                       _why(exc))
        except Exception as exc:
            runtime.delivery.discard()
            _log.error("report %s (stream record %s) failed, to be retried: %s", report_id,
                       sequence, _why(exc))
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}


def _report_of(record: Any) -> tuple[str, str] | None:
    data = record.get("dynamodb") if isinstance(record, Mapping) else None
    if not isinstance(data, Mapping):
        return None
    keys = data.get("Keys")
    pk = keys.get("pk", {}).get("S", "") if isinstance(keys, Mapping) else ""
    image = data.get("NewImage")
    if not pk.startswith("report/") or not isinstance(image, Mapping):
        return None
    report_id = image.get("id", {}).get("S") or pk[len("report/"):]
    return report_id, str(data.get("SequenceNumber", ""))
