"""Turn the alerts security teams already have into DeepAlert alerts.

One call takes a raw event, recognises its format and its delivery envelope, and returns
DeepAlert :class:`~deepalert.models.Alert` objects that pass the core's validation::

    from deepalert.sources import convert, SourcePolicy

    alerts = convert(eventbridge_event)                      # GuardDuty, ASFF, OCSF, ...
    alerts = convert(eve_line, source="suricata",
                     policy=SourcePolicy(home_net=["10.0.0.0/8"]))

Formats (the ``source`` names): ``guardduty``, ``asff`` and ``ocsf`` (Security Hub, and OCSF
findings in general), ``suricata`` (EVE), ``falco``, ``cloudtrail`` (with a rule layer),
``elastic`` (Elastic Security), ``chainsaw``, ``hayabusa`` and ``zircolite`` (Sigma matches),
and ``deepalert`` for input that already is DeepAlert alerts. Envelopes read by themselves:
SNS, SQS and SNS-in-SQS Lambda events, EventBridge, CloudTrail ``Records``, CloudWatch Logs
subscription data, ``findings[]`` lists and JSON arrays. Each format also has its own module
(:mod:`deepalert.sources.guardduty` ...) with a ``to_alerts`` function.

Every converter uses one attribute-key vocabulary (``remote_ip``, ``local_ip``, ``src_ip``,
``dst_ip``, ``instance_ip``, ``principal``, ``user``, ``sha256``, ``dns_query``, ...),
normalises IP addresses, sets no attribute timestamps (the core hashes them), and applies the
core's limits while converting. See ``docs/sources.md`` for every mapping.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from deepalert._lambda import unpack_event
from deepalert.errors import DeepAlertError, EventError, SourceError
from deepalert.models import Alert
from deepalert.sources import (
    asff,
    cloudtrail,
    elastic,
    falco,
    guardduty,
    ocsf,
    sigma,
    suricata,
)
from deepalert.sources._common import Batch, dotted, skip
from deepalert.sources._policy import AlertKeyFunc, SourcePolicy
from deepalert.sources._reading import (
    MAX_DECOMPRESSED_BYTES,
    MAX_RECORD_BYTES,
    DecompressionLimitError,
)
from deepalert.sources._reading import ReadError as _ReadError
from deepalert.sources._reading import read_events as _read_events
from deepalert.sources.cloudtrail import CONSOLE_LOGIN_WITHOUT_MFA, CloudTrailRule

__all__ = [
    "CONSOLE_LOGIN_WITHOUT_MFA",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_RECORD_BYTES",
    "SOURCES",
    "AlertKeyFunc",
    "CloudTrailRule",
    "ConvertedItem",
    "DecompressionLimitError",
    "SourceError",
    "SourcePolicy",
    "convert",
    "convert_file",
    "detect_source",
]

SOURCES: Final = ("auto", "deepalert", "asff", "chainsaw", "cloudtrail", "elastic", "falco",
                  "guardduty", "hayabusa", "ocsf", "suricata", "zircolite")
"""The names ``source=`` (and the CLI's ``--source``) accepts."""

_Converter = Callable[[Mapping[str, Any], SourcePolicy, Batch, str], None]


def _sigma_tool(tool: sigma.Tool) -> _Converter:
    def convert_record(record: Mapping[str, Any], policy: SourcePolicy, batch: Batch,
                       where: str = "") -> None:
        sigma.convert_record(record, policy, batch, where, tool=tool)
    return convert_record


_CONVERTERS: Final[dict[str, _Converter]] = {
    "asff": asff.convert_record,
    "chainsaw": _sigma_tool("chainsaw"),
    "cloudtrail": cloudtrail.convert_record,
    "elastic": elastic.convert_record,
    "falco": falco.convert_record,
    "guardduty": guardduty.convert_record,
    "hayabusa": _sigma_tool("hayabusa"),
    "ocsf": ocsf.convert_record,
    "suricata": suricata.convert_record,
    "zircolite": _sigma_tool("zircolite"),
}

# What a record of each source must have, named in the error when it does not.
_EXPECTED: Final[dict[str, tuple[str, ...]]] = {
    "asff": ("ProductArn", "Id"),
    "chainsaw": ("kind", "document"),
    "cloudtrail": ("eventName", "eventSource"),
    "elastic": ("kibana.alert.rule.rule_id",),
    "falco": ("rule", "priority", "output"),
    "guardduty": ("type", "service", "resource"),
    "hayabusa": ("RuleTitle", "Timestamp"),
    "ocsf": ("finding_info", "class_uid"),
    "suricata": ("event_type", "timestamp"),
    "zircolite": ("title", "matches"),
}

_MATCHERS: Final[tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...]] = (
    ("guardduty", guardduty.matches),
    ("asff", asff.matches),
    ("ocsf", ocsf.matches),
    ("suricata", suricata.matches),
    ("falco", falco.matches),
    ("cloudtrail", cloudtrail.matches),
    ("chainsaw", lambda r: sigma.detect_tool(r) == "chainsaw"),
    ("hayabusa", lambda r: sigma.detect_tool(r) == "hayabusa"),
    ("zircolite", lambda r: sigma.detect_tool(r) == "zircolite"),
    ("elastic", elastic.matches),
)


