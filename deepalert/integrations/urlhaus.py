"""abuse.ch URLhaus: malware distribution URLs, the hosts that serve them, and their payloads.

==================  ==============================================================
Requests            ``POST /v1/url/`` (``url=``), ``/v1/host/`` (``host=``, a domain or IP),
                    ``/v1/payload/`` (``md5_hash=`` or ``sha256_hash=``); header
                    ``Auth-Key``. One call per indicator, cached.
Answers             ``query_status``; url: ``url``, ``url_status``, ``threat``, ``tags``,
                    ``date_added``, ``urlhaus_reference``, ``payloads[]`` (``firstseen``,
                    ``response_sha256``, ``signature``); host: ``url_count``, ``firstseen``,
                    ``urlhaus_reference``, ``urls[]``; payload: ``sha256_hash``,
                    ``signature``, ``firstseen``, ``url_count``
Where they land     url -> ContentHost ``related_urls`` (the URL with "malware_download;
                    online; tags: ...", then the URLhaus entry) and ``related_malware``
                    (up to 10 payloads: ``sha256``, ``timestamp`` = first seen,
                    ``relation`` "payload", a scan named by the ``signature``);
                    domain, ipaddr -> ContentHost ``related_urls`` (up to 10 of the host's
                    URLs, then the URLhaus host page with "N malware URLs");
                    filehashvalue -> ContentBinary ``related_malware`` (``relation``
                    "self", a scan named by the ``signature``)
Nothing found       ``query_status`` ``no_results``
Quota               fair use, none published; a ``429`` fails the record
Secrets             ``SECRET_ARN``: a JSON secret with ``abusech_token`` (the abuse.ch
                    Auth-Key, shared by URLhaus, MalwareBazaar and ThreatFox)
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

__all__ = ["BASE_URL", "SERVICE", "handler", "urlhaus_inspector"]

BASE_URL = "https://urlhaus-api.abuse.ch/v1"
"""The API's base URL."""
SERVICE = Service("urlhaus", (AttrType.URL, AttrType.DOMAIN, AttrType.IPADDR,
                              AttrType.FILEHASHVALUE), quota=None)
_MD5_OR_SHA256 = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$")
_NOT_FOUND = frozenset({"no_results"})
_MAX = 10


