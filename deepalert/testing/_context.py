"""A stand-in for the AWS Lambda context object."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FakeLambdaContext"]


@dataclass
class FakeLambdaContext:
    """A Lambda context for tests: a name, a request ID and a deadline that really runs down.

    Args:
        timeout_ms: the invocation's time budget, counted from creation.
        clock: returns seconds; defaults to ``time.monotonic``. Pass your own to control time.
    """

    function_name: str = "deepalert-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    timeout_ms: int = 30_000
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:deepalert-test"
    )
    log_group_name: str = "/aws/lambda/deepalert-test"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"
    clock: Callable[[], float] = time.monotonic
    _started: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._started = self._now()

    def _now(self) -> float:
        return float(self.clock())

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left, never below zero."""
        elapsed_ms = (self._now() - self._started) * 1000
        return max(0, int(self.timeout_ms - elapsed_ms))
