"""An inspector that works offline: classify an IP address and feed back its reverse-DNS name.

Deploy with ``template.yaml`` (Handler ``ip_classifier.ip_classifier``), or run it here on the
recorded event, with no AWS at all::

    python examples/inspector/ip_classifier.py
"""

from __future__ import annotations

import ipaddress

from deepalert import AttrContext, Attribute, AttrType, ContentHost, TaskResult
from deepalert.inspector import InspectionContext, inspector

# The address ranges worth a word in a report, most specific first.
_KINDS: tuple[tuple[str, str], ...] = (
    ("is_loopback", "loopback address"),
    ("is_link_local", "link-local address"),
    ("is_multicast", "multicast address"),
    ("is_unspecified", "unspecified address"),
    ("is_reserved", "reserved address"),
    ("is_private", "private network (not routed on the internet)"),
)


_DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))


def classify(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of address this is, in words; ``"global address"`` when nothing special."""
    if any(address in network for network in _DOCUMENTATION):
        return "documentation range (RFC 5737, RFC 3849)"
    for flag, words in _KINDS:
        if getattr(address, flag):
            return words
    return "global address"


@inspector(author="ip-classifier", types=[AttrType.IPADDR])
def ip_classifier(attr: Attribute, ctx: InspectionContext) -> TaskResult | None:
    """Say what kind of address an IP is, and feed back its reverse-DNS name as a domain."""
    try:
        address = ipaddress.ip_address(attr.value.strip())
    except ValueError:
        ctx.logger.warning("not an IP address, skipped")
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:192.0.2.1 is really 192.0.2.1
        address = mapped
    new_attributes = [Attribute(
        type=AttrType.DOMAIN, key=f"reverse DNS name of {attr.key or attr.value}",
        value=address.reverse_pointer, context=[AttrContext.ADDITIONAL])]
    if str(address) != attr.value:
        new_attributes.append(attr.model_copy(update={"value": str(address)}))
    return TaskResult(
        contents=[ContentHost(ipaddr=[str(address)], owner=[classify(address)])],
        new_attributes=new_attributes,
    )


if __name__ == "__main__":
    import json
    from pathlib import Path

    from deepalert.testing import FakeLambdaContext, MemorySink

    event = json.loads((Path(__file__).parent / "events" / "sqs-sns-task.json").read_text())
    sink = MemorySink()
    response = ip_classifier.invoke(event, FakeLambdaContext(), sqs_client=sink,
                                    finding_queue_url=sink.finding_queue_url,
                                    attribute_queue_url=sink.attribute_queue_url)
    print("response:", response)
    for finding in sink.findings():
        print("finding:", finding.attribute.value, finding.content)
    for report in sink.report_attributes():
        print("new attributes:", [a.value for a in report.attributes or []])
