"""Process-wide boto3 clients, and what a failed AWS call says without its text.

:func:`client` keeps one boto3 client per service, region and endpoint for the life of the
process (a Lambda container reuses it across invocations); boto3 is imported on the first
call, never at import.

botocore's ``ClientError`` carries the service's error code in ``response["Error"]["Code"]``;
its message may echo request details (table keys, secret names, message bodies), so the SDK
names only the code, or the exception's class when there is none.
"""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["client", "describe_failure", "error_code"]

_clients: dict[tuple[str, str | None, str | None], Any] = {}
_clients_lock = threading.Lock()


def client(service: str, region: str | None) -> Any:
    """The process-wide boto3 client of ``service`` for ``region`` (``None``: boto3's usual
    configuration, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, profile), created on first use.

    ``AWS_ENDPOINT_URL_<SERVICE>`` or ``AWS_ENDPOINT_URL`` sends its requests to that endpoint
    instead of AWS (a local moto server, say).
    """
    endpoint = (os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
                or os.environ.get("AWS_ENDPOINT_URL") or None)
    key = (service, region, endpoint)
    made = _clients.get(key)
    if made is None:
        with _clients_lock:
            made = _clients.get(key)
            if made is None:
                import boto3  # imported here: it costs more to import than the whole SDK

                made = boto3.client(service, region_name=region, endpoint_url=endpoint)
                _clients[key] = made
    return made


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
