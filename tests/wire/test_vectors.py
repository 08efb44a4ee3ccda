"""The Go core's own bytes: every sample vector round-trips exactly, with its hash and ID."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import deepalert
from deepalert import Alert, Attribute, Finding, Report, ReportAttribute, Task, WireModel

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "go-sample.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", VECTORS["attributes"], ids=lambda c: c["hash"][:8])
def test_attribute_round_trips_and_hashes_as_go(case: dict[str, str]) -> None:
    """An attribute the Go core wrote is written back byte for byte and hashes as Go hashes it."""
    attr = Attribute.from_json(case["go_json"])
    assert attr.to_json() == case["go_json"]
    assert attr.hash() == case["hash"]


@pytest.mark.parametrize("case", VECTORS["alerts"], ids=lambda c: c["alert_id"][6:14])
def test_alert_round_trips_and_has_go_alert_id(case: dict[str, str]) -> None:
    """An alert the Go core wrote is written back byte for byte and gets Go's AlertID."""
    alert = Alert.from_json(case["go_json"].encode())
    assert alert.to_json() == case["go_json"]
    assert alert.alert_id() == case["alert_id"]


MESSAGES = [
    (Finding, text) for text in VECTORS["findings"]
] + [
    (ReportAttribute, text) for text in VECTORS["report_attributes"]
] + [
    (Task, text) for text in VECTORS["tasks"]
] + [
    (Report, text) for text in VECTORS["reports"]
]


@pytest.mark.parametrize(("model", "text"), MESSAGES,
                         ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_message_round_trips_byte_exact(model: type[WireModel], text: str) -> None:
    """Findings, report attributes, tasks and reports come back exactly as Go wrote them."""
    assert model.from_json(text).to_json() == text
    assert model.from_json(text.encode()).to_bytes() == text.encode()


NORMALIZE = [
    (name, case) for name, cases in VECTORS["normalize"].items() for case in cases
]


@pytest.mark.parametrize(("type_name", "case"), NORMALIZE, ids=lambda v: v if isinstance(v, str)
                         else "")
def test_other_producers_are_written_back_as_go_writes(type_name: str,
                                                        case: dict[str, str]) -> None:
    """A message from another producer is read as Go reads it and written as Go writes it."""
    model: type[WireModel] = getattr(deepalert, type_name)
    assert model.from_json(case["input"]).to_json() == case["go_json"]
