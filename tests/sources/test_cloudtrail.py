"""CloudTrail records and the rule layer (console login without MFA)."""

from __future__ import annotations

import pytest

from deepalert.sources import CloudTrailRule, SourcePolicy, cloudtrail, convert

from ._fixtures import attrs, check, load

PANTHER = {t["Name"]: t for t in load("panther-console-login-without-mfa.json")}
# These two depend on Panther's own state (an account-age cache, a deployment switch), which
# a record alone cannot show.
STATEFUL = {"No MFA Login - New User", "No MFA - IAM Role and External IDP"}


@pytest.mark.parametrize("name", sorted(set(PANTHER) - STATEFUL))
def test_rule_agrees_with_panther(name: str) -> None:
    """The built-in rule fires exactly where Panther's rule tests expect."""
    test = PANTHER[name]
    assert cloudtrail.console_login_without_mfa(test["Log"]) is test["ExpectedResult"]


def test_alert_from_a_matching_record() -> None:
    """A matching record gives the rule's identity, keyed on the principal's ARN."""
    record = load("awsdocs-cloudtrail-console-signin.json")["Records"][0]
    [alert] = check(cloudtrail.to_alerts(record))
    assert (alert.detector, alert.rule_id, alert.rule_name) == (
        "cloudtrail-rules", "aws-console-login-without-mfa", "AWS console login without MFA")
    assert alert.alert_key == "arn:aws:iam::111122223333:user/anaya"
    assert alert.timestamp == "2022-11-10T16:24:34Z"
    assert alert.description.startswith("anaya signed in to the AWS console without MFA from "
                                        "192.0.2.0 (Mozilla/5.0")
    assert ("ipaddr", "remote_ip", "192.0.2.0", ("client", "remote", "subject")) in attrs(alert)
    assert ("url", "login_url", "https://console.aws.amazon.com/sns", ("additional",)) in attrs(
        alert)


def test_root_login_with_mfa_in_capitals_does_not_fire() -> None:
    """MFAUsed "YES" counts as MFA."""
    record = load("awsdocs-cloudtrail-console-signin.json")["Records"][1]
    assert cloudtrail.to_alerts(record) == []


def test_service_caller_becomes_a_domain() -> None:
    """A sourceIPAddress that is a service host name is an additional domain, not an IP."""
    record = dict(load("awsdocs-cloudtrail-console-signin.json")["Records"][0])
    record["sourceIPAddress"] = "ec2.amazonaws.com"
    [alert] = cloudtrail.to_alerts(record)
    assert ("domain", "caller_domain", "ec2.amazonaws.com", ("additional",)) in attrs(alert)
    record["sourceIPAddress"] = "AWS Internal"
    [alert] = cloudtrail.to_alerts(record)
    assert all(a.key not in ("remote_ip", "caller_domain") for a in alert.attributes or [])


def test_custom_rules_and_detector() -> None:
    """The policy's own rules replace the built-in one, under its detector name."""
    def root_activity(record: object) -> bool:
        return isinstance(record, dict) and record.get("userIdentity", {}).get("type") == "Root"

    rule = CloudTrailRule("aws-root-activity", "AWS root activity", root_activity)
    policy = SourcePolicy(cloudtrail_rules=[rule], cloudtrail_detector="acme-trail")
    [alert] = check(convert(load("awsdocs-cloudtrail-console-signin.json"), policy=policy))
    assert (alert.detector, alert.rule_id, alert.alert_key) == (
        "acme-trail", "aws-root-activity", "arn:aws:iam::111122223333:root")


def test_eventbridge_delivery() -> None:
    """A sign-in event delivered by EventBridge converts from its detail."""
    record = load("awsdocs-cloudtrail-console-signin.json")["Records"][0]
    event = {"version": "0", "detail-type": "AWS Console Sign In via CloudTrail",
             "source": "aws.signin", "detail": record}
    assert convert(event) == cloudtrail.to_alerts(record)
