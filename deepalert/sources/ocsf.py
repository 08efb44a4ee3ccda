"""OCSF findings: Detection Finding (class 2004) in general, the new Security Hub's
``Findings Imported V2``, and the deprecated Security Finding (2001) falcosidekick sends.

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``metadata.product.name`` lower-cased; a Security Hub product ARN in
              ``metadata.product.uid`` gives ``aws.securityhub:<path>`` as for ASFF;
              GuardDuty: ``aws.guardduty``
rule_id       ``finding_info.analytic.uid``, ``metadata.event_code``,
              ``finding_info.types[0]``, ``finding_info.title``; GuardDuty: the finding type
rule_name     ``finding_info.analytic.name``, then ``finding_info.title``
alert_key     ``finding_info.uid``; GuardDuty: the finding ID after ``/finding/``
timestamp     ``time_dt``, ``time`` (unit guessed), ``finding_info.last_seen_time(_dt)``,
              ``modified_time``, ``created_time``
description   ``finding_info.desc``, then ``message``
body          the finding without ``raw_data``
============  ========================================================================

Example::

    alerts = ocsf.to_alerts(detection_finding)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from deepalert.errors import SourceError
from deepalert.models import Alert
from deepalert.sources import asff, guardduty
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

__all__ = ["NAME", "matches", "to_alerts"]

NAME: Final = "ocsf"
HEAVY: Final = ("raw_data", "unmapped", "resources.data", "evidences", "observables")
_FINDING_CLASSES: Final = frozenset({2001, 2002, 2003, 2004, 2005, 2006, 2007})
_HASH_ALGORITHMS: Final = {1: "md5", 2: "sha1", 3: "sha256", 4: "sha512"}


def matches(record: Mapping[str, Any]) -> bool:
    """True for an OCSF finding (any class whose ``class_uid`` is 20xx)."""
    class_uid = record.get("class_uid")
    if isinstance(class_uid, int) and not isinstance(class_uid, bool):
        return class_uid in _FINDING_CLASSES or "finding_info" in record
    return "finding_info" in record and "metadata" in record


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one OCSF finding.

    Raises:
        SourceError: the finding has no ``finding_info`` (nor the older ``finding``) object,
            or no product name.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def _skip_reason(finding: Mapping[str, Any], info: Mapping[str, Any],
                 policy: SourcePolicy) -> str | None:
    sample = dotted(finding, "unmapped.Sample")
    if not policy.keep_samples and sample in (True, "true"):
        return "a sample finding (SourcePolicy.keep_samples keeps it)"
    status_id = finding.get("status_id")
    if not policy.keep_archived and status_id in (3, 5):
        return "a suppressed or archived finding (SourcePolicy.keep_archived keeps it)"
    if not policy.keep_closed and (
            finding.get("activity_id") == 3 or status_id == 4
            or text(finding.get("status_code")).upper() == "PASS"
            or text(finding.get("compliance", {}).get("status") if isinstance(
                finding.get("compliance"), Mapping) else "").upper() == "PASS"):
        return "a closed, resolved or passed finding (SourcePolicy.keep_closed keeps it)"
    return None


def _detector(finding: Mapping[str, Any], is_guardduty: bool) -> str:
    if is_guardduty:
        return guardduty.DETECTOR
    uid = text(dotted(finding, "metadata.product.uid"))
    if ":product/" in uid:
        return f"aws.securityhub:{asff.product_path(uid)}"
    name = text(dotted(finding, "metadata.product.name")).lower()
    return name or uid


def _seen(info: Mapping[str, Any], wanted: bool) -> tuple[Any, ...]:
    # GuardDuty's own time is when the activity was last seen, as in the direct and ASFF
    # channels; other findings take the event time first.
    return (info.get("last_seen_time_dt"), info.get("last_seen_time")) if wanted else ()


def convert_record(finding: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add the alert for one OCSF finding to ``batch`` (or note why it was skipped)."""
    info_name = "finding_info" if "finding_info" in finding else "finding"
    info = finding.get(info_name)
    if not isinstance(info, Mapping):
        raise SourceError(NAME, "finding_info", "missing or not an object")
    reason = _skip_reason(finding, info, policy)
    if reason:
        skip(batch, NAME, where, reason)
        return
    uid = text(info.get("uid"))
    if not uid:
        raise SourceError(NAME, f"{info_name}.uid", "missing or empty (the finding ID)")
    product_name = text(dotted(finding, "metadata.product.name")).lower()
    product_uid = text(dotted(finding, "metadata.product.uid"))
    is_guardduty = policy.collapse_guardduty and (
        product_name in ("guardduty", "amazon guardduty")
        or product_uid.endswith("product/aws/guardduty"))
    types = as_list(info.get("types"))
    analytic = info.get("analytic") if isinstance(info.get("analytic"), Mapping) else {}
    assert isinstance(analytic, Mapping)
    if is_guardduty:
        # Security Hub may carry the raw type or the ASFF-mangled one: accept both.
        rule_id = asff.guardduty_type([*types, text(analytic.get("uid")),
                                       text(analytic.get("name"))])
        alert_key = asff.guardduty_finding_id(uid)
    else:
        rule_id = text(analytic.get("uid") or dotted(finding, "metadata.event_code")
                       or (types[0] if types else None) or info.get("title"))
        alert_key = uid
    attrs = Attrs()
    if is_guardduty:
        # Security Hub keeps GuardDuty's own fields in "unmapped"; read them as the direct
        # channel does, so the three channels also agree on their attributes.
        unmapped = finding.get("unmapped")
        if isinstance(unmapped, Mapping):
            fields = asff.unflatten(unmapped, "ProductFields.aws/guardduty/")
            guardduty.add_attributes(attrs, fields)
    _add_attributes(attrs, finding, guardduty_sides=is_guardduty)
    body = {k: v for k, v in finding.items() if k != "raw_data"}
    finish(batch, policy, source=NAME, record=finding, detector=_detector(finding, is_guardduty),
           rule_id=rule_id, rule_name=text(analytic.get("name") or info.get("title")),
           alert_key=alert_key, description=text(info.get("desc") or finding.get("message")
                                or info.get("title")),
           timestamp=first_time(*_seen(info, is_guardduty), finding.get("time_dt"),
                                finding.get("time"), *_seen(info, True),
                                info.get("modified_time_dt"), info.get("modified_time"),
                                info.get("created_time_dt"), info.get("created_time")),
           attrs=attrs, body=body, heavy=HEAVY,
           field_names=("metadata.product.name", f"{info_name}.analytic.uid"))


