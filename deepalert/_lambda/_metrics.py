"""Metrics in CloudWatch Embedded Metric Format (EMF): plain JSON lines on standard output.

Off by default; ``DEEPALERT_METRICS=on`` turns them on. Each handler invocation then writes
one EMF document per role and handler (more when it has over 100 function durations, the
EMF limit for one metric's values), which CloudWatch Logs turns into metrics:

=================  ============  =====================================================
Metric             Unit          What
=================  ============  =====================================================
``Records``        Count         records (tasks, reports) the invocation handled
``FailedRecords``  Count         of those, the ones that failed
``Findings``       Count         Finding messages accepted by SQS (inspectors)
``NewAttributes``  Count         new attributes sent in accepted messages (inspectors)
``FunctionDuration`` Milliseconds  each call of the user's function
=================  ============  =====================================================

Settings (read at each invocation, so a test can change them):

* ``DEEPALERT_METRICS``: ``on``/``true``/``1`` or ``off``/``false``/``0`` (default off).
  ``POWERTOOLS_METRICS_DISABLED=true`` turns them off too.
* ``DEEPALERT_METRICS_NAMESPACE``, else ``POWERTOOLS_METRICS_NAMESPACE``, else ``DeepAlert``.
* ``DEEPALERT_METRICS_DIMENSIONS``: a comma-separated subset of ``Role`` (inspector, reviewer,
  emitter), ``Handler`` (the inspector's author, or the function's ``module.qualname``),
  ``Service`` (``POWERTOOLS_SERVICE_NAME``, default ``deepalert``) and ``FunctionName``
  (``AWS_LAMBDA_FUNCTION_NAME``); default ``Role,Handler``.

This module imports nothing beyond the standard library and is cheap to ask
:func:`enabled` on every invocation.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal, Protocol, TextIO

from deepalert.errors import ConfigurationError

__all__ = [
    "DIMENSIONS",
    "MAX_VALUES",
    "InspectionOutcome",
    "Role",
    "documents",
    "emit",
    "emit_inspection",
    "enabled",
    "timed",
]

Role = Literal["inspector", "reviewer", "emitter"]

MAX_VALUES = 100
"""EMF accepts at most 100 values for one metric in one document."""

DIMENSIONS = ("Role", "Handler", "Service", "FunctionName")
_ON = frozenset({"on", "true", "1", "yes"})
_OFF = frozenset({"off", "false", "0", "no", ""})


def enabled() -> bool:
    """Whether metrics are on (``DEEPALERT_METRICS``).

    Raises:
        ConfigurationError: ``DEEPALERT_METRICS`` holds something other than on or off.
    """
    value = os.environ.get("DEEPALERT_METRICS", "").strip().lower()
    if value in _OFF:
        return False
    if value not in _ON:
        raise ConfigurationError(
            f"DEEPALERT_METRICS must be 'on' or 'off', got {value[:40]!r}")
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() not in _ON


def _dimensions(role: Role, handler: str) -> dict[str, str]:
    chosen = os.environ.get("DEEPALERT_METRICS_DIMENSIONS", "Role,Handler")
    names = [n.strip() for n in chosen.split(",") if n.strip()]
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown or len(names) > 30:
        raise ConfigurationError(
            f"DEEPALERT_METRICS_DIMENSIONS: unknown dimension(s) {unknown}; choose from "
            f"{', '.join(DIMENSIONS)}")
    values = {
        "Role": role,
        "Handler": handler,
        "Service": os.environ.get("POWERTOOLS_SERVICE_NAME") or "deepalert",
        "FunctionName": os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "local",
    }
    # EMF dimension values must be non-empty strings of at most 1024 characters.
    return {name: (values[name] or "-")[:1024] for name in dict.fromkeys(names)}


def documents(role: Role, handler: str, *, records: int, failed: int,
              durations_ms: Sequence[float], findings: int | None = None,
              new_attributes: int | None = None, now_ms: int | None = None
              ) -> list[dict[str, object]]:
    """The EMF documents for one invocation (the counts in the first one)."""
    namespace = (os.environ.get("DEEPALERT_METRICS_NAMESPACE")
                 or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "DeepAlert")
    dimensions = _dimensions(role, handler)
    timestamp = int(time.time() * 1000) if now_ms is None else now_ms
    counts: dict[str, int] = {"Records": records, "FailedRecords": failed}
    if findings is not None:
        counts["Findings"] = findings
    if new_attributes is not None:
        counts["NewAttributes"] = new_attributes
    chunks = [list(durations_ms[i:i + MAX_VALUES])
              for i in range(0, len(durations_ms), MAX_VALUES)] or [[]]
    docs: list[dict[str, object]] = []
    for n, chunk in enumerate(chunks):
        values: dict[str, object] = dict(counts) if n == 0 else {}
        if chunk:
            values["FunctionDuration"] = [round(v, 3) for v in chunk]
        if not values:
            continue
        metrics = [{"Name": name, "Unit": "Milliseconds" if name == "FunctionDuration"
                    else "Count"} for name in values]
        docs.append({
            "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": [{
                "Namespace": namespace, "Dimensions": [list(dimensions)], "Metrics": metrics,
            }]},
            **dimensions,
            **values,
        })
    return docs


def emit(role: Role, handler: str, *, records: int, failed: int,
         durations_ms: Sequence[float], findings: int | None = None,
         new_attributes: int | None = None, stream: TextIO | None = None) -> None:
    """Write one invocation's metrics as EMF lines on standard output, if metrics are on."""
    if not enabled():
        return
    out = stream if stream is not None else sys.stdout
    for doc in documents(role, handler, records=records, failed=failed,
                         durations_ms=durations_ms, findings=findings,
                         new_attributes=new_attributes):
        out.write(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n")
    out.flush()


@contextmanager
def timed(role: Role, handler: str) -> Iterator[None]:
    """Time one call of a user function that is a whole invocation (a reviewer's), and emit
    its metrics: one record, failed when the block raised."""
    if not enabled():
        yield
        return
    started = time.perf_counter()
    failed = True
    try:
        yield
        failed = False
    finally:
        emit(role, handler, records=1, failed=int(failed),
             durations_ms=[(time.perf_counter() - started) * 1000.0])


class InspectionOutcome(Protocol):
    """What the inspector handler knows about one record, as the metrics read it."""

    @property
    def error(self) -> BaseException | None:
        """Why the record failed, or None."""

    @property
    def messages(self) -> Sequence[object]:
        """The messages it produced (Findings, then at most one ReportAttribute)."""

    @property
    def new_attributes(self) -> int:
        """How many new attributes its ReportAttribute carries."""

    @property
    def duration_ms(self) -> float | None:
        """How long the user's function took, or None when it was not called."""


def emit_inspection(author: str, outcomes: Sequence[InspectionOutcome]) -> None:
    """An inspector invocation's metrics: findings and new attributes of the records that
    succeeded (every message of theirs was accepted), durations of every function call."""
    if not enabled():
        return
    ok = [o for o in outcomes if o.error is None]
    emit("inspector", author, records=len(outcomes), failed=len(outcomes) - len(ok),
         durations_ms=[o.duration_ms for o in outcomes if o.duration_ms is not None],
         findings=sum(len(o.messages) - (1 if o.new_attributes else 0) for o in ok),
         new_attributes=sum(o.new_attributes for o in ok))
