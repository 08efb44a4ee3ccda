"""AbuseIPDB v2 ``check`` against canned answers shaped like the documented ones.

Shapes from https://docs.abuseipdb.com/#check-endpoint (the ``data`` object) and
https://docs.abuseipdb.com/#error-handling (``{"errors": [{"detail", "status"}]}``, 429 with
``Retry-After`` and ``X-RateLimit-*`` headers).
"""

from __future__ import annotations

import pytest

from deepalert import Attribute
from deepalert.integrations import abuseipdb
from deepalert.lookup import AuthenticationError, RateLimitedError
from deepalert.testing import CannedResponse, run_inspector

from .conftest import API_KEYS

IP = "118.25.6.39"
CHECK = {"data": {
    "ipAddress": IP, "isPublic": True, "ipVersion": 4, "isWhitelisted": False,
    "abuseConfidenceScore": 100, "countryCode": "CN",
    "usageType": "Data Center/Web Hosting/Transit",
    "isp": "Tencent Cloud Computing (Beijing) Co. Ltd", "domain": "tencent.com",
    "hostnames": [], "isTor": False, "totalReports": 1, "numDistinctUsers": 1,
    "lastReportedAt": "2018-12-20T20:55:14+00:00"}}
NEVER_REPORTED = {"data": {
    "ipAddress": "8.8.8.8", "isPublic": True, "ipVersion": 4, "isWhitelisted": True,
    "abuseConfidenceScore": 0, "countryCode": "US", "usageType": "Content Delivery Network",
    "isp": "Google LLC", "domain": "google.com", "hostnames": ["dns.google"], "isTor": False,
    "totalReports": 0, "numDistinctUsers": 0, "lastReportedAt": None}}


@pytest.fixture
def inspector(api, secrets, retry):
    return abuseipdb.abuseipdb_inspector(base_url=api.url, retry=retry, rate=None)


def test_a_reported_ip_becomes_a_host_with_an_abuse_activity(api, inspector):
    api.route("GET /check", CannedResponse(json=CHECK))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value=IP)).contents
    assert host.ipaddr == [IP]
    assert host.country == ["CN"]
    assert host.as_owner == ["Tencent Cloud Computing (Beijing) Co. Ltd"]
    assert [d.name for d in host.related_domains] == ["tencent.com"]
    (activity,) = host.activities
    assert activity.service_name == "abuseipdb"
    assert activity.remote_addr == IP
    assert activity.action == "reported for abuse 1 times by 1 users (confidence 100%)"
    assert str(activity.last_seen) == "2018-12-20T20:55:14Z"
    (page,) = host.related_urls
    assert page.url == f"https://www.abuseipdb.com/check/{IP}"
    assert page.reference == ("abuse confidence 100%; 1 reports; "
                              "usage: Data Center/Web Hosting/Transit")
    request = api.requests[0]
    assert request.query == {"ipAddress": [IP], "maxAgeInDays": ["90"]}
    assert request.headers["key"] == API_KEYS["abuseipdb_token"]
    assert request.headers["accept"] == "application/json"


def test_a_never_reported_ip_keeps_country_and_isp_without_activity(api, inspector):
    api.route("GET /check", CannedResponse(json=NEVER_REPORTED))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value="8.8.8.8")).contents
    assert host.activities is None
    assert host.hostname == ["dns.google"]
    assert host.related_urls[0].timestamp is not None


def test_429_with_a_long_retry_after_fails_at_once(api, inspector, waits):
    api.route("GET /check", CannedResponse(status=429, headers={
        "Retry-After": "2", "X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1545436800"}, json={"errors": [{
            "detail": "Daily rate limit of 1000 requests exceeded for this endpoint. See "
                      "headers for additional details.", "status": 429}]}))
    with pytest.raises(RateLimitedError):
        run_inspector(inspector, Attribute(type="ipaddr", value=IP))
    assert waits == [2.0, 2.0]
    api.route("GET /check", CannedResponse(status=429, headers={"Retry-After": "3600"},
                                           json={"errors": [{"detail": "x", "status": 429}]}))
    with pytest.raises(RateLimitedError) as caught:
        run_inspector(inspector, Attribute(type="ipaddr", value="1.1.1.1"))
    assert caught.value.retry_after == 3600


def test_401_names_the_service_not_the_key(api, inspector):
    api.route("GET /check", CannedResponse(status=401, json={"errors": [{
        "detail": "Authentication failed. Your API key is either missing, incorrect, or "
                  "revoked. Note: The APIv2 key differs from the APIv1 key.", "status": 401}]}))
    with pytest.raises(AuthenticationError, match="abuseipdb") as caught:
        run_inspector(inspector, Attribute(type="ipaddr", value=IP))
    assert API_KEYS["abuseipdb_token"] not in str(caught.value)


def test_max_age_is_checked():
    with pytest.raises(ValueError, match="max_age_days"):
        abuseipdb.abuseipdb_inspector(max_age_days=400)
