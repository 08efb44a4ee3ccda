"""AWS CloudTrail records, turned into alerts by a small rule layer.

CloudTrail records are events, not alerts: a :class:`CloudTrailRule` says which records are
alerts and names the rule. The built-in :data:`CONSOLE_LOGIN_WITHOUT_MFA` is the worked
example; pass your own in ``SourcePolicy(cloudtrail_rules=[...])``. A record no rule matches
is skipped, not an error.

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``SourcePolicy.cloudtrail_detector`` (``cloudtrail-rules``)
rule_id       the rule's ``id``
rule_name     the rule's ``name``
alert_key     the rule's ``alert_key(record)``; by default ``userIdentity.arn``, else
              ``{recipientAccountId}/{userName or principalId}``. Never ``eventID``.
timestamp     ``eventTime``
description   the rule's ``describe(record)``
body          the record
============  ========================================================================

Example::

    def root_activity(record):
        return record.get("userIdentity", {}).get("type") == "Root"

    rule = CloudTrailRule("aws-root-activity", "AWS root account activity", root_activity)
    alerts = convert(s3_log_object, policy=SourcePolicy(cloudtrail_rules=[rule]))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from deepalert.errors import SourceError
from deepalert.models import Alert
from deepalert.sources._common import Attrs, Batch, dotted, finish, parse_time, skip, text
from deepalert.sources._policy import SourcePolicy

__all__ = [
    "CONSOLE_LOGIN_WITHOUT_MFA",
    "NAME",
    "CloudTrailRule",
    "console_login_without_mfa",
    "default_alert_key",
    "matches",
    "principal",
    "to_alerts",
]

NAME: Final = "cloudtrail"
HEAVY: Final = ("requestParameters", "responseElements", "resources")

Record = Mapping[str, Any]


def principal(record: Record) -> str:
    """Who acted: the user name, the session issuer's name, or the ARN's last part."""
    identity = record.get("userIdentity")
    name = text(dotted(identity, "userName"))
    if name and name != "HIDDEN_DUE_TO_SECURITY_REASONS":
        return name
    issuer = text(dotted(identity, "sessionContext.sessionIssuer.userName"))
    if issuer:
        return issuer
    arn = text(dotted(identity, "arn"))
    if arn.endswith(":root"):
        return "root"
    return arn.rsplit("/", 1)[-1] if arn else text(dotted(identity, "principalId"))


def default_alert_key(record: Record) -> str:
    """``userIdentity.arn``, else ``{recipientAccountId}/{userName or principalId}``."""
    identity = record.get("userIdentity")
    arn = text(dotted(identity, "arn"))
    if arn:
        return arn
    account = text(record.get("recipientAccountId") or dotted(identity, "accountId"))
    who = text(dotted(identity, "userName") or dotted(identity, "principalId"))
    return f"{account}/{who}" if account or who else ""


def _describe(record: Record) -> str:
    return f"{principal(record)}: {text(record.get('eventName'))} from " \
        f"{text(record.get('sourceIPAddress'))}"


@dataclass(frozen=True)
class CloudTrailRule:
    """A detection over CloudTrail records.

    Attributes:
        id: the rule ID (part of the AlertID), stable across versions of the rule.
        name: the rule name shown to people.
        match: ``record -> bool``: whether this record is an alert.
        describe: ``record -> str``: the alert description.
        alert_key: ``record -> str``: what alerts of this rule fold on (default: the principal's
            ARN).
    """

    id: str
    name: str
    match: Callable[[Record], bool]
    describe: Callable[[Record], str] = _describe
    alert_key: Callable[[Record], str] = default_alert_key


def console_login_without_mfa(record: Record) -> bool:
    """A successful console sign-in without MFA, federated (SAML, IAM Identity Center)
    sign-ins left out because their IdP may have enforced MFA."""
    if record.get("eventName") != "ConsoleLogin":
        return False
    if text(dotted(record, "responseElements.ConsoleLogin")) != "Success":
        return False
    extra = record.get("additionalEventData")
    if not isinstance(extra, Mapping):
        return False
    if text(extra.get("MFAUsed")).lower() == "yes" or extra.get("SamlProviderArn"):
        return False
    identity = record.get("userIdentity")
    if text(dotted(identity, "sessionContext.attributes.mfaAuthenticated")).lower() == "true":
        return False
    return "AWSReservedSSO" not in text(dotted(identity, "arn"))


def _describe_login(record: Record) -> str:
    agent = text(record.get("userAgent"))
    return (f"{principal(record)} signed in to the AWS console without MFA from "
            f"{text(record.get('sourceIPAddress')) or 'an unknown address'}"
            + (f" ({agent})" if agent else ""))


CONSOLE_LOGIN_WITHOUT_MFA: Final = CloudTrailRule(
    id="aws-console-login-without-mfa",
    name="AWS console login without MFA",
    match=console_login_without_mfa,
    describe=_describe_login,
)
"""The built-in rule: a successful console sign-in without MFA (not federated)."""


def matches(record: Mapping[str, Any]) -> bool:
    """True for one CloudTrail record."""
    return "eventName" in record and "eventSource" in record and (
        "eventTime" in record or "userIdentity" in record)


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Run the policy's CloudTrail rules over one record; one alert per matching rule.

    Raises:
        SourceError: the record has no ``eventName``.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def convert_record(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add an alert to ``batch`` for every rule the record matches."""
    if not text(record.get("eventName")):
        raise SourceError(NAME, "eventName", "missing or empty")
    rules = policy.cloudtrail_rules
    if rules is None:
        rules = (CONSOLE_LOGIN_WITHOUT_MFA,)
    matched = [rule for rule in rules if rule.match(record)]
    if not matched:
        skip(batch, NAME, where, f"{text(record.get('eventName'))} matches no CloudTrail rule")
        return
    identity = record.get("userIdentity")
    for rule in matched:
        attrs = Attrs()
        attrs.ip("remote_ip", record.get("sourceIPAddress"), "remote", "client", "subject",
                 or_domain="caller_domain")
        attrs.add("username", "principal", principal(record), "subject")
        attrs.add("username", "principal", dotted(identity, "arn"), "subject")
        attrs.add("url", "login_url", dotted(record, "additionalEventData.LoginTo"),
                  "additional")
        finish(batch, policy, source=NAME, record=record, detector=policy.cloudtrail_detector,
               rule_id=rule.id, rule_name=rule.name, alert_key=rule.alert_key(record),
               description=rule.describe(record), timestamp=parse_time(record.get("eventTime")),
               attrs=attrs, body=record, heavy=HEAVY)
