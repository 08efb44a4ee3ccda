"""What the abuse.ch services (URLhaus, MalwareBazaar, ThreatFox) share: one ``Auth-Key``,
POST lookups, and a ``query_status`` that says found, not found, or refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from deepalert.integrations._inspectors import SECRET_ARN_ENV, field
from deepalert.lookup import (
    AuthenticationError,
    HttpClient,
    HttpResponse,
    MalformedResponseError,
    Secret,
    ServiceError,
)

__all__ = ["abusech_key", "abusech_time", "post_query"]

_AUTH_STATUSES = frozenset({"unknown_auth_key", "no_auth_key", "invalid_auth_key"})


def abusech_key(api_key: Secret | str | None) -> Secret | str:
    """The given key, or key ``abusech_token`` of the JSON secret named by ``SECRET_ARN``."""
    return api_key if api_key is not None else Secret(env=SECRET_ARN_ENV, key="abusech_token")


def post_query(http: HttpClient, path: str, *, token: str, not_found: frozenset[str],
               form: Mapping[str, str] | None = None, json: Any = None,
               remaining_ms: int | None = None) -> dict[str, Any] | None:
    """POST a lookup (retried like a GET: it changes nothing) and read ``query_status``:
    ``"ok"`` gives the answer, a status in ``not_found`` gives ``None``.

    Raises:
        AuthenticationError: the Auth-Key is missing or unknown.
        ServiceError: another status, such as ``illegal_hash``.
        MalformedResponseError: no JSON object with a ``query_status``.
    """
    response: HttpResponse = http.request("POST", path, form=form, json=json,
                                          headers={"Auth-Key": token},
                                          remaining_ms=remaining_ms, idempotent=True)
    answer = response.json()
    status = field(answer, "query_status", str, service=http.service, required=True)
    if status in _AUTH_STATUSES:
        raise AuthenticationError(f"{response.url} refused the Auth-Key ({status})",
                                  service=http.service, status=response.status)
    if status in not_found or response.status == 404:
        return None
    if status != "ok" or not 200 <= response.status < 300:
        raise ServiceError(f"{response.url} answered {response.status} with query_status "
                           f"{status!r}", service=http.service, status=response.status)
    if not isinstance(answer, dict):
        raise MalformedResponseError("answer is not a JSON object", service=http.service)
    return answer


def abusech_time(value: Any) -> datetime | None:
    """``"2019-01-19 01:33:26 UTC"`` (or without the zone, which is UTC) as a datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().removesuffix(" UTC").replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