def detect_source(record: Mapping[str, Any]) -> str | None:
    """The source name of one record (envelopes already removed), or ``None``.

    Example::

        detect_source({"event_type": "alert", "timestamp": "...", "alert": {...}})
        # "suricata"
    """
    if "detector" in record and "rule_id" in record:
        return "deepalert"
    for name, match in _MATCHERS:
        if match(record):
            return name
    return None


@dataclass(frozen=True)
class ConvertedItem:
    """What one event of a file became.

    Attributes:
        position: where the event is in the file: ``"line 3"`` (JSON lines), ``"item 2"``
            (a JSON array, counted from 1) or ``"item 1"`` (a file holding one event).
        alerts: the alerts converted from it (none when it failed or was skipped).
        error: why it could not be converted; the other events of the file go on.
        skipped: why records in it were left out on purpose (sample findings, non-alert EVE
            records, CloudTrail records no rule matches...).
    """

    position: str
    alerts: list[Alert] = field(default_factory=list)
    error: SourceError | None = None
    skipped: list[str] = field(default_factory=list)


# The keys of a DeepAlert alert: an object with any of them (and no other format's) is read as
# an alert, so that a missing required field is named.
_ALERT_KEYS: Final = ("detector", "rule_id", "rule_name", "alert_key", "attributes")


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        from deepalert._redact import escape_control

        keys = ", ".join(escape_control(k)[:64] for k in sorted(str(k) for k in value)[:8])
        return f"an object with keys [{keys}]"
    return f"a JSON {type(value).__name__}"


def _parse(raw: str | bytes | bytearray, source: str) -> Any:
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw
        return json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(source, "", f"not valid JSON ({exc})") from None


def _join(where: str, step: str) -> str:
    if not where:
        return step
    return where + step if step.startswith("[") else f"{where}.{step}"


def _awslogs(value: Mapping[str, Any], source: str) -> list[Any]:
    data = dotted(value, "awslogs.data")
    if not isinstance(data, str):
        raise SourceError(source, "awslogs.data", "missing or not a string")
    try:
        payload = json.loads(gzip.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, OSError, EOFError, ValueError) as exc:
        raise SourceError(source, "awslogs.data", f"not base64 gzip JSON ({exc})") from None
    if not isinstance(payload, Mapping) or payload.get("messageType") == "CONTROL_MESSAGE":
        return []
    return [event.get("message") if isinstance(event, Mapping) else None
            for event in payload.get("logEvents") or []]


def _is_lambda_records(records: object) -> bool:
    if not isinstance(records, list) or not records or not isinstance(records[0], Mapping):
        return False
    first = records[0]
    return "Sns" in first or "body" in first or first.get("eventSource") == "aws:sqs"


