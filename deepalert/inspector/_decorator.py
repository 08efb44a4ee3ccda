"""``@inspector``: check a function once, at decoration time, and make it a handler."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar, overload

from deepalert._lambda._sqs import SQS_MAX_BYTES
from deepalert.errors import HandlerDefinitionError
from deepalert.inspector._handler import Inspector, InspectorFunction

__all__ = ["inspector"]

_MIN_MESSAGE_BYTES = 1024

F = TypeVar("F", bound=InspectorFunction)


@overload
def inspector(*, author: str, types: Iterable[str] = (), contexts: Iterable[str] = (),
              finding_queue_url: str | None = None, attribute_queue_url: str | None = None,
              max_workers: int | None = None, max_message_bytes: int = 262_144,
              deadline_margin_ms: int = 1000) -> Callable[[F], Inspector[F]]: ...


@overload
def inspector(func: Callable[..., Any], /) -> NoReturn: ...


def inspector(func: Callable[..., Any] | None = None, /, *, author: str | None = None,
              types: Iterable[str] = (), contexts: Iterable[str] = (),
              finding_queue_url: str | None = None, attribute_queue_url: str | None = None,
              max_workers: int | None = None, max_message_bytes: int = 262_144,
              deadline_margin_ms: int = 1000) -> Callable[[F], Inspector[F]]:
    """Make a function that inspects one attribute into a DeepAlert inspector Lambda handler.

    The function takes an :class:`~deepalert.Attribute` (and optionally an
    :class:`InspectionContext`) and returns a :class:`~deepalert.TaskResult`, one content, a
    list of contents and new attributes, or ``None``. The decorated object is the Lambda
    handler (set the function's Handler to ``module.name``); the plain function stays
    reachable as ``.func``. Each content becomes a Finding on the finding queue; new
    attributes become one ReportAttribute on the attribute queue.

    Example:
        >>> from deepalert import Attribute, AttrType, ContentHost, TaskResult
        >>> from deepalert.inspector import inspector
        >>> @inspector(author="ip-intel", types=[AttrType.IPADDR])
        ... def ip_intel(attr: Attribute) -> TaskResult | None:
        ...     return TaskResult(contents=[ContentHost(country=["JP"])])
        >>> ip_intel.func(Attribute(type="ipaddr", value="192.0.2.1")).contents[0].country
        ['JP']

    Args:
        author: the inspector's name, written into every message (required).
        types: attribute types to inspect; others are skipped without calling the function.
        contexts: attribute contexts to inspect (an attribute needs one of them).
        finding_queue_url: the finding queue; default ``FINDING_QUEUE_URL`` (or
            ``FINDING_QUEUE``) from the environment at invocation time.
        attribute_queue_url: the attribute queue; default ``ATTRIBUTE_QUEUE_URL`` (or
            ``ATTRIBUTE_QUEUE``).
        max_workers: inspect the records of a batch on this many threads (I/O-bound
            enrichment); ``None`` inspects them one after another.
        max_message_bytes: the largest message, and batch request, in bytes (SQS allows up
            to 1048576); a bigger finding fails its record.
        deadline_margin_ms: no record is started with less than this left before the Lambda
            deadline; the records left over are reported as failures and retried.

    Raises:
        HandlerDefinitionError: at decoration time, for a missing author, a function that
            cannot take an attribute, or an invalid option.
    """
    if func is not None:
        name = getattr(func, "__name__", "the function")
        raise HandlerDefinitionError(
            f"@inspector needs an author: write @inspector(author=\"{name}\") above "
            f"def {name}(attr)")
    if not isinstance(author, str) or not author.strip():
        raise HandlerDefinitionError(
            "@inspector needs a non-empty author=, the inspector's name that the core shows "
            f"next to each finding (got {author!r}): write @inspector(author=\"ip-intel\")")
    type_set = _names("types", types)
    context_set = _names("contexts", contexts)
    if max_workers is not None and (isinstance(max_workers, bool)
                                    or not isinstance(max_workers, int) or max_workers < 1):
        raise HandlerDefinitionError(
            f"@inspector(max_workers=) must be a positive int or None, got {max_workers!r}")
    if isinstance(max_message_bytes, bool) or not isinstance(max_message_bytes, int) or not (
            _MIN_MESSAGE_BYTES <= max_message_bytes <= SQS_MAX_BYTES):
        raise HandlerDefinitionError(
            f"@inspector(max_message_bytes=) must be an int from {_MIN_MESSAGE_BYTES} to "
            f"{SQS_MAX_BYTES} (the SQS limit), got {max_message_bytes!r}")
    if isinstance(deadline_margin_ms, bool) or not isinstance(deadline_margin_ms, int) or (
            deadline_margin_ms < 0):
        raise HandlerDefinitionError(
            f"@inspector(deadline_margin_ms=) must be an int >= 0, got {deadline_margin_ms!r}")
    for argument, url in (("finding_queue_url", finding_queue_url),
                          ("attribute_queue_url", attribute_queue_url)):
        if url is not None and (not isinstance(url, str) or not url):
            raise HandlerDefinitionError(
                f"@inspector({argument}=) must be a queue URL string or None, got {url!r}")

    def decorate(function: F) -> Inspector[F]:
        takes_context = _check_function(function, author)
        return Inspector(function, author=author, types=type_set, contexts=context_set,
                         takes_context=takes_context, finding_queue_url=finding_queue_url,
                         attribute_queue_url=attribute_queue_url, max_workers=max_workers,
                         max_message_bytes=max_message_bytes,
                         deadline_margin_ms=deadline_margin_ms)

    return decorate


def _names(argument: str, values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise HandlerDefinitionError(
            f"@inspector({argument}=) takes a list such as [AttrType.IPADDR], got {values!r}")
    names = []
    for value in values:
        if not isinstance(value, str) or not value:
            raise HandlerDefinitionError(
                f"@inspector({argument}=) items must be non-empty strings such as "
                f"AttrType.IPADDR or AttrContext.REMOTE, got {value!r}")
        names.append(str(value))
    return frozenset(names)


def _check_function(function: object, author: str) -> bool:
    """Check the signature once; return whether the function takes an InspectionContext."""
    if isinstance(function, Inspector):
        raise HandlerDefinitionError(
            f"@inspector(author={author!r}) was applied to an inspector that is already "
            "decorated; use one @inspector per function")
    if isinstance(function, type) or not callable(function):
        raise HandlerDefinitionError(
            f"@inspector(author={author!r}) decorates a function, got {function!r}")
    name = getattr(function, "__name__", repr(function))
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        raise HandlerDefinitionError(
            f"inspector {name!r} is async; write it as a plain def (use max_workers= to "
            "inspect the records of a batch concurrently)")
    if inspect.isgeneratorfunction(function):
        raise HandlerDefinitionError(
            f"inspector {name!r} is a generator; return a TaskResult or a list instead of "
            "yielding")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False  # a builtin without a signature: assume it takes the attribute only
    positional = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append(parameter)
        elif parameter.kind is parameter.VAR_POSITIONAL:
            return False
        elif parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty:
            raise HandlerDefinitionError(
                f"inspector {name!r} has a required keyword-only parameter "
                f"{parameter.name!r}; give it a default or remove it: the SDK calls "
                f"{name}(attr) or {name}(attr, ctx)")
    required = [p for p in positional if p.default is p.empty]
    fix = f"define it as def {name}(attr: Attribute) or def {name}(attr, ctx: InspectionContext)"
    if not positional:
        raise HandlerDefinitionError(f"inspector {name!r} takes no attribute; {fix}")
    if len(required) > 2:
        raise HandlerDefinitionError(
            f"inspector {name!r} requires {len(required)} arguments "
            f"({', '.join(p.name for p in required)}); {fix}")
    return len(required) == 2 or (len(positional) >= 2 and len(required) <= 1 and
                                  _is_context_annotation(positional[1].annotation))


def _is_context_annotation(annotation: object) -> bool:
    return annotation is not inspect.Parameter.empty and "InspectionContext" in str(
        getattr(annotation, "__name__", annotation))
