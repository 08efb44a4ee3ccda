"""What a failed AWS call says, without its text.

botocore's ``ClientError`` carries the service's error code in ``response["Error"]["Code"]``;
its message may echo request details (table keys, secret names, message bodies), so the SDK
names only the code, or the exception's class when there is none. Nothing here imports boto3.
"""

from __future__ import annotations

__all__ = ["describe_failure", "error_code"]


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of ``exc`` (``"ConditionalCheckFailedException"``...), or ``None``
    for an exception that carries none (a timeout, a connection error)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict):
            code = error.get("Code")
            if isinstance(code, str) and code:
                return code
    return None


def describe_failure(exc: BaseException) -> str:
    """The error code of ``exc``, or its class name: safe to log and to put in messages."""
    return error_code(exc) or type(exc).__name__
