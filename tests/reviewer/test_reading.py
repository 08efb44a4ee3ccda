"""Reading a report: findings with their attribute, attributes by type and context, rules."""

from __future__ import annotations

from deepalert import (
    AttrContext,
    AttrType,
    ContentBinary,
    ContentHost,
    ContentUser,
    EntityActivity,
    Report,
)
from deepalert.testing import make_alert, make_attribute, make_report

REMOTE_IP = make_attribute(AttrType.IPADDR, "198.51.100.7", AttrContext.REMOTE)
LOCAL_IP = make_attribute(AttrType.IPADDR, "10.0.0.5", AttrContext.LOCAL, AttrContext.SERVER)
USER = make_attribute(AttrType.USERNAME, "alice", AttrContext.SUBJECT)
FILE = make_attribute(AttrType.FILEHASHVALUE, "ab" * 32, AttrContext.FILE)

REMOTE_HOST = ContentHost(country=["NL"])
LOCAL_HOST_A = ContentHost(owner=["example-corp"])
LOCAL_HOST_B = ContentHost(hostname=["web-1"])
ALICE = ContentUser(activities=[EntityActivity(action="login")])
BINARY = ContentBinary(os=["linux"])

REPORT = make_report(
    make_alert(REMOTE_IP, LOCAL_IP, rule_id="port-scan"),
    make_alert(USER, FILE, rule_id="malware-download"),
    make_alert(REMOTE_IP, rule_id="port-scan"),
    findings=[(REMOTE_IP, REMOTE_HOST), (LOCAL_IP, LOCAL_HOST_A), (LOCAL_IP, LOCAL_HOST_B),
              (USER, ALICE), (FILE, BINARY)],
)


def test_hosts_walks_every_host_with_its_attribute() -> None:
    """hosts() yields (attribute, host) for every host content in every section."""
    assert sorted((a.value, h.model_dump_json()) for a, h in REPORT.hosts()) == sorted([
        ("198.51.100.7", REMOTE_HOST.model_dump_json()),
        ("10.0.0.5", LOCAL_HOST_A.model_dump_json()),
        ("10.0.0.5", LOCAL_HOST_B.model_dump_json()),
    ])


def test_hosts_filters_by_attribute_type_and_every_context() -> None:
    """hosts(type, *contexts) keeps hosts whose attribute has that type and all contexts."""
    assert list(REPORT.hosts(AttrType.IPADDR, AttrContext.REMOTE)) == [(REMOTE_IP, REMOTE_HOST)]
    assert [h for _, h in REPORT.hosts("ipaddr", "local", "server")] == [LOCAL_HOST_A,
                                                                         LOCAL_HOST_B]
    assert list(REPORT.hosts("ipaddr", "local", "client")) == []
    assert list(REPORT.hosts("domain")) == []


def test_users_and_binaries_walk_their_contents() -> None:
    """users() and binaries() do for user and binary contents what hosts() does for hosts."""
    assert list(REPORT.users()) == [(USER, ALICE)]
    assert list(REPORT.users(AttrType.USERNAME, AttrContext.SUBJECT)) == [(USER, ALICE)]
    assert list(REPORT.binaries()) == [(FILE, BINARY)]
    assert list(REPORT.binaries(AttrType.IPADDR)) == []


def test_a_report_without_sections_has_no_contents() -> None:
    """A report whose sections are null yields nothing and does not fail."""
    assert list(Report().hosts()) == []
    assert list(Report().users()) == []
    assert list(Report().binaries()) == []


def test_find_attributes_filters_by_type_and_contexts() -> None:
    """find_attributes(type, *contexts) returns the matching attributes once each."""
    assert REPORT.find_attributes(AttrType.IPADDR, AttrContext.REMOTE) == [REMOTE_IP]
    assert REPORT.find_attributes(AttrType.IPADDR) == sorted(
        [REMOTE_IP, LOCAL_IP], key=lambda a: a.hash())
    assert REPORT.find_attributes(None, AttrContext.FILE) == [FILE]
    assert len(REPORT.find_attributes()) == 4


def test_find_attributes_reads_alert_attributes_when_the_report_has_none() -> None:
    """Alert attributes count even before the core lists them in report.attributes."""
    report = Report(alerts=[make_alert(REMOTE_IP), make_alert(REMOTE_IP, USER)])
    assert report.find_attributes() == [REMOTE_IP, USER]


def test_find_attributes_counts_an_attribute_once_whatever_its_timestamp() -> None:
    """The same type, key, value and context seen at two times is one attribute."""
    early = make_attribute("ipaddr", "192.0.2.1", "remote", timestamp="2026-01-01T00:00:00Z")
    late = make_attribute("ipaddr", "192.0.2.1", "remote", timestamp="2026-01-01T01:00:00Z")
    report = Report(attributes=[early], alerts=[make_alert(late)])
    assert report.find_attributes() == [early]


def test_alerts_by_rule_selects_matching_alerts_wherever_they_are() -> None:
    """A report mixing rules still yields every alert of the wanted rule (§2.8 item 1)."""
    selected = REPORT.alerts_by_rule("port-scan")
    assert [a.rule_id for a in selected] == ["port-scan", "port-scan"]
    assert REPORT.alerts_by_rule("malware-download") == [REPORT.alerts[1]]  # type: ignore[index]
    assert len(REPORT.alerts_by_rule("port-scan", "malware-download")) == 3
    assert REPORT.alerts_by_rule("unknown") == []
    assert Report().alerts_by_rule("port-scan") == []
