"""@inspector: what it makes, and the mistakes it refuses at decoration time."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from deepalert import (
    AttrContext,
    Attribute,
    AttrType,
    ContentHost,
    HandlerDefinitionError,
    TaskResult,
)
from deepalert.inspector import InspectionContext, Inspector, inspector


def test_decorated_object_is_a_handler_keeping_the_plain_function() -> None:
    """The decorated name is an Inspector; .func is the function, callable as written."""
    def ip_intel(attr: Attribute) -> TaskResult | None:
        """Look up an IP address."""
        return TaskResult(contents=[ContentHost(country=["JP"])])

    handler = inspector(author="ip-intel", types=[AttrType.IPADDR])(ip_intel)
    assert isinstance(handler, Inspector)
    assert handler.func is ip_intel
    assert handler.author == "ip-intel"
    assert handler.__name__ == "ip_intel"
    assert handler.__doc__ == "Look up an IP address."
    result = handler.func(Attribute(type="ipaddr", value="192.0.2.1"))
    assert isinstance(result, TaskResult)
    assert result.contents == [ContentHost(country=["JP"])]


def test_type_filter_accepts_only_listed_types() -> None:
    """types= lets through only attributes of those types."""
    handler = inspector(author="a", types=[AttrType.IPADDR, "domain"])(lambda attr: None)
    assert handler.accepts(Attribute(type="ipaddr"))
    assert handler.accepts(Attribute(type="domain"))
    assert not handler.accepts(Attribute(type="username"))


def test_context_filter_needs_one_listed_context() -> None:
    """contexts= lets through attributes having at least one of those contexts."""
    handler = inspector(author="a", contexts=[AttrContext.REMOTE, AttrContext.SERVER])(
        lambda attr: None)
    assert handler.accepts(Attribute(type="ipaddr", context=["client", "remote"]))
    assert not handler.accepts(Attribute(type="ipaddr", context=["local"]))
    assert not handler.accepts(Attribute(type="ipaddr", context=None))


def test_no_filters_accept_everything() -> None:
    """Without types= or contexts= every attribute is inspected."""
    handler = inspector(author="a")(lambda attr: None)
    assert handler.accepts(Attribute(type="anything", context=None))


def test_bare_decorator_says_to_give_an_author() -> None:
    """@inspector without arguments fails and shows how to write it with an author."""
    def ip_intel(attr: Attribute) -> None:
        return None

    with pytest.raises(HandlerDefinitionError, match=r'@inspector\(author="ip_intel"\)'):
        inspector(ip_intel)


@pytest.mark.parametrize("author", ["", "   ", None, 3])
def test_missing_or_blank_author_is_refused(author: Any) -> None:
    """An empty or non-string author fails at decoration time."""
    with pytest.raises(HandlerDefinitionError, match="author="):
        inspector(author=author)


def test_function_without_parameters_is_refused() -> None:
    """A function that cannot take the attribute fails with the signature to use."""
    def no_args() -> None:
        return None

    with pytest.raises(HandlerDefinitionError, match=r"def no_args\(attr: Attribute\)"):
        inspector(author="a")(no_args)  # type: ignore[type-var]


def test_function_with_three_required_parameters_is_refused() -> None:
    """More than (attr, ctx) required parameters fails at decoration time."""
    def three(attr: Attribute, ctx: InspectionContext, extra: int) -> None:
        return None

    with pytest.raises(HandlerDefinitionError, match="requires 3 arguments"):
        inspector(author="a")(three)  # type: ignore[type-var]


def test_required_keyword_only_parameter_is_refused() -> None:
    """A required keyword-only parameter fails: the SDK would never pass it."""
    def kw(attr: Attribute, *, token: str) -> None:
        return None

    with pytest.raises(HandlerDefinitionError, match="'token'"):
        inspector(author="a")(kw)  # type: ignore[type-var]


def test_async_function_is_refused() -> None:
    """An async def fails at decoration time, pointing to max_workers=."""
    async def lookup(attr: Attribute) -> None:
        return None

    with pytest.raises(HandlerDefinitionError, match="max_workers"):
        inspector(author="a")(lookup)  # type: ignore[type-var]


def test_generator_function_is_refused() -> None:
    """A generator fails at decoration time: it would return nothing the SDK can send."""
    def gen(attr: Attribute) -> Any:
        yield ContentHost()

    with pytest.raises(HandlerDefinitionError, match="generator"):
        inspector(author="a")(gen)


def test_class_and_non_callable_are_refused() -> None:
    """Only functions can be decorated."""
    with pytest.raises(HandlerDefinitionError, match="decorates a function"):
        inspector(author="a")(Attribute)  # type: ignore[type-var]
    with pytest.raises(HandlerDefinitionError, match="decorates a function"):
        inspector(author="a")("not a function")  # type: ignore[type-var]


def test_decorating_twice_is_refused() -> None:
    """An inspector cannot be decorated again."""
    once = inspector(author="a")(lambda attr: None)
    with pytest.raises(HandlerDefinitionError, match="already"):
        inspector(author="b")(once)  # type: ignore[type-var]


@pytest.mark.parametrize(("option", "value"), [
    ("types", "ipaddr"), ("types", [3]), ("contexts", [""]), ("max_workers", 0),
    ("max_workers", True), ("max_message_bytes", 2_000_000), ("max_message_bytes", 10),
    ("deadline_margin_ms", -1), ("finding_queue_url", ""),
])
def test_invalid_options_are_refused(option: str, value: Any) -> None:
    """Each option is checked at decoration time, and the message names it."""
    with pytest.raises(HandlerDefinitionError, match=f"{option}="):
        inspector(author="a", **{option: value})


def test_context_parameter_is_detected_by_arity() -> None:
    """A function with two required parameters receives the InspectionContext."""
    seen: list[InspectionContext] = []

    def with_ctx(attr: Attribute, ctx: InspectionContext) -> None:
        seen.append(ctx)

    from deepalert.testing import run_inspector

    run_inspector(inspector(author="ctx")(with_ctx), Attribute(type="ipaddr", value="x"),
                  report_id="r-1")
    assert [(c.report_id, c.author, c.attribute.value) for c in seen] == [("r-1", "ctx", "x")]


def test_optional_second_parameter_without_context_annotation_is_left_alone() -> None:
    """An optional second parameter not annotated as InspectionContext keeps its default."""
    seen: list[object] = []

    def lookup(attr: Attribute, retries: int = 3) -> None:
        seen.append(retries)

    from deepalert.testing import run_inspector

    run_inspector(inspector(author="a")(lookup), Attribute(type="ipaddr"))
    assert seen == [3]


def test_partial_function_can_be_decorated() -> None:
    """Any callable taking the attribute works, such as a functools.partial."""
    def lookup(source: str, attr: Attribute) -> ContentHost:
        return ContentHost(owner=[source])

    handler = inspector(author="a")(functools.partial(lookup, "whois"))
    from deepalert.testing import run_inspector

    assert run_inspector(handler, Attribute(type="ipaddr")).contents == [
        ContentHost(owner=["whois"])]
