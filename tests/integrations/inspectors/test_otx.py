"""AlienVault OTX against canned answers shaped like the documented ones.

Shapes from https://otx.alienvault.com/assets/static/external_api.html
(``/api/v1/indicators/{type}/{indicator}/{section}``, section ``general``: ``pulse_info``
with ``count`` and ``pulses``, ``country_code``, ``asn``, ``validation``).
"""

from __future__ import annotations

import pytest

from deepalert import Attribute, ContentBinary, ContentHost
from deepalert.integrations import otx
from deepalert.lookup import AuthenticationError, MalformedResponseError, RateLimitedError
from deepalert.testing import CannedResponse, run_inspector

from .conftest import API_KEYS

PULSE = {"id": "5f3a1b2c3d4e5f6a7b8c9d0e", "name": "Emotet C2 infrastructure",
         "description": "", "modified": "2025-01-10T08:00:00.000000",
         "created": "2025-01-09T08:00:00.000000", "tags": ["emotet", "c2", "epoch5"],
         "references": [], "public": 1, "adversary": "TA542", "TLP": "white",
         "malware_families": [{"id": "Emotet", "display_name": "Emotet", "target": None}],
         "attack_ids": [], "industries": [], "targeted_countries": []}
IP_GENERAL = {"whois": "http://whois.domaintools.com/45.83.64.1", "reputation": 0,
              "indicator": "45.83.64.1", "type": "IPv4", "type_title": "IPv4",
              "base_indicator": {}, "pulse_info": {"count": 1, "pulses": [PULSE],
                                                   "references": [], "related": {}},
              "false_positive": [], "validation": [], "asn": "AS208476 Example Hosting",
              "city_data": True, "country_code": "DE", "country_name": "Germany",
              "sections": ["general", "geo", "reputation", "url_list", "passive_dns"]}
NO_PULSES = {"indicator": "example.com", "type": "domain", "type_title": "Domain",
             "pulse_info": {"count": 0, "pulses": [], "references": [], "related": {}},
             "validation": [{"source": "whitelist", "message": "Whitelisted domain",
                             "name": "Whitelisted domain example.com"}],
             "sections": ["general", "geo", "url_list", "passive_dns", "malware", "whois"]}
SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"


@pytest.fixture
def inspector(api, secrets, retry):
    return otx.otx_inspector(base_url=api.url, retry=retry)


def test_an_ip_in_a_pulse_gets_the_indicator_and_pulse_pages(api, inspector):
    api.route("GET /indicators/IPv4/45.83.64.1/general", CannedResponse(json=IP_GENERAL))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value="45.83.64.1")).contents
    assert isinstance(host, ContentHost)
    assert (host.ipaddr, host.country, host.as_owner) == (
        ["45.83.64.1"], ["DE"], ["AS208476 Example Hosting"])
    page, pulse = host.related_urls
    assert page.url == "https://otx.alienvault.com/indicator/ip/45.83.64.1"
    assert page.reference == "in 1 pulses; malware: Emotet; adversary: TA542"
    assert pulse.url == "https://otx.alienvault.com/pulse/5f3a1b2c3d4e5f6a7b8c9d0e"
    assert pulse.reference == "Emotet C2 infrastructure (tags: emotet, c2, epoch5)"
    assert str(pulse.timestamp) == "2025-01-10T08:00:00Z"
    assert api.requests[0].headers["x-otx-api-key"] == API_KEYS["otx_token"]


def test_no_pulse_is_nothing_found_and_cached(api, inspector):
    api.route("GET /indicators/domain/example.com/general", CannedResponse(json=NO_PULSES))
    for _ in range(2):
        assert run_inspector(inspector, Attribute(type="domain", value="example.com")
                             ).findings == []
    assert len(api.requests) == 1


def test_a_hash_becomes_binary_malware_with_the_families(api, inspector):
    api.route(f"GET /indicators/file/{SHA256}/general", CannedResponse(json={
        "indicator": SHA256, "type": "FileHash-SHA256", "type_title": "FileHash-SHA256",
        "pulse_info": {"count": 1, "pulses": [PULSE]}}))
    (binary,) = run_inspector(inspector, Attribute(type="filehashvalue", value=SHA256)).contents
    assert isinstance(binary, ContentBinary)
    (malware,) = binary.related_malware
    assert malware.sha256 == SHA256
    assert [(s.vendor, s.name) for s in malware.scans] == [("otx", "Emotet")]


def test_a_url_goes_in_the_path(api, inspector):
    api.route("GET /indicators/url/http://malware.example.net/x.exe/general",
              CannedResponse(json={**IP_GENERAL, "asn": None, "country_code": None}))
    (host,) = run_inspector(inspector, Attribute(
        type="url", value="http://malware.example.net/x.exe")).contents
    assert host.ipaddr is None
    assert host.related_urls[0].url.startswith("https://otx.alienvault.com/indicator/url/")


def test_errors_fail_the_record(api, inspector):
    api.route("/indicators/IPv4/45.83.64.2/general", CannedResponse(status=403, json={
        "detail": "Authentication credentials were not provided."}))
    with pytest.raises(AuthenticationError):
        run_inspector(inspector, Attribute(type="ipaddr", value="45.83.64.2"))
    api.route("/indicators/IPv4/45.83.64.3/general", CannedResponse(status=429, json={
        "detail": "Request was throttled."}))
    with pytest.raises(RateLimitedError):
        run_inspector(inspector, Attribute(type="ipaddr", value="45.83.64.3"))
    api.route("/indicators/IPv4/45.83.64.4/general", CannedResponse(json={
        "pulse_info": {"count": "many"}}))
    with pytest.raises(MalformedResponseError, match=r"pulse_info\.count"):
        run_inspector(inspector, Attribute(type="ipaddr", value="45.83.64.4"))
