"""AWS IAM: the user or role behind a username or ARN, in this account.

==================  ==============================================================
Requests            user: ``iam:GetUser``, ``ListGroupsForUser``,
                    ``ListAttachedUserPolicies``, ``ListUserPolicies``, ``ListMFADevices``,
                    ``ListAccessKeys``, ``GetAccessKeyLastUsed``; role: ``iam:GetRole``,
                    ``ListAttachedRolePolicies``, ``ListRolePolicies``
Inputs              ``alice`` (a user, else a role of that name),
                    ``arn:aws:iam::<account>:user/<path>/alice``,
                    ``arn:aws:iam::<account>:role/<path>/deploy``,
                    ``arn:aws:sts::<account>:assumed-role/deploy/<session>``; an ARN of
                    another account is not looked up
Where they land     username -> ContentUser ``activities``, one EntityActivity per last
                    use: console sign-in (``PasswordLastUsed``; ``service_name`` "iam"),
                    each access key's last use (``service_name`` = the AWS service it
                    called, ``target`` = the region, ``action`` "access key ...WXYZ
                    (Active) used"), a role's last use (``RoleLastUsed``; ``service_name``
                    "sts"); ``principal`` = the ARN, ``last_seen`` = when
New attributes      one ``json`` attribute (key ``aws_iam_user`` or ``aws_iam_role``,
                    context ``local``): ARN, ID, creation time, groups, attached and inline
                    policies, MFA devices (``mfa``: true/false), access keys (ID shown as
                    its last 4 characters, status, creation), tags
Nothing found       ``NoSuchEntity``, or ``ValidationError`` for a name IAM cannot hold
                    (``DOMAIN\\alice``): no finding
Quota               IAM API throttling; ``Throttling`` after boto3's retries fails the record
Permissions         the ``iam:Get*``/``iam:List*`` calls above
==================  ==============================================================
"""

from __future__ import annotations

import json
import threading
from typing import Any

from typing_extensions import Unpack

from deepalert.inspector import InspectionContext, Inspector, InspectorOutput
from deepalert.integrations._inspectors import (
    InspectorEnvHandler,
    Service,
    aws_client,
    aws_error_code,
    aws_failure,
    build_lookup_inspector,
    iso_time,
    make_lookup,
    when,
)
from deepalert.lookup import Cache, InspectorOptions
from deepalert.models import (
    AttrContext,
    Attribute,
    AttrType,
    ContentUser,
    EntityActivity,
    TaskResult,
)

__all__ = ["SERVICE", "handler", "iam_inspector"]

SERVICE = Service("aws-iam", (AttrType.USERNAME,), quota=None)


