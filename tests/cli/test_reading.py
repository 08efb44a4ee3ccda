"""Reading files of events: one document, a JSON array or JSON lines, streamed."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from deepalert.sources import convert_file
from deepalert.sources._reading import ReadError, read_events


def events(tmp_path: Path, data: bytes, **caps: int) -> list[tuple[str, object]]:
    path = tmp_path / "events"
    path.write_bytes(data)
    return [(where, f"error: {value}" if isinstance(value, ReadError) else value)
            for where, value in read_events(path, **caps)]


@pytest.mark.parametrize(("data", "expected"), [
    (b'{"a": 1}\n', [("item 1", {"a": 1})]),
    (b'\xef\xbb\xbf{"a": 1}', [("item 1", {"a": 1})]),
    (b'{\n  "a": 1,\n  "b": [1,\n 2]\n}\n', [("item 1", {"a": 1, "b": [1, 2]})]),
    (b' [\n {"a": 1},\n {"b": 2}\n]\n', [("item 1", {"a": 1}), ("item 2", {"b": 2})]),
    (b'[{"a": 1}, 2.5, 123456789012345678901234567890]',
     [("item 1", {"a": 1}), ("item 2", 2.5), ("item 3", 123456789012345678901234567890)]),
    (b'{"a": 1}\n\n{"b": 2}\n', [("line 1", {"a": 1}), ("line 3", {"b": 2})]),
    (b"", []),
    (b"  \n\n", []),
])
def test_each_layout_is_read(tmp_path: Path, data: bytes, expected: list[object]) -> None:
    """One event, a pretty-printed document, a JSON array, JSON lines; positions as before."""
    assert events(tmp_path, data) == expected


def test_a_bad_first_line_of_json_lines_fails_alone(tmp_path: Path) -> None:
    """A broken first line is not mistaken for the start of a pretty-printed document."""
    got = events(tmp_path, b'{broken\n{"a": 1}\n{"b": 2}\n')
    assert [w for w, _ in got] == ["line 1", "line 2", "line 3"]
    assert str(got[0][1]).startswith("error: not valid JSON")


@pytest.mark.parametrize(("data", "error"), [
    (b"[1, 2", "not closed"),
    (b"[1, 2, {bad]", "not valid JSON"),
    (b"[1, 2 3]", "expected ','"),
    (b"[1, 2]\n[3]\n", "unexpected data after the JSON array"),
])
def test_a_broken_array_keeps_the_items_before_the_fault(tmp_path: Path, data: bytes,
                                                         error: str) -> None:
    """Items before the fault are read; the fault is named at its item."""
    got = events(tmp_path, data)
    assert got[:2] == [("item 1", 1), ("item 2", 2)]
    assert got[2][0] == "item 3"
    assert error in str(got[2][1])


def test_arrays_larger_than_a_chunk_are_read_item_by_item(tmp_path: Path) -> None:
    """Items that straddle the reader's chunks (and numbers cut by them) come out whole."""
    items = [{"k": "v" * 1000, "n": 1234567890123} for _ in range(3000)]
    import json

    got = events(tmp_path, json.dumps(items).encode())
    assert len(got) == 3000
    assert all(value == items[0] for _, value in got)


def test_a_record_larger_than_the_cap_fails_alone(tmp_path: Path) -> None:
    """A line longer than max_record is an error for that line, not kept in memory."""
    data = b'{"a": 1}\n{"big": "' + b"x" * 5000 + b'"}\n{"b": 2}\n'
    got = events(tmp_path, data, max_record=1000)
    assert got[0] == ("line 1", {"a": 1})
    assert got[2] == ("line 3", {"b": 2})
    assert "record size cap" in str(got[1][1])


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    """Log shippers append gzip members; every member is read."""
    data = gzip.compress(b'{"a": 1}\n') + gzip.compress(b'{"b": 2}\n')
    assert events(tmp_path, data) == [("line 1", {"a": 1}), ("line 2", {"b": 2})]


def test_a_gzip_file_cut_short_is_an_os_error_after_what_it_held(tmp_path: Path) -> None:
    """convert_file gives the events read, then raises OSError naming the fault."""
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(b'{"detector": "d", "rule_id": "r"}\n' * 50)[:-12])
    got = []
    with pytest.raises(OSError, match="cut short"):  # noqa: PT012 - the events come first
        for item in convert_file(path):
            got.extend(item.alerts)
    assert len(got) >= 40


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_numbers_go_skips_do_not_fail_a_record(tmp_path: Path, layout: str) -> None:
    """1e400 and integers of thousands of digits in ignored fields: the alert is read, as Go
    reads it (Python makes the first inf, which no JSON writer writes back, and refuses the
    second)."""
    alert = ('{"detector": "d", "rule_id": "r", "x": 1e400, "y": -1e999, "z": '
             + "9" * 5000 + "}")
    data = f"{alert}\n{alert}\n" if layout == "lines" else f"[{alert}, {alert}]"
    path = tmp_path / "numbers"
    path.write_text(data)
    items = list(convert_file(path))
    assert [item.error for item in items] == [None, None]
    assert [len(item.alerts) for item in items] == [1, 1]
