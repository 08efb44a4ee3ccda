"""The Lambda context as the SDK uses it: a protocol, so a fake or the real one both fit."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["LambdaContext", "remaining_ms"]


@runtime_checkable
class LambdaContext(Protocol):
    """The parts of the AWS Lambda context object the SDK reads."""

    function_name: str
    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda stops the invocation."""
        ...


def remaining_ms(context: object | None) -> int | None:
    """Milliseconds left in the invocation, or ``None`` when there is no deadline."""
    getter = getattr(context, "get_remaining_time_in_millis", None)
    if getter is None:
        return None
    value = getter()
    return int(value) if isinstance(value, (int, float)) else None
