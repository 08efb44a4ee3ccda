"""Metrics in CloudWatch Embedded Metric Format (EMF): plain JSON lines on standard output.

Off by default; ``DEEPALERT_METRICS=on`` turns them on. Each handler invocation then writes
one EMF document per role and handler (more when it has over 100 function durations, the
EMF limit for one metric's values), which CloudWatch Logs turns into metrics:

* ``Records`` (Count): records (tasks, reports) the invocation handled;
* ``FailedRecords`` (Count): of those, the ones that failed;
* ``Findings`` (Count, inspectors): Finding messages of records whose messages SQS accepted;
* ``NewAttributes`` (Count, inspectors): new attributes in those records' messages;
* ``FunctionDuration`` (Milliseconds): each call of the user's function that returned (for a
  reviewer, every call).

Settings (read at each invocation, so a test can change them; built once per environment):

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
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal, Protocol, TextIO

from deepalert._lambda._env import getenv
from deepalert.errors import ConfigurationError

__all__ = [
    "DIMENSIONS",
    "MAX_VALUES",
    "InspectionOutcome",
    "Role",
    "emit",
    "emit_inspection",
    "emit_inspection_counts",
    "enabled",
    "timed",
]

Role = Literal["inspector", "reviewer", "emitter"]

MAX_VALUES = 100
"""EMF accepts at most 100 values for one metric in one document."""

DIMENSIONS = ("Role", "Handler", "Service", "FunctionName")
_ON = frozenset({"on", "true", "1", "yes"})
_OFF = frozenset({"off", "false", "0", "no", ""})
_SETTINGS = ("DEEPALERT_METRICS_NAMESPACE", "POWERTOOLS_METRICS_NAMESPACE",
             "DEEPALERT_METRICS_DIMENSIONS", "POWERTOOLS_SERVICE_NAME",
             "AWS_LAMBDA_FUNCTION_NAME", "POWERTOOLS_METRICS_DISABLED")


class _Settings:
    """The metric settings of one environment, with the JSON fragments they imply."""

    __slots__ = ("_fragments", "dimension_names", "namespace", "static")

    def __init__(self, values: tuple[str | None, ...]) -> None:
        namespace, pt_namespace, dimensions, service, function, _disabled = values
        self.namespace = namespace or pt_namespace or "DeepAlert"
        names = [n.strip() for n in (dimensions or "Role,Handler").split(",") if n.strip()]
        unknown = [n for n in names if n not in DIMENSIONS]
        if unknown or not names:
            raise ConfigurationError(
                f"DEEPALERT_METRICS_DIMENSIONS: unknown dimension(s) {unknown}; choose from "
                f"{', '.join(DIMENSIONS)}")
        self.dimension_names = list(dict.fromkeys(names))
        self.static = {"Service": service or "deepalert", "FunctionName": function or "local"}
        self._fragments: dict[tuple[str, str, tuple[str, ...]], tuple[str, str]] = {}

    def fragments(self, role: Role, handler: str, metrics: tuple[str, ...]) -> tuple[str, str]:
        """The directive (namespace, dimensions, metrics) and the dimension members, as JSON
        text, made once per role, handler and set of metrics."""
        key = (role, handler, metrics)
        found = self._fragments.get(key)
        if found is None:
            values = {**self.static, "Role": role, "Handler": handler}
            # EMF dimension values are non-empty strings of at most 1024 characters.
            dimensions = {n: (values[n] or "-")[:1024] for n in self.dimension_names}
            directive = {"Namespace": self.namespace, "Dimensions": [self.dimension_names],
                         "Metrics": [{"Name": m, "Unit": _UNITS[m]} for m in metrics]}
            found = (_dumps(directive), _dumps(dimensions)[1:-1])
            self._fragments[key] = found
        return found


_UNITS = {"Records": "Count", "FailedRecords": "Count", "Findings": "Count",
          "NewAttributes": "Count", "FunctionDuration": "Milliseconds"}
_cache: dict[tuple[str | None, ...], _Settings] = {}


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _settings() -> _Settings | None:
    """The settings, or None when metrics are off. Read at every invocation (one environment
    lookup when off), built once per distinct environment."""
    switch = getenv("DEEPALERT_METRICS") or ""
    if switch in _OFF:
        return None
    value = switch.strip().lower()
    if value in _OFF:
        return None
    if value not in _ON:
        raise ConfigurationError(
            f"DEEPALERT_METRICS must be 'on' or 'off', got {value[:40]!r}")
    key = tuple(getenv(name) for name in _SETTINGS)
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = _Settings(key)
    if (key[-1] or "").strip().lower() in _ON:  # POWERTOOLS_METRICS_DISABLED
        return None
    return found


def enabled() -> bool:
    """Whether metrics are on (``DEEPALERT_METRICS``).

    Raises:
        ConfigurationError: ``DEEPALERT_METRICS`` holds something other than on or off, or
            ``DEEPALERT_METRICS_DIMENSIONS`` names an unknown dimension.
    """
    return _settings() is not None


def _lines(settings: _Settings, role: Role, handler: str, *, records: int, failed: int,
           durations_ms: Sequence[float], findings: int | None,
           new_attributes: int | None, now_ms: int | None = None) -> list[str]:
    timestamp = int(time.time() * 1000) if now_ms is None else now_ms
    counts: dict[str, object] = {"Records": records, "FailedRecords": failed}
    if findings is not None:
        counts["Findings"] = findings
    if new_attributes is not None:
        counts["NewAttributes"] = new_attributes
    lines = []
    for start in range(0, max(len(durations_ms), 1), MAX_VALUES):
        values = dict(counts) if start == 0 else {}
        chunk = durations_ms[start:start + MAX_VALUES]
        if chunk:
            values["FunctionDuration"] = [round(v, 3) for v in chunk]
        directive, dimensions = settings.fragments(role, handler, tuple(values))
        lines.append(f'{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[{directive}]}},'
                     f"{dimensions},{_dumps(values)[1:]}")
    return lines


def emit(role: Role, handler: str, *, records: int, failed: int,
         durations_ms: Sequence[float], findings: int | None = None,
         new_attributes: int | None = None, stream: TextIO | None = None) -> None:
    """Write one invocation's metrics as EMF lines on standard output, if metrics are on."""
    settings = _settings()
    if settings is not None:
        _write(_lines(settings, role, handler, records=records, failed=failed,
                      durations_ms=durations_ms, findings=findings,
                      new_attributes=new_attributes), stream)


