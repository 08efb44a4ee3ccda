"""The abuse.ch inspectors (URLhaus, MalwareBazaar, ThreatFox) against canned answers shaped
like the documented ones.

Shapes from https://urlhaus.abuse.ch/api/ (``/v1/url/``, ``/v1/host/``, ``/v1/payload/``),
https://bazaar.abuse.ch/api/ (``query=get_info``) and https://threatfox.abuse.ch/api/
(``search_ioc``, ``search_hash``): every answer has a ``query_status``; the Auth-Key goes in
the ``Auth-Key`` header.
"""

from __future__ import annotations

import pytest

from deepalert import Attribute, ContentBinary, ContentHost
from deepalert.integrations import malwarebazaar, threatfox, urlhaus
from deepalert.lookup import AuthenticationError, RateLimitedError, ServiceError
from deepalert.testing import CannedResponse, run_inspector

from .conftest import API_KEYS

SHA256 = "12f6a5a0f0e6c0a2f2d3b4f1a0e5c6d7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3"
URL = "http://103.45.67.89/bins/mozi.m"
URL_INFO = {
    "query_status": "ok", "id": "2863047", "urlhaus_reference": "https://urlhaus.abuse.ch/url/2863047/",
    "url": URL, "url_status": "online", "host": "103.45.67.89",
    "date_added": "2024-05-03 10:21:07 UTC", "last_online": None, "threat": "malware_download",
    "blacklists": {"spamhaus_dbl": "not listed", "surbl": "not listed"}, "reporter": "lrz_urlhaus",
    "larted": "true", "takedown_time_seconds": None, "tags": ["elf", "Mozi"],
    "payloads": [{"firstseen": "2024-05-03", "filename": "mozi.m", "file_type": "elf",
                  "response_size": "307960", "response_md5": "8e1a5ff3bd4b5c0f4d8b2c7e1a9f0c3d",
                  "response_sha256": SHA256, "urlhaus_download":
                  f"https://urlhaus-api.abuse.ch/v1/download/{SHA256}/", "signature": "Mozi",
                  "virustotal": None, "imphash": None, "ssdeep": "", "tlsh": ""}]}
HOST_INFO = {
    "query_status": "ok", "urlhaus_reference": "https://urlhaus.abuse.ch/host/bad.example/",
    "host": "bad.example", "firstseen": "2024-04-01 08:00:00 UTC", "url_count": "2",
    "blacklists": {"spamhaus_dbl": "abused_legit_malware", "surbl": "listed"},
    "urls": [{"id": "1", "urlhaus_reference": "https://urlhaus.abuse.ch/url/1/",
              "url": "http://bad.example/a.exe", "url_status": "offline",
              "date_added": "2024-04-01 08:00:00 UTC", "threat": "malware_download",
              "reporter": "x", "larted": "true", "takedown_time_seconds": "3600",
              "tags": ["exe"]}]}
BAZAAR = {"query_status": "ok", "data": [{
    "sha256_hash": SHA256, "sha3_384_hash": "", "sha1_hash": "", "md5_hash": "",
    "first_seen": "2024-05-03 10:30:00", "last_seen": None, "file_name": "mozi.m",
    "file_size": 307960, "file_type_mime": "application/x-executable", "file_type": "elf",
    "reporter": "abuse_ch", "origin_country": None, "anonymous": 0, "signature": "Mozi",
    "imphash": None, "tlsh": "", "telfhash": "", "gimphash": None, "ssdeep": "",
    "dhash_icon": None, "tags": ["elf", "Mozi"], "code_sign": [], "delivery_method": None,
    "intelligence": {"clamav": None, "downloads": "10", "uploads": "1", "mail": None},
    "file_information": None, "vendor_intel": {}}]}
THREATFOX = {"query_status": "ok", "data": [{
    "id": "1234567", "ioc": "103.45.67.90:443", "threat_type": "botnet_cc",
    "threat_type_desc": "Indicator that identifies a botnet command&control server (C&C)",
    "ioc_type": "ip:port", "ioc_type_desc": "ip:port combination that is used for botnet "
    "Command&control (C&C)", "malware": "win.cobalt_strike", "malware_printable": "Cobalt Strike",
    "malware_alias": "Agentemis,BEACON,CobaltStrike", "malware_malpedia":
    "https://malpedia.caad.fkie.fraunhofer.de/details/win.cobalt_strike",
    "confidence_level": 100, "first_seen": "2024-05-01 12:00:00 UTC", "last_seen": None,
    "reference": None, "reporter": "abuse_ch", "tags": ["c2", "CobaltStrike"],
    "malware_samples": []}]}


@pytest.fixture
def haus(api, secrets, retry):
    return urlhaus.urlhaus_inspector(base_url=api.url, retry=retry)


def test_urlhaus_url_lists_the_url_the_entry_and_its_payloads(api, haus):
    api.route("POST /url/", CannedResponse(json=URL_INFO))
    (host,) = run_inspector(haus, Attribute(type="url", value=URL)).contents
    assert isinstance(host, ContentHost)
    listed, entry = host.related_urls
    assert (listed.url, listed.reference) == (URL, "malware_download; online; tags: elf, Mozi")
    assert str(listed.timestamp) == "2024-05-03T10:21:07Z"
    assert entry.url == "https://urlhaus.abuse.ch/url/2863047/"
    (payload,) = host.related_malware
    assert (payload.sha256, payload.relation) == (SHA256, "payload")
    assert payload.scans[0].name == "Mozi"
    request = api.requests[0]
    assert request.form() == {"url": URL}
    assert request.headers["auth-key"] == API_KEYS["abusech_token"]


