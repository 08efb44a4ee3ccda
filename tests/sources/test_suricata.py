"""Suricata EVE alerts."""

from __future__ import annotations

from deepalert.sources import SourcePolicy, convert, suricata

from ._fixtures import attrs, check, lines

EVE = lines("suricata-eve.jsonl")
TESTMYIDS = lines("suricata-verify-alert-testmyids.jsonl")[0]


def test_rule_identity_and_time() -> None:
    """rule_id is gid:sid without rev; the offset without a colon is read into UTC."""
    [alert] = check(suricata.to_alerts(TESTMYIDS))
    assert (alert.detector, alert.rule_id) == ("suricata", "1:2100498")
    assert alert.rule_name == "GPL ATTACK_RESPONSE id check returned root"
    assert alert.timestamp == "2016-07-13T22:42:07.573103Z"
    assert alert.description == ("[Potentially Bad Traffic] GPL ATTACK_RESPONSE id check "
                                 "returned root (allowed)")


def test_payload_and_packet_stay_out_of_the_body() -> None:
    """The body keeps the record but not payload, payload_printable or packet."""
    [alert] = suricata.to_alerts(TESTMYIDS)
    assert "payload" not in alert.body
    assert "packet" not in alert.body
    assert "payload_printable" not in alert.body
    assert alert.body["flow_id"] == 1842518484266121


def test_home_net_decides_sides_and_key() -> None:
    """Without alert.source, HOME_NET makes the outside address remote and the key; the
    responding web server (src_ip) is the attacker here."""
    policy = SourcePolicy(home_net=["10.0.0.0/8"])
    [alert] = check(suricata.to_alerts(TESTMYIDS, policy=policy))
    assert alert.alert_key == "82.165.177.154"
    assert ("ipaddr", "src_ip", "82.165.177.154", ("remote",)) in attrs(alert)
    assert ("ipaddr", "dst_ip", "10.16.1.11", ("local",)) in attrs(alert)
    assert ("url", "url", "http://www.testmyids.com/", ("server",)) in attrs(alert)


def test_without_home_net_no_side_is_guessed() -> None:
    """With no HOME_NET and no direction fields, src/dst carry no remote/local context."""
    [alert] = suricata.to_alerts(TESTMYIDS)
    assert ("ipaddr", "src_ip", "82.165.177.154", ()) in attrs(alert)


def test_alert_source_and_target_make_subject_and_object() -> None:
    """alert.source is the subject and the key; flow.src_ip makes it the client."""
    [alert] = check(suricata.to_alerts(EVE[0], policy=SourcePolicy(home_net=["10.0.0.0/8"])))
    assert alert.alert_key == "10.20.1.15"
    assert {
        ("ipaddr", "src_ip", "10.20.1.15", ("client", "local", "subject")),
        ("ipaddr", "dst_ip", "198.51.100.77", ("object", "remote", "server")),
        ("domain", "tls_sni", "doh.example.net", ("server",)),
    } == attrs(alert)


def test_direction_to_client_makes_src_the_server() -> None:
    """direction to_client (with flow.src_ip) makes the packet's source the server."""
    [alert] = suricata.to_alerts(EVE[4])
    assert ("ipaddr", "src_ip", "192.0.2.53", ("server",)) in attrs(alert)
    assert ("domain", "dns_query", "updates.example.com", ("additional",)) in attrs(alert)


def test_ipv6_spellings_share_an_alert_id() -> None:
    """An expanded and a compressed IPv6 spelling of one flow give the same AlertID and the
    same attribute values."""
    expanded, compressed = (check(suricata.to_alerts(e))[0] for e in (EVE[2], EVE[3]))
    assert expanded.alert_id() == compressed.alert_id()
    assert {a.value for a in expanded.attributes or []} >= {"2001:db8:aa::bad",
                                                            "2001:db8:1::15"}
    policy = SourcePolicy(home_net=["2001:db8:1::/48"])
    assert suricata.to_alerts(EVE[2], policy=policy)[0].alert_key == "2001:db8:aa::bad"


def test_non_alert_records_are_skipped() -> None:
    """flow, http, dns and other EVE records give no alert."""
    assert convert(EVE[1]) == []
