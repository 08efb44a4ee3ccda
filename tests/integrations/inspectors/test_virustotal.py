"""VirusTotal v3 against canned answers shaped like the documented ones.

Shapes from https://docs.virustotal.com/reference/ip-info, /reference/domain-info,
/reference/url-info, /reference/file-info and errors from
https://docs.virustotal.com/reference/errors (``{"error": {"code", "message"}}``).
"""

from __future__ import annotations

import base64
import logging

import pytest

from deepalert import Attribute, ContentBinary, ContentHost
from deepalert.errors import HandlerDefinitionError
from deepalert.integrations import virustotal
from deepalert.integrations._inspectors import InspectorEnvHandler
from deepalert.lookup import (
    AuthenticationError,
    LookupTimeoutError,
    MalformedResponseError,
    RateLimitedError,
    RetryPolicy,
    ServiceError,
)
from deepalert.testing import CannedResponse, FakeLambdaContext, run_inspector

from .conftest import API_KEYS

IP = "185.220.101.47"
ENGINES = {
    "Fortinet": {"category": "malicious", "engine_name": "Fortinet", "method": "blacklist",
                 "result": "malware"},
    "Kaspersky": {"category": "suspicious", "engine_name": "Kaspersky", "method": "blacklist",
                  "result": "suspicious"},
    "Sophos": {"category": "harmless", "engine_name": "Sophos", "method": "blacklist",
               "result": "clean"},
}
STATS = {"harmless": 60, "malicious": 1, "suspicious": 1, "undetected": 30, "timeout": 0}

IP_REPORT = {"data": {"id": IP, "type": "ip_address", "links": {
    "self": f"https://www.virustotal.com/api/v3/ip_addresses/{IP}"}, "attributes": {
    "as_owner": "EXAMPLE-AS", "asn": 64500, "continent": "EU", "country": "NL",
    "jarm": "", "last_analysis_date": 1735689600, "last_analysis_results": ENGINES,
    "last_analysis_stats": STATS, "network": "185.220.101.0/24", "regional_internet_registry":
    "RIPE NCC", "reputation": -5, "tags": [], "total_votes": {"harmless": 0, "malicious": 2},
    "whois": "NetRange: 185.220.101.0 - 185.220.101.255"}}}
DOMAIN_REPORT = {"data": {"id": "bad.example", "type": "domain", "attributes": {
    "categories": {"Forcepoint ThreatSeeker": "malicious web sites"}, "creation_date": 1577836800,
    "last_analysis_date": 1735689600, "last_analysis_results": ENGINES,
    "last_analysis_stats": STATS, "last_dns_records": [
        {"type": "A", "value": "203.0.113.5", "ttl": 300},
        {"type": "AAAA", "value": "2001:db8::5", "ttl": 300},
        {"type": "CNAME", "value": "edge.cdn.example.", "ttl": 300},
        {"type": "TXT", "value": "v=spf1 -all", "ttl": 300}],
    "registrar": "Example Registrar", "reputation": -20, "tags": []}}}
URL = "http://bad.example/dropper.exe"
URL_ID = base64.urlsafe_b64encode(URL.encode()).decode().rstrip("=")
URL_REPORT = {"data": {"id": "5b3a1d0d9fe4e5e7e8d1f0c2b7a6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8",
                       "type": "url", "attributes": {
    "url": URL, "last_final_url": "https://cdn.bad.example/dropper.exe",
    "last_analysis_date": 1735689600, "last_analysis_results": ENGINES,
    "last_analysis_stats": STATS, "title": "", "times_submitted": 3}}}
SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
FILE_REPORT = {"data": {"id": SHA256, "type": "file", "attributes": {
    "md5": "44d88612fea8a8f36de82e1278abb02f", "sha1": "3395856ce81f2b7382dee72602f798b642f14140",
    "sha256": SHA256, "meaningful_name": "eicar.com", "names": ["eicar.com"],
    "type_description": "DOS COM", "last_analysis_date": 1735689600,
    "last_analysis_results": ENGINES, "last_analysis_stats": STATS}}}
NOT_FOUND = {"error": {"code": "NotFoundError", "message": f"IP address \"{IP}\" not found"}}


