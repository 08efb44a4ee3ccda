"""What an inspector can know about the task besides the attribute."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from deepalert._lambda import LambdaContext, remaining_ms
from deepalert.models import Attribute

if TYPE_CHECKING:
    from deepalert.inspector._log import InspectionLogger

__all__ = ["InspectionContext"]


class InspectionContext:
    """The task around an attribute: pass it by giving the inspector a second parameter.

    Example:
        >>> from deepalert import Attribute, ContentHost
        >>> from deepalert.inspector import InspectionContext, inspector
        >>> @inspector(author="geo")
        ... def geo(attr: Attribute, ctx: InspectionContext) -> ContentHost | None:
        ...     ctx.logger.info("looking up", extra={"remaining_ms": ctx.remaining_ms()})
        ...     return ContentHost(country=["JP"])

    Attributes:
        report_id: the report the task belongs to.
        author: the inspector's name, as given to ``@inspector``.
        attribute: the attribute under inspection, as it arrived.
        lambda_context: the Lambda context object, or ``None`` outside Lambda.
    """

    def __init__(self, report_id: str, author: str, attribute: Attribute,
                 lambda_context: LambdaContext | None = None) -> None:
        self.report_id = report_id
        self.author = author
        self.attribute = attribute
        self.lambda_context = lambda_context

    def __repr__(self) -> str:
        return (f"InspectionContext(report_id={self.report_id!r}, author={self.author!r}, "
                f"attribute={self.attribute!r})")

    @cached_property
    def logger(self) -> InspectionLogger:
        """A logger whose lines are JSON objects with the report ID, author and attribute."""
        # logging is imported on first use: a cold start that logs nothing does not pay for it.
        from deepalert.inspector._log import InspectionLogger, attribute_fields, logger

        return InspectionLogger(logger, {"report_id": self.report_id, "author": self.author,
                                         "attribute": attribute_fields(self.attribute)})

    def remaining_ms(self) -> int | None:
        """Milliseconds left before Lambda stops the invocation (``None`` without a deadline)."""
        return remaining_ms(self.lambda_context)
