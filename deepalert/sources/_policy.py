"""What differs between teams when they convert alerts: the :class:`SourcePolicy`."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

if TYPE_CHECKING:
    from deepalert.sources.cloudtrail import CloudTrailRule

__all__ = ["AlertKeyFunc", "Network", "SourcePolicy"]

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
"""One HOME_NET network."""

AlertKeyFunc = Callable[[str, Mapping[str, Any]], Union[str, None]]
"""``(source, record) -> alert_key``; return ``None`` to keep the converter's default key."""

# RFC 1918, CGNAT, loopback, link-local and ULA; not the documentation ranges, which
# Python's ``is_private`` counts but which stand for Internet addresses in examples.
_PRIVATE: tuple[Network, ...] = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "::1/128", "fe80::/10", "fc00::/7"))

_DEFAULT_ORDER = ("ipaddr", "username", "filehashvalue", "domain", "url")


def _networks(values: Sequence[str | Network]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) if isinstance(v, str) else v
                 for v in values)


@dataclass(frozen=True)
class SourcePolicy:
    """Choices a team makes about converting its alerts; the defaults suit most teams.

    Example::

        policy = SourcePolicy(home_net=["10.0.0.0/8", "2001:db8::/32"], detector="ids-eu")
        alerts = convert(eve_line, source="suricata", policy=policy)

    Attributes:
        detector: replaces every converter's detector name (``None`` keeps ``aws.guardduty``,
            ``suricata``, ``falco``...). Part of the AlertID.
        alert_key: ``"default"`` (each converter's documented key), ``"none"`` (an empty key,
            which folds every alert of one rule into one report), or a function
            ``(source, record) -> str | None`` given the source name and the raw record
            (the finding, EVE record, Falco event...); ``None`` keeps the default key.
        home_net: the networks that are "ours", for sources that do not say which side of a
            connection is local (Suricata without ``target:``, ECS without
            ``network.direction``); strings such as ``"10.0.0.0/8"`` are accepted.
        private_is_local: with no ``home_net``, treat RFC 1918, ULA, loopback and link-local
            addresses as local (off: a converter never guesses by default).
        keep_samples: keep sample and test findings (GuardDuty ``sample``, ASFF ``Sample``).
        keep_archived: keep archived or suppressed findings (GuardDuty ``archived``, ASFF
            ``RecordState: ARCHIVED`` or ``Workflow.Status: SUPPRESSED``, OCSF suppressed).
        keep_closed: keep closed, resolved and passed findings (ASFF ``RESOLVED``/``PASSED``,
            OCSF ``activity_id: 3``, Elastic ``closed``).
        keep_internal: keep tool-internal and building-block alerts (Falco ``Falco internal``
            rules and ``Debug`` priority, Elastic building-block alerts).
        collapse_guardduty: GuardDuty findings read through Security Hub (ASFF or OCSF) get
            the detector, rule ID and key of the direct finding, so all three share an AlertID.
        max_attributes: attributes kept per alert after de-duplication (at most 100).
        attribute_order: attribute types in the order they are kept when the cap cuts; types
            not listed come last. Within a type, subject and remote values come first.
        include_body: put the source record in ``Alert.body`` (trimmed to the core's limit).
        max_body_bytes: the body's size limit as Go writes it (at most 65536).
        drop_body_keys: extra dotted body paths to remove before measuring, such as
            ``"detail.resource.instanceDetails.tags"``.
        cloudtrail_detector: the detector of alerts raised by CloudTrail rules.
        cloudtrail_rules: the rules run over CloudTrail records; ``None`` runs the built-in
            ones (console login without MFA).
    """

    detector: str | None = None
    alert_key: Literal["default", "none"] | AlertKeyFunc = "default"
    home_net: Sequence[str | Network] = ()
    private_is_local: bool = False
    keep_samples: bool = False
    keep_archived: bool = False
    keep_closed: bool = False
    keep_internal: bool = False
    collapse_guardduty: bool = True
    max_attributes: int = 100
    attribute_order: Sequence[str] = _DEFAULT_ORDER
    include_body: bool = True
    max_body_bytes: int = 65536
    drop_body_keys: Sequence[str] = ()
    cloudtrail_detector: str = "cloudtrail-rules"
    cloudtrail_rules: Sequence[CloudTrailRule] | None = None
    _networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            networks = _networks(self.home_net)
        except ValueError as exc:
            raise ValueError(f"SourcePolicy.home_net: {exc}") from None
        object.__setattr__(self, "_networks", networks)
        # Tuples, so that a policy is immutable and hashable like the frozen dataclass it is.
        for name in ("home_net", "attribute_order", "drop_body_keys"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.cloudtrail_rules is not None:
            object.__setattr__(self, "cloudtrail_rules", tuple(self.cloudtrail_rules))
        if not 0 <= self.max_attributes <= 100:
            raise ValueError("SourcePolicy.max_attributes must be between 0 and 100")
        if not 2 <= self.max_body_bytes <= 65536:
            raise ValueError("SourcePolicy.max_body_bytes must be between 2 and 65536")
        if isinstance(self.alert_key, str) and self.alert_key not in ("default", "none"):
            raise ValueError("SourcePolicy.alert_key must be 'default', 'none' or a function")

    def is_local(self, ip: str) -> bool | None:
        """Whether ``ip`` is ours: ``True``/``False`` by ``home_net``, ``None`` when unknown."""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if self._networks:
            return any(address in net for net in self._networks
                       if net.version == address.version)
        if self.private_is_local:
            return any(address in net for net in _PRIVATE if net.version == address.version)
        return None
