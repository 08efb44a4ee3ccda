"""Lambda plumbing shared by the roles: event envelopes, contexts, batch responses.

Payload models never know about envelopes: this package turns an SNS, SQS, SNS-in-SQS or
direct-invoke event into records holding the payload JSON, and builds the partial batch
response SQS event sources expect.
"""

from deepalert._lambda._context import LambdaContext, remaining_ms
from deepalert._lambda._events import (
    BatchItemFailure,
    EventRecord,
    PartialBatchResponse,
    SourceKind,
    UnpackedEvent,
    unpack_event,
)

__all__ = [
    "BatchItemFailure",
    "EventRecord",
    "LambdaContext",
    "PartialBatchResponse",
    "SourceKind",
    "UnpackedEvent",
    "remaining_ms",
    "unpack_event",
]
