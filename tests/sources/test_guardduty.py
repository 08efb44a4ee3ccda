"""GuardDuty findings, directly and through Security Hub (ASFF and OCSF)."""

from __future__ import annotations

import copy

import pytest

from deepalert.sources import SourceError, SourcePolicy, convert, guardduty

from ._fixtures import attrs, check, load

DIRECT = "guardduty-ipv6-eventbridge.json"
ASFF = "guardduty-ipv6-asff-eventbridge.json"
OCSF = "guardduty-ipv6-ocsf-eventbridge.json"


def test_direct_finding_maps_identity_time_and_text() -> None:
    """An EventBridge GuardDuty finding gives detector aws.guardduty, its type, its ID and
    the time its activity was last seen."""
    [alert] = check(convert(load(DIRECT)))
    assert (alert.detector, alert.rule_id, alert.alert_key) == (
        "aws.guardduty", "UnauthorizedAccess:EC2/SSHBruteForce",
        "8ac6f1b2e3d4c5b6a79881726354abcd")
    assert alert.timestamp == "2026-11-02T10:01:47Z"
    assert alert.rule_name.startswith("2001:db8:aa::bad is performing SSH brute force")
    assert alert.description.endswith("guessing the SSH password.")
    assert alert.body["account"] == "111122223333"
    assert alert.body["detail"]["accountId"] == "444455556666"


def test_inbound_connection_sides() -> None:
    """INBOUND with resourceRole TARGET: the remote IP is the client and the actor, the local
    IP the server and the target; IPv6 comes out compressed."""
    [alert] = convert(load(DIRECT))
    assert {
        ("ipaddr", "remote_ip", "2001:db8:aa::bad", ("client", "remote", "subject")),
        ("ipaddr", "local_ip", "2001:db8:1::15", ("local", "object", "server")),
        ("ipaddr", "instance_ip", "10.20.1.15", ("local", "object")),
        ("ipaddr", "instance_ip", "203.0.113.10", ("local", "object")),
        ("ipaddr", "instance_ip", "2001:db8:1::15", ("local", "object")),
    } == attrs(alert)
    assert alert.attributes is not None
    assert alert.attributes[0].key == "remote_ip"


def test_three_channels_share_one_alert_id() -> None:
    """The same finding directly, as ASFF and as Security Hub OCSF has one AlertID, one
    timestamp and the same attacker attribute, so the core folds the three into one report
    and inspects the attacker once."""
    alerts = [check(convert(load(name)))[0] for name in (DIRECT, ASFF, OCSF)]
    assert len({a.alert_id() for a in alerts}) == 1
    assert len({a.timestamp for a in alerts}) == 1
    remote = ("ipaddr", "remote_ip", "2001:db8:aa::bad", ("client", "remote", "subject"))
    assert all(remote in attrs(a) for a in alerts)


def test_channels_stay_apart_when_collapsing_is_off() -> None:
    """Without collapse_guardduty, ASFF keeps the Security Hub product as its detector."""
    policy = SourcePolicy(collapse_guardduty=False)
    [alert] = convert(load(ASFF), policy=policy)
    assert alert.detector == "aws.securityhub:aws/guardduty"
    assert alert.alert_id() != convert(load(DIRECT))[0].alert_id()


def test_pascal_case_cli_output() -> None:
    """The AWS CLI's PascalCase get-findings output reads like the camelCase event."""
    [alert] = check(convert(load("awscli-guardduty-get-findings.json")))
    assert (alert.rule_id, alert.alert_key) == ("Recon:IAMUser/UserPermissions",
                                                "1ab92989eaf0e742df4a014d5example")
    assert ("ipaddr", "remote_ip", "52.94.36.7", ("client", "remote", "subject")) in attrs(alert)
    assert ("username", "principal", "testuser", ("subject",)) in attrs(alert)


def test_outbound_finding_with_epoch_launch_time() -> None:
    """An OUTBOUND finding makes the remote IP the server (aws-samples, bare finding)."""
    [alert] = check(convert(load("aws-samples-guardduty_ec2_event.json")))
    assert alert.rule_id == "Canary:EC2/Stateless.IntegTest"
    assert ("ipaddr", "remote_ip", "0.0.0.0", ("remote", "server", "subject")) in attrs(alert)


def test_sample_findings_are_skipped_unless_kept() -> None:
    """A sample finding gives no alert by default, and one with keep_samples."""
    event = load("aws-samples-gd2acl_test_event.json")
    assert convert(event) == []
    event["detail"]["id"] = "0123456789abcdef0123456789abcdef"
    [alert] = check(convert(event, policy=SourcePolicy(keep_samples=True)))
    assert alert.rule_id == "UnauthorizedAccess:EC2/SSHBruteForce"


def test_panther_high_severity_pair() -> None:
    """Of Panther's two test findings the real one converts and its sample twin is skipped."""
    tests = {t["Name"]: t["Log"] for t in load("panther-guardduty-high-sev.json")}
    [alert] = check(convert(tests["High Sev Finding"]))
    assert ("domain", "caller_domain", "cloudformation.amazonaws.com", ("additional",)) in attrs(
        alert)
    assert convert(tests["High Sev Finding As Sample Data"]) == []


def test_archived_findings_are_skipped() -> None:
    """An archived finding gives no alert unless keep_archived."""
    event = copy.deepcopy(load(DIRECT))
    event["detail"]["service"]["archived"] = True
    assert convert(event) == []
    assert len(convert(event, policy=SourcePolicy(keep_archived=True))) == 1


def test_actor_role_swaps_subject_and_object() -> None:
    """With resourceRole ACTOR our instance is the subject and the remote side the object."""
    event = copy.deepcopy(load(DIRECT))
    event["detail"]["service"]["resourceRole"] = "ACTOR"
    event["detail"]["service"]["action"]["networkConnectionAction"]["connectionDirection"] = (
        "OUTBOUND")
    [alert] = guardduty.to_alerts(event)
    assert ("ipaddr", "remote_ip", "2001:db8:aa::bad", ("object", "remote", "server")) in attrs(
        alert)
    assert ("ipaddr", "instance_ip", "10.20.1.15", ("local", "subject")) in attrs(alert)


@pytest.mark.parametrize("field", ["type", "id"])
def test_missing_identity_names_the_field(field: str) -> None:
    """A finding without its type or ID fails with the source and the field."""
    event = copy.deepcopy(load(DIRECT))
    del event["detail"][field]
    with pytest.raises(SourceError) as info:
        convert(event)
    assert (info.value.source, info.value.field) == ("guardduty", f"detail.{field}")


def test_malware_scan_hashes() -> None:
    """File hashes from an EBS malware scan become sha256 file attributes."""
    event = copy.deepcopy(load(DIRECT))
    digest = "ab" * 32
    event["detail"]["service"]["ebsVolumeScanDetails"] = {"scanDetections": {
        "threatDetectedByName": {"threatNames": [{"name": "EICAR-Test-File", "filePaths": [
            {"filePath": "/tmp/eicar.com", "hash": digest.upper()}]}]}}}
    [alert] = guardduty.to_alerts(event)
    assert ("filehashvalue", "sha256", digest, ("file",)) in attrs(alert)
