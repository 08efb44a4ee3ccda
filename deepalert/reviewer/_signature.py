"""The decoration-time check shared by ``@reviewer`` and ``@emitter``.

A role function takes the report, and optionally the Lambda context as a second positional
argument. That is decided once, when the function is decorated, never per invocation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from deepalert.errors import HandlerDefinitionError

__all__ = ["check_role_function", "role_name"]


def role_name(func: Callable[..., Any]) -> str:
    """``module.qualname`` of a function, for logs and error messages."""
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    return f"{module}.{name}"


def check_role_function(func: object, role: str) -> bool:
    """Check that ``func`` can be called as ``func(report)`` or ``func(report, context)``.

    Returns:
        True when the function takes the Lambda context as its second argument.

    Raises:
        HandlerDefinitionError: the function cannot work as a ``role``, with how to fix it.
    """
    where = f"@{role}"
    if not callable(func) or isinstance(func, type):
        raise HandlerDefinitionError(
            f"{where} decorates a function; got {type(func).__name__} {func!r}")
    if type(func).__name__ in {"Reviewer", "Emitter"} and hasattr(func, "func"):
        raise HandlerDefinitionError(
            f"{where} got an object that is already a {type(func).__name__.lower()}; "
            "decorate the plain function once")
    name = role_name(func)
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        raise HandlerDefinitionError(
            f"{where} {name} is async; write a plain def (run asyncio.run() inside it if you "
            "need to await)")
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise HandlerDefinitionError(f"{where} cannot read the signature of {name}: {exc}"
                                     ) from None
    positional = [p for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
    required_kw = [p.name for p in signature.parameters.values()
                   if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    required = [p for p in positional if p.default is p.empty]
    if not positional and not variadic:
        raise HandlerDefinitionError(
            f"{where} {name} takes no argument; it must take the report: "
            f"def {getattr(func, '__name__', 'handler')}(report: Report) -> ...")
    if len(required) > 2 or required_kw:
        extra = [p.name for p in required[2:]] + required_kw
        raise HandlerDefinitionError(
            f"{where} {name} requires arguments the SDK cannot pass ({', '.join(extra)}); "
            "it is called with the report and, optionally, the Lambda context")
    return len(positional) >= 2 or variadic
