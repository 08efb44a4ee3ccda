"""GreyNoise Community API: is an IP address scanning the internet (noise), or a known
benign business service (RIOT), and how GreyNoise classifies it.

==================  ==============================================================
Request             ``GET /v3/community/{ip}``; header ``key`` (optional: the community
                    API also answers without one, with a smaller allowance)
Answer              ``ip``, ``noise``, ``riot``, ``classification`` (benign, malicious,
                    unknown), ``name``, ``link``, ``last_seen``, ``message``
Where it lands      ipaddr -> ContentHost: ``ipaddr``, ``owner`` (``name`` unless
                    "unknown"); ``activities``: when ``noise``, one EntityActivity
                    (``service_name`` "greynoise", ``remote_addr`` the IP, ``action``
                    "scanning the internet (classification: malicious)", ``last_seen``);
                    ``related_urls``: ``link`` (the visualizer page), ``reference`` =
                    "classification: malicious; noise: yes; riot: no", ``timestamp`` =
                    ``last_seen``
Nothing found       404 ("IP not observed scanning the internet or contained in RIOT data
                    set"): no finding, cached
Quota               set by the plan (the unauthenticated allowance is a few lookups a
                    day); a ``429`` fails the record. ``rate=`` sets a local limit
Secrets             ``SECRET_ARN``: a JSON secret with ``greynoise_token``, or
                    ``api_key=None`` with ``anonymous=True``
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
    quota_key,
)
from deepalert.lookup import LookupOptions, Secret
from deepalert.models import Attribute, AttrType, ContentHost, EntityActivity, EntityURL

__all__ = ["BASE_URL", "SERVICE", "greynoise_inspector", "handler"]

BASE_URL = "https://api.greynoise.io/v3"
"""The API's base URL."""
SERVICE = Service("greynoise", (AttrType.IPADDR,), quota=None)


def greynoise_inspector(*, api_key: Secret | str | None = None, anonymous: bool = False,
                        **options: Unpack[LookupOptions]) -> Inspector[Any]:
    """A GreyNoise Community inspector, ready to be a Lambda handler.

    Args:
        api_key: the API key (default: key ``greynoise_token`` of the JSON secret named by
            ``SECRET_ARN``).
        anonymous: send no key at all (the unauthenticated community allowance).
        **options: the shared keywords, :class:`~deepalert.lookup.LookupOptions` (``types``,
            ``rate``, ``ttl``, ``timeout``, ``max_workers``...). Defaults here: ``types`` only
            ipaddr; ``author`` ``"greynoise"``; ``ttl`` and ``not_found_ttl`` 6 hours; no
            ``rate`` limit.
    """
    key: Secret | str | None = None
    if not anonymous:
        key = api_key if api_key is not None else Secret(env=SECRET_ARN_ENV,
                                                         key="greynoise_token")
    http, lookup = lookup_parts(SERVICE, options, base_url=BASE_URL, ttl=21_600.0,
                                not_found_ttl=21_600.0)

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        ip = attr.value.strip()
        token = api_key_value(key)

        def fetch() -> Any:
            answer = http.get_json(f"/community/{quote(ip, safe='')}",
                                   headers={"key": token} if token else None,
                                   remaining_ms=ctx.remaining_ms())
            return None if answer is None else _extract(answer)

        data = lookup.get("ip", ip, fetch, quota_key=quota_key(token))
        return None if data is None else _content(ip, data)

    return build_lookup_inspector(SERVICE, inspect, options)


handler = InspectorEnvHandler(greynoise_inspector, "deepalert.integrations.greynoise.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.greynoise.handler``."""


def _extract(answer: Any) -> dict[str, Any]:
    name = SERVICE.name
    return {
        "ip": field(answer, "ip", str, service=name, required=True),
        "noise": field(answer, "noise", bool, service=name, default=False),
        "riot": field(answer, "riot", bool, service=name, default=False),
        "classification": field(answer, "classification", str, service=name,
                                default="unknown"),
        "name": field(answer, "name", str, service=name, default=""),
        "link": field(answer, "link", str, service=name, default=""),
        "last_seen": field(answer, "last_seen", str, service=name, default=""),
    }


def _content(ip: str, data: dict[str, Any]) -> ContentHost:
    last = iso_time(data["last_seen"])
    classification = data["classification"]
    activities = None
    if data["noise"]:
        activities = [EntityActivity(
            service_name=SERVICE.name, remote_addr=data["ip"] or ip,
            action=f"scanning the internet (classification: {classification})",
            last_seen=last)]
    yes = {True: "yes", False: "no"}
    reference = (f"classification: {classification}; noise: {yes[data['noise']]}; "
                 f"riot: {yes[data['riot']]}")
    link = data["link"] or f"https://viz.greynoise.io/ip/{quote(ip, safe=':')}"
    owner = data["name"] if data["name"] and data["name"] != "unknown" else ""
    return ContentHost(ipaddr=[data["ip"] or ip], owner=[owner] if owner else None,
                       activities=activities,
                       related_urls=[EntityURL(url=link, reference=reference, timestamp=last,
                                               source=SERVICE.name)])
