"""Messages are read leniently, exactly as Go's encoding/json reads them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deepalert import (
    Alert,
    Attribute,
    ContentHost,
    ContentUser,
    EntityMalwareScan,
    Finding,
    Report,
    Section,
    Task,
    WireError,
)

ZERO_ALERT = ('{"detector":"","rule_name":"","rule_id":"","alert_key":"","description":"",'
              '"timestamp":"0001-01-01T00:00:00Z","attributes":null}')


def test_unknown_keys_are_ignored() -> None:
    """Keys Go's struct does not have are dropped, at any depth."""
    alert = Alert.from_json('{"detector":"d","rule_id":"r","severity":"high",'
                            '"attributes":[{"type":"ipaddr","value":"1.2.3.4","extra":1}]}')
    assert alert.detector == "d"
    assert alert.attributes == [Attribute(type="ipaddr", value="1.2.3.4")]


def test_keys_match_fields_case_insensitively() -> None:
    """{"DETECTOR": ...} fills detector, as Go matches keys ignoring case."""
    alert = Alert.from_json('{"DETECTOR":"d","Rule_ID":"r","Attributes":[{"TYPE":"ipaddr"}]}')
    assert (alert.detector, alert.rule_id) == ("d", "r")
    assert alert.attributes is not None
    assert alert.attributes[0].type == "ipaddr"


def test_kelvin_sign_and_long_s_fold_like_go() -> None:
    """Go folds U+212A to K and U+017F to S, so "\u212aey" fills key and "\u017fource" source."""
    attr = Attribute.from_json('{"\u212aey":"k"}')
    assert attr.key == "k"
    scan = EntityMalwareScan.from_json('{"\u017fource":"vt"}')
    assert scan.source == "vt"


def test_other_unicode_lookalikes_do_not_match() -> None:
    """Only Go's simple folds count: a ligature whose upper case is ASCII is not a match."""
    report = Report.from_json('{"\ufb06atus":"published"}')  # U+FB06 "st" ligature + "atus"
    assert report.status == ""


def test_last_duplicate_key_wins() -> None:
    """With duplicate keys, including case variants, the last one wins."""
    alert = Alert.from_json('{"detector":"a","DETECTOR":"b","detector":"c","rule_id":"r"}')
    assert alert.detector == "c"
    alert = Alert.from_json('{"detector":"a","Detector":"b"}')
    assert alert.detector == "b"


def test_null_leaves_strings_and_bools_at_zero() -> None:
    """null for a string or bool is not an error; the field keeps its zero value."""
    alert = Alert.from_json('{"detector":null,"rule_id":"r"}')
    assert alert.detector == ""
    assert EntityMalwareScan.from_json('{"positive":null}').positive is False


def test_null_struct_is_the_zero_struct() -> None:
    """A null non-pointer struct (Finding.attribute) is the zero Attribute, written out."""
    finding = Finding.from_json('{"report_id":"x","attribute":null,"type":"host"}')
    assert finding.attribute == Attribute()
    assert '"attribute":{"type":"","key":"","value":"","context":null}' in finding.to_json()


def test_null_pointer_struct_stays_null() -> None:
    """Task.attribute is a pointer: null is kept and written back as null."""
    task = Task.from_json('{"report_id":"x","attribute":null}')
    assert task.attribute is None
    assert task.to_json() == '{"report_id":"x","attribute":null}'


def test_top_level_null_is_the_zero_value() -> None:
    """Unmarshalling null into a struct leaves it unchanged, so null reads as the zero Alert."""
    assert Alert.from_json("null").to_json() == ZERO_ALERT


def test_missing_fields_are_zero_values() -> None:
    """An empty object reads as the zero value, written with every non-omitempty field."""
    assert Alert.from_json("{}").to_json() == ZERO_ALERT
    assert Report.from_json("{}").to_json() == (
        '{"id":"","alerts":null,"attributes":null,"sections":null,'
        '"result":{"severity":"","reason":""},"status":"","created_at":"0001-01-01T00:00:00Z"}'
    )


def test_null_and_empty_lists_are_kept_apart() -> None:
    """Without omitempty a nil slice is null and an empty one []: both survive a round trip."""
    for text in ['{"type":"a","key":"","value":"","context":null}',
                 '{"type":"a","key":"","value":"","context":[]}']:
        assert Attribute.from_json(text).to_json() == text
    assert ContentUser.from_json('{"activities":[]}').to_json() == '{"activities":[]}'
    assert ContentUser.from_json("{}").to_json() == '{"activities":null}'


