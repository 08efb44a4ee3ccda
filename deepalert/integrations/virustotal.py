"""VirusTotal API v3: what the engines say about an IP address, domain, URL or file hash.

==================  ==============================================================
Requests            ``GET /api/v3/ip_addresses/{ip}``, ``/domains/{domain}``,
                    ``/urls/{base64url(url)}``, ``/files/{md5|sha1|sha256}``; header
                    ``x-apikey``. One call per indicator, cached.
Answers             ``data.attributes``: ``last_analysis_stats``, ``last_analysis_results``
                    (per engine ``category``, ``result``), ``last_analysis_date``, and
                    ``country``/``as_owner`` (IP), ``last_dns_records`` (domain),
                    ``url``/``last_final_url`` (URL), ``sha256`` (file)
Where they land     ipaddr -> ContentHost: ``ipaddr``, ``country``, ``as_owner``;
                    domain -> ContentHost: ``ipaddr`` (A/AAAA records),
                    ``related_domains`` (CNAME, NS, MX targets);
                    url -> ContentHost: ``related_urls`` (the URL and its final URL);
                    every host content also gets ``related_urls`` = the VirusTotal report
                    page, ``reference`` = "3 malicious, 1 suspicious of 92 engines",
                    ``timestamp`` = last analysis, ``source`` = "virustotal".
                    filehashvalue -> ContentBinary ``related_malware``: one EntityMalware
                    (``sha256``, ``timestamp`` = last analysis, ``relation`` = "self",
                    ``scans`` = one EntityMalwareScan per engine that says malicious or
                    suspicious: ``vendor`` = engine, ``name`` = its result, ``positive``)
Nothing found       404 ``NotFoundError``: no finding, cached for ``not_found_ttl``
Quota               public API: 4 lookups a minute, 500 a day; the default limiter spaces
                    calls one per 15 s per API key; ``429 QuotaExceededError`` fails the
                    record (SQS retries it)
Secrets             ``SECRET_ARN``: a JSON secret with ``virustotal_token``
==================  ==============================================================

Ready handler ``deepalert.integrations.virustotal.handler`` (configured from the environment
on the first event), or build one::

    from deepalert.integrations.virustotal import virustotal_inspector

    handler = virustotal_inspector(types=["ipaddr", "domain"], max_workers=4)
"""

from __future__ import annotations

import base64
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
    epoch,
    field,
    lookup_parts,
    nonempty,
    quota_key,
)
from deepalert.lookup import LookupOptions, Secret
from deepalert.models import (
    Attribute,
    AttrType,
    ContentBinary,
    ContentHost,
    EntityDomain,
    EntityMalware,
    EntityMalwareScan,
    EntityURL,
)

__all__ = ["BASE_URL", "SERVICE", "handler", "virustotal_inspector"]

BASE_URL = "https://www.virustotal.com/api/v3"
"""The API's base URL (pass ``base_url=`` to point elsewhere, such as a test server)."""
GUI_URL = "https://www.virustotal.com/gui"
SERVICE = Service("virustotal", (AttrType.IPADDR, AttrType.DOMAIN, AttrType.URL,
                                 AttrType.FILEHASHVALUE), quota=(4, 60))
_HASH = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_POSITIVE = ("malicious", "suspicious")
_GUI_KIND = {"ip": "ip-address", "domain": "domain", "url": "url", "file": "file"}
_RELATED_DNS = ("CNAME", "NS", "MX")


