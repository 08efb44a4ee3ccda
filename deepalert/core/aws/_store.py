"""The core's DynamoDB table, item for item as the Go core writes it.

The Go core (``internal/models/db.go``, ``internal/service/repository.go``) writes its items
with guregu/dynamo v1.23, whose rules decide every attribute's type:

=============  ==============  ==================================================================
pk             sk              attributes
=============  ==============  ==================================================================
alertmap/<id>  ``-``           ``expires_at`` N, ``created_at`` N (Unix seconds), ``report_id`` S
alert/<rid>    cache/<uuid>    ``expires_at`` N, ``alert_data`` B (the Alert's JSON)
content/<rid>  <hash>/<uuid>   ``expires_at`` N, ``data`` B (the Finding's JSON)
attribute/<r>  <hash>          ``expires_at`` N, ``timestamp`` S (RFC 3339, Go's text),
                               ``attr_key`` S, ``attr_type`` S, ``attr_value`` S,
                               ``attr_context`` L of S
report/<rid>   ``-``           ``expires_at`` N (always ``0``), ``created_at`` N, ``id`` S,
                               ``result`` S (ReportResult JSON), ``status`` S
=============  ==============  ==================================================================

guregu/dynamo leaves out empty strings and empty byte slices, writes every ``int64`` (zero
included) unless tagged ``omitempty`` (``created_at`` is), and writes a slice as a list, so a
``null`` and an empty context are both ``[]`` in the table and ``[]`` when read back.

Attributes and items this store adds, which the Go core never reads: ``opened_by`` (the
SHA-256 of the SQS message that opened the report) and ``opened_at`` on ``alertmap/`` items,
``receipt/<sha256 of the delivery key>`` items (sk ``-``) written once a delivery is done, and
a ``depth`` number on ``attribute/`` items found through feedback.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from deepalert import _wire
from deepalert._lambda._aws import error_code
from deepalert.core._clock import Clock, SystemClock
from deepalert.core._store import StoredFinding, StoredReceipt, StoredReport, TakenReport
from deepalert.models import Attribute, Finding

__all__ = ["DynamoStore"]

_FIXED = "-"
_NEW_ITEM = "(attribute_not_exists(pk) AND attribute_not_exists(sk)) OR expires_at < :now"
_KEY_NAMESPACE = uuid.UUID("9b6c1d0e-4f6e-5d1a-9a7e-2c3b8f0d5e41")


class DynamoStore:
    """A :class:`~deepalert.core.ReportStore` on the Go core's DynamoDB table.

    Go and Python Lambdas can share one table: this store writes the items the Go core
    writes, with the same types, and reads what the Go core wrote.

    Args:
        table: the table name (``CACHE_TABLE``).
        client: a boto3 DynamoDB client (low level: every attribute type is explicit).
        clock: the time written into ``expires_at`` of alerts and findings.
        ttl: how long alerts, findings and receipts are kept (Go: 3 hours).
    """

    keeps_finding_json = True
    """The core passes each finding's Go JSON to :meth:`save_finding` (``finding_json``)."""
    remembers_first_delivery = True
    """``take_report`` takes the delivery key and knows a retry of the delivery that opened
    the report (the core then writes no receipt before the delivery is done)."""

    def __init__(self, table: str, client: Any, *, clock: Clock | None = None,
                 ttl: timedelta = timedelta(hours=3)) -> None:
        self.table = table
        self._db = client
        self._clock = clock or SystemClock()
        self._ttl = ttl
        self._recent: dict[tuple[str, str], dict[str, Any]] = {}

    # --- alertmap ----------------------------------------------------------------------------

    def take_report(self, alert_id: str, new_report_id: str, now: datetime,
                    ttl: timedelta, key: str | None = None) -> TakenReport:
        item = {
            "pk": _s(f"alertmap/{alert_id}"), "sk": _s(_FIXED),
            "expires_at": _n(_unix(now + ttl)), "created_at": _n(_unix(now)),
            "report_id": _s(new_report_id),
        }
        if key is not None:
            # Which delivery opened the report, and when exactly (the machines' input has
            # the full time): a retry of it is still "new". Go ignores both attributes.
            item["opened_by"] = _s(_digest(key))
            item["opened_at"] = _s(now.isoformat())
        old = self._put_if_new(item, now)
        if old is None:
            return TakenReport(new_report_id, True, now)
        if key is not None and _str(old, "opened_by") == _digest(key) and "opened_at" in old:
            return TakenReport(_str(old, "report_id"), True,
                               datetime.fromisoformat(_str(old, "opened_at")))
        return TakenReport(_str(old, "report_id"), False, _from_unix(_int(old, "created_at")))

    # --- alerts ------------------------------------------------------------------------------

    def save_alert(self, report_id: str, alert: str, key: str | None = None) -> None:
        self._db.put_item(TableName=self.table, Item={
            "pk": _s(f"alert/{report_id}"), "sk": _s(f"cache/{_sort_id(key)}"),
            "expires_at": _n(_unix(self._clock.now() + self._ttl)),
            "alert_data": {"B": alert.encode("utf-8")},
        })

    def alerts(self, report_id: str) -> list[str]:
        return [_bytes(item, "alert_data").decode("utf-8")
                for item in self._query(f"alert/{report_id}") if "alert_data" in item]

    # --- attributes --------------------------------------------------------------------------

    def put_attribute(self, report_id: str, attr_hash: str, attribute: str, now: datetime,
                      ttl: timedelta, depth: int = 0) -> bool:
        attr = Attribute.from_json(attribute)
        item: dict[str, Any] = {
            "pk": _s(f"attribute/{report_id}"), "sk": _s(attr_hash),
            "expires_at": _n(_unix(now + ttl)),
            "timestamp": _s(str(attr.timestamp) if attr.timestamp is not None
                            else _wire.GoTime.from_datetime(now)),
            "attr_context": {"L": [{"S": c} for c in attr.context or ()]},
        }
        for name, value in (("attr_key", attr.key), ("attr_type", attr.type),
                            ("attr_value", attr.value)):
            if value:  # guregu/dynamo leaves empty strings out
                item[name] = _s(value)
        if depth:
            item["depth"] = _n(depth)
        if self._put_if_new(item, now) is not None:
            return False
        if len(self._recent) >= 512:
            self._recent.clear()
        self._recent[report_id, attr_hash] = item
        return True

    def forget_attribute(self, report_id: str, attr_hash: str) -> None:
        """Mark an attribute just put as expired, so that the next put takes it again.

        Used when its task could not be published. A PutItem (the function may put, not
        delete), of the item as it was put, with ``expires_at`` 0.
        """
        item = self._recent.pop((report_id, attr_hash), None)
        if item is None:
            return
        self._db.put_item(TableName=self.table, Item={**item, "expires_at": _n(0)})

    def attribute_depth(self, report_id: str, attr_hash: str) -> int | None:
        item = self._get(f"attribute/{report_id}", attr_hash)
        if item is None:
            return None
        return _int(item, "depth") if "depth" in item else 0

    def attributes(self, report_id: str) -> list[tuple[str, str]]:
        pairs = []
        for item in self._query(f"attribute/{report_id}"):
            context = item.get("attr_context")
            # Go: FetchAttributeCache rebuilds the Attribute from the columns; a missing list
            # stays nil (null), a present one is a slice, empty or not.
            values = None if context is None else [v.get("S", "") for v in context.get("L", ())]
            timestamp = item["timestamp"]["S"] if "timestamp" in item else str(_wire.ZERO_TIME)
            parts = [f'{{"type":{_go(_str(item, "attr_type"))}',
                     f'"key":{_go(_str(item, "attr_key"))}',
                     f'"value":{_go(_str(item, "attr_value"))}',
                     f'"context":{_go_list(values)}',
                     f'"timestamp":{_go(timestamp)}}}']
            pairs.append((item["sk"]["S"], ",".join(parts)))
        return pairs

    # --- findings ----------------------------------------------------------------------------

    def save_finding(self, report_id: str, finding: StoredFinding,
                     key: str | None = None, finding_json: str | None = None) -> None:
        """Put the finding's ``content/`` item: the Finding as the Go core stores it
        (``finding_json``, from the core), else one written from ``finding``'s parts."""
        data = finding_json or _finding_json(report_id, finding)
        self._db.put_item(TableName=self.table, Item={
            "pk": _s(f"content/{report_id}"), "sk": _s(f"{finding.attr_hash}/{_sort_id(key)}"),
            "expires_at": _n(_unix(self._clock.now() + self._ttl)),
            "data": {"B": data.encode("utf-8")},
        })

    def findings(self, report_id: str) -> list[StoredFinding]:
        """The report's findings as the Go core reads them back (sections in hash order,
        contents in sort-key order); a finding the core's structs cannot read raises
        :class:`~deepalert.WireError`, as Go's GetReport fails."""
        found = []
        for item in self._query(f"content/{report_id}"):
            if "data" not in item:
                continue
            finding = Finding.from_json(_bytes(item, "data"))
            content = finding.parsed_content()
            found.append(StoredFinding(
                finding.attribute.hash(), finding.attribute.to_json(), finding.type,
                content.to_json() if content is not None else ""))
        # The sort key leads with the hash of the attribute the core computed on receipt.
        found.sort(key=lambda f: f.attr_hash)
        return found

    # --- reports -----------------------------------------------------------------------------

    def put_report(self, report: StoredReport) -> None:
        item = {
            "pk": _s(f"report/{report.report_id}"), "sk": _s(_FIXED),
            "expires_at": _n(0),  # Go: reports never expire
            "id": _s(report.report_id), "result": _s(report.result),
            "status": _s(report.status),
        }
        created = _unix(report.created_at)
        if created:
            item["created_at"] = _n(created)
        self._db.put_item(TableName=self.table, Item=_without_empty(item))

    def get_report(self, report_id: str) -> StoredReport | None:
        item = self._get(f"report/{report_id}", _FIXED)
        if item is None:
            return None
        created = _int(item, "created_at") if "created_at" in item else 0
        return StoredReport(report_id, _str(item, "status"), _str(item, "result") or
                            '{"severity":"","reason":""}', _from_unix(created))

    def report_ids(self) -> list[str]:
        """Every report ID (a table scan: for tools and tests, not for the handlers)."""
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table, "FilterExpression": "begins_with(pk, :p)",
            "ExpressionAttributeValues": {":p": _s("report/")},
        }
        while True:
            page = self._db.scan(**kwargs)
            ids.extend(item["pk"]["S"][len("report/"):] for item in page.get("Items", ()))
            if "LastEvaluatedKey" not in page:
                return ids
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- receipts ----------------------------------------------------------------------------

    def get_receipt(self, key: str) -> StoredReceipt | None:
        item = self._get(_receipt_pk(key), _FIXED)
        if item is None:
            return None
        return StoredReceipt(_str(item, "report_id"), item.get("is_new", {}).get("BOOL", False),
                             datetime.fromisoformat(_str(item, "received_at")),
                             item.get("done", {}).get("BOOL", False))

    def put_receipt(self, key: str, receipt: StoredReceipt, now: datetime,
                    ttl: timedelta) -> None:
        self._db.put_item(TableName=self.table, Item={
            "pk": _s(_receipt_pk(key)), "sk": _s(_FIXED),
            "expires_at": _n(_unix(now + max(ttl, self._ttl))),
            "report_id": _s(receipt.report_id), "is_new": {"BOOL": receipt.is_new},
            "received_at": _s(receipt.created_at.isoformat()),
            "done": {"BOOL": receipt.done},
        })

    # --- requests ----------------------------------------------------------------------------

    def _put_if_new(self, item: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        """Put unless a live item exists; ``None`` when put, else the existing item."""
        try:
            self._db.put_item(TableName=self.table, Item=item, ConditionExpression=_NEW_ITEM,
                              ExpressionAttributeValues={":now": _n(_unix(now))},
                              ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except Exception as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            old = getattr(exc, "response", {}).get("Item")
            if isinstance(old, dict) and old:
                return old
            existing = self._get(item["pk"]["S"], item["sk"]["S"])
            return existing if existing is not None else item
        return None

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._db.get_item(TableName=self.table, Key={"pk": _s(pk), "sk": _s(sk)},
                                     ConsistentRead=True)
        item = response.get("Item")
        return item if isinstance(item, dict) else None

    def _query(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(pk)}, "ConsistentRead": True,
        }
        while True:
            page = self._db.query(**kwargs)
            items.extend(page.get("Items", ()))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _finding_json(report_id: str, finding: StoredFinding) -> str:
    # Without the Finding as received (a store used outside the core), rebuild it from its
    # parts: the typed content reads back the same in Go.
    content = finding.content or "null"
    return (f'{{"report_id":{_go(report_id)},"author":"","attribute":{finding.attribute},'
            f'"type":{_go(finding.content_type)},"content":{content}}}')


def _sort_id(key: str | None) -> str:
    # A redelivered message keeps its item: the same key, the same sort key.
    return str(uuid.uuid4() if key is None else uuid.uuid5(_KEY_NAMESPACE, key))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _receipt_pk(key: str) -> str:
    return "receipt/" + _digest(key)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _str(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    return value["S"] if isinstance(value, dict) and "S" in value else ""


def _int(item: dict[str, Any], name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if isinstance(value, dict) and "N" in value else 0


def _bytes(item: dict[str, Any], name: str) -> bytes:
    value = item[name]["B"]
    return value if isinstance(value, bytes) else bytes(value)


def _without_empty(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v != {"S": ""}}


def _unix(when: datetime) -> int:
    return int(when.timestamp()) if when.tzinfo else int(
        when.replace(tzinfo=timezone.utc).timestamp())


def _from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _go(text: str) -> str:
    return _wire.go_dumps(text)


def _go_list(values: list[str] | None) -> str:
    if values is None:
        return "null"
    return "[" + ",".join(_go(v) for v in values) + "]"
