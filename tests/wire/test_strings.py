"""Strings are escaped as Go 1.22+ escapes them, and bad UTF-8 is read as Go reads it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepalert import Attribute


def value_json(escaped: str) -> str:
    return '{"type":"url","key":"k","value":"' + escaped + '","context":null}'


@pytest.mark.parametrize(("raw", "escaped"), [
    ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
    ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
    ("\b", "\\b"), ("\f", "\\f"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"),
    ("\x00", "\\u0000"), ("\x01", "\\u0001"), ("\x1b", "\\u001b"), ("\x1f", "\\u001f"),
    ('"', '\\"'), ("\\", "\\\\"),
    ("\x7f", "\x7f"), ("/", "/"), ("é", "é"), ("日本", "日本"), ("😀", "😀"),
    ("\ufffd", "\ufffd"), ("\u2027", "\u2027"),
])
def test_characters_are_escaped_as_go_escapes_them(raw: str, escaped: str) -> None:
    """HTML characters and U+2028/9 get \\u escapes, controls short or \\u00xx, the rest raw."""
    attr = Attribute(type="url", key="k", value=f"a{raw}b")
    assert attr.to_json() == value_json(f"a{escaped}b")
    assert Attribute.from_json(attr.to_json()).value == f"a{raw}b"


@pytest.mark.parametrize(("raw", "replacements"), [
    (b"\xff", 1),                 # a byte that is never UTF-8
    (b"\xe2\x82", 2),             # a truncated three-byte sequence: one U+FFFD per byte
    (b"\xed\xa0\x80", 3),         # an encoded surrogate
    (b"\xc0\xaf", 2),             # an overlong encoding
])
def test_invalid_utf8_becomes_one_replacement_per_byte(raw: bytes, replacements: int) -> None:
    """Each invalid byte reads as U+FFFD, as Go's decoder coerces it, and is written raw."""
    data = b'{"type":"url","key":"k","value":"a' + raw + b'b","context":null}'
    attr = Attribute.from_json(data)
    assert attr.value == "a" + "\ufffd" * replacements + "b"
    assert attr.to_json() == value_json("a" + "\ufffd" * replacements + "b")


@pytest.mark.parametrize(("escape", "value"), [
    ("\\ud800", "\ufffd"),
    ("\\udc00", "\ufffd"),
    ("\\ud800x", "\ufffdx"),
    ("\\ud83d\\ude00", "😀"),
    ("\\udc00\\ud800", "\ufffd\ufffd"),
])
def test_lone_surrogate_escapes_become_replacement_characters(escape: str, value: str) -> None:
    """A \\u escape of a lone surrogate reads as U+FFFD; a valid pair reads as its character."""
    assert Attribute.from_json(value_json(escape)).value == value


def test_python_strings_with_lone_surrogates_are_written_as_go_writes_invalid_bytes() -> None:
    """A str holding a lone surrogate (not UTF-8) is written \\ufffd, never as broken UTF-8."""
    attr = Attribute.model_construct(type="url", key="k", value="a\udc80b", context=None,
                                     timestamp=None)
    assert attr.to_json() == value_json("a\\ufffdb")
    attr.to_bytes()  # encodes cleanly


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_any_string_round_trips_and_matches_the_go_recipe(text: str) -> None:
    """Every string is written as json.dumps plus Go's HTML-safe escapes, and reads back."""
    attr = Attribute(type="t", key="k", value=text)
    expected = json.dumps(text, ensure_ascii=False)
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                     ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        expected = expected.replace(raw, esc)
    assert attr.to_json() == '{"type":"t","key":"k","value":' + expected + ',"context":null}'
    assert Attribute.from_json(attr.to_bytes()).value == text
