"""AWS Security Hub findings in ASFF (``Security Hub Findings - Imported``, ``findings[]``).

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``aws.securityhub:`` + the product path of ``ProductArn`` (``aws/inspector``);
              GuardDuty: ``aws.guardduty``
rule_id       ``Compliance.SecurityControlId``, ``ProductFields.ControlId``, then
              ``GeneratorId``; GuardDuty: the finding type un-mangled from ``Types``
rule_name     ``Title``
alert_key     ``Id``; GuardDuty: the finding ID after ``/finding/``
timestamp     ``LastObservedAt``, ``UpdatedAt``, ``CreatedAt``
description   ``Description``
body          the finding
============  ========================================================================

Example::

    alerts = asff.to_alerts(finding)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from deepalert.errors import SourceError
from deepalert.models import Alert
from deepalert.sources import guardduty
from deepalert.sources._common import (
    Attrs,
    Batch,
    as_list,
    dotted,
    finish,
    first_time,
    skip,
    text,
)
from deepalert.sources._policy import SourcePolicy

__all__ = ["NAME", "guardduty_finding_id", "guardduty_type", "matches", "to_alerts",
           "unflatten"]

NAME: Final = "asff"
HEAVY: Final = ("ProductFields", "Resources.Details", "Vulnerabilities", "Remediation")
_FINDING_ID: Final = re.compile(r"/finding/([^/]+)$")
_INDEXED: Final = re.compile(r"^(.*)\.(\d+)_$")


def matches(record: Mapping[str, Any]) -> bool:
    """True for one ASFF finding."""
    return "ProductArn" in record and ("GeneratorId" in record or "SchemaVersion" in record)


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one ASFF finding (the EventBridge envelope is read by :func:`convert`).

    Raises:
        SourceError: the finding has no ``Id`` or no usable rule ID.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def product_path(product_arn: str) -> str:
    """``aws/guardduty`` out of ``arn:aws:securityhub:us-east-1::product/aws/guardduty``."""
    _, found, path = product_arn.partition(":product/")
    return path if found else product_arn


def guardduty_type(types: list[Any]) -> str:
    """The GuardDuty finding type out of ASFF ``Types``.

    ``TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce`` becomes
    ``UnauthorizedAccess:EC2/SSHBruteForce``: Security Hub turns the ``/`` after the resource
    type into ``-`` so that the type fits its ``namespace/category/classifier`` form.
    """
    for entry in types:
        classifier = text(entry).rsplit("/", 1)[-1]
        if ":" in classifier:
            threat, _, rest = classifier.partition(":")
            return f"{threat}:{rest.replace('-', '/', 1)}"
    for entry in types:
        if ":" in text(entry) and "/" in text(entry):
            return text(entry)  # already a GuardDuty type
    return ""


def guardduty_finding_id(identifier: str) -> str:
    """The 32-hex GuardDuty finding ID at the end of a finding ARN (or the text itself)."""
    match = _FINDING_ID.search(identifier)
    return match.group(1) if match else identifier


def unflatten(fields: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """``{"aws/guardduty/service/count": "74"}`` → ``{"service": {"count": "74"}}``."""
    tree: dict[str, Any] = {}
    for key, value in fields.items():
        if not isinstance(key, str) or not key.startswith(prefix):
            continue
        node: Any = tree
        parts = key[len(prefix):].split("/")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            indexed = _INDEXED.match(part)
            if indexed:
                items = node.setdefault(indexed.group(1), [])
                if not isinstance(items, list):
                    break
                index = int(indexed.group(2))
                while len(items) <= index:
                    items.append({})
                if last:
                    items[index] = value
                else:
                    node = items[index]
            elif last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    break
    return tree


def _skip_reason(finding: Mapping[str, Any], policy: SourcePolicy) -> str | None:
    if not policy.keep_samples and finding.get("Sample") in (True, "true"):
        return "a sample finding (SourcePolicy.keep_samples keeps it)"
    workflow = text(dotted(finding, "Workflow.Status") or finding.get("WorkflowState")).upper()
    if not policy.keep_archived and (text(finding.get("RecordState")).upper() == "ARCHIVED"
                                     or workflow == "SUPPRESSED"):
        return "an archived or suppressed finding (SourcePolicy.keep_archived keeps it)"
    if not policy.keep_closed and (workflow == "RESOLVED" or text(
            dotted(finding, "Compliance.Status")).upper() == "PASSED"):
        return "a resolved or passed finding (SourcePolicy.keep_closed keeps it)"
    return None


def convert_record(finding: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add the alert for one ASFF finding to ``batch`` (or note why it was skipped)."""
    reason = _skip_reason(finding, policy)
    if reason:
        skip(batch, NAME, where, reason)
        return
    identifier = text(finding.get("Id"))
    if not identifier:
        raise SourceError(NAME, "Id", "missing or empty (the finding ID)")
    product = product_path(text(finding.get("ProductArn")))
    product_fields = finding.get("ProductFields")
    if not isinstance(product_fields, Mapping):
        product_fields = {}
    attrs = Attrs()
    is_guardduty = product.endswith("aws/guardduty") and policy.collapse_guardduty
    if is_guardduty:
        detector = guardduty.DETECTOR
        rule_id = guardduty_type(as_list(finding.get("Types")))
        field = "Types"
        alert_key = guardduty_finding_id(identifier)
        guardduty.add_attributes(attrs, unflatten(product_fields, "aws/guardduty/"))
    else:
        detector = f"aws.securityhub:{product}" if product else ""
        rule_id = text(dotted(finding, "Compliance.SecurityControlId")
                       or product_fields.get("ControlId") or finding.get("GeneratorId"))
        field = "GeneratorId"
        alert_key = identifier
    _add_attributes(attrs, finding, network=not is_guardduty)
    finish(batch, policy, source=NAME, record=finding, detector=detector, rule_id=rule_id,
           rule_name=text(finding.get("Title")), alert_key=alert_key,
           description=text(finding.get("Description")),
           timestamp=first_time(finding.get("LastObservedAt"), finding.get("UpdatedAt"),
                                finding.get("CreatedAt")),
           attrs=attrs, body=finding, heavy=HEAVY, field_names=("ProductArn", field))


