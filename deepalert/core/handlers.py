"""The Lambda entry points of the DeepAlert core on AWS, named after the Go Lambdas.

Point each function of the core's stack at one of these (``Handler:
deepalert.core.handlers.recept_alert``...). Importing this module reads no environment and
loads no boto3; see :mod:`deepalert.core.aws` and ``docs/core.md``.
"""

from deepalert.core.aws._handlers import (
    compile_report,
    dispatch_inspection,
    dummy_reviewer,
    feedback_attribute,
    publish_report,
    recept_alert,
    submit_finding,
    submit_report,
)

__all__ = [
    "compile_report",
    "dispatch_inspection",
    "dummy_reviewer",
    "feedback_attribute",
    "publish_report",
    "recept_alert",
    "submit_finding",
    "submit_report",
]