def virustotal_inspector(*, api_key: Secret | str | None = None,
                         **options: Unpack[LookupOptions]) -> Inspector[Any]:
    """A VirusTotal v3 inspector, ready to be a Lambda handler.

    Args:
        api_key: the API key: a :class:`~deepalert.lookup.Secret` (default: key
            ``virustotal_token`` of the JSON secret named by ``SECRET_ARN``) or the key.
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types``
            ipaddr, domain, url and filehashvalue; ``author`` ``"virustotal"``; ``ttl`` 1 day,
            ``not_found_ttl`` 1 hour; ``rate=True``: the public API's 4 a minute (``None`` for
            premium keys).
    """
    key = api_key if api_key is not None else Secret(env=SECRET_ARN_ENV, key="virustotal_token")
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=86_400.0,
                                not_found_ttl=3_600.0, rate=True)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        request = _request(attr)
        if request is None:
            ctx.logger.info("not a file hash VirusTotal knows (md5, sha1 or sha256)")
            return None
        kind, path = request
        value = attr.value.strip()

        def fetch() -> Any:
            token = api_key_value(key)
            answer = http.get_json(path, headers={"x-apikey": token or ""},
                                   remaining_ms=ctx.remaining_ms())
            return None if answer is None else _extract(kind, answer)

        token = api_key_value(key)
        summary = lookup.get(kind, value.lower() if kind != "url" else value, fetch,
                             quota_key=quota_key(token))
        return None if summary is None else _content(kind, value, summary)

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(virustotal_inspector, "deepalert.integrations.virustotal.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.virustotal.handler``."""


# --- the translation table -----------------------------------------------------------------


def _request(attr: Attribute) -> tuple[str, str] | None:
    value = attr.value.strip()
    if attr.type == AttrType.IPADDR:
        return "ip", f"/ip_addresses/{quote(value, safe='')}"
    if attr.type == AttrType.DOMAIN:
        return "domain", f"/domains/{quote(value.rstrip('.').lower(), safe='')}"
    if attr.type == AttrType.URL:
        url_id = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
        return "url", f"/urls/{url_id}"
    if _HASH.match(value):
        return "file", f"/files/{value.lower()}"
    return None


def _extract(kind: str, answer: Any) -> dict[str, Any]:
    """What the cache keeps of an answer: the fields the content is made of."""
    name = SERVICE.name
    attributes = field(answer, "data.attributes", dict, service=name, required=True)
    stats = field(attributes, "last_analysis_stats", dict, service=name, default={})
    results = field(attributes, "last_analysis_results", dict, service=name, default={})
    positives = sorted(
        [engine, str(r.get("result") or r.get("category")), str(r.get("category"))]
        for engine, r in results.items()
        if isinstance(r, dict) and r.get("category") in _POSITIVE)
    summary: dict[str, Any] = {
        "id": field(answer, "data.id", str, service=name, default=""),
        "stats": {k: v for k, v in stats.items() if isinstance(v, int)},
        "positives": positives,
        "analysed": field(attributes, "last_analysis_date", int, service=name, default=0),
    }
    if kind == "ip":
        summary["country"] = field(attributes, "country", str, service=name, default="")
        summary["as_owner"] = field(attributes, "as_owner", str, service=name, default="")
    elif kind == "domain":
        records = field(attributes, "last_dns_records", list, service=name, default=[])
        summary["dns"] = [[str(r.get("type")), str(r.get("value"))] for r in records
                          if isinstance(r, dict) and r.get("value")]
    elif kind == "url":
        summary["url"] = field(attributes, "url", str, service=name, default="")
        summary["final_url"] = field(attributes, "last_final_url", str, service=name,
                                     default="")
    else:
        summary["sha256"] = field(attributes, "sha256", str, service=name, required=True)
    return summary


def _verdict(stats: dict[str, int]) -> str:
    total = sum(stats.values())
    return (f"{stats.get('malicious', 0)} malicious, {stats.get('suspicious', 0)} suspicious "
            f"of {total} engines")


def _content(kind: str, value: str, summary: dict[str, Any]) -> ContentHost | ContentBinary:
    analysed = epoch(summary["analysed"])
    if kind == "file":
        scans = [EntityMalwareScan(vendor=engine, name=result, positive=True,
                                   source=SERVICE.name)
                 for engine, result, _category in summary["positives"]]
        return ContentBinary(related_malware=[EntityMalware(
            sha256=summary["sha256"], timestamp=analysed, scans=scans or None,
            relation="self")])
    report = EntityURL(url=f"{GUI_URL}/{_GUI_KIND[kind]}/{summary['id'] or value}",
                       reference=_verdict(summary["stats"]), timestamp=analysed,
                       source=SERVICE.name)
    if kind == "ip":
        return ContentHost(ipaddr=[value], country=nonempty([summary["country"]]),
                           as_owner=nonempty([summary["as_owner"]]), related_urls=[report])
    if kind == "domain":
        dns = summary["dns"]
        return ContentHost(
            ipaddr=nonempty([v for t, v in dns if t in ("A", "AAAA")]),
            related_domains=[EntityDomain(name=v.rstrip("."), source=SERVICE.name)
                             for t, v in dns if t in _RELATED_DNS] or None,
            related_urls=[report])
    urls = [EntityURL(url=summary["url"] or value, reference=_verdict(summary["stats"]),
                      timestamp=analysed, source=SERVICE.name)]
    if summary["final_url"] and summary["final_url"] != urls[0].url:
        urls.append(EntityURL(url=summary["final_url"], reference="final URL after redirects",
                              timestamp=analysed, source=SERVICE.name))
    return ContentHost(related_urls=[*urls, report])
