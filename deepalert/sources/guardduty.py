"""Amazon GuardDuty findings: the EventBridge ``GuardDuty Finding`` event or a bare finding.

Keys are matched case-insensitively, so camelCase (EventBridge, S3 exports) and PascalCase
(boto3, the AWS CLI) read alike.

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``aws.guardduty``
rule_id       ``type``, such as ``UnauthorizedAccess:EC2/SSHBruteForce``
rule_name     ``title``
alert_key     ``id``, the 32-hex finding ID that GuardDuty keeps across updates
timestamp     ``service.eventLastSeen``, then ``updatedAt``, then the envelope ``time``
description   ``description``
body          the whole event (envelope and finding)
============  ========================================================================

Example::

    alerts = guardduty.to_alerts(eventbridge_event)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from deepalert.errors import SourceError
from deepalert.models import Alert
from deepalert.sources._common import (
    Attrs,
    Batch,
    as_list,
    ci_get,
    ci_path,
    finish,
    first_time,
    skip,
    text,
)
from deepalert.sources._policy import SourcePolicy

__all__ = ["DETECTOR", "NAME", "matches", "to_alerts"]

NAME: Final = "guardduty"
DETECTOR: Final = "aws.guardduty"
HEAVY: Final = ("detail.resource.instanceDetails.tags", "resource.instanceDetails.tags",
                "detail.service.detection", "service.detection",
                "detail.resource.instanceDetails.networkInterfaces",
                "resource.instanceDetails.networkInterfaces")


def matches(record: Mapping[str, Any]) -> bool:
    """True for a GuardDuty finding (bare) or its EventBridge event."""
    if record.get("detail-type") == "GuardDuty Finding":
        return True
    detail = record.get("detail")
    if isinstance(detail, Mapping):
        return matches(detail)
    if ci_get(record, "type") is None or not isinstance(ci_get(record, "service"), Mapping):
        return False
    service = ci_get(record, "service")
    return ":guardduty:" in text(ci_get(record, "arn")) or text(
        ci_get(service, "serviceName")) == "guardduty" or (
        ci_get(record, "resource") is not None and ci_get(record, "schemaVersion") is not None)


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one GuardDuty finding, bare or in its EventBridge envelope.

    Raises:
        SourceError: the finding has no ``type`` (the rule ID).
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def _ip(details: object) -> Any:
    return ci_get(details, "ipAddressV4") or ci_get(details, "ipAddressV6")


def convert_record(raw: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add the alert for one finding to ``batch`` (or note why it was skipped)."""
    envelope: Mapping[str, Any] | None = None
    finding: Any = raw
    prefix = ""
    if "detail" in raw and isinstance(raw.get("detail"), Mapping):
        envelope, finding, prefix = raw, raw["detail"], "detail."
    service = ci_get(finding, "service") or {}
    if not policy.keep_samples and (
            ci_path(service, "additionalInfo.sample") in (True, "true")):
        skip(batch, NAME, where, "a sample finding (SourcePolicy.keep_samples keeps it)")
        return
    if not policy.keep_archived and ci_get(service, "archived") in (True, "true"):
        skip(batch, NAME, where, "an archived finding (SourcePolicy.keep_archived keeps it)")
        return
    rule_id = text(ci_get(finding, "type"))
    if not rule_id:
        raise SourceError(NAME, prefix + "type", "missing or empty (the finding type)")
    alert_key = text(ci_get(finding, "id"))
    if not alert_key:
        raise SourceError(NAME, prefix + "id", "missing or empty (the finding ID)")
    attrs = Attrs()
    add_attributes(attrs, finding)
    finish(batch, policy, source=NAME, record=finding, detector=DETECTOR, rule_id=rule_id,
           rule_name=text(ci_get(finding, "title")), alert_key=alert_key,
           description=text(ci_get(finding, "description")),
           timestamp=first_time(ci_get(service, "eventLastSeen"),
                                ci_get(finding, "updatedAt"),
                                envelope.get("time") if envelope else None),
           attrs=attrs, body=raw, heavy=HEAVY)


