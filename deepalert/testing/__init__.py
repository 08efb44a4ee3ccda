"""Test helpers for DeepAlert roles: events, a fake Lambda context, fakes and harnesses.

Everything here runs without AWS. The package's own tests use these same helpers.
"""

from deepalert.testing._aws import AwsCore, CoreFunction, Execution
from deepalert.testing._context import FakeLambdaContext
from deepalert.testing._events import (
    direct_event,
    message_ids,
    sns_envelope,
    sns_event,
    sqs_event,
    sqs_sns_event,
)
from deepalert.testing._fixtures import AlertFactory, PipelineFactory, ReportFactory
from deepalert.testing._http import (
    CannedHttpServer,
    CannedResponse,
    FakeSecretStore,
    RecordedRequest,
)
from deepalert.testing._inspect import DEFAULT_REPORT_ID, InspectionResult, run_inspector
from deepalert.testing._reports import (
    make_alert,
    make_attribute,
    make_malware,
    make_report,
    make_section,
)
from deepalert.testing._roles import EmitRun, EmitterHandler, ReviewRun, run_emitter, run_reviewer
from deepalert.testing._sink import MemorySink, SentMessage

__all__ = [
    "DEFAULT_REPORT_ID",
    "AlertFactory",
    "AwsCore",
    "CannedHttpServer",
    "CannedResponse",
    "CoreFunction",
    "EmitRun",
    "EmitterHandler",
    "Execution",
    "FakeLambdaContext",
    "FakeSecretStore",
    "InspectionResult",
    "MemorySink",
    "PipelineFactory",
    "RecordedRequest",
    "ReportFactory",
    "ReviewRun",
    "SentMessage",
    "direct_event",
    "make_alert",
    "make_attribute",
    "make_malware",
    "make_report",
    "make_section",
    "message_ids",
    "run_emitter",
    "run_inspector",
    "run_reviewer",
    "sns_envelope",
    "sns_event",
    "sqs_event",
    "sqs_sns_event",
]
