"""What type checkers see: precise types for the handler, the function and the results."""

from __future__ import annotations

from collections.abc import Callable

from typing_extensions import assert_type

from deepalert import Attribute, ContentHost, Finding, ReportAttribute, TaskResult
from deepalert._lambda import PartialBatchResponse
from deepalert.inspector import InspectionContext, Inspector, inspector
from deepalert.testing import InspectionResult, MemorySink, run_inspector, sns_event
from tests.inspector.conftest import make_task


@inspector(author="typed")
def plain(attr: Attribute) -> TaskResult | None:
    return None


@inspector(author="typed-ctx")
def with_context(attr: Attribute, ctx: InspectionContext) -> ContentHost:
    return ContentHost()


def test_decorated_types_keep_the_function_signature() -> None:
    """The handler is an Inspector; .func keeps the function's parameters and return type."""
    handler: Inspector[Callable[[Attribute], TaskResult | None]] = plain
    assert_type(plain.func(Attribute()), TaskResult | None)
    ctx = InspectionContext("r", "typed-ctx", Attribute())
    assert_type(with_context.func(Attribute(), ctx), ContentHost)
    assert_type(handler.accepts(Attribute()), bool)
    assert_type(plain.author, str)


def test_handler_and_invoke_return_a_partial_batch_response_or_none() -> None:
    """Calling the handler is typed as returning PartialBatchResponse | None."""
    sink = MemorySink()
    response = plain.invoke(sns_event(make_task()), sqs_client=sink,
                            finding_queue_url="memory://f", attribute_queue_url="memory://a")
    assert_type(response, PartialBatchResponse | None)
    assert response is None


def test_run_inspector_results_are_typed() -> None:
    """run_inspector returns typed findings, new attributes and report attribute."""
    result = run_inspector(with_context, Attribute(type="ipaddr"))
    assert_type(result, InspectionResult)
    assert_type(result.findings, list[Finding])
    assert_type(result.new_attributes, list[Attribute])
    assert_type(result.report_attribute, ReportAttribute | None)
    assert len(result.findings) == 1
