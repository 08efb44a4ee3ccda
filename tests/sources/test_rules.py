"""The rules every converter shares: times, IPs, the core's limits, the policy."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from deepalert import _wire
from deepalert.sources import SourcePolicy, convert, falco, guardduty, suricata
from deepalert.sources._common import normalize_ip, parse_time

from ._fixtures import check, lines, load

EVE = lines("suricata-eve.jsonl")
FALCO = lines("falco-website-channels.jsonl")[0]


@pytest.mark.parametrize(("raw", "expected"), [
    ("2016-07-13T16:42:07.573103-0600", "2016-07-13T22:42:07.573103Z"),
    ("2023-05-25T13:44:05.478445995Z", "2023-05-25T13:44:05.478445995Z"),
    ("2022-08-12T14:40:22.0700886Z", "2022-08-12T14:40:22.0700886Z"),
    ("2023-09-19T11:05:22.487-04:00", "2023-09-19T15:05:22.487Z"),
    ("2022-02-22 22:00:00.123 +09:00", "2022-02-22T13:00:00.123Z"),
    ("2022-03-16 19:17:41", "2022-03-16T19:17:41Z"),
    ("2024-10-04T09:49:02.698985", "2024-10-04T09:49:02.698985Z"),
    ("2020-01-01T00:00:00+05", "2019-12-31T19:00:00Z"),
    (1492735675000, "2017-04-21T00:47:55Z"),
    (1636625755.218, "2021-11-11T10:15:55.218Z"),
    (1513721039, "2017-12-19T22:03:59Z"),
    (1685022245478445995, "2023-05-25T13:44:05.478445995Z"),
    ("1723564700", "2024-08-13T15:58:20Z"),
    (1695135922487123, "2023-09-19T15:05:22.487123Z"),
])
def test_time_forms(raw: object, expected: str) -> None:
    """Every time form the samples show is read into UTC, nanoseconds kept."""
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", "", None, True, 0, -5, "2022-13-01T00:00:00Z",
                                 {"a": 1}])
def test_not_a_time(raw: object) -> None:
    """What is no time gives None, never an exception."""
    assert parse_time(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334"),
    ("FE80:0000:0000:0000:020C:29FF:FAF2:AB42", "fe80::20c:29ff:faf2:ab42"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("fe80::1%eth0", "fe80::1"),
    (" 10.0.0.1 ", "10.0.0.1"),
    ("AWS Internal", None),
    ("ec2.amazonaws.com", None),
    ("<NA>", None),
])
def test_ip_normalisation(raw: str, expected: str | None) -> None:
    """IPs come out compressed and lower-case; what is no IP is None."""
    assert normalize_ip(raw) == expected


def test_attribute_cap_keeps_actor_ips_first() -> None:
    """A port probe by 300 IPs keeps 100 attributes, the probers (subject IPs) first."""
    event = copy.deepcopy(load("guardduty-ipv6-eventbridge.json"))
    action = event["detail"]["service"]["action"]
    action["actionType"] = "PORT_PROBE"
    action["portProbeAction"] = {"portProbeDetails": [
        {"remoteIpDetails": {"ipAddressV4": f"198.51.{i // 250}.{i % 250}"},
         "localPortDetails": {"port": 22}} for i in range(300)]}
    [alert] = check(convert(event))
    assert alert.attributes is not None
    assert len(alert.attributes) == 100
    assert all(a.has_context("subject") for a in alert.attributes)


def test_policy_attribute_cap_and_order() -> None:
    """The policy can cap lower and put users before IPs."""
    policy = SourcePolicy(max_attributes=2, attribute_order=("username", "ipaddr"))
    [alert] = convert(load("awscli-guardduty-get-findings.json"), policy=policy)
    assert [a.type for a in alert.attributes or []] == ["username", "ipaddr"]


def test_oversized_description_is_cut_on_a_character_boundary() -> None:
    """A description over 4096 bytes is cut to fit, without splitting a character."""
    event = copy.deepcopy(FALCO)
    event["output"] = "é" * 5000
    [alert] = check(falco.to_alerts(event))
    size = len(alert.description.encode())
    assert 4090 <= size <= 4096
    assert alert.description.endswith("…")


def test_oversized_body_drops_heavy_keys_first() -> None:
    """An EVE record whose Go-escaped size passes 64 KiB loses payload-like keys, not its
    identity; '<' counts six bytes as Go writes it."""
    event = copy.deepcopy(EVE[0])
    event["http"] = {"hostname": "h.example", "http_response_body_printable": "<" * 20000,
                     "extra": "<" * 12000}
    assert len(_wire.go_dumps(event)) > 65536
    [alert] = check(suricata.to_alerts(event))
    assert alert.body["flow_id"] == event["flow_id"]
    assert "http" not in alert.body
    assert len(_wire.go_dumps(alert.body).encode()) <= 65536


def test_oversized_body_last_resort_is_a_stub() -> None:
    """At a tiny limit the body keeps what fits and names what it dropped (at worst a stub
    naming the source)."""
    policy = SourcePolicy(max_body_bytes=100)
    [alert] = check(falco.to_alerts(FALCO, policy=policy))
    assert len(_wire.go_dumps(alert.body)) <= 100
    assert alert.body.get("deepalert_trimmed") is not None


def test_oversized_identity_and_values() -> None:
    """A rule name over 1024 bytes is cut, a rule ID is cut but stays unique, and an attribute
    value over 1024 bytes is left out (the body keeps it)."""
    event = copy.deepcopy(FALCO)
    event["rule"] = "r" * 2000
    event["output_fields"]["user.name"] = "u" * 2000
    [alert] = check(falco.to_alerts(event))
    assert len(alert.rule_id) == 1024
    assert len(alert.rule_name.encode()) <= 1024
    other = copy.deepcopy(event)
    other["rule"] = "r" * 2001
    assert falco.to_alerts(other)[0].rule_id != alert.rule_id
    assert not any(a.key == "user" for a in alert.attributes or [])


def test_no_body_when_asked() -> None:
    """include_body=False leaves the body out."""
    [alert] = falco.to_alerts(FALCO, policy=SourcePolicy(include_body=False))
    assert alert.body is None


def test_detector_and_key_policy() -> None:
    """The policy overrides the detector, empties the key, or computes it."""
    finding = load("guardduty-ipv6-eventbridge.json")
    [renamed] = guardduty.to_alerts(finding, policy=SourcePolicy(detector="gd-prod"))
    assert renamed.detector == "gd-prod"
    [keyless] = guardduty.to_alerts(finding, policy=SourcePolicy(alert_key="none"))
    assert keyless.alert_key == ""

    def by_instance(source: str, record: Mapping[str, Any]) -> str | None:
        if source == "guardduty":
            return str(record["resource"]["instanceDetails"]["instanceId"])
        return None

    [keyed] = guardduty.to_alerts(finding, policy=SourcePolicy(alert_key=by_instance))
    assert keyed.alert_key == "i-0a1b2c3d4e5f60718"
    [default] = falco.to_alerts(FALCO, policy=SourcePolicy(alert_key=by_instance))
    assert default.alert_key == "falco-xczjd/ee97d9c4186f"


def test_policy_rejects_bad_settings() -> None:
    """Impossible settings fail when the policy is made."""
    with pytest.raises(ValueError, match="home_net"):
        SourcePolicy(home_net=["not-a-network"])
    with pytest.raises(ValueError, match="max_attributes"):
        SourcePolicy(max_attributes=101)
    with pytest.raises(ValueError, match="alert_key"):
        SourcePolicy(alert_key="sometimes")  # type: ignore[arg-type]


def test_private_is_local_when_asked() -> None:
    """private_is_local marks RFC 1918 addresses local when no HOME_NET is given."""
    policy = SourcePolicy(private_is_local=True)
    assert policy.is_local("10.1.2.3") is True
    assert policy.is_local("fd00::1") is True
    assert policy.is_local("198.51.100.7") is False
    assert SourcePolicy().is_local("10.1.2.3") is None


def test_body_of_exponent_floats_is_measured_as_go_writes_it() -> None:
    """Floats Python writes with an exponent (1e+20) but Go in 21 digits are counted at Go's
    size, so such a body is trimmed although its Python text would fit."""
    event = copy.deepcopy(FALCO)
    event["output_fields"] = {f"f{i}": 1e20 for i in range(3000)}
    assert len(_wire.go_dumps(event)) > 65536
    [alert] = check(falco.to_alerts(event))
    assert "output_fields" not in alert.body


def test_policy_is_immutable_and_hashable() -> None:
    """A policy built from lists holds tuples, so it can be shared and used as a key."""
    policy = SourcePolicy(home_net=["10.0.0.0/8"], drop_body_keys=["payload"])
    assert policy.home_net == ("10.0.0.0/8",)
    assert hash(policy) == hash(SourcePolicy(home_net=("10.0.0.0/8",),
                                             drop_body_keys=("payload",)))
