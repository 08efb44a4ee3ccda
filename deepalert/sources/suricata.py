"""Suricata EVE JSON records of ``event_type: alert`` (other event types are skipped).

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``suricata``
rule_id       ``"{alert.gid}:{alert.signature_id}"`` (``rev`` left out: it changes on
              rule updates)
rule_name     ``alert.signature``
alert_key     the attacker IP, normalised: ``alert.source.ip``, else the side outside
              ``SourcePolicy.home_net``, else the smaller of ``src_ip`` and ``dest_ip``
timestamp     ``timestamp``
description   ``[{alert.category}] {alert.signature} ({alert.action})``
body          the record without ``payload``, ``packet`` and HTTP bodies
============  ========================================================================

``src_ip``/``dest_ip`` describe the packet that matched, not the connection: remote and local
come from ``alert.source``/``alert.target`` (rules with ``target:``) or ``home_net``; client and
server from ``flow.src_ip`` (the initiator) or ``direction``.

Example::

    alerts = suricata.to_alerts(eve_record, policy=SourcePolicy(home_net=["10.0.0.0/8"]))
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
    normalize_ip,
    parse_time,
    skip,
    text,
)
from deepalert.sources._policy import SourcePolicy

__all__ = ["DETECTOR", "NAME", "matches", "to_alerts"]

NAME: Final = "suricata"
DETECTOR: Final = "suricata"
_DROP: Final = ("payload", "packet", "payload_printable", "http.http_request_body",
                "http.http_request_body_printable", "http.http_response_body",
                "http.http_response_body_printable")
HEAVY: Final = ("files", "fileinfo", "metadata", "tls.chain", "smtp", "email", "http")


def matches(record: Mapping[str, Any]) -> bool:
    """True for a Suricata EVE record (of any event type)."""
    return "event_type" in record and ("timestamp" in record or "flow_id" in record)


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one EVE record; records other than alerts give no alert.

    Raises:
        SourceError: an alert record without ``alert.signature_id``.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def _sides(record: Mapping[str, Any], src: str | None, dst: str | None
           ) -> tuple[str | None, str | None]:
    """Which of src/dst is the client, from ``flow.src_ip`` or ``direction``."""
    flow_src = normalize_ip(dotted(record, "flow.src_ip"))
    if flow_src is not None and flow_src in (src, dst):
        return (src, dst) if flow_src == src else (dst, src)
    direction = text(record.get("direction"))
    if direction == "to_server":
        return src, dst
    if direction == "to_client":
        return dst, src
    return None, None


def convert_record(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add the alert for one EVE record to ``batch`` (or note why it was skipped)."""
    event_type = text(record.get("event_type"))
    if event_type != "alert":
        skip(batch, NAME, where, f"event_type {event_type!r} is not an alert")
        return
    alert = record.get("alert")
    if not isinstance(alert, Mapping):
        raise SourceError(NAME, "alert", "missing or not an object")
    sid = text(alert.get("signature_id"))
    if not sid:
        raise SourceError(NAME, "alert.signature_id", "missing or empty (the rule ID)")
    gid = text(alert.get("gid")) or "1"
    src = normalize_ip(record.get("src_ip"))
    dst = normalize_ip(record.get("dest_ip"))
    attacker = normalize_ip(dotted(alert, "source.ip"))
    victim = normalize_ip(dotted(alert, "target.ip"))
    client, server = _sides(record, src, dst)

    attrs = Attrs()
    for key, ip in (("src_ip", src), ("dst_ip", dst)):
        if ip is None:
            continue
        contexts: list[str] = []
        local = policy.is_local(ip)
        if local is not None:
            contexts.append("local" if local else "remote")
        if ip == client:
            contexts.append("client")
        elif ip == server:
            contexts.append("server")
        if ip == attacker:
            contexts.append("subject")
        elif ip == victim:
            contexts.append("object")
        attrs.ip(key, ip, *contexts)
    if attacker is not None and attacker not in (src, dst):
        attrs.ip("src_ip", attacker, "subject")
    http_host = text(dotted(record, "http.hostname"))
    attrs.domain("http_host", http_host, "server")
    url = text(dotted(record, "http.url"))
    if http_host and url:
        attrs.add("url", "url", url if "://" in url else f"http://{http_host}{url}", "server")
    attrs.domain("tls_sni", dotted(record, "tls.sni"), "server")
    dns = record.get("dns")
    if isinstance(dns, Mapping):
        for query in [*as_list(dns.get("query")), *as_list(dns.get("queries"))]:
            attrs.domain("dns_query", dotted(query, "rrname"), "additional")
        attrs.domain("dns_query", dns.get("rrname"), "additional")
    for file in [*as_list(record.get("files")), record.get("fileinfo")]:
        if isinstance(file, Mapping):
            attrs.hashes({k: file.get(k) for k in ("sha256", "sha1", "md5")})

    key = attacker or ""
    if not key:
        outside = [ip for ip in (src, dst) if ip is not None and policy.is_local(ip) is False]
        # One side outside HOME_NET is the attacker; otherwise a choice that does not depend
        # on which packet of the flow matched.
        key = outside[0] if len(outside) == 1 else min(
            (ip for ip in (src, dst) if ip is not None), default="")
    signature = text(alert.get("signature"))
    description = f"[{text(alert.get('category'))}] {signature} ({text(alert.get('action'))})"
    body = {k: v for k, v in record.items() if k not in _DROP}
    if isinstance(body.get("http"), Mapping):
        body["http"] = {k: v for k, v in body["http"].items() if f"http.{k}" not in _DROP}
    finish(batch, policy, source=NAME, record=record, detector=DETECTOR, rule_id=f"{gid}:{sid}",
           rule_name=signature, alert_key=key, description=description,
           timestamp=parse_time(record.get("timestamp")), attrs=attrs, body=body, heavy=HEAVY)
