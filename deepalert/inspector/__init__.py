"""Inspectors: a function that investigates one attribute, run as a DeepAlert Lambda handler.

Example:
    >>> from deepalert import Attribute, AttrType, ContentHost, TaskResult
    >>> from deepalert.inspector import inspector
    >>> @inspector(author="ip-intel", types=[AttrType.IPADDR])
    ... def ip_intel(attr: Attribute) -> TaskResult | None:
    ...     return TaskResult(contents=[ContentHost(country=["JP"])])

``ip_intel`` is the Lambda handler (Handler setting ``module.ip_intel``) and
``ip_intel.func`` the plain function. See ``docs/inspector.md``.
"""

from typing import TYPE_CHECKING, Any

from deepalert._lambda import BatchItemFailure, LambdaContext, PartialBatchResponse
from deepalert.inspector._context import InspectionContext
from deepalert.inspector._decorator import inspector
from deepalert.inspector._handler import (
    ContextInspectorFunction,
    Inspector,
    InspectorFunction,
    PlainInspectorFunction,
)
from deepalert.inspector._output import InspectorOutput

if TYPE_CHECKING:
    from deepalert.inspector._log import InspectionLogger

__all__ = [
    "BatchItemFailure",
    "ContextInspectorFunction",
    "InspectionContext",
    "InspectionLogger",
    "Inspector",
    "InspectorFunction",
    "InspectorOutput",
    "LambdaContext",
    "PartialBatchResponse",
    "PlainInspectorFunction",
    "inspector",
]


def __getattr__(name: str) -> Any:
    # InspectionLogger brings in logging, so it is imported when first asked for.
    if name == "InspectionLogger":
        from deepalert.inspector._log import InspectionLogger

        return InspectionLogger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
