"""The toolkit for lookups in third-party APIs, used by :mod:`deepalert.integrations` and by
your own inspectors and emitters.

- :class:`HttpClient`: urllib3 with timeouts bounded by the Lambda deadline, retries with
  backoff that honour ``429`` and ``Retry-After`` (one :class:`RetryPolicy`), and connections
  reused across invocations.
- :class:`Secret`: a value from Secrets Manager or SSM Parameter Store, read at run time
  and cached with a TTL; never logged.
- Errors under :class:`LookupFailedError` fail the record (SQS retries it): a rate-limited
  or broken lookup never reads as "nothing found".

Importing this package loads neither urllib3 nor boto3; they are imported on first use.
See ``docs/integrations.md``.
"""

from deepalert.lookup._errors import (
    AuthenticationError,
    LookupFailedError,
    LookupTimeoutError,
    MalformedResponseError,
    RateLimitedError,
    SecretError,
    ServiceError,
)
from deepalert.lookup._http import HttpClient, HttpResponse, RetryPolicy
from deepalert.lookup._secrets import Secret, SecretSource, clear_secret_cache

__all__ = [
    "AuthenticationError",
    "HttpClient",
    "HttpResponse",
    "LookupFailedError",
    "LookupTimeoutError",
    "MalformedResponseError",
    "RateLimitedError",
    "RetryPolicy",
    "Secret",
    "SecretError",
    "SecretSource",
    "ServiceError",
    "clear_secret_cache",
]