def _write(lines: list[str], stream: TextIO | None) -> None:
    out = stream if stream is not None else sys.stdout
    out.write("\n".join(lines) + "\n")
    out.flush()


@contextmanager
def timed(role: Role, handler: str) -> Iterator[None]:
    """Time one call of a user function that is a whole invocation (a reviewer's), and emit
    its metrics: one record, failed when the block raised."""
    settings = _settings()
    if settings is None:
        yield
        return
    started = time.perf_counter()
    failed = True
    try:
        yield
        failed = False
    finally:
        _write(_lines(settings, role, handler, records=1, failed=int(failed),
                      durations_ms=[(time.perf_counter() - started) * 1000.0],
                      findings=None, new_attributes=None), None)


class InspectionOutcome(Protocol):
    """What the inspector handler knows about one record, as the metrics read it."""

    @property
    def error(self) -> BaseException | None:
        """Why the record failed, or None."""

    @property
    def findings(self) -> int:
        """How many Findings it produced (its messages may be let go once queued)."""

    @property
    def new_attributes(self) -> int:
        """How many new attributes its ReportAttribute carries."""

    @property
    def duration_ms(self) -> float | None:
        """How long the user's function took, or None when it was not called."""


def emit_inspection(author: str, outcomes: Sequence[InspectionOutcome]) -> None:
    """An inspector invocation's metrics: findings and new attributes of the records that
    succeeded (every message of theirs was accepted), durations of every function call."""
    settings = _settings()
    if settings is None:
        return
    ok = [o for o in outcomes if o.error is None]
    _write(_lines(settings, "inspector", author, records=len(outcomes),
                  failed=len(outcomes) - len(ok),
                  durations_ms=[o.duration_ms for o in outcomes if o.duration_ms is not None],
                  findings=sum(o.findings for o in ok),
                  new_attributes=sum(o.new_attributes for o in ok)), None)


def emit_inspection_counts(author: str, *, records: int, failed: int,
                           durations_ms: Sequence[float], findings: int,
                           new_attributes: int) -> None:
    """:func:`emit_inspection` from counts the caller kept (the inspector's fast path)."""
    settings = _settings()
    if settings is not None:
        _write(_lines(settings, "inspector", author, records=records, failed=failed,
                      durations_ms=durations_ms, findings=findings,
                      new_attributes=new_attributes), None)