def test_urlhaus_host_lists_its_urls_and_the_host_page(api, haus):
    api.route("POST /host/", CannedResponse(json=HOST_INFO))
    (host,) = run_inspector(haus, Attribute(type="domain", value="Bad.Example")).contents
    first, page = host.related_urls
    assert first.reference == "malware_download; offline; tags: exe"
    assert page.reference == "2 malware URLs on this host"
    assert api.requests[0].form() == {"host": "bad.example"}


def test_urlhaus_payload_is_binary_malware(api, haus):
    api.route("POST /payload/", CannedResponse(json={
        "query_status": "ok", "md5_hash": "8e1a5ff3bd4b5c0f4d8b2c7e1a9f0c3d",
        "sha256_hash": SHA256, "file_type": "elf", "file_size": "307960",
        "signature": "Mozi", "firstseen": "2024-05-03 10:21:07", "lastseen": None,
        "url_count": "1", "urlhaus_download": "", "virustotal": None, "urls": []}))
    (binary,) = run_inspector(haus, Attribute(type="filehashvalue", value=SHA256)).contents
    assert isinstance(binary, ContentBinary)
    assert binary.related_malware[0].relation == "self"
    assert api.requests[0].form() == {"sha256_hash": SHA256}


def test_no_results_is_nothing_found_and_cached(api, haus):
    api.route("POST /url/", CannedResponse(json={"query_status": "no_results"}))
    for _ in range(2):
        assert run_inspector(haus, Attribute(type="url", value="https://example.com/x")
                             ).findings == []
    assert len(api.requests) == 1


def test_an_unknown_auth_key_is_an_authentication_error(api, haus):
    api.route("POST /url/", CannedResponse(status=401, json={"query_status": "unknown_auth_key"}))
    with pytest.raises(AuthenticationError):
        run_inspector(haus, Attribute(type="url", value=URL))


def test_a_refused_query_is_a_service_error(api, haus):
    api.route("POST /url/", CannedResponse(json={"query_status": "invalid_url"}))
    with pytest.raises(ServiceError, match="invalid_url"):
        run_inspector(haus, Attribute(type="url", value=URL))


def test_a_post_lookup_is_retried_on_429(api, haus, waits):
    api.route("POST /url/", [CannedResponse(status=429, headers={"Retry-After": "1"}),
                             CannedResponse(json=URL_INFO)])
    assert len(run_inspector(haus, Attribute(type="url", value=URL)).contents) == 1
    assert waits == [1.0]
    api.route("POST /host/", CannedResponse(status=429, json={"query_status": "rate_limited"}))
    with pytest.raises(RateLimitedError):
        run_inspector(haus, Attribute(type="domain", value="bad.example"))


def test_malwarebazaar_names_the_signature_and_file(api, secrets, retry):
    inspector = malwarebazaar.malwarebazaar_inspector(base_url=api.url, retry=retry)
    api.route("POST /", CannedResponse(json=BAZAAR))
    (binary,) = run_inspector(inspector, Attribute(type="filehashvalue", value=SHA256)).contents
    (malware,) = binary.related_malware
    assert (malware.sha256, malware.scans[0].name) == (SHA256, "Mozi")
    assert str(malware.timestamp) == "2024-05-03T10:30:00Z"
    assert binary.software == ["mozi.m", "elf"]
    assert api.requests[0].form() == {"query": "get_info", "hash": SHA256}


def test_malwarebazaar_hash_not_found(api, secrets, retry):
    inspector = malwarebazaar.malwarebazaar_inspector(base_url=api.url, retry=retry)
    api.route("POST /", CannedResponse(json={"query_status": "hash_not_found"}))
    assert run_inspector(inspector, Attribute(type="filehashvalue", value=SHA256)
                         ).findings == []


def test_threatfox_iocs_become_links_with_the_malware(api, secrets, retry):
    inspector = threatfox.threatfox_inspector(base_url=api.url, retry=retry)
    api.route("POST /", CannedResponse(json=THREATFOX))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value="103.45.67.90")).contents
    assert host.ipaddr == ["103.45.67.90"]
    (link,) = host.related_urls
    assert link.url == "https://threatfox.abuse.ch/ioc/1234567/"
    assert link.reference.startswith("Indicator that identifies a botnet command&control "
                                     "server (C&C): Cobalt Strike (confidence 100%)")
    assert api.requests[0].json() == {"query": "search_ioc", "search_term": "103.45.67.90"}


def test_threatfox_hash_search_gives_the_families(api, secrets, retry):
    inspector = threatfox.threatfox_inspector(base_url=api.url, retry=retry)
    api.route("POST /", CannedResponse(json=THREATFOX))
    (binary,) = run_inspector(inspector, Attribute(type="filehashvalue", value=SHA256)).contents
    assert [s.name for s in binary.related_malware[0].scans] == ["Cobalt Strike"]
    assert api.requests[0].json() == {"query": "search_hash", "hash": SHA256}


def test_threatfox_no_result(api, secrets, retry):
    inspector = threatfox.threatfox_inspector(base_url=api.url, retry=retry)
    api.route("POST /", CannedResponse(json={"query_status": "no_result",
                                             "data": "Your search did not yield any results"}))
    assert run_inspector(inspector, Attribute(type="domain", value="example.org")).findings == []
