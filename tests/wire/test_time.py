"""Timestamps are read and written exactly as Go's time.Time reads and writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepalert import ZERO_TIME, Alert, Attribute, EntityActivity, GoTime, WireError


def alert_with(stamp: str) -> str:
    return ('{"detector":"d","rule_name":"","rule_id":"r","alert_key":"","description":"",'
            f'"timestamp":{stamp},"attributes":null}}')


@pytest.mark.parametrize("stamp", [
    '"2021-03-04T05:06:07Z"',
    '"2021-03-04T05:06:07.123456789Z"',
    '"2021-03-04T05:06:07.000000001Z"',
    '"2021-03-04T05:06:07.12Z"',
    '"2021-03-04T05:06:07+09:00"',
    '"2021-03-04T05:06:07.5-07:30"',
    '"0001-01-01T00:00:00Z"',
    '"9999-12-31T23:59:59.999999999Z"',
    '"2024-02-29T00:00:00Z"',
    '"2000-02-29T12:00:00Z"',
    '"0000-02-29T00:00:00Z"',
])
def test_go_written_times_round_trip(stamp: str) -> None:
    """Nanoseconds, offsets, trimmed fractions and the zero time survive byte for byte."""
    text = alert_with(stamp)
    assert Alert.from_json(text).to_json() == text


@pytest.mark.parametrize(("given_", "written"), [
    ("2021-03-04T05:06:07+00:00", "2021-03-04T05:06:07Z"),
    ("2021-03-04T05:06:07-00:00", "2021-03-04T05:06:07Z"),
    ("2021-03-04T05:06:07.120000Z", "2021-03-04T05:06:07.12Z"),
    ("2021-03-04T05:06:07.000Z", "2021-03-04T05:06:07Z"),
    ("2021-03-04T05:06:07.1234567891234Z", "2021-03-04T05:06:07.123456789Z"),
    ("2021-03-04T05:06:07,5Z", "2021-03-04T05:06:07.5Z"),
    ("2021-03-04T5:06:07Z", "2021-03-04T05:06:07Z"),
])
def test_other_time_spellings_are_written_canonically(given_: str, written: str) -> None:
    """A zero offset is written Z, fractional zeros are dropped, digits past nine truncated."""
    alert = Alert.from_json(alert_with(f'"{given_}"'))
    assert str(alert.timestamp) == written
    assert alert.to_json() == alert_with(f'"{written}"')


def test_null_time_is_the_zero_time() -> None:
    """JSON null leaves a time at Go's zero value, which is then written out."""
    alert = Alert.from_json(alert_with("null"))
    assert alert.timestamp == ZERO_TIME
    assert alert.timestamp.is_zero
    assert '"timestamp":"0001-01-01T00:00:00Z"' in alert.to_json()


def test_missing_time_is_the_zero_time() -> None:
    """An alert sent without a timestamp keeps the zero time; it is not set to now."""
    assert Alert.from_json('{"detector":"d","rule_id":"r"}').timestamp == ZERO_TIME


@pytest.mark.parametrize(("stamp", "why"), [
    ('""', "empty string"),
    ("1609459200", "a Unix number"),
    ('"2020-01-01 00:00:00"', "a space instead of T"),
    ('"2020-01-01T00:00:00"', "no zone"),
    ('"2021-02-29T00:00:00Z"', "no 29 February in 2021"),
    ('"1900-02-29T00:00:00Z"', "1900 is not a leap year"),
    ('"2021-04-31T00:00:00Z"', "April has 30 days"),
    ('"2021-13-01T00:00:00Z"', "month 13"),
    ('"2021-01-01T24:00:00Z"', "hour 24"),
    ('"2021-01-01T00:00:00+24:00"', "offset out of range"),
    ('"2021-01-01t00:00:00z"', "lower-case t and z"),
])
def test_unreadable_times_reject_the_message(stamp: str, why: str) -> None:
    """A time Go cannot parse rejects the whole message, naming the field."""
    with pytest.raises(WireError) as info:
        Alert.from_json(alert_with(stamp))
    assert info.value.path == "timestamp", why
    assert "RFC 3339" in str(info.value)


def test_nested_time_errors_name_the_path() -> None:
    """An error deep in a report names the field path down to the time."""
    with pytest.raises(WireError) as info:
        Attribute.from_json('{"type":"ipaddr","timestamp":"yesterday"}')
    assert info.value.message_type == "Attribute"
    assert info.value.path == "timestamp"


def test_pointer_time_null_is_omitted() -> None:
    """Attribute.timestamp is a pointer with omitempty: null reads as absent."""
    attr = Attribute.from_json('{"type":"ipaddr","key":"k","value":"v","context":null,'
                               '"timestamp":null}')
    assert attr.timestamp is None
    assert attr.to_json() == '{"type":"ipaddr","key":"k","value":"v","context":null}'


def test_aware_datetimes_keep_their_offset() -> None:
    """A datetime with an offset is written with that offset; UTC is written Z."""
    jst = timezone(timedelta(hours=9))
    when = datetime(2020, 1, 1, 9, 0, 0, 500000, tzinfo=jst)
    assert Attribute(timestamp=when).timestamp == "2020-01-01T09:00:00.5+09:00"
    assert Alert(timestamp=datetime(2020, 1, 1, tzinfo=timezone.utc)).timestamp == (
        "2020-01-01T00:00:00Z"
    )


def test_naive_datetimes_are_utc() -> None:
    """A naive datetime is taken as UTC, as documented."""
    assert Alert(timestamp=datetime(2020, 1, 1, 12)).timestamp == "2020-01-01T12:00:00Z"


def test_gotime_exposes_datetime_and_nanoseconds() -> None:
    """GoTime gives an aware datetime and the nanoseconds a datetime cannot hold."""
    stamp = GoTime.parse("2020-01-02T03:04:05.123456789+09:00")
    assert stamp.nanosecond == 123456789
    assert stamp.datetime == datetime(2020, 1, 1, 18, 4, 5, 123456, tzinfo=timezone.utc)
    assert GoTime.from_datetime(stamp.datetime, nanosecond=stamp.nanosecond) == stamp


def test_entity_times_are_always_written() -> None:
    """Entity time fields have no omitempty: an unset one is written as the zero time."""
    assert EntityActivity().to_json().endswith('"last_seen":"0001-01-01T00:00:00Z"}')


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=9)),
                                               timezone(timedelta(hours=-5, minutes=-30))])),
       st.integers(0, 999))
def test_any_time_round_trips(when: datetime, extra_ns: int) -> None:
    """Any instant with any whole-minute offset is written, read and written identically."""
    stamp = GoTime.from_datetime(when, nanosecond=when.microsecond * 1000 + extra_ns)
    alert = Alert(detector="d", rule_id="r", timestamp=stamp)
    again = Alert.from_json(alert.to_json())
    assert again.timestamp == stamp
    assert again.to_json() == alert.to_json()
    assert again.timestamp.datetime == when.replace(microsecond=when.microsecond)
