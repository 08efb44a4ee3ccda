"""Shodan InternetDB against canned answers shaped like the documented ones.

Shapes from https://internetdb.shodan.io/docs (``GET /{ip}``: ``cpes``, ``hostnames``,
``ip``, ``ports``, ``tags``, ``vulns``; 404 ``{"detail": "No information available"}``).
"""

from __future__ import annotations

import pytest

from deepalert import Attribute
from deepalert.integrations import shodan
from deepalert.lookup import RateLimitedError, ServiceError
from deepalert.testing import CannedResponse, run_inspector

RECORD = {"cpes": ["cpe:/a:openbsd:openssh:8.2p1", "cpe:/o:canonical:ubuntu_linux"],
          "hostnames": ["vpn.example.com"], "ip": "93.184.216.34", "ports": [443, 22, 1194],
          "tags": ["vpn", "self-signed"],
          "vulns": [f"CVE-2020-{n:04d}" for n in range(12)]}


@pytest.fixture
def inspector(api, retry):
    return shodan.shodan_internetdb_inspector(base_url=api.url, retry=retry)


def test_ports_software_and_vulns_land_on_the_host(api, inspector):
    api.route("GET /93.184.216.34", CannedResponse(json=RECORD))
    (host,) = run_inspector(inspector, Attribute(type="ipaddr", value="93.184.216.34")).contents
    assert host.ipaddr == ["93.184.216.34"]
    assert host.hostname == ["vpn.example.com"]
    assert [s.name for s in host.software] == RECORD["cpes"]
    (record,) = host.related_urls
    assert record.url == f"{api.url}/93.184.216.34"
    assert record.reference == (
        "ports 22, 443, 1194; tags: vpn, self-signed; vulns: "
        + ", ".join(f"CVE-2020-{n:04d}" for n in range(10)) + " (+2 more)")
    assert "key" not in api.requests[0].headers


def test_no_information_is_nothing_found_and_cached(api, inspector):
    api.route("GET /93.184.216.35", CannedResponse(status=404, json={
        "detail": "No information available"}))
    for _ in range(2):
        assert run_inspector(inspector, Attribute(type="ipaddr", value="93.184.216.35")
                             ).findings == []
    assert len(api.requests) == 1


def test_429_and_5xx_fail_the_record(api, inspector):
    api.route("GET /93.184.216.36", CannedResponse(status=429, json={"detail": "Rate limit"}))
    with pytest.raises(RateLimitedError):
        run_inspector(inspector, Attribute(type="ipaddr", value="93.184.216.36"))
    api.route("GET /93.184.216.37", CannedResponse(status=500, body="Internal Server Error"))
    with pytest.raises(ServiceError):
        run_inspector(inspector, Attribute(type="ipaddr", value="93.184.216.37"))


def test_an_invalid_ip_is_never_sent(api, inspector):
    assert run_inspector(inspector, Attribute(type="ipaddr", value="999.1.1.1")).findings == []
    assert api.requests == []
