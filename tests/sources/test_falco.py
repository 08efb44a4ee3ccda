"""Falco JSON alerts."""

from __future__ import annotations

import copy

from deepalert.sources import SourcePolicy, convert, falco

from ._fixtures import attrs, check, lines

WEBSITE = lines("falco-website-channels.jsonl")[0]
EVENTS = lines("falco-events.jsonl")


def test_rule_key_time_and_description() -> None:
    """The rule names the alert, host/container is the key, ns time is kept and the
    description loses its time and priority prefix."""
    [alert] = check(falco.to_alerts(WEBSITE))
    assert (alert.detector, alert.rule_id, alert.rule_name) == (
        "falco", "Terminal shell in container", "Terminal shell in container")
    assert alert.alert_key == "falco-xczjd/ee97d9c4186f"
    assert alert.timestamp == "2023-05-25T13:44:05.478445995Z"
    assert alert.description.startswith("A shell was spawned in a container")
    assert ("username", "user", "root", ("subject",)) in attrs(alert)


def test_big_integers_are_kept_exact_as_strings() -> None:
    """evt.time (epoch ns, beyond 2^53) is written as a string, not rounded."""
    [alert] = falco.to_alerts(WEBSITE)
    assert alert.body["output_fields"]["evt.time"] == "1685022245478445995"
    assert alert.body["output_fields"]["proc.tty"] == 34816


def test_events_differing_only_in_ids_share_an_alert_id() -> None:
    """Two events of one rule, host and container but different uuid and evt.time fold."""
    first, second = (check(convert(e))[0] for e in EVENTS[:2])
    assert first.alert_id() == second.alert_id()
    assert attrs(first) == attrs(second)
    other = copy.deepcopy(WEBSITE)
    other["uuid"] = "another"
    other["output_fields"]["evt.time"] = 1685022245999999999
    assert convert(other)[0].alert_id() == convert(WEBSITE)[0].alert_id()


def test_network_sides_from_fd_fields() -> None:
    """fd.rip is remote and, matching fd.sip, the server; placeholders and nulls are dropped."""
    [alert] = falco.to_alerts(EVENTS[0])
    assert {
        ("ipaddr", "remote_ip", "192.0.2.66", ("remote", "server")),
        ("ipaddr", "local_ip", "10.20.1.15", ("client", "local")),
        ("username", "user", "www-data", ("subject",)),
        ("domain", "domain", "c2.example.net", ("server",)),
    } == attrs(alert)


def test_internal_alerts_are_skipped() -> None:
    """Falco internal (Debug) alerts give nothing unless keep_internal."""
    assert falco.to_alerts(EVENTS[2]) == []
    assert len(falco.to_alerts(EVENTS[2], policy=SourcePolicy(keep_internal=True))) == 1


def test_k8s_audit_keys_on_the_user() -> None:
    """k8s_audit alerts fold on ka.user.name; ka.sourceips is a list of remote clients."""
    [alert] = check(falco.to_alerts(EVENTS[3]))
    assert alert.alert_key == "alice@example.com"
    assert ("ipaddr", "remote_ip", "198.51.100.23", ("client", "remote")) in attrs(alert)


def test_description_keeps_text_after_a_time_without_priority() -> None:
    """Only a known priority word is removed after the time prefix."""
    event = copy.deepcopy(WEBSITE)
    event["output"] = "13:44:05.478445995: A shell was spawned"
    assert falco.to_alerts(event)[0].description == "A shell was spawned"