_OBSERVABLE_TYPES: Final = {1: "domain", 2: "ipaddr", 4: "username", 5: "username", 6: "url",
                            8: "filehashvalue"}
_PATH_CONTEXT: Final = (
    ("src_endpoint", ("remote", "client")), ("dst_endpoint", ("server",)),
    ("actor", ("subject",)), ("resources", ("object", "local")), ("device", ("object", "local")),
    ("query", ("additional",)), ("url", ("additional",)), ("file", ("file",)),
)
_PATH_KEY: Final = {
    ("ipaddr", "src_endpoint"): "src_ip", ("ipaddr", "dst_endpoint"): "dst_ip",
    ("ipaddr", "device"): "instance_ip", ("ipaddr", "resources"): "instance_ip",
    ("domain", "query"): "dns_query", ("username", "actor"): "principal",
}


def _observable(attrs: Attrs, observable: Any) -> None:
    type_id = observable.get("type_id") if isinstance(observable, Mapping) else None
    type = _OBSERVABLE_TYPES.get(type_id) if isinstance(type_id, int) else None
    if type is None:
        return
    name = text(observable.get("name"))
    segments = re.findall(r"[a-z_]+", name)
    contexts: tuple[str, ...] = ("additional",)
    key = {"ipaddr": "indicator_ip", "domain": "domain", "username": "user", "url": "url",
           "filehashvalue": "sha256"}[type]
    for segment, context in _PATH_CONTEXT:
        if segment in segments:
            contexts = context
            key = _PATH_KEY.get((type, segment), key)
            break
    value = observable.get("value")
    if type == "ipaddr":
        attrs.ip(key, value, *contexts)
    elif type == "domain":
        attrs.domain(key, value, *contexts)
    elif type == "filehashvalue":
        attrs.hash(key, value, "file")
    else:
        attrs.add(type, key, value, *contexts)


def _endpoint(attrs: Attrs, endpoint: object, key: str, *contexts: str) -> None:
    if not isinstance(endpoint, Mapping):
        return
    attrs.ip(key, endpoint.get("ip"), *contexts)
    attrs.domain("domain", endpoint.get("hostname") or endpoint.get("domain"), *contexts)


def _file(attrs: Attrs, file: object) -> None:
    for item in as_list(dotted(file, "hashes")):
        algorithm = item.get("algorithm_id") if isinstance(item, Mapping) else None
        name = _HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, int) else None
        if name is None and isinstance(item, Mapping):
            name = text(item.get("algorithm")).lower().replace("-", "") or None
        if name and isinstance(item, Mapping):
            attrs.hash(name, item.get("value"))


def _add_attributes(attrs: Attrs, finding: Mapping[str, Any], *,
                    guardduty_sides: bool = False) -> None:
    if guardduty_sides:
        # A GuardDuty threat's source is the remote actor and its destination our resource:
        # the keys and contexts of the direct channel's inbound connection.
        src: tuple[str, ...] = ("remote_ip", "remote", "client", "subject")
        dst: tuple[str, ...] = ("local_ip", "local", "server", "object")
    else:
        src, dst = ("src_ip", "remote", "client"), ("dst_ip", "server")
        for observable in as_list(finding.get("observables")):
            _observable(attrs, observable)
    for evidence in [*as_list(finding.get("evidences")), finding]:
        if not isinstance(evidence, Mapping):
            continue
        _endpoint(attrs, evidence.get("src_endpoint"), *src)
        _endpoint(attrs, evidence.get("dst_endpoint"), *dst)
        attrs.domain("dns_query", dotted(evidence, "query.hostname"), "remote")
        attrs.add("username", "principal", dotted(evidence, "actor.user.name"), "subject")
        attrs.add("username", "target_user", dotted(evidence, "user.name"), "object")
        attrs.add("url", "url", dotted(evidence, "url.url_string"), "additional")
        _file(attrs, evidence.get("file"))
    attrs.ip("instance_ip", dotted(finding, "device.ip"), "local", "object")
