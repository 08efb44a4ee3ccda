"""Alert.validate_limits() applies the Go core's Alert.Validate() limits, counted in bytes."""

from __future__ import annotations

import pytest

from deepalert import Alert, Attribute, InvalidAlertError


def valid(**changes: object) -> Alert:
    fields: dict[str, object] = {"detector": "d", "rule_id": "r"}
    fields.update(changes)
    return Alert(**fields)


def test_a_minimal_alert_is_valid() -> None:
    """detector and rule_id are all the core requires; the timestamp may be missing."""
    valid().validate_limits()


@pytest.mark.parametrize("field", ["detector", "rule_id"])
def test_detector_and_rule_id_are_required(field: str) -> None:
    """An empty detector or rule_id is rejected, naming the field."""
    with pytest.raises(InvalidAlertError) as info:
        valid(**{field: ""}).validate_limits()
    assert (info.value.field, info.value.limit) == (field, "required")


@pytest.mark.parametrize(("field", "limit"), [
    ("detector", 1024), ("rule_id", 1024), ("rule_name", 1024), ("alert_key", 1024),
    ("description", 4096),
])
def test_string_limits_count_bytes_not_characters(field: str, limit: int) -> None:
    """At the limit passes; one byte over fails, and multi-byte characters count as bytes."""
    valid(**{field: "x" * limit}).validate_limits()
    with pytest.raises(InvalidAlertError) as info:
        valid(**{field: "x" * (limit + 1)}).validate_limits()
    assert (info.value.field, info.value.limit) == (field, f"{limit} bytes")
    with pytest.raises(InvalidAlertError):
        valid(**{field: "é" * (limit // 2 + 1)}).validate_limits()  # 2 bytes each


def test_at_most_100_attributes() -> None:
    """100 attributes pass, 101 fail."""
    attrs = [Attribute(type="ipaddr", value=str(i)) for i in range(101)]
    valid(attributes=attrs[:100]).validate_limits()
    with pytest.raises(InvalidAlertError, match="101 attributes") as info:
        valid(attributes=attrs).validate_limits()
    assert info.value.field == "attributes"


@pytest.mark.parametrize("part", ["key", "value"])
def test_attribute_key_and_value_limits_name_the_attribute(part: str) -> None:
    """An attribute key or value over 1024 bytes is named by its index."""
    attrs = [Attribute(type="ipaddr"), Attribute(type="ipaddr", **{part: "x" * 1025})]
    with pytest.raises(InvalidAlertError) as info:
        valid(attributes=attrs).validate_limits()
    assert info.value.field == f"attributes[1].{part}"


def test_body_limit_is_measured_after_go_escaping() -> None:
    """The body limit counts json.Marshal bytes: each < costs six bytes (\\u003c)."""
    overhead = len('""')
    valid(body="x" * (65536 - overhead)).validate_limits()
    with pytest.raises(InvalidAlertError) as info:
        valid(body="x" * (65536 - overhead + 1)).validate_limits()
    assert (info.value.field, info.value.limit) == ("body", "65536 bytes")
    # 11,000 "<" are 11,002 bytes raw but 66,002 bytes as Go writes them.
    with pytest.raises(InvalidAlertError):
        valid(body="<" * 11000).validate_limits()
