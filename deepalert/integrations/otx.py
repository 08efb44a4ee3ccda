"""AlienVault OTX (LevelBlue Open Threat Exchange): the pulses that name an IP address,
domain, URL or file hash.

==================  ==============================================================
Requests            ``GET /api/v1/indicators/{IPv4|IPv6|domain|url|file}/{value}/general``;
                    header ``X-OTX-API-KEY``. One call per indicator, cached.
Answer              ``pulse_info.count``, ``pulse_info.pulses[]`` (``id``, ``name``,
                    ``modified``, ``tags``, ``malware_families``, ``adversary``),
                    ``country_code`` and ``asn`` (IP addresses)
Where it lands      ipaddr, domain, url -> ContentHost: ``ipaddr`` (an IP), ``country``,
                    ``as_owner`` (``asn``); ``related_urls``: the OTX indicator page,
                    ``reference`` = "in 3 pulses; malware: Emotet; adversary: TA542", then
                    up to 10 pulse pages (``reference`` = the pulse name and its tags,
                    ``timestamp`` = ``modified``).
                    filehashvalue -> ContentBinary ``related_malware``: one EntityMalware
                    (``sha256`` when the value is one, ``relation`` "self") whose ``scans``
                    are one EntityMalwareScan per malware family (``vendor`` "otx", ``name``
                    = the family, ``positive``), or one "in N pulses" scan without families
Nothing found       no pulse names the indicator (``pulse_info.count`` 0), or 404
Quota               none published (a ``429`` fails the record); ``rate=`` sets one
Secrets             ``SECRET_ARN``: a JSON secret with ``otx_token``
==================  ==============================================================
"""

from __future__ import annotations

import ipaddress
import re
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
from deepalert.lookup import (
    LookupOptions,
    Secret,
)
from deepalert.models import (
    Attribute,
    AttrType,
    ContentBinary,
    ContentHost,
    EntityMalware,
    EntityMalwareScan,
    EntityURL,
)

__all__ = ["BASE_URL", "SERVICE", "handler", "otx_inspector"]

BASE_URL = "https://otx.alienvault.com/api/v1"
"""The API's base URL."""
WEB_URL = "https://otx.alienvault.com"
SERVICE = Service("otx", (AttrType.IPADDR, AttrType.DOMAIN, AttrType.URL,
                          AttrType.FILEHASHVALUE), quota=None)
_HASH = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_MAX_PULSES = 10


def otx_inspector(*, api_key: Secret | str | None = None,
                  **options: Unpack[LookupOptions]) -> Inspector[Any]:
    """An AlienVault OTX inspector, ready to be a Lambda handler.

    Args:
        api_key: the API key (default: key ``otx_token`` of the JSON secret named by
            ``SECRET_ARN``).
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types``
            ipaddr, domain, url and filehashvalue; ``author`` ``"otx"``; ``ttl`` 6 hours,
            ``not_found_ttl`` 1 hour; no ``rate`` limit.
    """
    key = api_key if api_key is not None else Secret(env=SECRET_ARN_ENV, key="otx_token")
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=21_600.0,
                                not_found_ttl=3_600.0)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        request = _request(attr)
        if request is None:
            ctx.logger.info("not a value OTX can look up")
            return None
        section, value = request
        token = api_key_value(key) or ""

        def fetch() -> Any:
            answer = http.get_json(f"/indicators/{section}/{quote(value, safe=':/')}/general",
                                   headers={"X-OTX-API-KEY": token},
                                   remaining_ms=ctx.remaining_ms())
            return None if answer is None else _extract(answer)

        data = lookup.get(section, value, fetch, quota_key=quota_key(token))
        return None if data is None else _content(section, value, data)

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(otx_inspector, "deepalert.integrations.otx.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.otx.handler``."""


def _request(attr: Attribute) -> tuple[str, str] | None:
    value = attr.value.strip()
    if attr.type == AttrType.IPADDR:
        try:
            version = ipaddress.ip_address(value).version
        except ValueError:
            return None
        return f"IPv{version}", value
    if attr.type == AttrType.DOMAIN:
        return "domain", value.rstrip(".").lower()
    if attr.type == AttrType.URL:
        return "url", value
    return ("file", value.lower()) if _HASH.match(value) else None


def _families(pulse: dict[str, Any]) -> list[str]:
    names = []
    for family in pulse.get("malware_families") or []:
        if isinstance(family, dict):
            family = family.get("display_name") or family.get("id")
        if isinstance(family, str) and family:
            names.append(family)
    return names


def _extract(answer: Any) -> dict[str, Any] | None:
    name = SERVICE.name
    count = field(answer, "pulse_info.count", int, service=name, default=0)
    pulses = field(answer, "pulse_info.pulses", list, service=name, default=[])
    if not count and not pulses:
        return None  # OTX knows no pulse naming it: "nothing found"
    kept = [p for p in pulses if isinstance(p, dict)]
    return {
        "count": count or len(kept),
        "country": field(answer, "country_code", str, service=name, default=""),
        "asn": field(answer, "asn", str, service=name, default=""),
        "families": sorted({f for p in kept for f in _families(p)}),
        "adversaries": sorted({str(p["adversary"]) for p in kept if p.get("adversary")}),
        "pulses": [{"id": str(p.get("id", "")), "name": str(p.get("name", "")),
                    "modified": str(p.get("modified") or p.get("created") or ""),
                    "tags": strings(p.get("tags"))[:5]} for p in kept[:_MAX_PULSES]],
    }


def _content(section: str, value: str, data: dict[str, Any]) -> ContentHost | ContentBinary:
    families, count = data["families"], data["count"]
    if section == "file":
        scans = [EntityMalwareScan(vendor=SERVICE.name, name=f, positive=True,
                                   source=SERVICE.name) for f in families]
        if not scans:
            scans = [EntityMalwareScan(vendor=SERVICE.name, name=f"in {count} OTX pulses",
                                       positive=True, source=SERVICE.name)]
        return ContentBinary(related_malware=[EntityMalware(
            sha256=value if len(value) == 64 else "", scans=scans, relation="self")])
    facts = [f"in {count} pulses"]
    if families:
        facts.append(f"malware: {', '.join(families)}")
    if data["adversaries"]:
        facts.append(f"adversary: {', '.join(data['adversaries'])}")
    page_kind = "ip" if section.startswith("IPv") else section
    urls = [EntityURL(url=f"{WEB_URL}/indicator/{page_kind}/{quote(value, safe=':')}",
                      reference="; ".join(facts), source=SERVICE.name)]
    for pulse in data["pulses"]:
        tags = f" (tags: {', '.join(pulse['tags'])})" if pulse["tags"] else ""
        urls.append(EntityURL(url=f"{WEB_URL}/pulse/{pulse['id']}",
                              reference=f"{pulse['name']}{tags}",
                              timestamp=iso_time(pulse["modified"]), source=SERVICE.name))
    return ContentHost(ipaddr=[value] if section.startswith("IPv") else None,
                       country=nonempty([data["country"]]), as_owner=nonempty([data["asn"]]),
                       related_urls=urls)
