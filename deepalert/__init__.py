"""deepalert: write DeepAlert inspectors, reviewers and emitters in Python.

The public vocabulary lives here: the wire models and the errors. The roles live in
:mod:`deepalert.inspector`, :mod:`deepalert.reviewer` and :mod:`deepalert.emitter`; test
helpers in :mod:`deepalert.testing`.
"""

import typing as _typing

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
    SourceError,
    WireError,
)
from deepalert.models import (
    _FINDINGS,
    Alert,
    AttrContext,
    Attribute,
    AttrType,
    ContentType,
    Report,
    ReportResult,
    ReportStatus,
    Severity,
    WireModel,
)

if _typing.TYPE_CHECKING:
    from deepalert._send import FailedAlert, SendResult, SentAlert, send
    from deepalert.models import (
        Content,
        ContentBinary,
        ContentHost,
        ContentUser,
        EntityActivity,
        EntityDomain,
        EntityMalware,
        EntityMalwareScan,
        EntitySoftware,
        EntityURL,
        Finding,
        ReportAttribute,
        Section,
        Task,
        TaskResult,
    )

__version__ = "0.1.0"

# Names loaded on first use (PEP 562): sending alerts needs the SQS/SNS sender modules, which
# importing the vocabulary does not, and the models of findings are created on first use (see
# deepalert._findings). ``from deepalert import send, Finding`` works as before.
_LAZY = dict.fromkeys(("FailedAlert", "SendResult", "SentAlert", "send"), "deepalert._send")
_LAZY.update(dict.fromkeys(_FINDINGS - {"CONTENT_TYPES"}, "deepalert.models"))

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
    "FailedAlert",
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
    "SendResult",
    "SentAlert",
    "Severity",
    "SourceError",
    "Task",
    "TaskResult",
    "WireError",
    "WireModel",
    "__version__",
    "send",
]


if not _typing.TYPE_CHECKING:  # hidden from type checkers, which see the imports above

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_LAZY))