@pytest.fixture
def vt(api, secrets, retry):
    return virustotal.virustotal_inspector(base_url=api.url, retry=retry, rate=None)


def test_an_ip_becomes_a_host_with_country_owner_and_the_report_link(api, vt):
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(json=IP_REPORT))
    result = run_inspector(vt, Attribute(type="ipaddr", value=IP, context=["remote"]))
    (host,) = result.contents
    assert isinstance(host, ContentHost)
    assert host.ipaddr == [IP]
    assert host.country == ["NL"]
    assert host.as_owner == ["EXAMPLE-AS"]
    (link,) = host.related_urls
    assert link.url == f"https://www.virustotal.com/gui/ip-address/{IP}"
    assert link.reference == "1 malicious, 1 suspicious of 92 engines"
    assert link.source == "virustotal"
    assert str(link.timestamp) == "2025-01-01T00:00:00Z"
    assert api.requests[0].headers["x-apikey"] == API_KEYS["virustotal_token"]
    assert result.findings[0].author == "virustotal"


def test_a_domain_maps_its_dns_records(api, vt):
    api.route("GET /domains/bad.example", CannedResponse(json=DOMAIN_REPORT))
    (host,) = run_inspector(vt, Attribute(type="domain", value="Bad.Example.")).contents
    assert host.ipaddr == ["203.0.113.5", "2001:db8::5"]
    assert [d.name for d in host.related_domains] == ["edge.cdn.example"]
    assert host.related_urls[0].url == "https://www.virustotal.com/gui/domain/bad.example"


def test_a_url_is_looked_up_by_its_unpadded_base64_id(api, vt):
    api.route(f"GET /urls/{URL_ID}", CannedResponse(json=URL_REPORT))
    (host,) = run_inspector(vt, Attribute(type="url", value=URL)).contents
    assert [u.url for u in host.related_urls] == [
        URL, "https://cdn.bad.example/dropper.exe",
        f"https://www.virustotal.com/gui/url/{URL_REPORT['data']['id']}"]
    assert "=" not in api.requests[0].path


def test_a_file_hash_becomes_binary_malware_with_the_positive_scans(api, vt):
    api.route("GET /files/44d88612fea8a8f36de82e1278abb02f", CannedResponse(json=FILE_REPORT))
    result = run_inspector(vt, Attribute(type="filehashvalue",
                                         value="44D88612FEA8A8F36DE82E1278ABB02F"))
    (binary,) = result.contents
    assert isinstance(binary, ContentBinary)
    (malware,) = binary.related_malware
    assert malware.sha256 == SHA256
    assert malware.relation == "self"
    assert [(s.vendor, s.name, s.positive) for s in malware.scans] == [
        ("Fortinet", "malware", True), ("Kaspersky", "suspicious", True)]
    assert result.findings[0].type == "binary"


def test_a_value_that_is_no_hash_is_not_sent(api, vt):
    assert run_inspector(vt, Attribute(type="filehashvalue", value="not-a-hash")).contents == []
    assert api.requests == []


def test_404_is_nothing_found_and_is_cached(api, vt):
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(status=404, json=NOT_FOUND))
    for _ in range(3):
        result = run_inspector(vt, Attribute(type="ipaddr", value=IP))
        assert result.findings == []
    assert len(api.requests) == 1


def test_the_same_indicator_costs_one_call_per_ttl(api, vt):
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(json=IP_REPORT))
    for _ in range(5):
        assert len(run_inspector(vt, Attribute(type="ipaddr", value=IP)).contents) == 1
    assert len(api.requests) == 1


def test_401_fails_the_record_without_showing_the_key(api, vt):
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(status=401, json={"error": {
        "code": "WrongCredentialsError", "message": "Wrong API key"}}))
    with pytest.raises(AuthenticationError) as caught:
        run_inspector(vt, Attribute(type="ipaddr", value=IP))
    assert API_KEYS["virustotal_token"] not in str(caught.value)


