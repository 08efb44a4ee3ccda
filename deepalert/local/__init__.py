"""The DeepAlert core, in process: try a whole alert flow without an AWS account.

:class:`LocalPipeline` runs alerts through your inspectors, reviewer and emitters with the
core's semantics (aggregation by AlertID in a 3-hour window, attribute de-duplication,
sections by attribute hash, review, publication), on a simulated clock.

The core itself lives in :mod:`deepalert.core`; its names are re-exported here, so
``from deepalert.local import Core`` keeps working.
"""

from deepalert.core import (
    Clock,
    Core,
    CoreSettings,
    Delivery,
    LateAlertPolicy,
    Receipt,
    ReportStore,
    StoredReport,
    SystemClock,
    TakenReport,
)
from deepalert.local._clock import ManualClock
from deepalert.local._pipeline import (
    EmitterLike,
    InspectorLike,
    LocalPipeline,
    PipelineError,
    ReviewerLike,
)
from deepalert.local._store import MemoryStore, SQLiteStore

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