def _record(record: Mapping[str, Any], source: str, policy: SourcePolicy, batch: Batch,
            where: str) -> None:
    name = source if source != "auto" else detect_source(record)
    if name is None and any(k in record for k in _ALERT_KEYS):
        name = "deepalert"  # a hand-written alert missing a required field: name the field
    if name is None:
        raise SourceError("auto", "", f"no converter recognises {_describe(record)}; "
                          "expected a DeepAlert alert (detector, rule_id, attributes...) or an "
                          "event of a known format; name the source (one of "
                          f"{', '.join(SOURCES[1:])})", where)
    if name == "deepalert":
        try:
            alert = Alert.from_json(json.dumps(record, ensure_ascii=False))
            alert.validate_limits()
        except DeepAlertError as exc:
            field_name = getattr(exc, "path", "") or getattr(exc, "field", "")
            raise SourceError("deepalert", field_name, str(exc), where) from None
        batch.alerts.append(alert)
        return
    if source != "auto" and name != "cloudtrail" and not any(
            m(record) for n, m in _MATCHERS if n == name):
        missing = [k for k in _EXPECTED[name] if dotted(record, k) is None]
        raise SourceError(name, missing[0] if missing else "",
                          f"not a {name} record ({_describe(record)})", where)
    try:
        _CONVERTERS[name](record, policy, batch, where)
    except SourceError as exc:
        raise exc.at(where) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A shape no sample showed: fail this event with its position, not the whole input.
        raise SourceError(name, "", f"cannot convert ({type(exc).__name__}: {exc})",
                          where) from None


def _value(value: Any, source: str, policy: SourcePolicy, batch: Batch, where: str) -> None:
    if isinstance(value, (str, bytes)):
        value = _parse(value, source)
    if isinstance(value, list):
        for i, item in enumerate(value):
            _value(item, source, policy, batch, _join(where, f"[{i}]"))
        return
    if not isinstance(value, Mapping):
        raise SourceError(source, "", f"expected a JSON object, got {_describe(value)}", where)

    records = value.get("Records")
    if _is_lambda_records(records):
        try:
            unpacked = unpack_event(value, payload="source event")
        except EventError as exc:
            raise SourceError(source, "Records", str(exc), where) from None
        for record in unpacked.records:
            step = _join(where, f"Records[{record.index}]")
            if record.payload is None:
                raise SourceError(source, "", record.error or "no payload", step)
            _value(_parse(record.payload, source), source, policy, batch, step)
        return
    if isinstance(records, list) and source in ("auto", "cloudtrail"):
        for i, record in enumerate(records):  # a CloudTrail log file
            step = _join(where, f"Records[{i}]")
            if not isinstance(record, Mapping):
                raise SourceError("cloudtrail", "", "not an object", step)
            _record(record, "cloudtrail", policy, batch, step)
        return
    if "awslogs" in value:
        for i, message in enumerate(_awslogs(value, source)):
            step = _join(where, f"logEvents[{i}]")
            if not isinstance(message, str):
                raise SourceError(source, "message", "missing or not a string", step)
            _value(_parse(message, source), source, policy, batch, step)
        return
    detail = value.get("detail")
    if isinstance(detail, Mapping) and ("detail-type" in value or (
            source in ("auto", "guardduty") and detect_source(value) is None)):
        # EventBridge; also its bare {"detail": ...} as test events often are.
        detail_type = value.get("detail-type")
        if value.get("source") == "aws.guardduty" and detail_type not in (
                None, "GuardDuty Finding"):
            # Runtime-agent health, malware scan results: GuardDuty events that are no finding.
            skip(batch, "guardduty", where, f"detail-type {detail_type!r} is not a finding")
            return
        if detail_type == "GuardDuty Finding" or source == "guardduty" or (
                source == "auto" and guardduty.matches(detail)):
            _record(value, "guardduty", policy, batch, where)
        else:
            _value(detail, source, policy, batch, _join(where, "detail"))
        return
    for name in ("findings", "Findings"):
        findings = value.get(name)
        if isinstance(findings, list):
            for i, finding in enumerate(findings):
                step = _join(where, f"{name}[{i}]")
                if not isinstance(finding, Mapping):
                    raise SourceError(source, "", "not an object", step)
                _record(finding, source, policy, batch, step)
            return
    _record(value, source, policy, batch, where)


