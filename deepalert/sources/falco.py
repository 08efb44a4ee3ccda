"""Falco alerts in its JSON output (``json_output: true``), directly or via falcosidekick.

============  ========================================================================
Alert field   From
============  ========================================================================
detector      ``falco``
rule_id       ``rule`` (Falco rules have no IDs; names are unique in a ruleset)
rule_name     ``rule``
alert_key     by ``source``: syscall → ``{hostname}/{container.id}``; k8s_audit →
              ``ka.user.name``; aws_cloudtrail → ``ct.user``; otherwise ``hostname``.
              Never the per-event ``uuid`` or ``evt.time``.
timestamp     ``time`` (nanoseconds kept)
description   ``output`` without its leading ``HH:MM:SS.nnnnnnnnn: <Priority>``
body          the event; integers beyond 2^53 (``evt.time``) written as strings
============  ========================================================================

Example::

    alerts = falco.to_alerts(json.loads(line))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from deepalert.errors import SourceError
from deepalert.models import Alert
from deepalert.sources._common import (
    Attrs,
    Batch,
    as_list,
    finish,
    normalize_ip,
    parse_time,
    skip,
    text,
)
from deepalert.sources._policy import SourcePolicy

__all__ = ["DETECTOR", "NAME", "matches", "to_alerts"]

NAME: Final = "falco"
DETECTOR: Final = "falco"
HEAVY: Final = ("output_fields", "output")
_PREFIX: Final = re.compile(
    r"^\d\d:\d\d:\d\d(?:\.\d+)?:\s+(?:(?:Emergency|Alert|Critical|Error|Warning|Notice|"
    r"Informational|Info|Debug)\s+)?", re.IGNORECASE)


def matches(record: Mapping[str, Any]) -> bool:
    """True for a Falco JSON alert."""
    return "rule" in record and "priority" in record and (
        "output" in record or "output_fields" in record)


def to_alerts(raw: Mapping[str, Any], *, policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one Falco alert; ``Falco internal`` and ``Debug`` alerts are skipped.

    Raises:
        SourceError: the alert has no ``rule``.
    """
    batch = Batch()
    convert_record(raw, policy or SourcePolicy(), batch)
    return batch.alerts


def _key(source: str, hostname: str, fields: Mapping[str, Any]) -> str:
    if source in ("k8s_audit", "k8saudit"):
        return text(fields.get("ka.user.name")) or hostname
    if source in ("aws_cloudtrail", "cloudtrail"):
        return text(fields.get("ct.user")) or hostname
    if source.startswith("syscall"):
        container = text(fields.get("container.id"))
        return f"{hostname}/{container}" if container else hostname
    return hostname


def convert_record(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                   where: str = "") -> None:
    """Add the alert for one Falco event to ``batch`` (or note why it was skipped)."""
    rule = text(record.get("rule"))
    if not rule:
        raise SourceError(NAME, "rule", "missing or empty (the rule name)")
    priority = text(record.get("priority"))
    if not policy.keep_internal and (rule.startswith("Falco internal")
                                     or priority.lower() == "debug"):
        skip(batch, NAME, where, "a Falco internal or Debug alert "
             "(SourcePolicy.keep_internal keeps it)")
        return
    fields = record.get("output_fields")
    if not isinstance(fields, Mapping):
        fields = {}
    hostname = text(record.get("hostname"))
    source = text(record.get("source")) or "syscall"

    attrs = Attrs()
    client = normalize_ip(fields.get("fd.cip"))
    server = normalize_ip(fields.get("fd.sip"))

    def side(ip: object) -> str:
        address = normalize_ip(ip)
        return "client" if address == client else "server" if address == server else ""

    remote, local = fields.get("fd.rip"), fields.get("fd.lip")
    if remote or local:
        attrs.ip("remote_ip", remote, "remote", side(remote))
        attrs.ip("local_ip", local, "local", side(local))
    else:
        attrs.ip("client_ip", client, "client")
        attrs.ip("server_ip", server, "server")
    attrs.domain("domain", fields.get("fd.rip.name"), "remote")
    attrs.domain("domain", fields.get("fd.sip.name"), "server")
    attrs.add("username", "user", fields.get("user.name"), "subject")
    attrs.add("username", "user", fields.get("user.loginname"), "subject")
    attrs.add("username", "k8s_user", fields.get("ka.user.name"), "subject")
    for ip in as_list(fields.get("ka.sourceips")):
        attrs.ip("remote_ip", ip, "remote", "client")
    attrs.add("username", "principal", fields.get("ct.user"), "subject")
    attrs.ip("remote_ip", fields.get("ct.srcip"), "remote", "client",
             or_domain="caller_domain")

    output = text(record.get("output"))
    finish(batch, policy, source=NAME, record=record, detector=DETECTOR, rule_id=rule,
           rule_name=rule, alert_key=_key(source, hostname, fields),
           description=_PREFIX.sub("", output, count=1), timestamp=parse_time(record.get("time")),
           attrs=attrs, body=record, heavy=HEAVY)
