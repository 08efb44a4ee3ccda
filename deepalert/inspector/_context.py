"""What an inspector can know about the task besides the attribute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from deepalert._lambda import LambdaContext, remaining_ms
from deepalert.inspector._log import InspectionLogger, attribute_fields, logger
from deepalert.models import Attribute

__all__ = ["InspectionContext"]


@dataclass(frozen=True)
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
        logger: writes JSON lines that carry the report ID, author and attribute.
    """

    report_id: str
    author: str
    attribute: Attribute
    lambda_context: LambdaContext | None = None
    logger: InspectionLogger = field(default=cast(InspectionLogger, None), repr=False,
                                     compare=False)

    def __post_init__(self) -> None:
        if self.logger is None:
            fields = {"report_id": self.report_id, "author": self.author,
                      "attribute": attribute_fields(self.attribute)}
            object.__setattr__(self, "logger", InspectionLogger(logger, fields))

    def remaining_ms(self) -> int | None:
        """Milliseconds left before Lambda stops the invocation (``None`` without a deadline)."""
        return remaining_ms(self.lambda_context)