def urlhaus_inspector(*, api_key: Secret | str | None = None,
                      **options: Unpack[LookupOptions]) -> Inspector[Any]:
    """A URLhaus inspector, ready to be a Lambda handler.

    Args:
        api_key: the abuse.ch Auth-Key (default: key ``abusech_token`` of the JSON secret
            named by ``SECRET_ARN``).
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types`` url,
            domain, ipaddr and filehashvalue; ``author`` ``"urlhaus"``; ``ttl`` and
            ``not_found_ttl`` 1 hour; no ``rate`` limit.
    """
    key = abusech_key(api_key)
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=3_600.0,
                                not_found_ttl=3_600.0)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        value = attr.value.strip()
        if attr.type == AttrType.URL:
            kind, form = "url", {"url": value}
        elif attr.type == AttrType.FILEHASHVALUE:
            if not _MD5_OR_SHA256.match(value):
                ctx.logger.info("URLhaus looks up md5 and sha256 hashes only")
                return None
            value = value.lower()
            kind = "payload"
            form = {"md5_hash" if len(value) == 32 else "sha256_hash": value}
        else:
            value = value.rstrip(".").lower()
            kind, form = "host", {"host": value}
        token = api_key_value(key) or ""

        def fetch() -> Any:
            answer = post_query(http, f"/{kind}/", token=token, not_found=_NOT_FOUND,
                                form=form, remaining_ms=ctx.remaining_ms())
            return None if answer is None else _EXTRACT[kind](answer)

        data = lookup.get(kind, value, fetch, quota_key=quota_key(token))
        return None if data is None else _CONTENT[kind](data)

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(urlhaus_inspector, "deepalert.integrations.urlhaus.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.urlhaus.handler``."""


def _url_entry(entry: Any) -> dict[str, Any]:
    return {"url": str(entry.get("url", "")), "status": str(entry.get("url_status") or ""),
            "threat": str(entry.get("threat") or ""), "tags": strings(entry.get("tags")),
            "added": str(entry.get("date_added") or "")}


def _extract_url(answer: Any) -> dict[str, Any]:
    payloads = field(answer, "payloads", list, service=SERVICE.name, default=[])
    return {
        **_url_entry(answer),
        "reference": field(answer, "urlhaus_reference", str, service=SERVICE.name, default=""),
        "payloads": [{"sha256": str(p.get("response_sha256") or ""),
                      "first": str(p.get("firstseen") or ""),
                      "signature": str(p.get("signature") or "")}
                     for p in payloads[:_MAX] if isinstance(p, dict)],
    }


def _extract_host(answer: Any) -> dict[str, Any]:
    urls = field(answer, "urls", list, service=SERVICE.name, default=[])
    count = field(answer, "url_count", (int, str), service=SERVICE.name, default=len(urls))
    return {
        "host": field(answer, "host", str, service=SERVICE.name, default=""),
        "count": int(count) if str(count).isdigit() else len(urls),
        "first": field(answer, "firstseen", str, service=SERVICE.name, default=""),
        "reference": field(answer, "urlhaus_reference", str, service=SERVICE.name, default=""),
        "urls": [_url_entry(u) for u in urls[:_MAX] if isinstance(u, dict)],
    }


def _extract_payload(answer: Any) -> dict[str, Any]:
    return {
        "sha256": field(answer, "sha256_hash", str, service=SERVICE.name, required=True),
        "signature": field(answer, "signature", str, service=SERVICE.name, default=""),
        "first": field(answer, "firstseen", str, service=SERVICE.name, default=""),
    }


def _describe(entry: dict[str, Any]) -> str:
    facts = [entry["threat"] or "listed", entry["status"] or "status unknown"]
    if entry["tags"]:
        facts.append(f"tags: {', '.join(entry['tags'])}")
    return "; ".join(facts)


def _scan(signature: str) -> list[EntityMalwareScan] | None:
    if not signature:
        return None
    return [EntityMalwareScan(vendor=SERVICE.name, name=signature, positive=True,
                              source=SERVICE.name)]


def _url_content(data: dict[str, Any]) -> ContentHost:
    urls = [EntityURL(url=data["url"], reference=_describe(data),
                      timestamp=abusech_time(data["added"]), source=SERVICE.name)]
    if data["reference"]:
        urls.append(EntityURL(url=data["reference"], reference="URLhaus entry",
                              source=SERVICE.name))
    malware = [EntityMalware(sha256=p["sha256"], timestamp=abusech_time(p["first"]),
                             scans=_scan(p["signature"]), relation="payload")
               for p in data["payloads"] if p["sha256"]]
    return ContentHost(related_urls=urls, related_malware=malware or None)


def _host_content(data: dict[str, Any]) -> ContentHost:
    urls = [EntityURL(url=u["url"], reference=_describe(u), timestamp=abusech_time(u["added"]),
                      source=SERVICE.name) for u in data["urls"] if u["url"]]
    if data["reference"]:
        urls.append(EntityURL(url=data["reference"],
                              reference=f"{data['count']} malware URLs on this host",
                              timestamp=abusech_time(data["first"]), source=SERVICE.name))
    return ContentHost(related_urls=urls or None)


def _payload_content(data: dict[str, Any]) -> ContentBinary:
    return ContentBinary(related_malware=[EntityMalware(
        sha256=data["sha256"], timestamp=abusech_time(data["first"]),
        scans=_scan(data["signature"]), relation="self")])


_EXTRACT = {"url": _extract_url, "host": _extract_host, "payload": _extract_payload}
_CONTENT: dict[str, Any] = {"url": _url_content, "host": _host_content,
                            "payload": _payload_content}
