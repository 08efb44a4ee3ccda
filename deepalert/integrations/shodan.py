"""Shodan InternetDB: the open ports, software (CPEs), hostnames, tags and known
vulnerabilities Shodan saw on an IP address. No API key.

==================  ==============================================================
Request             ``GET https://internetdb.shodan.io/{ip}``. One call per IP, cached.
Answer              ``ip``, ``ports``, ``cpes``, ``hostnames``, ``tags``, ``vulns``
Where it lands      ipaddr -> ContentHost: ``ipaddr``, ``hostname`` (``hostnames``),
                    ``software``: one EntitySoftware per CPE (``name`` = the CPE);
                    ``related_urls``: the InternetDB record, ``reference`` = "ports 22, 443;
                    tags: vpn; vulns: CVE-..." (at most 10 vulnerabilities named)
Nothing found       404 ``{"detail": "No information available"}``: no finding, cached
Quota               none published (free, fair use); ``rate=`` sets one
Secrets             none
==================  ==============================================================
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from typing_extensions import Unpack

from deepalert.inspector import InspectionContext, Inspector, InspectorOutput
from deepalert.integrations._inspectors import (
    InspectorEnvHandler,
    Service,
    build_lookup_inspector,
    field,
    lookup_parts,
    nonempty,
    strings,
)
from deepalert.lookup import LookupOptions
from deepalert.models import Attribute, AttrType, ContentHost, EntitySoftware, EntityURL

__all__ = ["BASE_URL", "SERVICE", "handler", "shodan_internetdb_inspector"]

BASE_URL = "https://internetdb.shodan.io"
"""The API's base URL."""
SERVICE = Service("shodan-internetdb", (AttrType.IPADDR,), quota=None)
_MAX_VULNS = 10


def shodan_internetdb_inspector(**options: Unpack[LookupOptions]) -> Inspector[Any]:
    """A Shodan InternetDB inspector, ready to be a Lambda handler.

    Args:
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types`` only
            ipaddr; ``author`` ``"shodan-internetdb"``; ``ttl`` 1 day, ``not_found_ttl`` 6
            hours; no ``rate`` limit.
    """
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=86_400.0,
                                not_found_ttl=21_600.0)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        ip = attr.value.strip()

        def fetch() -> Any:
            answer = http.get_json(f"/{quote(ip, safe='')}", remaining_ms=ctx.remaining_ms())
            return None if answer is None else _extract(answer)

        data = lookup.get("ip", ip, fetch, quota_key="anonymous")
        return None if data is None else _content(ip, data, f"{http.base_url}/{ip}")

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(shodan_internetdb_inspector,
                              "deepalert.integrations.shodan.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.shodan.handler``."""


def _extract(answer: Any) -> dict[str, Any]:
    name = SERVICE.name
    ports = field(answer, "ports", list, service=name, default=[])
    return {
        "ip": field(answer, "ip", str, service=name, required=True),
        "ports": sorted(p for p in ports if isinstance(p, int) and not isinstance(p, bool)),
        "cpes": strings(field(answer, "cpes", list, service=name, default=[])),
        "hostnames": strings(field(answer, "hostnames", list, service=name, default=[])),
        "tags": strings(field(answer, "tags", list, service=name, default=[])),
        "vulns": sorted(strings(field(answer, "vulns", list, service=name, default=[]))),
    }


def _content(ip: str, data: dict[str, Any], record_url: str) -> ContentHost:
    facts = [f"ports {', '.join(map(str, data['ports']))}" if data["ports"] else "no open ports"]
    if data["tags"]:
        facts.append(f"tags: {', '.join(data['tags'])}")
    vulns = data["vulns"]
    if vulns:
        more = f" (+{len(vulns) - _MAX_VULNS} more)" if len(vulns) > _MAX_VULNS else ""
        facts.append(f"vulns: {', '.join(vulns[:_MAX_VULNS])}{more}")
    return ContentHost(
        ipaddr=[data["ip"] or ip], hostname=nonempty(data["hostnames"]),
        software=[EntitySoftware(name=cpe) for cpe in data["cpes"]] or None,
        related_urls=[EntityURL(url=record_url, reference="; ".join(facts),
                                source=SERVICE.name)])