def test_429_quota_exceeded_fails_the_record_and_is_not_cached(api, vt, waits):
    api.route(f"GET /ip_addresses/{IP}", [CannedResponse(status=429, json={"error": {
        "code": "QuotaExceededError", "message": "Quota exceeded"}})] * 3 + [
        CannedResponse(json=IP_REPORT)])
    with pytest.raises(RateLimitedError):
        run_inspector(vt, Attribute(type="ipaddr", value=IP))
    assert waits == [0.5, 1.0]
    # SQS delivers the task again later: now it is answered, nothing stale was cached.
    assert len(run_inspector(vt, Attribute(type="ipaddr", value=IP)).contents) == 1


def test_5xx_fails_the_record(api, vt):
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(status=503, body="Service Unavailable"))
    with pytest.raises(ServiceError):
        run_inspector(vt, Attribute(type="ipaddr", value=IP))
    assert len(api.requests) == 3


def test_a_timeout_fails_the_record(api, secrets):
    vt = virustotal.virustotal_inspector(base_url=api.url, rate=None, timeout=0.2,
                                         retry=RetryPolicy(attempts=1))
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(json=IP_REPORT, delay=1.0))
    with pytest.raises(LookupTimeoutError):
        run_inspector(vt, Attribute(type="ipaddr", value=IP))


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"data": []}',
                                  '{"data": {"attributes": {"country": 7}}}'])
def test_malformed_answers_fail_the_record(api, vt, body):
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(body=body))
    with pytest.raises(MalformedResponseError):
        run_inspector(vt, Attribute(type="ipaddr", value=IP))


def test_internal_and_local_attributes_never_leave(api, vt, caplog):
    caplog.set_level(logging.INFO, logger="deepalert.inspector")
    for attr in (Attribute(type="ipaddr", value="10.0.0.8"),
                 Attribute(type="domain", value="git.corp"),
                 Attribute(type="ipaddr", value=IP, context=["local"])):
        assert run_inspector(vt, attr).findings == []
    assert api.requests == []
    assert "not sent to virustotal: ipaddr 10.0.0.8 is a private address" in caplog.text


def test_the_default_quota_spaces_calls_and_fails_the_record_when_spent(api, secrets, retry):
    vt = virustotal.virustotal_inspector(base_url=api.url, retry=retry)
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(json=IP_REPORT))
    api.route("GET /ip_addresses/185.220.101.9", CannedResponse(json=IP_REPORT))
    run_inspector(vt, Attribute(type="ipaddr", value=IP))
    with pytest.raises(RateLimitedError, match="quota of 4 calls per 60 s"):
        run_inspector(vt, Attribute(type="ipaddr", value="185.220.101.9"))
    assert len(api.requests) == 1


def test_types_must_be_ones_virustotal_can_look_up():
    with pytest.raises(HandlerDefinitionError, match="types="):
        virustotal.virustotal_inspector(types=["username"])


def test_the_ready_handler_reads_its_settings_at_the_first_event(api, secrets, monkeypatch):
    virustotal.handler.reset()
    assert virustotal.handler.inspector.types == frozenset(
        {"ipaddr", "domain", "url", "filehashvalue"})
    virustotal.handler.reset()


def test_the_lookup_timeout_is_cut_to_the_lambda_deadline(api, secrets, retry):
    vt = virustotal.virustotal_inspector(base_url=api.url, rate=None, timeout=30, retry=retry)
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(json=IP_REPORT, delay=3.0))
    with pytest.raises(LookupTimeoutError):
        # 1.2 s left, 0.5 s kept back: the request gets 0.7 s, not the 30 s configured.
        run_inspector(vt, Attribute(type="ipaddr", value=IP),
                      context=FakeLambdaContext(timeout_ms=1200))


def test_the_ready_handler_stands_in_for_its_inspector(api, secrets):
    """run_inspector, LocalPipeline and `deepalert inspect` take a ready handler as is."""
    api.route(f"GET /ip_addresses/{IP}", CannedResponse(json=IP_REPORT))
    handler = InspectorEnvHandler(
        lambda: virustotal.virustotal_inspector(base_url=api.url, rate=None), "test")
    assert handler.author == "virustotal"
    result = run_inspector(handler, Attribute(type="ipaddr", value=IP))
    assert result.contents[0].country == ["NL"]
