"""What users of the toolkit and the ready inspectors see, checked by mypy --strict
(tests/lookup/test_typing.py); never executed by pytest."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from deepalert.inspector import Inspector
from deepalert.integrations.aws_ec2 import ec2_inspector
from deepalert.integrations.virustotal import virustotal_inspector
from deepalert.lookup import (
    CacheEntry,
    EgressGuard,
    HttpClient,
    HttpResponse,
    Lookup,
    LookupStats,
    MemoryCache,
    RateLimitedError,
    Secret,
    TokenBucket,
)
from deepalert.models import Attribute


def toolkit() -> None:
    http = HttpClient("svc", base_url="https://api.example.com")
    assert_type(http.get("/x", remaining_ms=1000), HttpResponse)
    assert_type(http.get_json("/x"), Any)
    assert_type(Secret(env="SECRET_ARN", key="k").get(), str)
    lookup = Lookup("svc", cache=MemoryCache(), limiter=TokenBucket(4, 60, burst=1))
    assert_type(lookup.stats, LookupStats)
    assert_type(lookup.get("ip", "8.8.8.8", lambda: {"a": 1}), Any)
    assert_type(MemoryCache().get("k"), CacheEntry | None)
    assert_type(EgressGuard().refusal(Attribute(type="ipaddr", value="10.0.0.1")), str | None)
    error = RateLimitedError("spent", retry_after=15.0)
    assert_type(error.retry_after, float | None)
    assert_type(error.status, int | None)


def inspectors() -> None:
    assert_type(virustotal_inspector(types=["ipaddr"], max_workers=4), Inspector[Any])
    assert_type(ec2_inspector(new_attribute_context=["local"]), Inspector[Any])