def iam_inspector(*, client: Any = None, cache: Cache | None = None, ttl: float = 300.0,
                  not_found_ttl: float = 300.0, timeout: float = 5.0,
                  **options: Unpack[InspectorOptions]) -> Inspector[Any]:
    """An inspector that describes the IAM user or role behind a username or ARN.

    Args:
        client: a boto3 IAM client (default: one made on first use).
        cache: the per-principal cache (default: memory, plus
            ``DEEPALERT_LOOKUP_CACHE_TABLE``).
        ttl: seconds an answer is cached.
        not_found_ttl: seconds "no such user or role" is cached.
        timeout: seconds boto3 waits for one answer.
        **options: ``types``, ``author`` and the ``@inspector`` options
            (:class:`~deepalert.lookup.InspectorOptions`). Defaults here: ``types`` only
            username; ``author`` ``"aws-iam"``.
    """
    lookup = make_lookup(SERVICE, cache=cache, limiter=None, rate=None, ttl=ttl,
                         not_found_ttl=not_found_ttl)
    made: list[Any] = [client]
    lock = threading.Lock()

    def iam() -> Any:
        with lock:
            if made[0] is None:
                made[0] = aws_client("iam", None, timeout)
            return made[0]

    def inspect(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        principal = _parse(attr.value.strip())
        if principal is None:
            ctx.logger.info("not an IAM user or role name or ARN")
            return None
        kind, name, account = principal
        found = lookup.get(kind, f"{account}:{name}", lambda: _fetch(iam(), kind, name))
        if found is None:
            return None
        if account and found["arn"].split(":")[4:5] != [account]:
            ctx.logger.info("the principal belongs to another account: not looked up")
            return None
        return _result(found)

    return build_lookup_inspector(SERVICE, inspect, options, egress=False)


handler = InspectorEnvHandler(iam_inspector, "deepalert.integrations.aws_iam.handler")
"""The ready Lambda handler: ``Handler: deepalert.integrations.aws_iam.handler``."""


def _parse(value: str) -> tuple[str, str, str] | None:
    """``(kind, name, account)``: kind ``user``, ``role`` or ``any`` (a bare name)."""
    if not value:
        return None
    if not value.startswith("arn:"):
        return ("any", value, "") if "/" not in value and ":" not in value else None
    parts = value.split(":", 5)
    if len(parts) != 6:
        return None
    service, account, resource = parts[2], parts[4], parts[5]
    if service == "iam" and resource.startswith(("user/", "role/")):
        return resource.split("/", 1)[0], resource.rsplit("/", 1)[-1], account
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        return ("role", pieces[1], account) if len(pieces) >= 2 and pieces[1] else None
    return None


def _fetch(iam: Any, kind: str, name: str) -> dict[str, Any] | None:
    if kind in ("user", "any"):
        found = _user(iam, name)
        if found is not None or kind == "user":
            return found
    return _role(iam, name)


def _call(method: Any, operation: str, **kw: Any) -> Any:
    """``method(**kw)``; ``None`` for ``NoSuchEntity`` and for ``ValidationError`` (a name IAM
    cannot hold, such as ``DOMAIN\\alice``: no such principal here); other errors fail the
    record."""
    try:
        return method(**kw)
    except Exception as exc:
        if aws_error_code(exc) in ("NoSuchEntity", "ValidationError"):
            return None
        raise aws_failure(exc, SERVICE.name, operation) from None


def _items(method: Any, operation: str, key: str, **kw: Any) -> list[Any]:
    """The list under ``key`` in the answer (empty for ``NoSuchEntity``)."""
    answer = _call(method, operation, **kw)
    return list((answer or {}).get(key) or [])


def _user(iam: Any, name: str) -> dict[str, Any] | None:
    answer = _call(iam.get_user, "GetUser", UserName=name)
    if answer is None:
        return None
    user = answer["User"]
    keys = []
    for key in _items(iam.list_access_keys, "ListAccessKeys", "AccessKeyMetadata",
                      UserName=name):
        used = (_call(iam.get_access_key_last_used, "GetAccessKeyLastUsed",
                      AccessKeyId=key["AccessKeyId"]) or {}).get("AccessKeyLastUsed", {})
        keys.append({"id": "…" + key["AccessKeyId"][-4:], "status": key.get("Status", ""),
                     "created": when(key.get("CreateDate")),
                     "last_used": when(used.get("LastUsedDate")),
                     "service": used.get("ServiceName", ""), "region": used.get("Region", "")})
    mfa = [d.get("SerialNumber", "") for d in
           _items(iam.list_mfa_devices, "ListMFADevices", "MFADevices", UserName=name)]
    groups = _items(iam.list_groups_for_user, "ListGroupsForUser", "Groups", UserName=name)
    attached = _items(iam.list_attached_user_policies, "ListAttachedUserPolicies",
                      "AttachedPolicies", UserName=name)
    inline = _items(iam.list_user_policies, "ListUserPolicies", "PolicyNames", UserName=name)
    return {
        "kind": "user", "arn": user["Arn"], "id": user.get("UserId", ""),
        "created": when(user.get("CreateDate")),
        "password_last_used": when(user.get("PasswordLastUsed")),
        "groups": sorted(g["GroupName"] for g in groups),
        "attached_policies": sorted(p["PolicyArn"] for p in attached),
        "inline_policies": sorted(inline),
        "mfa": bool(mfa), "mfa_devices": mfa, "access_keys": keys,
        "tags": {t["Key"]: t["Value"] for t in user.get("Tags") or []},
    }


def _role(iam: Any, name: str) -> dict[str, Any] | None:
    answer = _call(iam.get_role, "GetRole", RoleName=name)
    if answer is None:
        return None
    role = answer["Role"]
    last = role.get("RoleLastUsed") or {}
    attached = _items(iam.list_attached_role_policies, "ListAttachedRolePolicies",
                      "AttachedPolicies", RoleName=name)
    inline = _items(iam.list_role_policies, "ListRolePolicies", "PolicyNames", RoleName=name)
    return {
        "kind": "role", "arn": role["Arn"], "id": role.get("RoleId", ""),
        "created": when(role.get("CreateDate")),
        "last_used": when(last.get("LastUsedDate")), "last_region": last.get("Region", ""),
        "attached_policies": sorted(p["PolicyArn"] for p in attached),
        "inline_policies": sorted(inline),
        "tags": {t["Key"]: t["Value"] for t in role.get("Tags") or []},
    }


def _result(found: dict[str, Any]) -> TaskResult:
    arn = found["arn"]
    activities: list[EntityActivity] = []
    if found["kind"] == "user":
        if found["password_last_used"]:
            activities.append(EntityActivity(
                service_name="iam", principal=arn, action="console sign-in (password used)",
                last_seen=iso_time(found["password_last_used"])))
        for key in found["access_keys"]:
            if key["last_used"]:
                activities.append(EntityActivity(
                    service_name=key["service"] or "iam", principal=arn,
                    action=f"access key {key['id']} ({key['status']}) used",
                    target=key["region"], last_seen=iso_time(key["last_used"])))
    elif found["last_used"]:
        activities.append(EntityActivity(
            service_name="sts", principal=arn, action="role assumed (last use)",
            target=found["last_region"], last_seen=iso_time(found["last_used"])))
    summary = {k: v for k, v in found.items() if k != "kind"}
    detail = Attribute(type=AttrType.JSON, key=f"aws_iam_{found['kind']}",
                       value=json.dumps(summary, sort_keys=True, ensure_ascii=False),
                       context=[AttrContext.LOCAL])
    return TaskResult(contents=[ContentUser(activities=activities)], new_attributes=[detail])
