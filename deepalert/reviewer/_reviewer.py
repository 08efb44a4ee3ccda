"""``@reviewer``: the Lambda that the review state machine invokes with the compiled report."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar, Union, cast, overload

from typing_extensions import ParamSpec

from deepalert._lambda import _metrics
from deepalert._lambda._logging import apply_log_level
from deepalert._redact import RedactingFilter, escape_control, redact
from deepalert._wire import fold_name
from deepalert.errors import EventError, HandlerDefinitionError, InvalidResultError, WireError
from deepalert.models import Report, ReportResult, Severity
from deepalert.reviewer._cases import Case
from deepalert.reviewer._signature import check_role_function, role_name

__all__ = ["OnError", "ReviewReturn", "Reviewer", "reviewer"]

logger = logging.getLogger("deepalert.reviewer")
logger.addFilter(RedactingFilter())  # exception texts leave the SDK redacted

P = ParamSpec("P")

OnError = Literal["unclassified", "raise"]
"""What a reviewer does when its function raises: publish ``unclassified``, or fail (Go)."""

ReviewReturn = Union[ReportResult, Severity, None]
"""What a review function returns; a bare :class:`Severity` means an empty reason."""

R = TypeVar("R", bound=ReviewReturn)

_SEVERITIES = frozenset(s.value for s in Severity)
_REPORT_KEYS = frozenset(fold_name(k) for k in Report.model_fields)


class Reviewer(Generic[P, R]):
    """A review function wrapped as the reviewer Lambda handler.

    Call the object as the handler: ``reviewer_obj(event, context)`` takes the compiled
    report as Step Functions sends it and returns ``{"severity", "reason"}`` or ``None``.
    In tests, call :attr:`func` as written, :meth:`review` with a :class:`Report`, or run
    :attr:`cases`.

    Attributes:
        func: the plain function, callable as written.
        on_error: ``"unclassified"`` or ``"raise"``.
        cases: the declared cases.
        name: ``module.qualname`` of the function, for logs.
        base_dir: the folder that case fixture paths are relative to.
    """

    def __init__(self, func: Callable[P, R], *, on_error: OnError,
                 cases: Sequence[Case]) -> None:
        self._pass_context = check_role_function(func, "reviewer")
        if on_error not in ("unclassified", "raise"):
            raise HandlerDefinitionError(
                f"@reviewer on_error must be 'unclassified' or 'raise', got {on_error!r}")
        if isinstance(cases, Case):
            raise HandlerDefinitionError("@reviewer cases takes a list of Case objects: "
                                         "cases=[Case(...)]")
        cases = tuple(cases)
        names: set[str] = set()
        for case in cases:
            if not isinstance(case, Case):
                raise HandlerDefinitionError(
                    f"@reviewer cases must be deepalert.reviewer.Case objects, got "
                    f"{type(case).__name__}")
            if case.name in names:
                raise HandlerDefinitionError(f"@reviewer has two cases named {case.name!r}")
            names.add(case.name)
        self.func: Callable[P, R] = func
        self.on_error: OnError = on_error
        self.cases: tuple[Case, ...] = cases
        self.name = role_name(func)
        code = getattr(func, "__code__", None)
        self.base_dir = (os.path.dirname(os.path.abspath(code.co_filename))
                         if code is not None else os.getcwd())
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return f"<Reviewer {self.name} on_error={self.on_error!r} cases={len(self.cases)}>"

    def __call__(self, event: Mapping[str, Any], context: object = None
                 ) -> dict[str, str] | None:
        """The Lambda handler: read the report, review it, return the Go wire result.

        With ``on_error="unclassified"``, a report that cannot be read as Go reads it (nested
        beyond Go's 10,000 levels, say) is published as ``unclassified`` too, with a reason
        naming where it could not be read.

        Raises:
            EventError: the event is not a report (an SNS or SQS event, a non-object).
            WireError: the report is one the core would not have written, with
                ``on_error="raise"``.
            Exception: whatever the function raised, with ``on_error="raise"``.
        """
        return self._handle(lambda: _event_report(event), lambda: _event_report_id(event),
                            context)

    def _invoke_json(self, report_json: str, context: object = None) -> dict[str, str] | None:
        """The handler for a report the core compiled, given as its JSON text: what
        ``self(json.loads(report_json), context)`` returns, the report read once (the local
        pipeline's fast path)."""
        return self._handle(lambda: Report.from_json(report_json),
                            lambda: _text_report_id(report_json), context)

    def _handle(self, read: Callable[[], Report], report_id: Callable[[], str | None],
                context: object) -> dict[str, str] | None:
        apply_log_level()
        _metrics.enabled()  # a bad setting fails the invocation, not the review
        try:
            report = read()
        except WireError as exc:
            if self.on_error == "raise":
                raise
            where = f"{exc.message_type}.{exc.path}" if exc.path else exc.message_type
            logger.error("reviewer %s could not read the report (%s at %s, expected %s); it "
                         "is published as unclassified", self.name, type(exc).__name__, where,
                         exc.expected, extra={"author": self.name, "report_id": report_id()})
            return {"severity": Severity.UNCLASSIFIED.value,
                    "reason": f"reviewer could not read the report ({where})"}
        result = self.review(report, context)
        if result is None:
            return None
        return cast("dict[str, str]", json.loads(result.to_json()))

    def review(self, report: Report, context: object = None) -> ReportResult | None:
        """Review a report with the ``on_error`` policy; the result as the handler returns it.

        Returns:
            The validated result, or ``None`` (the core publishes ``unclassified``). With
            ``on_error="unclassified"``, a function that raises or returns a value the core
            could not read gives ``unclassified`` with a reason naming the exception type;
            the traceback goes to the ``deepalert.reviewer`` log.
        """
        try:
            return self.decide(report, context)
        except Exception as exc:
            if self.on_error == "raise":
                raise
            logger.exception("reviewer %s failed on report %s; it is published as "
                             "unclassified", self.name, report.id,
                             extra={"author": self.name, "report_id": report.id})
            return ReportResult(severity=Severity.UNCLASSIFIED,
                                reason=f"reviewer failed with {_type_name(exc)} "
                                       "(details in the reviewer's log)")

    def decide(self, report: Report, context: object = None) -> ReportResult | None:
        """Run the function and validate what it returned, without the ``on_error`` policy.

        Raises:
            InvalidResultError: the function returned a value the core could not read.
            Exception: whatever the function raised.
        """
        func = cast("Callable[..., object]", self.func)
        with _metrics.timed("reviewer", self.name):
            value = func(report, context) if self._pass_context else func(report)
            return to_result(value, self.name)


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _event_report(event: object) -> Report:
    if isinstance(event, Mapping):
        if "Records" in event:
            raise EventError(
                "a reviewer is invoked by the review state machine with the report itself; "
                "got an SNS or SQS event (is the function subscribed to a topic or queue?)")
        if event and not any(fold_name(str(k)) in _REPORT_KEYS for k in event):
            keys = ", ".join(sorted(str(k) for k in event)[:6])
            raise EventError(f"expected a Report object, got an object with keys [{keys}]")
        return Report.from_dict(event)
    raise EventError(f"expected a Report object, got {type(event).__name__}")


def to_result(value: object, name: str) -> ReportResult | None:
    """Turn what a review function returned into a result the core reads as meant.

    Accepts a :class:`ReportResult`, a :class:`Severity` (or the string of one), ``None``, or
    a ``{"severity": ..., "reason": ...}`` dict of strings.

    Raises:
        InvalidResultError: anything else, or a severity that names none of the three.
    """
    if value is None:
        return None
    if isinstance(value, ReportResult):
        try:  # fields assigned or built without validation are checked as they leave
            value.to_json()
        except WireError as exc:
            raise InvalidResultError(name, f"a ReportResult the core cannot read "
                                           f"({exc.path or 'value'}: expected {exc.expected})"
                                     ) from None
        _check_severity(value.severity, name, allow_empty=True)
        return value
    if isinstance(value, str):
        _check_severity(value, name, allow_empty=False)
        return ReportResult(severity=Severity(value))
    if isinstance(value, Mapping):
        keys = set(value)
        if "severity" not in keys or not keys <= {"severity", "reason"} or not all(
                isinstance(v, str) for v in value.values()):
            raise InvalidResultError(
                name, f"a dict of the wrong shape (keys {sorted(map(str, keys))}); return "
                "ReportResult(severity=..., reason=...) or a Severity")
        _check_severity(value["severity"], name, allow_empty=True)
        return ReportResult(severity=value["severity"], reason=value.get("reason", ""))
    raise InvalidResultError(
        name, f"a {type(value).__name__} ({value!r:.60}); return ReportResult(severity=..., "
        "reason=...), a Severity, or None for no decision")


def _check_severity(severity: str, name: str, *, allow_empty: bool) -> None:
    if severity in _SEVERITIES or (allow_empty and severity == ""):
        return
    choices = ", ".join(repr(s.value) for s in Severity)
    raise InvalidResultError(
        name, f"severity {severity!r}, which names no severity; use one of {choices} "
        "(deepalert.Severity)")


@overload
def reviewer(func: Callable[P, R], /) -> Reviewer[P, R]: ...


@overload
def reviewer(*, on_error: OnError = "unclassified", cases: Sequence[Case] = ()
             ) -> Callable[[Callable[P, R]], Reviewer[P, R]]: ...


def reviewer(func: Callable[P, R] | None = None, /, *,
             on_error: OnError = "unclassified", cases: Sequence[Case] = ()
             ) -> Reviewer[P, R] | Callable[[Callable[P, R]], Reviewer[P, R]]:
    """Make a function the reviewer Lambda handler: report in, severity out.

    The function takes the compiled :class:`Report` (and, if it has a second positional
    parameter, the Lambda context) and returns a :class:`ReportResult`, a bare
    :class:`Severity` (empty reason), or ``None`` (the core publishes ``unclassified``).

    Args:
        func: the review function (the bare ``@reviewer`` form).
        on_error: ``"unclassified"`` (default) publishes the report as unclassified, with a
            reason naming the exception type, when the function raises or returns a value
            the core could not read; ``"raise"`` fails the invocation as a Go reviewer
            does: the Go core then never publishes the report, while this SDK's cores
            (local and on AWS) publish it ``unclassified``, naming the exception type.
        cases: :class:`Case` objects, run by pytest and ``deepalert cases``.

    Raises:
        HandlerDefinitionError: at decoration, for a function or option that cannot work.

    Example::

        from deepalert import AttrContext, AttrType, Report, ReportResult, Severity
        from deepalert.reviewer import Case, reviewer

        @reviewer(cases=[Case("no findings", report=Report(), expect=Severity.UNCLASSIFIED)])
        def review(report: Report) -> ReportResult | None:
            for attr, host in report.hosts(AttrType.IPADDR, AttrContext.REMOTE):
                if host.related_malware:
                    return ReportResult.of(Severity.URGENT, f"{attr.value} serves malware")
            return None
    """
    def wrap(f: Callable[P, R]) -> Reviewer[P, R]:
        return Reviewer(f, on_error=on_error, cases=cases)

    if func is not None:
        return wrap(func)
    if on_error not in ("unclassified", "raise"):
        raise HandlerDefinitionError(
            f"@reviewer on_error must be 'unclassified' or 'raise', got {on_error!r}")
    return wrap


def _text_report_id(report_json: str) -> str | None:
    """:func:`_event_report_id` of a report given as text (``None`` if it is not JSON)."""
    try:
        return _event_report_id(json.loads(report_json))
    except (ValueError, RecursionError):
        return None


def _event_report_id(event: object) -> str | None:
    """The report's ID for the log, when an unreadable event still holds one as text."""
    if isinstance(event, Mapping):
        value = event.get("id")
        if isinstance(value, str):
            return redact(escape_control(value[:80]))
    return None
