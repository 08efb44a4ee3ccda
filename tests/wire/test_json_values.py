"""Alert.body and Finding.content hold any JSON value, normalised as Go's interface{} is."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepalert import Alert, Finding
from deepalert._wire import format_go_float, go_dumps

PREFIX = ('{"detector":"d","rule_name":"","rule_id":"r","alert_key":"","description":"",'
          '"timestamp":"0001-01-01T00:00:00Z","attributes":null')


def body_of(text: str) -> str:
    written = Alert.from_json(PREFIX + ',"body":' + text + "}").to_json()
    assert written.startswith(PREFIX + ',"body":')
    return written[len(PREFIX) + len(',"body":'):-1]


@pytest.mark.parametrize(("given_", "written"), [
    ("1e3", "1000"), ("1.50", "1.5"), ("12345678901234567890", "12345678901234567000"),
    ("-0", "-0"), ("-0.0", "-0"), ("0", "0"), ("1E2", "100"), ("0.1", "0.1"),
    ("1e20", "100000000000000000000"), ("1e21", "1e+21"), ("1.5e300", "1.5e+300"),
    ("0.0000015", "0.0000015"), ("1.5e-6", "0.0000015"), ("1e-7", "1e-7"),
    ("0.000001", "0.000001"), ("-2.5e-10", "-2.5e-10"), ("5e-324", "5e-324"),
    ("123456789.125", "123456789.125"), ("9007199254740993", "9007199254740992"),
])
def test_numbers_are_float64_written_as_go_writes_them(given_: str, written: str) -> None:
    """Numbers in bodies go through float64 and Go's formatting, in any position."""
    assert body_of(given_) == written
    assert body_of(f"[{given_}]") == f"[{written}]"
    assert body_of(f'{{"n":{given_}}}') == f'{{"n":{written}}}'


def test_body_object_keys_are_sorted_at_every_depth() -> None:
    """Go re-encodes a map[string]interface{} with sorted keys."""
    assert body_of('{"b":{"z":1,"a":2},"a":[{"y":1,"x":2}]}') == (
        '{"a":[{"x":2,"y":1}],"b":{"a":2,"z":1}}'
    )


def test_body_strings_are_html_escaped() -> None:
    """Body strings and keys get Go's escaping too."""
    assert body_of('{"<k>":"a&b"}') == '{"\\u003ck\\u003e":"a\\u0026b"}'


def test_null_body_is_left_out() -> None:
    """body is omitempty: null (or none) is not written."""
    assert Alert.from_json(PREFIX + ',"body":null}').to_json() == PREFIX + "}"
    assert Alert(detector="d", rule_id="r").to_json() == PREFIX + "}"


@pytest.mark.parametrize("body", ["", 0, False, [], {}])
def test_empty_but_present_bodies_are_written(body: object) -> None:
    """Only nil is omitted: "", 0, false, [] and {} are written."""
    assert Alert(detector="d", rule_id="r", body=body).to_json() == (
        PREFIX + ',"body":' + json.dumps(body) + "}"
    )


def test_bodies_built_in_python_are_normalised() -> None:
    """A dict built in Python is written with sorted keys, even after it was changed."""
    alert = Alert(detector="d", rule_id="r", body={"z": 1, "a": (1, 2)})
    assert alert.body == {"a": [1, 2], "z": 1}
    alert.body["b"] = 0.0000015
    assert alert.to_json().endswith(',"body":{"a":[1,2],"b":0.0000015,"z":1}}')


def test_non_json_bodies_are_refused_with_the_path() -> None:
    """A value JSON cannot hold is refused when the model is built, naming where it is."""
    with pytest.raises(ValueError, match=r"body\.when"):
        Alert(body={"when": object()})
    with pytest.raises(ValueError, match="finite"):
        Alert(body=[float("nan")])


def test_finding_content_keeps_its_key_order() -> None:
    """Finding.content is written in the order it was read, as the Go inspector SDK wrote it."""
    text = ('{"report_id":"r","author":"a","attribute":{"type":"ipaddr","key":"k","value":"v",'
            '"context":null},"type":"host","content":{"ipaddr":["1"],"country":["JP"]}}')
    assert Finding.from_json(text).to_json() == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_formatting_matches_go(value: float) -> None:
    """Shortest digits, plain notation in [1e-6, 1e21), exponent notation outside."""
    text = format_go_float(value)
    assert float(text) == value
    shortest = Decimal(repr(value))
    if value == 0:
        assert text in ("0", "-0")
    elif 1e-6 <= abs(value) < 1e21:
        assert text == format(shortest, "f").rstrip("0").rstrip(".") if "." in format(
            shortest, "f") else text == format(shortest, "f")
    else:
        assert text == format(shortest, "e").replace("E", "e")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_any_body_round_trips_and_matches_go_dumps(body: object) -> None:
    """Writing, reading and writing a body gives the same bytes, equal to go_dumps(body)."""
    alert = Alert(detector="d", rule_id="r", body=body)
    text = alert.to_json()
    assert Alert.from_json(text).to_json() == text
    if body is not None:
        assert text == PREFIX + ',"body":' + go_dumps(body) + "}"
