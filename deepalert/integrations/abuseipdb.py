"""AbuseIPDB API v2: how often, and how confidently, an IP address was reported for abuse.

==================  ==============================================================
Request             ``GET /api/v2/check?ipAddress={ip}&maxAgeInDays=90``; headers ``Key``,
                    ``Accept: application/json``. One call per IP, cached.
Answer              ``data``: ``ipAddress``, ``abuseConfidenceScore``, ``countryCode``,
                    ``usageType``, ``isp``, ``domain``, ``hostnames``, ``isTor``,
                    ``totalReports``, ``numDistinctUsers``, ``lastReportedAt``
Where it lands      ipaddr -> ContentHost: ``ipaddr``, ``country`` (``countryCode``),
                    ``as_owner`` (``isp``), ``hostname`` (``hostnames``),
                    ``related_domains`` (``domain``); ``activities``: one EntityActivity
                    when reported (``service_name`` "abuseipdb", ``remote_addr`` the IP,
                    ``action`` "reported for abuse N times by M users (confidence S%)",
                    ``last_seen`` = ``lastReportedAt``); ``related_urls``: the AbuseIPDB
                    page, ``reference`` = confidence, reports, usage type, Tor
Nothing found       AbuseIPDB answers for every public IP; an IP never reported still gets
                    its country and ISP, and no activity
Quota               free plan: 1,000 checks a day per key (the default limiter); a ``429``
                    carries ``Retry-After`` (often hours): the record fails at once
Secrets             ``SECRET_ARN``: a JSON secret with ``abuseipdb_token``
==================  ==============================================================
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from typing_extensions import Unpack

from deepalert.inspector import InspectionContext, Inspector, InspectorOutput
from deepalert.integrations._inspectors import (
    SECRET_ARN_ENV,
    InspectorEnvHandler,
    Service,
    api_key_value,
    build_lookup_inspector,
    field,
    iso_time,
    lookup_parts,
    nonempty,
    quota_key,
    strings,
)
from deepalert.lookup import LookupOptions, Secret
from deepalert.models import (
    Attribute,
    AttrType,
    ContentHost,
    EntityActivity,
    EntityDomain,
    EntityURL,
)

__all__ = ["BASE_URL", "SERVICE", "abuseipdb_inspector", "handler"]

BASE_URL = "https://api.abuseipdb.com/api/v2"
"""The API's base URL."""
SERVICE = Service("abuseipdb", (AttrType.IPADDR,), quota=(1000, 86_400))


def abuseipdb_inspector(*, api_key: Secret | str | None = None, max_age_days: int = 90,
                        **options: Unpack[LookupOptions]) -> Inspector[Any]:
    """An AbuseIPDB inspector, ready to be a Lambda handler.

    Args:
        api_key: the API key (default: key ``abuseipdb_token`` of the JSON secret named by
            ``SECRET_ARN``).
        max_age_days: reports older than this many days (1-365) are not counted.
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types`` only
            ipaddr; ``author`` ``"abuseipdb"``; ``ttl`` 6 hours, ``not_found_ttl`` 1 hour;
            ``rate=True``: the free plan's 1,000 a day.
    """
    if isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or not (
            1 <= max_age_days <= 365):
        raise ValueError(f"abuseipdb_inspector(max_age_days=) must be 1 to 365, "
                         f"got {max_age_days!r}")
    key = api_key if api_key is not None else Secret(env=SECRET_ARN_ENV, key="abuseipdb_token")
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=21_600.0,
                                not_found_ttl=3_600.0, rate=True)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        ip = attr.value.strip()
        token = api_key_value(key) or ""

        def fetch() -> Any:
            answer = http.get_json(
                "/check", params={"ipAddress": ip, "maxAgeInDays": str(max_age_days)},
                headers={"Key": token, "Accept": "application/json"},
                remaining_ms=ctx.remaining_ms())
            return None if answer is None else _extract(answer)

        data = lookup.get("ip", ip, fetch, quota_key=quota_key(token))
        return None if data is None else _content(ip, data)

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(abuseipdb_inspector, "deepalert.integrations.abuseipdb.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.abuseipdb.handler``."""


def _extract(answer: Any) -> dict[str, Any]:
    name = SERVICE.name
    data = field(answer, "data", dict, service=name, required=True)
    return {
        "ip": field(data, "ipAddress", str, service=name, required=True),
        "score": field(data, "abuseConfidenceScore", int, service=name, default=0),
        "country": field(data, "countryCode", str, service=name, default=""),
        "usage": field(data, "usageType", str, service=name, default=""),
        "isp": field(data, "isp", str, service=name, default=""),
        "domain": field(data, "domain", str, service=name, default=""),
        "hostnames": strings(field(data, "hostnames", list, service=name, default=[])),
        "tor": field(data, "isTor", bool, service=name, default=False),
        "reports": field(data, "totalReports", int, service=name, default=0),
        "users": field(data, "numDistinctUsers", int, service=name, default=0),
        "last": field(data, "lastReportedAt", str, service=name, default=""),
    }


def _content(ip: str, data: dict[str, Any]) -> ContentHost:
    last = iso_time(data["last"])
    facts = [f"abuse confidence {data['score']}%", f"{data['reports']} reports"]
    if data["usage"]:
        facts.append(f"usage: {data['usage']}")
    if data["tor"]:
        facts.append("Tor exit node")
    activities = None
    if data["reports"]:
        activities = [EntityActivity(
            service_name=SERVICE.name, remote_addr=data["ip"] or ip,
            action=(f"reported for abuse {data['reports']} times by {data['users']} users "
                    f"(confidence {data['score']}%)"), last_seen=last)]
    return ContentHost(
        ipaddr=[data["ip"] or ip], country=nonempty([data["country"]]),
        as_owner=nonempty([data["isp"]]), hostname=nonempty(data["hostnames"]),
        related_domains=([EntityDomain(name=data["domain"], source=SERVICE.name)]
                         if data["domain"] else None),
        activities=activities,
        related_urls=[EntityURL(url=f"https://www.abuseipdb.com/check/{quote(ip, safe=':')}",
                                reference="; ".join(facts), timestamp=last,
                                source=SERVICE.name)])
