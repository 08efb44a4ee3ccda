"""Elastic Security alerts (ECS with ``kibana.alert.*``, or 7.x ``signal.*``) and raw ECS
documents with ``event.kind: alert``.

Fields are read as flat dotted keys or nested objects, in any mix, and a one-element array
(what the ``fields`` API returns) stands for its value.

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``elastic.security``; an alert promoted from an external one
              (``kibana.alert.original_event.kind: alert`` and a ``rule_name_override``)
              or a raw ECS alert: ``event.module`` (or ``observer.product``)
rule_id       ``kibana.alert.rule.rule_id``; promoted alerts and raw ECS alerts: ECS
              ``rule.id`` when present (else every Endpoint alert shares one rule)
rule_name     ``kibana.alert.rule.name``, then ECS ``rule.name``
alert_key     threshold terms, suppression terms, new terms; else ``host.name``,
              ``user.name``, ``source.ip``. Never ``kibana.alert.uuid``.
timestamp     ``kibana.alert.original_time``, then ``@timestamp``
description   ``kibana.alert.reason``, then ``message``
body          the document without rule parameters, ``Endpoint`` and process ancestry
============  ========================================================================

Example::

    alerts = elastic.to_alerts(hit["_source"])
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
    dotted,
    finish,
    first_time,
    normalize_ip,
    skip,
    text,
)
from deepalert.sources._policy import SourcePolicy

__all__ = ["DETECTOR", "NAME", "matches", "to_alerts"]

NAME: Final = "elastic"
DETECTOR: Final = "elastic.security"
_DROP: Final = ("kibana.alert.rule.parameters", "signal.rule.parameters")
HEAVY: Final = ("Endpoint", "process.Ext.ancestry", "Events", "kibana.alert.ancestors",
                "signal.ancestors", "kibana.alert.original_event", "process", "file", "dll")


def _get(doc: Mapping[str, Any], *paths: str) -> Any:
    for path in paths:
        value = dotted(doc, path)
        if value not in (None, "", []):
            return value
    return None


def matches(record: Mapping[str, Any]) -> bool:
    """True for an Elastic Security alert or an ECS ``event.kind: alert`` document."""
    if _get(record, "kibana.alert.rule.rule_id", "kibana.alert.uuid", "signal.rule.rule_id"):
        return True
    return text(dotted(record, "event.kind")) in ("alert", "signal") and (
        "@timestamp" in record or "ecs" in record or "ecs.version" in record)


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one alert document (the ``_source`` of a hit, or its ``fields``).

    Raises:
        SourceError: no rule ID could be found.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def _terms(doc: Mapping[str, Any], path: str) -> str:
    values = [text(dotted(term, "value")) for term in as_list(dotted(doc, path))]
    return "/".join(v for v in values if v)


def convert_record(doc: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add the alert for one document to ``batch`` (or note why it was skipped)."""
    if not policy.keep_internal and _get(doc, "kibana.alert.building_block_type",
                                         "signal.rule.building_block_type"):
        skip(batch, NAME, where, "a building-block alert (SourcePolicy.keep_internal keeps it)")
        return
    status = text(_get(doc, "kibana.alert.workflow_status", "signal.status")).lower()
    if not policy.keep_closed and status == "closed":
        skip(batch, NAME, where, "a closed alert (SourcePolicy.keep_closed keeps it)")
        return
    kibana_rule = text(_get(doc, "kibana.alert.rule.rule_id", "signal.rule.rule_id"))
    original_kind = text(_get(doc, "kibana.alert.original_event.kind",
                              "signal.original_event.kind"))
    ecs_rule = text(dotted(doc, "rule.id"))
    module = text(_get(doc, "kibana.alert.original_event.module", "event.module",
                       "observer.product")).lower()
    # A promotion rule (Endpoint Security, external alerts) renames each alert after the
    # promoted one; without the promoted rule's own ID every such alert would share one rule.
    promoted = original_kind == "alert" and bool(_get(
        doc, "kibana.alert.rule.rule_name_override", "signal.rule.rule_name_override"))
    if kibana_rule and not promoted:
        detector, rule_id, field = DETECTOR, kibana_rule, "kibana.alert.rule.rule_id"
    elif kibana_rule:
        detector, rule_id, field = module or DETECTOR, ecs_rule or kibana_rule, "rule.id"
    else:
        detector = module or text(dotted(doc, "observer.vendor")).lower()
        rule_id, field = ecs_rule or text(dotted(doc, "rule.name")), "rule.id"
        if not detector:
            raise SourceError(NAME, "event.module", "missing (the detector of a raw ECS alert)")
    rule_name = text(_get(doc, "kibana.alert.rule.name", "signal.rule.name", "rule.name"))
    alert_key = (_terms(doc, "kibana.alert.threshold_result.terms")
                 or _terms(doc, "signal.threshold_result.terms")
                 or _terms(doc, "kibana.alert.suppression.terms")
                 or "/".join(text(v) for v in as_list(dotted(doc, "kibana.alert.new_terms")))
                 or text(_get(doc, "host.name", "user.name"))
                 or (normalize_ip(text(dotted(doc, "source.ip"))) or ""))

    attrs = Attrs()
    direction = text(dotted(doc, "network.direction")).lower()
    src_side = {"inbound": "remote", "ingress": "remote", "outbound": "local",
                "egress": "local", "internal": "local"}.get(direction, "")
    dst_side = {"inbound": "local", "ingress": "local", "outbound": "remote",
                "egress": "remote", "internal": "local"}.get(direction, "")
    for key, path, side in (("src_ip", "source.ip", src_side), ("dst_ip", "destination.ip",
                                                                dst_side)):
        ip = dotted(doc, path)
        if not side:
            local = policy.is_local(text(ip))
            side = "" if local is None else "local" if local else "remote"
        attrs.ip(key, ip, side)
    attrs.ip("client_ip", dotted(doc, "client.ip"), "client")
    attrs.ip("server_ip", dotted(doc, "server.ip"), "server")
    for ip in as_list(dotted(doc, "host.ip")):
        address = normalize_ip(ip)
        if address and not address.startswith(("127.", "fe80:")) and address != "::1":
            attrs.ip("instance_ip", address, "local", "object")
    for name in ("user.name", "source.user.name"):
        attrs.add("username", "user", dotted(doc, name), "subject")
    for name in ("user.target.name", "destination.user.name"):
        attrs.add("username", "target_user", dotted(doc, name), "object")
    attrs.add("url", "url", _get(doc, "url.full", "url.original"), "additional")
    attrs.domain("dns_query", dotted(doc, "dns.question.name"), "remote")
    attrs.domain("domain", _get(doc, "destination.domain", "url.domain"), "remote", "server")
    for prefix in ("file", "process", "dll", "process.parent"):
        attrs.hashes(dotted(doc, f"{prefix}.hash"))
    for enrichment in as_list(dotted(doc, "threat.enrichments")):
        indicator = dotted(enrichment, "indicator")
        attrs.ip("indicator_ip", dotted(indicator, "ip"), "remote", "additional")
        attrs.add("url", "indicator_url", dotted(indicator, "url.full"), "additional")
        attrs.hashes(dotted(indicator, "file.hash"))
    for ip in as_list(dotted(doc, "related.ip")):
        attrs.ip("related_ip", ip, "additional")
    for value in as_list(dotted(doc, "related.hash")):
        attrs.hash("related_hash", value, "additional")

    body = dict(doc)
    for path in _DROP:
        body.pop(path, None)
    kibana = body.get("kibana")
    if isinstance(kibana, Mapping):
        body["kibana"] = _without(kibana, ("alert", "rule", "parameters"))
    finish(batch, policy, source=NAME, record=doc, detector=detector, rule_id=rule_id,
           rule_name=rule_name, alert_key=alert_key,
           description=text(_get(doc, "kibana.alert.reason", "signal.reason", "message")),
           timestamp=first_time(_get(doc, "kibana.alert.original_time",
                                     "signal.original_time"), doc.get("@timestamp")),
           attrs=attrs, body=body, heavy=HEAVY, field_names=("event.module", field))


def _without(obj: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    head, rest = path[0], path[1:]
    out = dict(obj)
    if head in out:
        if not rest:
            del out[head]
        elif isinstance(out[head], Mapping):
            out[head] = _without(out[head], rest)
    return out
