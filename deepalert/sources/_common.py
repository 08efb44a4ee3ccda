"""Rules every converter shares: times, IPs, the attribute vocabulary, the core's limits."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from deepalert import _wire
from deepalert._wire import GoTime
from deepalert.errors import SourceError
from deepalert.models import Alert, Attribute
from deepalert.sources._policy import SourcePolicy

__all__ = [
    "Attrs",
    "Batch",
    "as_list",
    "ci_get",
    "ci_path",
    "dotted",
    "finish",
    "normalize_ip",
    "parse_time",
    "text",
]

# ---------------------------------------------------------------------------------------------
# Looking values up


def ci_get(obj: object, name: str) -> Any:
    """``obj[name]`` with the key matched case-insensitively (GuardDuty camel vs Pascal case)."""
    if not isinstance(obj, Mapping):
        return None
    if name in obj:
        return obj[name]
    folded = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == folded:
            return value
    return None


def ci_path(obj: object, path: str) -> Any:
    """A ``/``-free dotted path looked up with :func:`ci_get` at every step."""
    for part in path.split("."):
        obj = ci_get(obj, part)
        if obj is None:
            return None
    return obj


def dotted(obj: object, path: str) -> Any:
    """An ECS-style dotted path, where any prefix may be a flat key: ``a.b.c``, ``a`` → ``b.c``.

    A one-element list (what Elasticsearch's ``fields`` API returns) stands for its element
    when more of the path remains.
    """
    if not isinstance(obj, Mapping):
        return None
    if path in obj:
        return obj[path]
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in obj:
            inner = obj[head]
            if isinstance(inner, list) and len(inner) == 1:
                inner = inner[0]
            found = dotted(inner, ".".join(parts[cut:]))
            if found is not None:
                return found
    return None


def as_list(value: object) -> list[Any]:
    """``value`` as a list: itself, ``[value]``, or ``[]`` for ``None``."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def text(value: object) -> str:
    """A scalar as text (``""`` for ``None``, objects and arrays; a one-element list unwrapped)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# Time

_TIME: Final = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)(?:[Tt ]+(?P<h>\d\d?):(?P<mi>\d\d)"
    r"(?::(?P<s>\d\d)(?:[.,](?P<f>\d+))?)?)?\s*"
    r"(?P<z>[Zz]|UTC|GMT|(?P<sign>[+-])(?P<oh>\d\d)(?::?(?P<om>\d\d))?)?"
)
_NUMBER: Final = re.compile(r"-?\d+(?:\.\d+)?")


def _from_epoch(value: float | int | str) -> GoTime:
    number = float(value)
    magnitude = abs(number)
    # The unit is guessed from the magnitude: OCSF says ms but ships seconds in examples.
    if magnitude < 1e11:
        scale = 1
    elif magnitude < 1e14:
        scale = 1_000
    elif magnitude < 1e17:
        scale = 1_000_000
    else:
        scale = 1_000_000_000
    if isinstance(value, int) or (isinstance(value, str) and "." not in value):
        whole, rest = divmod(int(value), scale)
        nanos = rest * (1_000_000_000 // scale)
    else:
        seconds = number / scale
        whole = int(seconds // 1)
        nanos = round((seconds - whole) * 1_000_000) * 1000
        if nanos >= 1_000_000_000:
            whole, nanos = whole + 1, nanos - 1_000_000_000
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=whole)
    return GoTime.from_datetime(moment, nanos)


def parse_time(value: object) -> GoTime | None:
    """Any time the sources write, as a UTC :class:`GoTime`; ``None`` if it is no time.

    Accepts RFC 3339 and its variants (``Z``, ``±HH:MM``, ``±HHMM``, ``±HH``, up to nine
    fractional digits, a space separator, no zone: taken as UTC) and epoch numbers or digit
    strings in seconds, milliseconds, microseconds or nanoseconds (guessed by magnitude).
    """
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # Elasticsearch's fields API
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")) or value <= 0:
            return None
        try:
            return _from_epoch(value)
        except (OverflowError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if _NUMBER.fullmatch(raw):
        return parse_time(float(raw)) if "." in raw else parse_time(int(raw))
    match = _TIME.fullmatch(raw)
    if match is None:
        return None
    try:
        offset = 0
        if match["sign"]:
            offset = int(match["oh"]) * 60 + int(match["om"] or 0)
            offset = -offset if match["sign"] == "-" else offset
        moment = datetime(int(match["y"]), int(match["mo"]), int(match["d"]),
                          int(match["h"] or 0), int(match["mi"] or 0), int(match["s"] or 0),
                          tzinfo=timezone(timedelta(minutes=offset)))
    except ValueError:
        return None
    nanos = int((match["f"] or "").ljust(9, "0")[:9])
    return GoTime.from_datetime(moment.astimezone(timezone.utc), nanos)


def first_time(*values: object) -> GoTime | None:
    """The first of ``values`` that parses as a time."""
    for value in values:
        parsed = parse_time(value)
        if parsed is not None:
            return parsed
    return None


# ---------------------------------------------------------------------------------------------
# IP addresses


def normalize_ip(value: object) -> str | None:
    """An IP address in its compressed form, or ``None`` when ``value`` is not one.

    IPv4-mapped IPv6 addresses become IPv4; a zone (``fe80::1%eth0``) and brackets are dropped.
    """
    if not isinstance(value, str):
        return None
    raw = value.strip().strip("[]")
    if "%" in raw:
        raw = raw.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.compressed
    return address.compressed


_HOSTNAME: Final = re.compile(r"(?=.{1,253}$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})\.)+"
                              r"[A-Za-z][A-Za-z0-9-]{0,62}\.?")


def is_hostname(value: str) -> bool:
    """True for a dotted host name such as ``ec2.amazonaws.com``."""
    return _HOSTNAME.fullmatch(value) is not None


# ---------------------------------------------------------------------------------------------
# Attributes

_TYPE_FIRST_CONTEXT: Final = ("subject", "remote")


class Attrs:
    """The attributes of one alert: fixed keys, IPs normalised, de-duplicated, then capped.

    The same (type, key, value) added twice becomes one attribute whose context is the union
    of both. Attributes never carry a timestamp: the core hashes it, and a timestamp would
    make the same IP in two updates of one finding two attributes.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str], list[str]] = {}

    def add(self, type: str, key: str, value: object, *context: str) -> bool:
        """Add a value (skipped when empty or a placeholder); True when it was kept."""
        raw = text(value)
        if not raw or raw in ("<NA>", "-", "N/A", "null", "None"):
            return False
        if len(raw.encode("utf-8", "surrogatepass")) > 1024:
            return False  # a cut value would be wrong; the body keeps the whole of it
        contexts = self._items.setdefault((type, key, raw), [])
        for item in context:
            if item and item not in contexts:
                contexts.append(item)
        return True

    def ip(self, key: str, value: object, *context: str, or_domain: str | None = None) -> bool:
        """Add an IP address, normalised.

        A value that is no IP is dropped, or added as an ``additional`` domain under the key
        ``or_domain`` when it is a host name.
        """
        address = normalize_ip(value)
        if address is not None:
            return self.add("ipaddr", key, address, *context)
        if or_domain and isinstance(value, str) and is_hostname(value.strip()):
            # A service name where an address was expected (CloudTrail ec2.amazonaws.com):
            # who called, not an attacker on the other side of a connection.
            return self.add("domain", or_domain, value.strip().rstrip(".").lower(), "additional")
        return False

    def domain(self, key: str, value: object, *context: str) -> bool:
        """Add a domain name, lower-cased and without a trailing dot; IPs go in as ``ipaddr``."""
        raw = text(value).rstrip(".").lower()
        if not raw:
            return False
        if normalize_ip(raw) is not None:
            return self.ip(key if key.endswith("_ip") else "remote_ip", raw, *context)
        return self.add("domain", key, raw, *context)

    def hash(self, key: str, value: object, *context: str) -> bool:
        """Add a file hash (lower-cased hex)."""
        raw = text(value).lower()
        if not re.fullmatch(r"[0-9a-f]{32,128}", raw):
            return False
        return self.add("filehashvalue", key, raw, *(context or ("file",)))

    def hashes(self, value: object) -> None:
        """Add every hash of a ``{"sha256": ..., "md5": ...}`` map or a Sysmon ``Hashes``
        string (``SHA256=...,MD5=...``)."""
        if isinstance(value, Mapping):
            for name, item in value.items():
                algorithm = str(name).lower().replace("-", "")
                if algorithm in ("sha256", "sha1", "md5", "sha512"):
                    self.hash(algorithm, item)
        elif isinstance(value, str):
            for part in re.split(r"[,;|\s]+", value):
                name, _, item = part.partition("=")
                algorithm = name.strip().lower().replace("-", "")
                if algorithm in ("sha256", "sha1", "md5", "sha512"):
                    self.hash(algorithm, item)

    def build(self, policy: SourcePolicy) -> list[Attribute]:
        """The attributes in the policy's order, cut to its cap."""
        order = {name: i for i, name in enumerate(policy.attribute_order)}
        items = list(self._items.items())

        def rank(entry: tuple[tuple[str, str, str], list[str]]) -> tuple[int, int]:
            (type, _, _), contexts = entry
            actor = 0 if any(c in contexts for c in _TYPE_FIRST_CONTEXT) else 1
            return order.get(type, len(order)), actor

        items.sort(key=rank)  # stable: the source's own order within a rank
        return [Attribute(type=type, key=key, value=value, context=list(contexts))
                for (type, key, value), contexts in items[:policy.max_attributes]]


