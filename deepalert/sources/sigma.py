"""Sigma rule matches from Chainsaw (``hunt --json``), Hayabusa (``json-timeline``) and
Zircolite; one alert per matched record.

There is no standard Sigma match format; each tool has its own shape. The Sigma rule's UUID
is the rule ID whenever the tool gives it, because it is the same in every tool and backend.

============  ========================================================================
Alert field   From
============  ========================================================================
detector      the tool: ``chainsaw``, ``hayabusa``, ``zircolite``
rule_id       Sigma ``id`` (Chainsaw, Zircolite; Hayabusa ``RuleID``), else Hayabusa's
              ``RuleFile`` name, else the rule title
rule_name     ``name`` / ``title`` / ``RuleTitle``
alert_key     the host (``Computer``) and the first key entity found (target user, user,
              source IP), joined by ``/``
timestamp     Chainsaw ``timestamp``; Hayabusa ``Timestamp``; Zircolite the match's
              ``SystemTime``/``UtcTime``; else the event's ``TimeCreated``
description   ``{title} on {Computer}`` (Hayabusa adds ``Details``)
body          the matched record with the rule's metadata
============  ========================================================================

Example::

    alerts = sigma.to_alerts(zircolite_rule_result, tool="zircolite")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from deepalert.errors import SourceError
from deepalert.models import Alert
from deepalert.sources._common import (
    Attrs,
    Batch,
    as_list,
    finish,
    first_time,
    normalize_ip,
    text,
)
from deepalert.sources._policy import SourcePolicy

__all__ = ["TOOLS", "Tool", "detect_tool", "matches", "to_alerts"]

Tool = Literal["chainsaw", "hayabusa", "zircolite"]
TOOLS: Final = ("chainsaw", "hayabusa", "zircolite")
HEAVY: Final = ("document.data", "documents", "match", "sigma", "Details", "ExtraFieldInfo")
_HAYABUSA_FIELDS: Final = {"TgtUser": "TargetUserName", "SrcUser": "SubjectUserName",
                           "SrcIP": "IpAddress", "TgtIP": "DestinationIp", "SrcComp": "Workstation",
                           "Cmdline": "CommandLine", "Proc": "Image", "User": "User"}


def detect_tool(record: Mapping[str, Any]) -> Tool | None:
    """Which tool wrote this record, or ``None``."""
    if record.get("kind") in ("individual", "aggregate") and (
            "document" in record or "documents" in record):
        return "chainsaw"
    if "RuleTitle" in record and ("Timestamp" in record or "Computer" in record):
        return "hayabusa"
    if isinstance(record.get("matches"), list) and "title" in record:
        return "zircolite"
    return None


def matches(record: Mapping[str, Any]) -> bool:
    """True for one Chainsaw detection, Hayabusa timeline line or Zircolite rule result."""
    return detect_tool(record) is not None


def to_alerts(raw: Mapping[str, Any], *, tool: Tool | None = None,
              policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one tool record (it may hold several matched events).

    Raises:
        SourceError: the tool cannot be recognised, or the record names no rule.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch, tool=tool)
    return batch.alerts


def _flatten(data: object, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Leaf fields by their last name: Chainsaw's ``Event.EventData.TargetUserName``,
    ``Event.System.Computer``; XML attribute maps such as ``TimeCreated_attributes``."""
    out = {} if out is None else out
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(value, Mapping):
                if str(key).endswith("_attributes") or key == "TimeCreated":
                    for inner, leaf in value.items():
                        out.setdefault(f"{key}.{inner}", leaf)
                        out.setdefault(str(inner), leaf)
                _flatten(value, out)
            elif not isinstance(value, list):
                out.setdefault(str(key), value)
    return out


def _hayabusa_details(details: object) -> dict[str, Any]:
    if isinstance(details, Mapping):
        fields = dict(details)
    elif isinstance(details, str):
        fields = {}
        for part in re.split(r"\s*¦\s*", details):
            name, found, value = part.partition(":")
            if found:
                fields[name.strip()] = value.strip()
    else:
        return {}
    for short, long in _HAYABUSA_FIELDS.items():
        if short in fields:
            fields.setdefault(long, fields[short])
    return fields


