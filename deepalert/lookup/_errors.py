"""Errors a lookup raises. Each one fails the record it happened in, so SQS retries it.

::

    DeepAlertError
    ├── LookupFailedError                 a lookup that produced no answer (never "nothing found")
    │   ├── RateLimitedError              the API said 429, or the local quota is spent
    │   ├── LookupTimeoutError (TimeoutError)  no answer in time, or not enough time left
    │   ├── ServiceError                  a 5xx after retries, or a status the caller did not expect
    │   ├── AuthenticationError           401 or 403: the API key is missing, wrong or not allowed
    │   └── MalformedResponseError (ValueError)  a body that is not the JSON the API documents
    └── ConfigurationError
        └── SecretError                   a secret that cannot be read (never its value)

Messages name the service, the method and the URL without its query string (where API keys
sometimes travel); they never contain a secret.
"""

from __future__ import annotations

from deepalert.errors import ConfigurationError, DeepAlertError

__all__ = [
    "AuthenticationError",
    "LookupFailedError",
    "LookupTimeoutError",
    "MalformedResponseError",
    "RateLimitedError",
    "SecretError",
    "ServiceError",
]


class LookupFailedError(DeepAlertError):
    """A lookup that could not produce an answer. Raised out of an inspector, it fails the
    record, so SQS delivers the task again; it never reads as "nothing found".

    Attributes:
        service: the service's name, such as ``"virustotal"`` (``""`` when unknown).
        status: the HTTP status of the last response, or ``None`` when there was none.
    """

    def __init__(self, detail: str, *, service: str = "", status: int | None = None) -> None:
        self.service = service
        self.status = status
        super().__init__(f"{service}: {detail}" if service else detail)


class RateLimitedError(LookupFailedError):
    """The API answered 429 after the retries the deadline allowed, or asked to wait longer
    than allowed, or answered 403 saying it is a rate limit (GitHub's primary and secondary
    limits), or a local rate limiter has no token left for this API key.

    Attributes:
        retry_after: seconds the API or the limiter asked to wait, when known.
    """

    def __init__(self, detail: str, *, service: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(detail, service=service, status=status)


class LookupTimeoutError(LookupFailedError, TimeoutError):
    """No answer within the timeout, or too little time left before the Lambda deadline."""


class ServiceError(LookupFailedError):
    """A server error (5xx) after retries, a connection failure, or an unexpected status."""


class AuthenticationError(LookupFailedError):
    """The API refused the credentials (401) or the action (403, unless it is a rate limit:
    :class:`RateLimitedError`)."""


class MalformedResponseError(LookupFailedError, ValueError):
    """A response body that is not the JSON, or not the shape, the API documents."""


class SecretError(ConfigurationError):
    """A secret that is not configured or cannot be read. The message names the secret (its
    ARN, name or environment variable) and the key, never the value."""
