"""Building models in Python is pleasant and always produces valid wire messages."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from deepalert import (
    Alert,
    AttrContext,
    Attribute,
    AttrType,
    ContentHost,
    EntityMalware,
    EntityMalwareScan,
    Finding,
    Report,
    ReportResult,
    Severity,
    TaskResult,
)


def test_enum_members_and_plain_strings_are_interchangeable() -> None:
    """Enum members are stored as their string values and compare equal to them."""
    attr = Attribute(type=AttrType.IPADDR, key="src", value="10.0.0.1",
                     context=[AttrContext.REMOTE, "client"])
    assert attr.type == "ipaddr" == AttrType.IPADDR
    assert type(attr.type) is str
    assert attr.to_json() == (
        '{"type":"ipaddr","key":"src","value":"10.0.0.1","context":["remote","client"]}'
    )
    assert str(Severity.URGENT) == "urgent"


def test_misspelled_fields_are_refused_when_building() -> None:
    """A keyword that is not a field is an error, not silently dropped."""
    with pytest.raises(ValueError, match="rule_nmae"):
        Alert(detector="d", rule_nmae="x")  # type: ignore[call-arg]


def test_severity_rank_orders_verdicts() -> None:
    """safe < unclassified < urgent."""
    assert Severity.SAFE.rank < Severity.UNCLASSIFIED.rank < Severity.URGENT.rank


def test_report_result_shorthand() -> None:
    """ReportResult.of builds a result from a severity and an optional reason."""
    assert ReportResult.of(Severity.SAFE).to_json() == '{"severity":"safe","reason":""}'


def test_finding_content_accepts_a_content_model_and_parses_back() -> None:
    """A ContentHost given as content is stored as JSON and parsed back to the same model."""
    host = ContentHost(country=["JP"], related_malware=[EntityMalware(
        sha256="aa", timestamp=datetime(2020, 1, 1, tzinfo=timezone.utc),
        scans=[EntityMalwareScan(vendor="v", name="n", positive=True)])])
    finding = Finding(report_id="r", author="a", type="host", content=host)
    assert finding.parsed_content() == host
    assert Finding.from_json(finding.to_json()).parsed_content() == host


def test_unknown_finding_type_has_no_parsed_content() -> None:
    """The core ignores contents of unknown types; parsed_content() says so with None."""
    assert Finding(type="network", content={"x": 1}).parsed_content() is None


def test_task_result_defaults_to_nothing_found() -> None:
    """An empty TaskResult reports no contents and no new attributes."""
    result = TaskResult()
    assert result.contents == []
    assert result.new_attributes == []


def test_report_iter_contents_pairs_each_content_with_its_attribute() -> None:
    """iter_contents walks every section's contents with the section attribute."""
    report = Report.from_json(
        '{"sections":[{"attr":{"type":"ipaddr","value":"1"},"hosts":[{"country":["JP"]}]},'
        '{"attr":{"type":"username","value":"u"},"users":[{"activities":[]}]}]}')
    pairs = [(attr.value, type(content).__name__) for attr, content in report.iter_contents()]
    assert pairs == [("1", "ContentHost"), ("u", "ContentUser")]