def _run(raw: Any, source: str, policy: SourcePolicy | None) -> Batch:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    batch = Batch()
    _value(raw, source, policy or SourcePolicy(), batch, "")
    return batch


def convert(raw: Mapping[str, Any] | list[Any] | str | bytes, *, source: str = "auto",
            policy: SourcePolicy | None = None) -> list[Alert]:
    """Convert one raw event into DeepAlert alerts.

    Args:
        raw: the event as a dict, or its JSON text or bytes; a JSON array converts each item.
        source: one of :data:`SOURCES`; ``"auto"`` recognises the format by its fields.
        policy: the team's choices (:class:`SourcePolicy`); defaults when ``None``.

    Returns:
        The alerts, each passing ``Alert.validate_limits()``; empty when the event holds only
        records the policy skips (sample findings, non-alert EVE records...).

    Raises:
        SourceError: the event is not JSON, no converter recognises it, or a record misses
            what its converter needs; the error names the source, the field and where.
        ValueError: ``source`` is not one of :data:`SOURCES`.

    Example::

        alerts = convert(open("finding.json").read())
    """
    return _run(raw, source, policy).alerts


def convert_file(path: str | Path, *, source: str = "auto",
                 policy: SourcePolicy | None = None,
                 max_decompressed: int | None = None) -> Iterator[ConvertedItem]:
    """Convert every event of a file: one event, a JSON array of events, or JSON lines.

    ``"-"`` reads standard input; gzip files are read as their content. The file is streamed:
    memory is bounded by the largest single event, not the file (JSON lines are split on
    ``\\n`` only; a JSON array is read item by item). An event that fails (not JSON, nested
    deeper than Python's recursion limit lets it be read, larger than :data:`MAX_RECORD_BYTES`,
    of no known format...) yields an item with its error and the file goes on. (The
    ``deepalert`` command raises the recursion limit so that it reads Go's 10,000 levels.)

    Args:
        path: the file, or ``"-"``.
        source: one of :data:`SOURCES`.
        policy: the team's choices (:class:`SourcePolicy`).
        max_decompressed: the most a gzip file may inflate to, in bytes;
            :data:`MAX_DECOMPRESSED_BYTES` (1 GiB) by default.

    Raises:
        OSError: the file cannot be read, or is a gzip file cut short; raised after the items
            read before the fault.
        DecompressionLimitError: an ``OSError``: the gzip content is larger than
            ``max_decompressed``; raised after the items read before the cap.
        ValueError: ``source`` is not one of :data:`SOURCES`.

    Example::

        for item in convert_file("eve.json", source="suricata"):
            if item.error:
                print(item.error)
            for alert in item.alerts:
                print(alert.to_json())
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    from deepalert.sources import _reading

    cap = _reading.MAX_DECOMPRESSED_BYTES if max_decompressed is None else max_decompressed
    for position, event in _read_events(path, max_decompressed=cap):
        if isinstance(event, _ReadError):
            yield ConvertedItem(position, error=SourceError(source, "", str(event), position))
            continue
        try:
            batch = _run(event, source, policy)
        except SourceError as exc:
            yield ConvertedItem(position, error=exc.at(position))
        except RecursionError:
            yield ConvertedItem(position, error=SourceError(
                source, "", "nests deeper than Python's recursion limit "
                f"({sys.getrecursionlimit():,} levels) lets it be converted", position))
        except Exception as exc:  # a reader's or converter's defect fails this event only
            yield ConvertedItem(position, error=SourceError(
                source, "", f"cannot convert ({type(exc).__name__}: {exc})", position))
        else:
            yield ConvertedItem(position, batch.alerts, skipped=[
                f"{position}, {reason}" for reason in batch.skipped])
