"""Emitters: act on reports the core publishes on the report topic.

::

    from deepalert import Report, Severity
    from deepalert.emitter import emitter

    @emitter(min_severity=Severity.URGENT)
    def page_on_call(report: Report) -> None:
        ...

The handler reads SNS events and SQS events whose bodies are SNS envelopes (answering SQS
with a partial batch response). By default the function runs only for published reports.
"""

from deepalert._lambda import BatchItemFailure, LambdaContext, PartialBatchResponse
from deepalert.emitter._emitter import Emitter, emitter

__all__ = [
    "BatchItemFailure",
    "Emitter",
    "LambdaContext",
    "PartialBatchResponse",
    "emitter",
]
