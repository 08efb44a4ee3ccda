"""An example inspector that checks attributes against a small, local blocklist.

Real deployments query a threat-intelligence service; this one keeps its intelligence in
the module so the example runs offline. IP addresses and domains on the list get a host
content with the related malware sample (and a positive scan); file hashes get a binary
content. The reviewer in ``examples/reviewer/policy.py`` turns those into ``urgent``.

Try it: ``deepalert inspect --inspector examples.inspector.blocklist:blocklist
--attr ipaddr:198.51.100.23``.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepalert import (
    Attribute,
    AttrType,
    ContentBinary,
    ContentHost,
    EntityMalware,
    EntityMalwareScan,
)
from deepalert.inspector import inspector

__all__ = ["BLOCKLIST", "Listing", "blocklist"]


@dataclass(frozen=True)
class Listing:
    """Why a value is on the blocklist."""

    sha256: str
    family: str
    relation: str
    listed: str


EICAR = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

BLOCKLIST: dict[str, Listing] = {
    "198.51.100.23": Listing(EICAR, "Example.C2", "communicated", "2026-10-01T00:00:00Z"),
    "203.0.113.9": Listing("9" * 64, "Example.Bruteforcer", "hosted", "2026-09-15T12:00:00Z"),
    "bad.example": Listing("b" * 64, "Example.Dropper", "resolved", "2026-08-20T08:30:00Z"),
    EICAR: Listing(EICAR, "EICAR-Test-File", "is", "2026-01-01T00:00:00Z"),
}
"""Value -> listing. Keys are IP addresses, domains and SHA-256 hashes."""


def _malware(listing: Listing) -> EntityMalware:
    return EntityMalware(
        sha256=listing.sha256, timestamp=listing.listed, relation=listing.relation,
        scans=[EntityMalwareScan(vendor="example-blocklist", name=listing.family,
                                 positive=True, source="examples/inspector/blocklist.py")])


@inspector(author="blocklist",
           types=[AttrType.IPADDR, AttrType.DOMAIN, AttrType.FILEHASHVALUE])
def blocklist(attr: Attribute) -> ContentHost | ContentBinary | None:
    """Report the malware a blocklisted IP address, domain or file hash is tied to."""
    listing = BLOCKLIST.get(attr.value.strip().lower())
    if listing is None:
        return None
    if attr.type == AttrType.FILEHASHVALUE:
        return ContentBinary(related_malware=[_malware(listing)])
    return ContentHost(related_malware=[_malware(listing)])
