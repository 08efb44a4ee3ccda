"""abuse.ch ThreatFox: indicators of compromise tied to a malware family, by IP address,
domain, URL or sample hash.

==================  ==============================================================
Requests            ``POST /api/v1/`` with JSON ``{"query": "search_ioc", "search_term":
                    value}`` (ipaddr, domain, url) or ``{"query": "search_hash", "hash":
                    value}`` (filehashvalue); header ``Auth-Key``. One call per indicator.
Answer              ``query_status``; ``data[]``: ``id``, ``ioc``, ``threat_type_desc``,
                    ``malware_printable``, ``confidence_level``, ``first_seen``, ``tags``
Where it lands      ipaddr, domain, url -> ContentHost: ``ipaddr`` (an IP),
                    ``related_urls`` = up to 10 ThreatFox IOC pages, ``reference`` =
                    "Botnet C&C: Cobalt Strike (confidence 100%); tags: ..." and
                    ``timestamp`` = first seen.
                    filehashvalue -> ContentBinary ``related_malware``: one EntityMalware
                    (``sha256`` when the value is one, ``relation`` "self") with one scan
                    per malware family its IOCs name
Nothing found       ``query_status`` ``no_result``
Quota               fair use, none published; a ``429`` fails the record
Secrets             ``SECRET_ARN``: a JSON secret with ``abusech_token``
==================  ==============================================================
"""

from __future__ import annotations

import re
from typing import Any

from typing_extensions import Unpack

from deepalert.inspector import InspectionContext, Inspector, InspectorOutput
from deepalert.integrations._abusech import abusech_key, abusech_time, post_query
from deepalert.integrations._inspectors import (
    InspectorEnvHandler,
    Service,
    api_key_value,
    build_lookup_inspector,
    field,
    lookup_parts,
    quota_key,
    strings,
)
from deepalert.lookup import LookupOptions, Secret
from deepalert.models import (
    Attribute,
    AttrType,
    ContentBinary,
    ContentHost,
    EntityMalware,
    EntityMalwareScan,
    EntityURL,
)

__all__ = ["BASE_URL", "SERVICE", "handler", "threatfox_inspector"]

BASE_URL = "https://threatfox-api.abuse.ch/api/v1"
"""The API's base URL."""
WEB_URL = "https://threatfox.abuse.ch"
SERVICE = Service("threatfox", (AttrType.IPADDR, AttrType.DOMAIN, AttrType.URL,
                                AttrType.FILEHASHVALUE), quota=None)
_HASH = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$")
_NOT_FOUND = frozenset({"no_result", "no_results"})
_MAX = 10


def threatfox_inspector(*, api_key: Secret | str | None = None,
                        **options: Unpack[LookupOptions]) -> Inspector[Any]:
    """A ThreatFox inspector, ready to be a Lambda handler.

    Args:
        api_key: the abuse.ch Auth-Key (default: key ``abusech_token`` of the JSON secret
            named by ``SECRET_ARN``).
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types``
            ipaddr, domain, url and filehashvalue; ``author`` ``"threatfox"``; ``ttl`` and
            ``not_found_ttl`` 1 hour; no ``rate`` limit.
    """
    key = abusech_key(api_key)
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=3_600.0,
                                not_found_ttl=3_600.0)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        value = attr.value.strip()
        if attr.type == AttrType.FILEHASHVALUE:
            if not _HASH.match(value):
                ctx.logger.info("ThreatFox looks up md5 and sha256 hashes only")
                return None
            kind, body = "hash", {"query": "search_hash", "hash": value.lower()}
        else:
            kind, body = "ioc", {"query": "search_ioc", "search_term": value}
        token = api_key_value(key) or ""

        def fetch() -> Any:
            answer = post_query(http, "/", token=token, not_found=_NOT_FOUND, json=body,
                                remaining_ms=ctx.remaining_ms())
            return None if answer is None else _extract(answer)

        data = lookup.get(kind, value, fetch, quota_key=quota_key(token))
        if data is None:
            return None
        if kind == "hash":
            return _binary(value.lower(), data)
        return _host(value if attr.type == AttrType.IPADDR else "", data)

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(threatfox_inspector, "deepalert.integrations.threatfox.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.threatfox.handler``."""


def _extract(answer: Any) -> list[dict[str, Any]]:
    entries = field(answer, "data", list, service=SERVICE.name, required=True)
    return [{"id": str(e.get("id", "")), "ioc": str(e.get("ioc", "")),
             "threat": str(e.get("threat_type_desc") or e.get("threat_type") or ""),
             "malware": str(e.get("malware_printable") or e.get("malware") or ""),
             "confidence": e.get("confidence_level"),
             "first": str(e.get("first_seen") or ""), "tags": strings(e.get("tags"))}
            for e in entries[:_MAX] if isinstance(e, dict)]


def _host(ip: str, iocs: list[dict[str, Any]]) -> ContentHost:
    urls = []
    for ioc in iocs:
        text = f"{ioc['threat'] or 'IOC'}: {ioc['malware'] or 'unknown malware'}"
        if isinstance(ioc["confidence"], int):
            text += f" (confidence {ioc['confidence']}%)"
        if ioc["tags"]:
            text += f"; tags: {', '.join(ioc['tags'])}"
        urls.append(EntityURL(url=f"{WEB_URL}/ioc/{ioc['id']}/", reference=text,
                              timestamp=abusech_time(ioc["first"]), source=SERVICE.name))
    return ContentHost(ipaddr=[ip] if ip else None, related_urls=urls or None)


def _binary(value: str, iocs: list[dict[str, Any]]) -> ContentBinary:
    families = sorted({i["malware"] for i in iocs if i["malware"]}) or ["known malware"]
    return ContentBinary(related_malware=[EntityMalware(
        sha256=value if len(value) == 64 else "", relation="self",
        scans=[EntityMalwareScan(vendor=SERVICE.name, name=f, positive=True,
                                 source=SERVICE.name) for f in families])])