# ---------------------------------------------------------------------------------------------
# Finishing an alert within the core's limits


@dataclass
class Batch:
    """What one input turned into: alerts, and why records were skipped."""

    alerts: list[Alert] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def cut_utf8(value: str, limit: int, marker: str = "…") -> str:
    """``value`` cut to at most ``limit`` UTF-8 bytes on a character boundary."""
    data = value.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return value
    room = limit - len(marker.encode("utf-8"))
    return data[:room].decode("utf-8", "ignore") + marker


def _identity(value: str) -> str:
    """An identity field within 1024 bytes, kept unique by a hash of the whole value."""
    if len(value.encode("utf-8", "surrogatepass")) <= 1024:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return cut_utf8(value, 1024 - 65, "") + "#" + digest


_INT_LIMIT: Final = 2**53


def _safe_json(value: Any) -> Any:
    """A JSON copy where integers Go's float64 would round are strings, and other leaves are
    what JSON holds."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) > _INT_LIMIT else value
    if isinstance(value, Mapping):
        return {str(k): _safe_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe_json(v) for v in value]
    return str(value)


def _drop_path(body: Any, path: str) -> bool:
    """Remove a dotted path (flat or nested keys, through lists) from ``body``."""
    if not isinstance(body, dict):
        if isinstance(body, list):
            return any([_drop_path(item, path) for item in body])
        return False
    if path in body:
        del body[path]
        return True
    dropped = False
    parts = path.split(".")
    for cut in range(1, len(parts)):
        head = ".".join(parts[:cut])
        if head in body:
            dropped = _drop_path(body[head], ".".join(parts[cut:])) or dropped
    return dropped


def _size(body: Any) -> int:
    return len(_wire.go_dumps(body).encode("utf-8"))


_HTML: Final = re.compile("[<>&\u2028\u2029]")


def _surely_fits(body: Any, limit: int) -> bool:
    """A cheap bound, so the exact Go measure runs only for bodies near the limit.

    Go's text is the plain JSON with ``<>&`` written as six bytes. Numbers differ only where
    Python writes an exponent: ``1e+20`` is 21 digits in Go (so any ``e+`` means measure),
    ``1e-05`` is ``0.00001`` (two bytes more, at most double a number's size).
    """
    try:
        plain = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return False
    if "e+" in plain:
        return False
    bound = len(plain.encode("utf-8", "surrogatepass")) + 5 * len(_HTML.findall(plain))
    return 2 * bound <= limit


def trim_body(body: Any, policy: SourcePolicy, heavy: Sequence[str], source: str,
              ident: str) -> Any:
    """The body within the policy's byte limit as Go writes it.

    Known heavy keys go first, then the largest top-level values (named in
    ``deepalert_trimmed``), and as a last resort a stub naming the source and the record.
    """
    if not policy.include_body or body is None:
        return None
    body = _safe_json(body)
    for path in policy.drop_body_keys:
        _drop_path(body, path)
    limit = policy.max_body_bytes
    if _surely_fits(body, limit):
        return body
    size = _size(body)
    if size <= limit:
        return body
    for path in heavy:
        if _drop_path(body, path):
            size = _size(body)
            if size <= limit:
                return body
    if isinstance(body, dict):
        trimmed: list[str] = []
        sizes = sorted(((len(_wire.go_dumps(v)), k) for k, v in body.items()), reverse=True)
        for _, key in sizes:
            del body[key]
            trimmed.append(key)
            body["deepalert_trimmed"] = sorted(trimmed)
            if _size(body) <= limit:
                return body
            del body["deepalert_trimmed"]
    stub = {"deepalert_trimmed": True, "source": source, "id": cut_utf8(ident, 1024),
            "original_bytes": size}
    return stub if _size(stub) <= limit else None


def finish(batch: Batch, policy: SourcePolicy, *, source: str, record: Mapping[str, Any],
           detector: str, rule_id: str, rule_name: str = "", alert_key: str = "",
           description: str = "", timestamp: GoTime | None = None, attrs: Attrs | None = None,
           body: Any = None, heavy: Sequence[str] = (), field_names: Iterable[str] = ()
           ) -> Alert:
    """Build an alert that passes the core's validation and add it to ``batch``.

    The policy's detector and alert-key choices are applied here, once for every source.

    Raises:
        SourceError: the detector or rule ID is empty; ``field_names`` name where they come
            from in the record (detector first).
    """
    names = [*field_names, "", ""]
    if policy.detector:
        detector = policy.detector
    if policy.alert_key == "none":
        alert_key = ""
    elif callable(policy.alert_key):
        chosen = policy.alert_key(source, record)
        if chosen is not None:
            alert_key = chosen
    if not detector:
        raise SourceError(source, names[0], "no detector name (the field is missing or empty)")
    if not rule_id:
        raise SourceError(source, names[1], "no rule ID (the field is missing or empty)")
    alert = Alert(
        detector=_identity(detector),
        rule_id=_identity(rule_id),
        rule_name=cut_utf8(rule_name, 1024),
        alert_key=_identity(alert_key),
        description=cut_utf8(description, 4096),
        timestamp=timestamp if timestamp is not None else _wire.ZERO_TIME,
        attributes=(attrs or Attrs()).build(policy),
        body=trim_body(body, policy, heavy, source, f"{rule_id} {alert_key}"),
    )
    batch.alerts.append(alert)
    return alert


def skip(batch: Batch, source: str, where: str, reason: str) -> None:
    """Record that a record was left out on purpose (the policy can keep it)."""
    batch.skipped.append(f"{where + ': ' if where else ''}{source}: {reason}")