def add_attributes(attrs: Attrs, finding: Any) -> None:
    """The attributes of a GuardDuty finding (also used for its ASFF ``ProductFields``)."""
    service = ci_get(finding, "service") or {}
    action = ci_get(service, "action") or {}
    actor = text(ci_get(service, "resourceRole")).upper() == "ACTOR"
    # TARGET: the remote side acts on our resource; ACTOR: our resource is the actor.
    remote_role, local_role = ("object", "subject") if actor else ("subject", "object")

    net = ci_get(action, "networkConnectionAction")
    if isinstance(net, Mapping):
        direction = text(ci_get(net, "connectionDirection")).upper()
        remote_side = {"INBOUND": "client", "OUTBOUND": "server"}.get(direction, "")
        local_side = {"INBOUND": "server", "OUTBOUND": "client"}.get(direction, "")
        attrs.ip("remote_ip", _ip(ci_get(net, "remoteIpDetails")), "remote", remote_side,
                 remote_role)
        attrs.ip("local_ip", _ip(ci_get(net, "localIpDetails")), "local", local_side,
                 local_role)
    api = ci_get(action, "awsApiCallAction")
    if isinstance(api, Mapping):
        attrs.ip("remote_ip", _ip(ci_get(api, "remoteIpDetails")), "remote", "client",
                 remote_role)
        # An AWS service calling on the user's behalf, not an attacker: never "remote".
        attrs.domain("caller_domain", ci_path(api, "domainDetails.domain"), "additional")
    dns = ci_get(action, "dnsRequestAction")
    if isinstance(dns, Mapping):
        attrs.domain("dns_query", ci_get(dns, "domain"), "remote", "server")
    probe = ci_get(action, "portProbeAction")
    if isinstance(probe, Mapping):
        for detail in as_list(ci_get(probe, "portProbeDetails")):
            attrs.ip("remote_ip", _ip(ci_get(detail, "remoteIpDetails")), "remote", "client",
                     remote_role)
            attrs.ip("local_ip", _ip(ci_get(detail, "localIpDetails")), "local", "server",
                     local_role)
    k8s = ci_get(action, "kubernetesApiCallAction")
    if isinstance(k8s, Mapping):
        for ip in as_list(ci_get(k8s, "sourceIPs")):
            attrs.ip("remote_ip", ip, "remote", "client", remote_role)
        attrs.ip("remote_ip", _ip(ci_get(k8s, "remoteIpDetails")), "remote", "client",
                 remote_role)
    rds = ci_get(action, "rdsLoginAttemptAction")
    if isinstance(rds, Mapping):
        attrs.ip("remote_ip", _ip(ci_get(rds, "remoteIpDetails")), "remote", "client",
                 remote_role)

    resource = ci_get(finding, "resource") or {}
    attrs.add("username", "principal", ci_path(resource, "accessKeyDetails.userName"),
              "subject")
    attrs.add("username", "k8s_user",
              ci_path(resource, "kubernetesDetails.kubernetesUserDetails.username"), "subject")
    attrs.add("username", "db_user", ci_path(resource, "rdsDbUserDetails.user"), "subject")
    for eni in as_list(ci_path(resource, "instanceDetails.networkInterfaces")):
        values = [ci_get(eni, "privateIpAddress"), ci_get(eni, "publicIp"),
                  *(ci_get(p, "privateIpAddress")
                    for p in as_list(ci_get(eni, "privateIpAddresses"))),
                  *as_list(ci_get(eni, "ipv6Addresses"))]
        for value in values:
            attrs.ip("instance_ip", value, "local", local_role)

    runtime = ci_get(service, "runtimeDetails") or {}
    attrs.hash("sha256", ci_path(runtime, "process.executableSha256"))
    attrs.hash("sha256", ci_path(runtime, "context.moduleSha256"))
    detections = ci_path(service, "ebsVolumeScanDetails.scanDetections.threatDetectedByName")
    for name in as_list(ci_get(detections, "threatNames")):
        for item in as_list(ci_get(name, "filePaths")):
            attrs.hash("sha256", ci_get(item, "hash"))
    for threat in as_list(ci_path(service, "malwareScanDetails.threats")):
        for item in as_list(ci_get(threat, "itemPaths")):
            attrs.hash("sha256", ci_get(item, "hash"))
    sequence = ci_path(service, "detection.sequence") or {}
    for endpoint in as_list(ci_get(sequence, "endpoints")):
        attrs.ip("remote_ip", ci_get(endpoint, "ip"), "remote")
        attrs.domain("domain", ci_get(endpoint, "domain"), "remote")
    for seq_actor in as_list(ci_get(sequence, "actors")):
        attrs.add("username", "principal", ci_path(seq_actor, "user.name"), "subject")
