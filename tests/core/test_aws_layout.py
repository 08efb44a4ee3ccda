"""The Python core and the Go core share one table: it reads what Go wrote, and writes what
Go writes (``go_items.json``: one report's items as the Go core writes them)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from deepalert import Alert, Finding
from deepalert.core import handlers
from deepalert.testing import sqs_event
from tests.core.aws_stack import Stack, build

GO = json.loads((Path(__file__).parent / "go_items.json").read_text(encoding="utf-8"))
RID = "2fb0c0de-0000-4000-8000-000000000001"


def go_items() -> list[dict[str, Any]]:
    items = []
    for item in GO["items"]:
        items.append({k: {"B": base64.b64decode(v["B"])} if "B" in v else v
                      for k, v in item.items()})
    return items


def go_item(prefix: str) -> dict[str, Any]:
    return next(i for i in go_items() if i["pk"]["S"].startswith(prefix))


def shape(item: dict[str, Any]) -> dict[str, str]:
    """Each attribute's name and DynamoDB type."""
    return {name: next(iter(value)) for name, value in item.items()}


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with mock_aws():
        yield build(monkeypatch)


def test_a_report_the_go_core_wrote_compiles_as_go_compiles_it(stack: Stack) -> None:
    """Alerts, attributes rebuilt from their columns (a missing attr_key is "", an empty
    list is []), sections with typed contents (unknown keys dropped), the stored result."""
    for item in go_items():
        stack.db.put_item(TableName=stack.table, Item=item)
    alert = json.loads(go_item("alert/")["alert_data"]["B"])
    assert handlers.compile_report({"id": RID}, None) == {
        "id": RID,
        "alerts": [alert],
        "attributes": [
            {"type": "username", "key": "", "value": "root", "context": [],
             "timestamp": "2026-01-01T00:05:00.123456789Z"},
            {"type": "ipaddr", "key": "src", "value": "203.0.113.9",
             "context": ["client", "remote"], "timestamp": "2026-01-01T00:05:00.123456789Z"},
        ],
        "sections": [{
            "attr": {"type": "ipaddr", "key": "src", "value": "203.0.113.9",
                     "context": ["client", "remote"], "timestamp": "2026-01-01T00:00:00Z"},
            "hosts": [{"country": ["ZZ"], "owner": ["Example & Co"]}],
        }],
        "result": {"severity": "urgent", "reason": "seen"},
        "status": "published",
        "created_at": "2026-01-01T00:00:00Z",
    }
    handlers.publish_report({"Records": [{"eventName": "MODIFY", "dynamodb": {
        "Keys": {"pk": {"S": f"report/{RID}"}, "sk": {"S": "-"}},
        "NewImage": go_item("report/"), "SequenceNumber": "1"}}]}, None)
    (published,) = stack.messages(stack.report_queue)
    assert '"owner":["Example \\u0026 Co"]' in published  # Go's escaping on the topic


def test_the_python_core_writes_the_go_core_items(stack: Stack) -> None:
    """The same report, written by the Python handlers: every item has Go's attributes with
    Go's types, and the same bytes where the Go core's are fixed."""
    alert = Alert.from_json(go_item("alert/")["alert_data"]["B"])
    handlers.recept_alert(sqs_event(alert), None)
    (report,) = stack.items("report/")
    rid = report["id"]["S"]
    state = json.loads(stack.executions(stack.inspection)[0])
    handlers.dispatch_inspection(state, None)
    go_finding = json.loads(go_item("content/")["data"]["B"])
    sent = Finding.from_json(json.dumps({  # an inspector's own key order
        **go_finding, "report_id": rid,
        "content": {"owner": ["Example & Co"], "extra": 1, "country": ["ZZ"]}}))
    handlers.submit_finding(sqs_event(sent), None)
    handlers.submit_report({"id": rid, "result": {"severity": "urgent", "reason": "seen"}},
                           None)

    for prefix in ("alertmap/", "alert/", "content/", "report/"):
        (mine,) = stack.items(prefix)
        extra = {"opened_by", "opened_at"} if prefix == "alertmap/" else set()
        assert set(mine) - set(go_item(prefix)) == extra, prefix  # Go ignores these
        assert {k: v for k, v in shape(mine).items() if k not in extra} == shape(
            go_item(prefix)), prefix
    mine_attrs = {i["attr_type"]["S"]: i for i in stack.items("attribute/")}
    for go_attr in (i for i in go_items() if i["pk"]["S"].startswith("attribute/")):
        mine = mine_attrs[go_attr["attr_type"]["S"]]
        assert shape(mine) == shape(go_attr)
        assert mine["sk"] == go_attr["sk"]  # the dedup hash
        for name in ("attr_key", "attr_value", "attr_context"):
            assert mine.get(name) == go_attr.get(name)
    (alert_item,) = stack.items("alert/")
    assert alert_item["alert_data"]["B"] == go_item("alert/")["alert_data"]["B"]
    (content,) = stack.items("content/")
    assert content["data"]["B"] == go_item("content/")["data"]["B"].replace(
        RID.encode(), rid.encode())
    assert content["sk"]["S"].split("/")[0] == go_item("content/")["sk"]["S"].split("/")[0]
    (report,) = stack.items("report/")
    for name in ("expires_at", "result", "status"):
        assert report[name] == go_item("report/")[name]