def _attributes(fields: Mapping[str, Any]) -> Attrs:
    attrs = Attrs()
    initiated = text(fields.get("Initiated")).lower() == "true"
    attrs.ip("remote_ip", fields.get("IpAddress"), "remote", "client")
    attrs.ip("src_ip", fields.get("SourceIp"), "local" if initiated else "remote", "client")
    attrs.ip("dst_ip", fields.get("DestinationIp"), "remote" if initiated else "local",
             "server")
    attrs.add("username", "target_user", fields.get("TargetUserName"), "object")
    attrs.add("username", "user", fields.get("SubjectUserName"), "subject")
    attrs.add("username", "user", fields.get("User"), "subject")
    attrs.hashes(fields.get("Hashes"))
    attrs.domain("dns_query", fields.get("QueryName"), "remote")
    attrs.domain("domain", fields.get("DestinationHostname"), "remote")
    return attrs


def _key(fields: Mapping[str, Any]) -> str:
    host = text(fields.get("Computer"))
    entity = ""
    for name in ("TargetUserName", "User", "SubjectUserName"):
        value = text(fields.get(name))
        if value and value != "-":
            entity = value
            break
    if not entity:
        entity = normalize_ip(fields.get("IpAddress")) or normalize_ip(
            fields.get("SourceIp")) or ""
    return "/".join(v for v in (host, entity) if v)


def convert_record(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "", *, tool: Tool | None = None) -> None:
    """Add one alert per matched event of one tool record to ``batch``."""
    tool = tool or detect_tool(record)
    if tool == "chainsaw":
        _chainsaw(record, policy, batch)
    elif tool == "hayabusa":
        _hayabusa(record, policy, batch)
    elif tool == "zircolite":
        _zircolite(record, policy, batch)
    else:
        raise SourceError("sigma", "", "not a Chainsaw, Hayabusa or Zircolite record")


def _rule(record: Mapping[str, Any], tool: str, title_field: str) -> tuple[str, str]:
    title = text(record.get(title_field))
    rule_id = text(record.get("id")) or title
    if not rule_id:
        raise SourceError(tool, "id", f"missing, and no {title_field!r} to fall back on")
    return rule_id, title


def _chainsaw(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch) -> None:
    rule_id, title = _rule(record, "chainsaw", "name")
    documents = [record.get("document")] if record.get("kind") == "individual" else as_list(
        record.get("documents"))
    meta = {k: v for k, v in record.items() if k not in ("document", "documents")}
    for document in documents:
        data = document.get("data") if isinstance(document, Mapping) else None
        fields = _flatten(data)
        host = text(fields.get("Computer"))
        finish(batch, policy, source="chainsaw", record=record, detector="chainsaw",
               rule_id=rule_id, rule_name=title, alert_key=_key(fields),
               description=f"{title} on {host}" if host else title,
               timestamp=first_time(record.get("timestamp"), fields.get("SystemTime")),
               attrs=_attributes(fields), body={**meta, "document": document}, heavy=HEAVY)


def _hayabusa(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch) -> None:
    title = text(record.get("RuleTitle"))
    rule_file = text(record.get("RuleFile")).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    rule_id = text(record.get("RuleID")) or rule_file or title
    if not rule_id:
        raise SourceError("hayabusa", "RuleTitle", "missing or empty (the rule)")
    fields = {**_hayabusa_details(record.get("ExtraFieldInfo")),
              **_hayabusa_details(record.get("Details")), "Computer": record.get("Computer")}
    host = text(record.get("Computer"))
    details = record.get("Details")
    description = f"{title} on {host}" if host else title
    if isinstance(details, str) and details and details != "-":
        description += f": {details}"
    finish(batch, policy, source="hayabusa", record=record, detector="hayabusa",
           rule_id=rule_id, rule_name=title, alert_key=_key(fields), description=description,
           timestamp=first_time(record.get("Timestamp")), attrs=_attributes(fields),
           body=record, heavy=HEAVY)


def _zircolite(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch) -> None:
    rule_id, title = _rule(record, "zircolite", "title")
    meta = {k: v for k, v in record.items() if k not in ("matches", "sigma")}
    for match in as_list(record.get("matches")):
        fields = _flatten(match)
        host = text(fields.get("Computer"))
        finish(batch, policy, source="zircolite", record=record, detector="zircolite",
               rule_id=rule_id, rule_name=title, alert_key=_key(fields),
               description=f"{title} on {host}" if host else title,
               timestamp=first_time(fields.get("SystemTime"), fields.get("UtcTime"),
                                    fields.get("TimeCreated")),
               attrs=_attributes(fields), body={**meta, "match": match}, heavy=HEAVY)
