"""AWS EC2: the instance or network interface behind a private IP address, in this account.

==================  ==============================================================
Requests            ``ec2:DescribeNetworkInterfaces`` filtered on
                    ``addresses.private-ip-address``, then ``ec2:DescribeInstances`` for the
                    attached instance. Only private addresses are looked up.
Answers             interface: ``NetworkInterfaceId``, ``InterfaceType``, ``Description``,
                    ``VpcId``, ``SubnetId``, ``OwnerId``, ``PrivateIpAddresses``,
                    ``Association.PublicIp``; instance: ``InstanceId``, ``State``,
                    ``ImageId``, ``PlatformDetails``, ``PrivateDnsName``,
                    ``PublicDnsName``, ``PublicIpAddress``, ``IamInstanceProfile``, ``Tags``
Where they land     ipaddr -> ContentHost: ``ipaddr`` (the interface's private addresses and
                    public IP), ``hostname`` (private and public DNS names, the ``Name``
                    tag), ``owner`` (the account ID), ``os`` (``PlatformDetails``);
                    ``related_urls``: the EC2 console page, ``reference`` = "instance i-...
                    (running) in vpc-.../subnet-..., image ami-..., profile ...; tags: k=v"
                    (for an interface without instance: its type and description)
New attributes      the public IP (``ipaddr``, key ``public_ip``) and public DNS name
                    (``domain``, key ``public_dns``), with context ``local`` by default
                    (``new_attribute_context=``): third-party inspectors leave them alone
                    unless told otherwise
Several matches     VPCs may reuse a private range: each interface with the address (up to
                    5) gives its own ContentHost and new attributes
Nothing found       no interface has the address (another account, or gone): no finding
Quota               EC2 API throttling; ``RequestLimitExceeded`` after boto3's standard
                    retries fails the record
Permissions         ``ec2:DescribeNetworkInterfaces``, ``ec2:DescribeInstances``
==================  ==============================================================
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Sequence
from typing import Any

from typing_extensions import Unpack

from deepalert.inspector import InspectionContext, Inspector, InspectorOutput
from deepalert.integrations._inspectors import (
    InspectorEnvHandler,
    Service,
    aws_client,
    aws_failure,
    build_lookup_inspector,
    make_lookup,
    nonempty,
)
from deepalert.lookup import Cache, InspectorOptions
from deepalert.models import Attribute, AttrType, Content, ContentHost, EntityURL, TaskResult

__all__ = ["SERVICE", "ec2_inspector", "handler"]

SERVICE = Service("aws-ec2", (AttrType.IPADDR,), quota=None)
_MAX_INTERFACES = 5


def ec2_inspector(*, client: Any = None, region: str | None = None,
                  new_attribute_context: Sequence[str] = ("local",),
                  cache: Cache | None = None, ttl: float = 300.0, not_found_ttl: float = 300.0,
                  timeout: float = 5.0,
                  **options: Unpack[InspectorOptions]) -> Inspector[Any]:
    """An inspector that finds the EC2 instance or network interface behind a private IP.

    Args:
        client: a boto3 EC2 client (default: one made on first use, in ``region``).
        region: the region to look in (default: the function's).
        new_attribute_context: the context of the new attributes (public IP and DNS name).
        cache: the per-address cache (default: memory, plus
            ``DEEPALERT_LOOKUP_CACHE_TABLE``); interfaces move, so keep ``ttl`` short.
        ttl: seconds an answer is cached.
        not_found_ttl: seconds "no such interface" is cached.
        timeout: seconds boto3 waits for one answer.
        **options: ``types``, ``author`` and the ``@inspector`` options
            (:class:`~deepalert.lookup.InspectorOptions`). Defaults here: ``types`` only
            ipaddr; ``author`` ``"aws-ec2"``.
    """
    context = [str(c) for c in new_attribute_context]
    lookup = make_lookup(SERVICE, cache=cache, limiter=None, rate=None, ttl=ttl,
                         not_found_ttl=not_found_ttl)
    made: list[Any] = [client]
    lock = threading.Lock()

    def ec2() -> Any:
        with lock:
            if made[0] is None:
                made[0] = aws_client("ec2", region, timeout)
            return made[0]

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        ip = attr.value.strip()
        try:
            private = ipaddress.ip_address(ip).is_private
        except ValueError:
            private = False
        if not private:
            ctx.logger.info("not a private address: EC2 is not asked")
            return None
        found = lookup.get("ip", ip, lambda: _fetch(ec2(), ip))
        if found is None:
            return None
        where = _region_of(ec2(), region)
        contents: list[Content] = []
        new: list[Attribute] = []
        for interface in found:
            host, attributes = _result(interface, ip, context, where)
            contents.append(host)
            new.extend(attributes)
        return TaskResult(contents=contents, new_attributes=new)

    return build_lookup_inspector(SERVICE, inspect, options, egress=False)


handler = InspectorEnvHandler(ec2_inspector, "deepalert.integrations.aws_ec2.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.aws_ec2.handler``."""


def _fetch(ec2: Any, ip: str) -> list[dict[str, Any]] | None:
    try:
        interfaces = ec2.describe_network_interfaces(Filters=[
            {"Name": "addresses.private-ip-address", "Values": [ip]}])["NetworkInterfaces"]
    except Exception as exc:
        raise aws_failure(exc, SERVICE.name, "DescribeNetworkInterfaces") from None
    if not interfaces:
        return None
    return [_interface(ec2, eni) for eni in interfaces[:_MAX_INTERFACES]]


def _interface(ec2: Any, eni: dict[str, Any]) -> dict[str, Any]:
    association = eni.get("Association") or {}
    found: dict[str, Any] = {
        "interface": eni.get("NetworkInterfaceId", ""),
        "type": eni.get("InterfaceType", ""),
        "description": eni.get("Description", ""),
        "vpc": eni.get("VpcId", ""), "subnet": eni.get("SubnetId", ""),
        "owner": eni.get("OwnerId", ""),
        "private_ips": [a.get("PrivateIpAddress", "") for a in eni.get("PrivateIpAddresses")
                        or []],
        "public_ip": association.get("PublicIp", ""),
        "public_dns": "", "private_dns": eni.get("PrivateDnsName", ""),
        "instance": (eni.get("Attachment") or {}).get("InstanceId", ""),
    }
    if found["instance"]:
        try:
            reservations = ec2.describe_instances(
                InstanceIds=[found["instance"]])["Reservations"]
        except Exception as exc:
            raise aws_failure(exc, SERVICE.name, "DescribeInstances") from None
        instances = [i for r in reservations for i in r.get("Instances", [])]
        if instances:
            found.update(_instance(instances[0]))
    return found


def _instance(instance: dict[str, Any]) -> dict[str, Any]:
    tags = {t.get("Key", ""): t.get("Value", "") for t in instance.get("Tags") or []}
    return {
        "state": (instance.get("State") or {}).get("Name", ""),
        "image": instance.get("ImageId", ""),
        "platform": instance.get("PlatformDetails") or instance.get("Platform") or "",
        "private_dns": instance.get("PrivateDnsName", ""),
        "public_dns": instance.get("PublicDnsName", ""),
        "public_ip": instance.get("PublicIpAddress", ""),
        "profile": (instance.get("IamInstanceProfile") or {}).get("Arn", ""),
        "tags": dict(sorted(tags.items())),
    }


def _region_of(ec2: Any, region: str | None) -> str:
    meta = getattr(ec2, "meta", None)
    return region or str(getattr(meta, "region_name", "") or "")


def _result(found: dict[str, Any], ip: str, context: list[str], region: str
            ) -> tuple[ContentHost, list[Attribute]]:
    tags: dict[str, str] = found.get("tags", {})
    where = f"in {found['vpc']}/{found['subnet']}"
    if found["instance"]:
        parts = [f"instance {found['instance']} ({found.get('state') or 'unknown'}) {where}"]
        if found.get("image"):
            parts.append(f"image {found['image']}")
        if found.get("profile"):
            parts.append(f"profile {found['profile']}")
        reference = ", ".join(parts)
        if tags:
            reference += "; tags: " + ", ".join(f"{k}={v}" for k, v in tags.items())
        page = f"#InstanceDetails:instanceId={found['instance']}"
    else:
        reference = (f"network interface {found['interface']} ({found['type'] or 'interface'}) "
                     f"{where}: {found['description'] or 'no description'}")
        page = f"#NetworkInterface:networkInterfaceId={found['interface']}"
    console = (f"https://{region}.console.aws.amazon.com/ec2/home?region={region}{page}"
               if region else f"https://console.aws.amazon.com/ec2/home{page}")
    host = ContentHost(
        ipaddr=nonempty([ip, *found["private_ips"], found["public_ip"]]),
        hostname=nonempty([found["private_dns"], found.get("public_dns", ""),
                           tags.get("Name", "")]),
        owner=nonempty([found["owner"]]), os=nonempty([found.get("platform", "")]),
        related_urls=[EntityURL(url=console, reference=reference, source=SERVICE.name)])
    new: list[Attribute] = []
    if found["public_ip"]:
        new.append(Attribute(type=AttrType.IPADDR, key="public_ip", value=found["public_ip"],
                             context=list(context)))
    if found.get("public_dns"):
        new.append(Attribute(type=AttrType.DOMAIN, key="public_dns",
                             value=found["public_dns"], context=list(context)))
    return host, new
