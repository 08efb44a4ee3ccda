"""OCSF findings in general (Detection Finding 2004 and friends)."""

from __future__ import annotations

from deepalert.sources import SourcePolicy, convert, ocsf

from ._fixtures import attrs, check, lines

OKTA, PROWLER_PASS, CLOSED, EDR = lines("ocsf-findings.jsonl")


def test_event_code_is_the_rule_and_seconds_are_guessed() -> None:
    """Without an analytic, metadata.event_code is the rule; time in seconds is read as such."""
    [alert] = check(ocsf.to_alerts(OKTA))
    assert (alert.detector, alert.rule_id, alert.alert_key) == (
        "okta system log", "security.threat.detected", "dc9fd3c0-598c-11ef-8478-000000000001")
    assert alert.timestamp == "2026-11-03T10:00:00Z"
    assert alert.description == "Request from suspicious actor"
    assert ("ipaddr", "src_ip", "198.51.100.23", ("client", "remote")) in attrs(alert)
    assert ("username", "principal", "dana@example.com", ("subject",)) in attrs(alert)


def test_analytic_local_offset_and_hashes() -> None:
    """The analytic names the rule; a local-offset time_dt becomes UTC; hashes by algorithm."""
    [alert] = check(ocsf.to_alerts(EDR))
    assert (alert.rule_id, alert.rule_name) == ("miner-001", "Cryptominer process")
    assert alert.timestamp == "2026-11-03T13:21:00.5Z"
    assert ("filehashvalue", "sha256",
            "9f68f5fc21270a06bb934b5f3fa5aee2068a56a1260d4e7e4b48f2dca501b8c9",
            ("file",)) in attrs(alert)
    assert ("ipaddr", "instance_ip", "10.20.9.7", ("local", "object")) in attrs(alert)
    assert alert.description == "Cryptominer detected on build-7"


def test_closed_and_passed_findings_are_skipped() -> None:
    """Close activities and PASS results give nothing unless keep_closed."""
    assert convert(CLOSED) == []
    assert convert(PROWLER_PASS) == []
    [alert] = check(convert(PROWLER_PASS, policy=SourcePolicy(keep_closed=True)))
    assert (alert.detector, alert.rule_id) == ("prowler", "iam_root_mfa_enabled")
    assert alert.timestamp == "2026-11-03T09:20:00.698985Z"
