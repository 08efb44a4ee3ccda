"""The egress guard: which attributes may be sent to a third-party API."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from urllib.parse import urlsplit

from deepalert.models import AttrContext, Attribute, AttrType

__all__ = ["DEFAULT_INTERNAL_SUFFIXES", "INTERNAL_DOMAINS_ENV", "EgressGuard"]

DEFAULT_INTERNAL_SUFFIXES: tuple[str, ...] = (
    ".internal", ".local", ".localhost", ".localdomain", ".corp", ".lan", ".home.arpa",
    ".intranet",
)
"""Domain suffixes treated as internal by default (RFC 6761/6762/8375 names and the usual
private TLDs); add your own with ``internal_suffixes=`` or the environment variable."""

INTERNAL_DOMAINS_ENV = "DEEPALERT_INTERNAL_DOMAINS"
"""Comma-separated extra internal suffixes, such as ``.example.net,.corp.example.com``."""

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class EgressGuard:
    """Decides whether an attribute may leave for a third-party API, and says why not.

    Refused by default: an attribute with the ``local`` context; a private, loopback,
    link-local, CGNAT (100.64.0.0/10), multicast, reserved, unspecified or otherwise
    non-global address (also inside a URL, and IPv4-mapped IPv6); a domain, or URL host,
    under an internal suffix or with a single label; a value of type ``ipaddr`` that is not
    an address. File hashes and other types pass unless ``local``.

    Example:
        >>> from deepalert import Attribute
        >>> from deepalert.lookup import EgressGuard
        >>> guard = EgressGuard()
        >>> guard.refusal(Attribute(type="ipaddr", value="10.1.2.3"))
        'ipaddr 10.1.2.3 is a private address'
        >>> guard.refusal(Attribute(type="domain", value="db.prod.internal"))
        "domain db.prod.internal is internal (suffix '.internal')"
        >>> guard.refusal(Attribute(type="ipaddr", value="198.51.100.7", context=["local"]))
        "the attribute has the 'local' context"
        >>> guard.refusal(Attribute(type="domain", value="example.com")) is None
        True

    Args:
        internal_suffixes: domain suffixes never sent (replaces the default list).
        env: the environment variable with more suffixes, read at each check (``None``:
            none).
        allow_local_context: send attributes with the ``local`` context all the same.
    """

    def __init__(self, *, internal_suffixes: Iterable[str] = DEFAULT_INTERNAL_SUFFIXES,
                 env: str | None = INTERNAL_DOMAINS_ENV,
                 allow_local_context: bool = False) -> None:
        if isinstance(internal_suffixes, str):
            raise TypeError("EgressGuard(internal_suffixes=) takes a list of suffixes such as "
                            "['.internal'], not one string")
        self.internal_suffixes = tuple(_suffix(s) for s in internal_suffixes if s.strip())
        self.env = env
        self.allow_local_context = allow_local_context

    def __repr__(self) -> str:
        return (f"EgressGuard(internal_suffixes={list(self.internal_suffixes)!r}, "
                f"env={self.env!r}, allow_local_context={self.allow_local_context!r})")

    def suffixes(self) -> tuple[str, ...]:
        """The internal suffixes in force now (the list plus the environment variable's)."""
        extra = os.environ.get(self.env, "") if self.env else ""
        return self.internal_suffixes + tuple(_suffix(s) for s in extra.split(",") if s.strip())

    def refusal(self, attr: Attribute) -> str | None:
        """Why ``attr`` must not be sent, or ``None`` when it may be."""
        if not self.allow_local_context and AttrContext.LOCAL in (attr.context or ()):
            return "the attribute has the 'local' context"
        value = attr.value.strip()
        if attr.type == AttrType.IPADDR:
            return self.address_refusal(value)
        if attr.type == AttrType.DOMAIN:
            return self.host_refusal(value, "domain")
        if attr.type == AttrType.URL:
            try:
                host = urlsplit(value).hostname
            except ValueError:
                host = None
            if not host:
                return f"url {value!r} has no host"
            return self.host_refusal(host, "url host")
        return None

    def address_refusal(self, value: str, what: str = "ipaddr") -> str | None:
        """Why the address ``value`` must not be sent, or ``None``."""
        try:
            ip = ipaddress.ip_address(value.strip("[]"))
        except ValueError:
            return f"{what} {value!r} is not an IP address"
        mapped = getattr(ip, "ipv4_mapped", None)
        if mapped is not None:
            ip = mapped
        for kind, test in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                           ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                           ("CGNAT", ip.version == 4 and ip in _CGNAT),
                           ("reserved", ip.is_reserved), ("private", ip.is_private),
                           ("non-global", not ip.is_global)):
            if test:
                return f"{what} {value} is a {kind} address"
        return None

    def host_refusal(self, host: str, what: str = "domain") -> str | None:
        """Why the host name or address ``host`` must not be sent, or ``None``."""
        name = host.strip().rstrip(".").lower()
        if not name:
            return f"{what} is empty"
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            pass
        else:
            return self.address_refusal(name, what)
        if "." not in name:
            return f"{what} {name} is a single-label (internal) name"
        for suffix in self.suffixes():
            if name.endswith(suffix) or name == suffix[1:]:
                return f"{what} {name} is internal (suffix {suffix!r})"
        return None


def _suffix(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    return value if value.startswith(".") else "." + value
