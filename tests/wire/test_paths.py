"""The fast reader (pydantic-core) and the lenient reader (Go's rules in Python) always agree."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepalert import Alert, Attribute, Report, WireError
from deepalert.models import _decode_go

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
stamps = st.sampled_from([
    "2020-01-01T09:00:00+09:00", "2021-03-04T05:06:07.5Z", "0001-01-01T00:00:00Z",
    "2024-02-29T23:59:59.999999999-11:30", "2021-03-04T05:06:07+00:00", "2021-03-04T05:06:07.10Z",
])
scalars = st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats(
    allow_nan=False, allow_infinity=False) | texts
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10)
attributes = st.fixed_dictionaries(
    {"type": texts, "key": texts, "value": texts},
    optional={"context": st.none() | st.lists(texts, max_size=3), "timestamp": stamps},
)
alerts = st.fixed_dictionaries(
    {"detector": texts, "rule_id": texts},
    optional={"rule_name": texts, "alert_key": texts, "description": texts,
              "timestamp": stamps, "attributes": st.none() | st.lists(attributes, max_size=3),
              "body": json_values},
)


@settings(max_examples=200)
@given(alerts)
def test_both_readers_give_the_same_alert(alert: dict[str, object]) -> None:
    """For any alert JSON, the fast and the lenient reader build equal models and bytes."""
    text = json.dumps(alert, ensure_ascii=False)
    fast = Alert.from_json(text)
    lenient = _decode_go(Alert, text)
    assert fast == lenient
    assert fast.to_json() == lenient.to_json()
    assert Alert.from_json(fast.to_json()).to_json() == fast.to_json()


@settings(max_examples=100)
@given(st.lists(attributes, max_size=4), st.lists(alerts, max_size=2))
def test_both_readers_give_the_same_report(attrs: list[dict[str, object]],
                                           alert_list: list[dict[str, object]]) -> None:
    """Reports with alerts and sections read the same both ways and round-trip."""
    report = {"id": "r", "alerts": alert_list, "attributes": attrs,
              "sections": [{"attr": a, "hosts": [{"ipaddr": ["1"]}]} for a in attrs],
              "status": "new", "created_at": "2021-03-04T05:06:07Z"}
    text = json.dumps(report)
    fast = Report.from_json(text)
    assert fast == _decode_go(Report, text)
    assert Report.from_json(fast.to_json()).to_json() == fast.to_json()


def test_negative_zero_survives_the_fast_reader() -> None:
    """-0 in a body beside a plain 0 is kept as -0, as Go's float64 keeps it."""
    alert = Alert.from_json('{"detector":"d","rule_id":"r","body":[0,-0,{"a":-0}]}')
    assert alert.to_json().endswith('"body":[0,-0,{"a":-0}]}')


def test_dates_are_not_mistaken_for_negative_zero() -> None:
    """A -0 inside a string is not a number: the body keeps its plain 0."""
    alert = Alert.from_json('{"detector":"d","rule_id":"r","timestamp":"2021-03-04T00:00:00Z",'
                            '"body":{"n":0,"s":"x-0"}}')
    assert alert.to_json().endswith('"body":{"n":0,"s":"x-0"}}')


def test_attribute_equality_is_by_value() -> None:
    """Two attributes read from differently ordered JSON are equal models."""
    first = Attribute.from_json('{"type":"a","key":"k","value":"v"}')
    second = Attribute.from_json('{"value":"v","key":"k","type":"a"}')
    assert first == second


@pytest.mark.parametrize("body", ["[ -0 ]", '{"a" : -0}', "[1,\n -0]", "-0"])
def test_negative_zero_is_found_wherever_whitespace_puts_it(body: str) -> None:
    """The -0 check finds the number after any JSON whitespace, as Go's reader would."""
    alert = Alert.from_json('{"detector":"d","rule_id":"r","body":' + body + "}")
    assert ",-0" in alert.to_json() or ":-0" in alert.to_json() or "[-0" in alert.to_json()


_extra_keys = st.sampled_from(["zz", "Detector", "RULE_ID", "body", "Body", "attributes",
                               "Attributes", "timestamp", "TIMESTAMP"])
_extra_values = st.sampled_from(["1e400", "-1e400", "1" * 5000, "null", "[]", '"x"', "{}",
                                 '[{"type":"t"}]', '"2020-01-01T00:00:00Z"', "[" * 300 + "]" * 300])


@settings(max_examples=150, deadline=None)
@given(alerts, st.lists(st.tuples(_extra_keys, _extra_values), max_size=3))
def test_both_readers_agree_with_case_variants_huge_numbers_and_deep_values(
        alert: dict[str, object], extra: list[tuple[str, str]]) -> None:
    """Keys repeated in another case, numbers float64 cannot hold and deep values: both
    readers give the same model or the same refusal (exact repeats: see docs/wire.md)."""
    text = json.dumps(alert, ensure_ascii=False)
    if extra:
        text = text[:-1] + "," + ",".join(f'"{k}":{v}' for k, v in extra) + "}"
        text = text.replace("{,", "{")
    if len({k for k, _ in extra} | set(alert)) < len(extra) + len(alert):
        return  # an exact repeat: the fast reader takes the last value (documented limit)
    try:
        fast = Alert.from_json(text)
    except WireError:
        with pytest.raises(WireError):
            _decode_go(Alert, text)
        return
    lenient = _decode_go(Alert, text)
    assert fast.to_json() == lenient.to_json()
