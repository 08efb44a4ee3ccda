"""The DeepAlert core, in process: try a whole alert flow without an AWS account.

:class:`LocalPipeline` runs alerts through your inspectors, reviewer and emitters with the
core's semantics (aggregation by AlertID in a 3-hour window, attribute de-duplication,
sections by attribute hash, review, publication), on a simulated clock.
"""

from deepalert.local._clock import Clock, ManualClock, SystemClock
from deepalert.local._core import Core, CoreSettings, Delivery, LateAlertPolicy, Receipt
from deepalert.local._pipeline import (
    EmitterLike,
    InspectorLike,
    LocalPipeline,
    PipelineError,
    ReviewerLike,
)
from deepalert.local._store import (
    MemoryStore,
    ReportStore,
    SQLiteStore,
    StoredReport,
    TakenReport,
)

__all__ = [
    "Clock",
    "Core",
    "CoreSettings",
    "Delivery",
    "EmitterLike",
    "InspectorLike",
    "LateAlertPolicy",
    "LocalPipeline",
    "ManualClock",
    "MemoryStore",
    "PipelineError",
    "Receipt",
    "ReportStore",
    "ReviewerLike",
    "SQLiteStore",
    "StoredReport",
    "SystemClock",
    "TakenReport",
]
