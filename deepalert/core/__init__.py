"""The DeepAlert core's semantics, wherever they run.

:class:`Core` is what the Go core's Lambdas do, written against three small interfaces: a
:class:`ReportStore` (the table), a :class:`Clock` and a :class:`Delivery` (delays, topics,
the reviewer). :mod:`deepalert.local` runs it in one process; :mod:`deepalert.core.aws` on
DynamoDB, SNS and Step Functions, with the Lambda entry points in
:mod:`deepalert.core.handlers`. Nothing here imports boto3.
"""

from deepalert.core._clock import Clock, SystemClock
from deepalert.core._core import (
    Core,
    CoreSettings,
    Delivery,
    Feedback,
    LateAlertPolicy,
    Receipt,
)
from deepalert.core._store import (
    ReportStore,
    StoredFinding,
    StoredReceipt,
    StoredReport,
    TakenReport,
)

__all__ = [
    "Clock",
    "Core",
    "CoreSettings",
    "Delivery",
    "Feedback",
    "LateAlertPolicy",
    "Receipt",
    "ReportStore",
    "StoredFinding",
    "StoredReceipt",
    "StoredReport",
    "SystemClock",
    "TakenReport",
]
