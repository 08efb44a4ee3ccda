"""Reports for the renderer tests."""

from __future__ import annotations

import pytest

from deepalert import ContentBinary, ContentHost, ContentUser, EntityActivity, Report
from deepalert.testing import make_alert, make_attribute, make_malware, make_report

REPORT_ID = "8e2e5a34-4d43-4d3f-9c3d-1f0f3c0f2b6a"


def full_report(description: str = "SSH brute force from 198.51.100.7",
                reason: str = "198.51.100.7 has malware") -> Report:
    """A published urgent report with alerts, attributes, a link and every content type."""
    ip = make_attribute("ipaddr", "198.51.100.7", "remote", key="src")
    user = make_attribute("username", "alice", "subject")
    digest = make_attribute("filehashvalue", "a" * 64, "file")
    link = make_attribute("url", "https://siem.example.com/search?q=198.51.100.7",
                          "additional", key="search")
    return make_report(
        make_alert(ip, user, link, rule_id="ssh-bruteforce", rule_name="SSH brute force",
                   detector="suricata", description=description),
        make_alert(ip, digest, rule_id="malware-download", detector="falco"),
        findings=[
            (ip, ContentHost(country=["NL"], as_owner=["Example Hosting"],
                             related_malware=[make_malware("b" * 64)])),
            (user, ContentUser(activities=[EntityActivity(
                service_name="aws", principal="alice", action="ConsoleLogin",
                remote_addr="198.51.100.7", last_seen="2026-01-01T00:00:00Z")])),
            (digest, ContentBinary(related_malware=[make_malware("a" * 64)], os=["linux"])),
        ],
        status="published", severity="urgent", reason=reason, id=REPORT_ID)


@pytest.fixture
def report() -> Report:
    return full_report()
