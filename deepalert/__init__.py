"""deepalert: write DeepAlert inspectors, reviewers and emitters in Python.

The public vocabulary lives here: the wire models and the errors. The roles live in
:mod:`deepalert.inspector`, :mod:`deepalert.reviewer` and :mod:`deepalert.emitter`; test
helpers in :mod:`deepalert.testing`.
"""

from deepalert._wire import ZERO_TIME, GoTime
from deepalert.errors import (
    ConfigurationError,
    ContentError,
    DeepAlertError,
    DeliveryError,
    EventError,
    HandlerDefinitionError,
    InvalidAlertError,
    InvalidResultError,
    WireError,
)
from deepalert.models import (
    Alert,
    AttrContext,
    Attribute,
    AttrType,
    Content,
    ContentBinary,
    ContentHost,
    ContentType,
    ContentUser,
    EntityActivity,
    EntityDomain,
    EntityMalware,
    EntityMalwareScan,
    EntitySoftware,
    EntityURL,
    Finding,
    Report,
    ReportAttribute,
    ReportResult,
    ReportStatus,
    Section,
    Severity,
    Task,
    TaskResult,
    WireModel,
)

__version__ = "0.1.0"

__all__ = [
    "ZERO_TIME",
    "Alert",
    "AttrContext",
    "AttrType",
    "Attribute",
    "ConfigurationError",
    "Content",
    "ContentBinary",
    "ContentError",
    "ContentHost",
    "ContentType",
    "ContentUser",
    "DeepAlertError",
    "DeliveryError",
    "EntityActivity",
    "EntityDomain",
    "EntityMalware",
    "EntityMalwareScan",
    "EntitySoftware",
    "EntityURL",
    "EventError",
    "Finding",
    "GoTime",
    "HandlerDefinitionError",
    "InvalidAlertError",
    "InvalidResultError",
    "Report",
    "ReportAttribute",
    "ReportResult",
    "ReportStatus",
    "Section",
    "Severity",
    "Task",
    "TaskResult",
    "WireError",
    "WireModel",
    "__version__",
]