_INDICATORS: Final = {
    "IPV4_ADDRESS": ("ipaddr", "indicator_ip"), "IPV6_ADDRESS": ("ipaddr", "indicator_ip"),
    "DOMAIN": ("domain", "indicator_domain"), "URL": ("url", "indicator_url"),
    "EMAIL_ADDRESS": ("username", "indicator_email"),
    "HASH_MD5": ("filehashvalue", "md5"), "HASH_SHA1": ("filehashvalue", "sha1"),
    "HASH_SHA256": ("filehashvalue", "sha256"), "HASH_SHA512": ("filehashvalue", "sha512"),
}


def _add_attributes(attrs: Attrs, finding: Mapping[str, Any], *, network: bool = True) -> None:
    # For GuardDuty, Network repeats the ProductFields, read instead with the direct channel's
    # keys. Action uses those keys already: its values merge with the ProductFields' ones.
    network_fields = finding.get("Network") if network else None
    if isinstance(network_fields, Mapping):
        _add_network(attrs, network_fields)
    _add_rest(attrs, finding)


def _add_network(attrs: Attrs, network: Mapping[str, Any]) -> None:
    direction = text(network.get("Direction")).upper()
    src_side = {"IN": "remote", "OUT": "local"}.get(direction, "")
    dst_side = {"IN": "local", "OUT": "remote"}.get(direction, "")
    for name in ("SourceIpV4", "SourceIpV6"):
        attrs.ip("src_ip", network.get(name), src_side, "client")
    for name in ("DestinationIpV4", "DestinationIpV6"):
        attrs.ip("dst_ip", network.get(name), dst_side, "server")
    attrs.domain("domain", network.get("SourceDomain"), src_side, "client")
    attrs.domain("domain", network.get("DestinationDomain"), dst_side, "server")


def _add_rest(attrs: Attrs, finding: Mapping[str, Any]) -> None:
    action = finding.get("Action")
    if isinstance(action, Mapping):
        attrs.ip("remote_ip", dotted(action, "NetworkConnectionAction.RemoteIpDetails.IpAddressV4"),
                 "remote")
        attrs.ip("remote_ip", dotted(action, "AwsApiCallAction.RemoteIpDetails.IpAddressV4"),
                 "remote", "client")
        for probe in as_list(dotted(action, "PortProbeAction.PortProbeDetails")):
            attrs.ip("remote_ip", dotted(probe, "RemoteIpDetails.IpAddressV4"), "remote",
                     "client")
        attrs.domain("dns_query", dotted(action, "DnsRequestAction.Domain"), "remote")
    for indicator in as_list(finding.get("ThreatIntelIndicators")):
        kind = _INDICATORS.get(text(dotted(indicator, "Type")).upper())
        if kind is None:
            continue
        type, key = kind
        value = dotted(indicator, "Value")
        if type == "ipaddr":
            attrs.ip(key, value, "remote", "additional")
        elif type == "domain":
            attrs.domain(key, value, "additional")
        elif type == "filehashvalue":
            attrs.hash(key, value, "file", "additional")
        else:
            attrs.add(type, key, value, "additional")
    for threat in as_list(finding.get("Threats")):
        for path in as_list(dotted(threat, "FilePaths")):
            attrs.hash("sha256", dotted(path, "Hash"))
    for resource in as_list(finding.get("Resources")):
        role = "subject" if text(dotted(resource, "ResourceRole")).lower() == "actor" else "object"
        details = dotted(resource, "Details")
        for path in ("AwsIamAccessKey.PrincipalName", "AwsIamAccessKey.UserName",
                     "AwsIamUser.UserName"):
            attrs.add("username", "principal", dotted(details, path), role)
        for path in ("AwsEc2Instance.IpV4Addresses", "AwsEc2Instance.IpV6Addresses"):
            for ip in as_list(dotted(details, path)):
                attrs.ip("instance_ip", ip, "local", "object")