def test_omitempty_lists_are_left_out_when_empty_or_null() -> None:
    """ContentHost fields are omitempty: [] and null are both left out."""
    host = ContentHost.from_json('{"ipaddr":[],"country":null,"owner":["me"]}')
    assert host.to_json() == '{"owner":["me"]}'
    assert Section.from_json('{"attr":{},"hosts":[]}').to_json() == (
        '{"attr":{"type":"","key":"","value":"","context":null}}'
    )


def test_fields_come_out_in_go_struct_order() -> None:
    """Whatever order keys arrive in, they are written in Go's struct field order."""
    attr = Attribute.from_json('{"timestamp":"2020-01-01T00:00:00Z","context":["a"],'
                               '"value":"v","key":"k","type":"t"}')
    assert attr.to_json() == ('{"type":"t","key":"k","value":"v","context":["a"],'
                              '"timestamp":"2020-01-01T00:00:00Z"}')


def test_unknown_enumeration_values_are_kept() -> None:
    """Types, contexts, severities and statuses the SDK does not know are kept as read."""
    text = '{"type":"mac-address","key":"k","value":"v","context":["sideways"]}'
    assert Attribute.from_json(text).to_json() == text
    report = Report.from_json('{"result":{"severity":"catastrophic"},"status":"archived"}')
    assert report.result.severity == "catastrophic"
    assert report.status == "archived"


@pytest.mark.parametrize(("model", "text", "path", "expected"), [
    (Alert, '{"attributes":[{"context":"remote"}]}', "attributes[0].context", "an array"),
    (Alert, '{"detector":1}', "detector", "a string"),
    (Alert, '{"attributes":{}}', "attributes", "an array"),
    (Alert, '{"attributes":["x"]}', "attributes[0]", "an object"),
    (EntityMalwareScan, '{"positive":"true"}', "positive", "true or false"),
    (EntityMalwareScan, '{"positive":1}', "positive", "true or false"),
    (Report, '{"sections":[{"hosts":[{"ipaddr":"1.2.3.4"}]}]}',
     "sections[0].hosts[0].ipaddr", "an array"),
    (Report, '{"result":"urgent"}', "result", "an object"),
    (Alert, "[1]", "", "an object"),
])
def test_type_mismatches_name_type_path_and_expectation(model: type[Alert], text: str,
                                                        path: str, expected: str) -> None:
    """A value of the wrong JSON type rejects the message, naming where and what was expected."""
    with pytest.raises(WireError) as info:
        model.from_json(text)
    error = info.value
    assert error.message_type == model.__name__
    assert error.path == path
    assert expected in error.expected
    assert not isinstance(error, ValidationError)


@pytest.mark.parametrize("text", [
    "", "{", '{"detector":"d",}', "{'detector':'d'}", '{"detector":"d"} x', "NaN",
    '{"body":NaN}', '{"body":Infinity}', '{"body":1e400}', '{"detector":"a\x01"}',
    "\ufeff{}",
])
def test_text_go_cannot_parse_is_a_wire_error(text: str) -> None:
    """Broken JSON, NaN, infinities, raw control characters and a BOM are WireErrors."""
    with pytest.raises(WireError) as info:
        Alert.from_json(text)
    assert info.value.message_type == "Alert"


def test_wire_error_is_a_value_error_and_a_deepalert_error() -> None:
    """Callers can catch the SDK's root error or the builtin ValueError."""
    from deepalert import DeepAlertError

    with pytest.raises(DeepAlertError):
        Alert.from_json("{")
    with pytest.raises(ValueError, match="Alert"):
        Alert.from_json("{")


def test_from_dict_reads_decoded_json_as_from_json_does() -> None:
    """A Lambda event (already decoded) reads like its JSON text, lenient rules included."""
    import json

    text = ('{"id":"r","STATUS":"new","alerts":[{"detector":"d","rule_id":"r",'
            '"timestamp":"2021-03-04T05:06:07+00:00","extra":1}],"result":null}')
    assert Report.from_dict(json.loads(text)) == Report.from_json(text)
    exact = Report.from_json(text).to_json()
    assert Report.from_dict(json.loads(exact)).to_json() == exact
    with pytest.raises(WireError) as info:
        Report.from_dict({"alerts": [{"attributes": "x"}]})
    assert info.value.path == "alerts[0].attributes"
