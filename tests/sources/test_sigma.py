"""Sigma matches from Chainsaw, Hayabusa and Zircolite."""

from __future__ import annotations

import pytest

from deepalert.sources import SourceError, convert, sigma

from ._fixtures import attrs, check, lines, load


def test_chainsaw_individual_and_aggregate() -> None:
    """One alert per matched document; the Sigma UUID is the rule and host/user the key."""
    alerts = check(convert(load("chainsaw-hunt.json")))
    assert [(a.detector, a.rule_id, a.alert_key) for a in alerts] == [
        ("chainsaw", "f88e112a-21aa-44bd-9b01-6ee2a2bbbed1",
         "WS-FIN-07.corp.example/administrator"),
        ("chainsaw", "2b1e5c7d-0f3a-4e8b-9d6c-1a2b3c4d5e6f", "WS-FIN-07.corp.example/CORP\\bob"),
        ("chainsaw", "2b1e5c7d-0f3a-4e8b-9d6c-1a2b3c4d5e6f", "WS-FIN-07.corp.example/CORP\\bob"),
    ]
    assert ("ipaddr", "remote_ip", "203.0.113.99", ("client", "remote")) in attrs(alerts[0])
    assert ("ipaddr", "src_ip", "10.20.5.7", ("client", "local")) in attrs(alerts[1])
    assert ("filehashvalue", "md5", "0123456789abcdef0123456789abcdef", ("file",)) in attrs(
        alerts[2])


def test_hayabusa_local_time_and_details() -> None:
    """Hayabusa's local-time stamp becomes UTC; Details (object or ¦ text) give attributes."""
    first, second = (check(convert(e))[0] for e in lines("hayabusa-timeline.jsonl"))
    assert (first.detector, first.rule_id) == ("hayabusa", "Sec_4625_Med_LogonFail_WrongPW.yml")
    assert first.timestamp == "2026-11-03T07:41:09.512Z"
    assert ("username", "target_user", "administrator", ("object",)) in attrs(first)
    assert ("username", "user", "CORP\\bob", ("subject",)) in attrs(second)
    assert any(a.key == "sha256" for a in second.attributes or [])


def test_zircolite_one_alert_per_match() -> None:
    """Each match of a Zircolite rule result is an alert keyed on its own host and user."""
    alerts = check(convert(load("zircolite-detected.json")))
    assert [a.alert_key for a in alerts] == ["WS-FIN-07.corp.example/CORP\\bob",
                                            "WS-HR-02.corp.example/CORP\\carol"]
    assert {a.rule_id for a in alerts} == {"ca2092a1-c273-4878-9b4b-0d60115bf5ea"}
    assert alerts[1].timestamp == "2026-11-03T08:02:13Z"


def test_rule_without_id_falls_back_to_its_title() -> None:
    """A custom rule without an id is identified by its title."""
    result = dict(load("zircolite-detected.json")[0])
    del result["id"]
    [first, _] = sigma.to_alerts(result)
    assert first.rule_id == "Suspicious PowerShell Encoded Command"


def test_unknown_tool_record() -> None:
    """A record of no known tool fails."""
    with pytest.raises(SourceError):
        sigma.to_alerts({"foo": 1})
