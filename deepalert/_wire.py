"""The wire rules of the Go DeepAlert core, in one place.

Everything that reads or writes DeepAlert JSON goes through this module: the models call it
for their ``from_json``/``to_json``, hashes and IDs, and so do the Lambda handlers, the local
pipeline and the test fakes. The rules follow Go's ``encoding/json`` and ``time`` packages as
the core uses them (see ``docs/wire.md``):

* strings: ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\\u`` escapes; ``\\b``,
  ``\\f``, ``\\n``, ``\\r``, ``\\t`` as short escapes (Go 1.22 and later); other control
  characters as ``\\u00xx``; other characters raw. Invalid UTF-8 read from the wire becomes
  U+FFFD, one per invalid byte.
* times: RFC 3339 with nanoseconds, trailing fractional zeros trimmed, a zero offset written
  ``Z``; JSON ``null`` is the zero time ``0001-01-01T00:00:00Z``.
* ``interface{}`` values (``Alert.body``, ``Finding.content``): numbers are float64 and
  written as Go writes them; ``Alert.body`` object keys are sorted.
* decoding is lenient as Go's is: unknown keys are ignored, keys match field names
  case-insensitively, the last duplicate wins, ``null`` leaves a field at its zero value.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, AnyStr, Final

__all__ = [
    "MAX_DEPTH",
    "ZERO_TIME",
    "GoTime",
    "OutOfRange",
    "Pairs",
    "decode_bytes",
    "format_go_float",
    "go_dumps",
    "go_escape",
    "go_loads",
    "normalize_json_value",
    "parse_go_time",
    "write_value",
]

# ---------------------------------------------------------------------------------------------
# Patterns, compiled on first use (importing deepalert compiles none)


class _LazyPattern:
    """Stands for a compiled pattern until its first use, which compiles it and puts it in
    this module's namespace under its name: later calls look up the compiled pattern itself."""

    __slots__ = ("_name", "_source")

    def __init__(self, name: str, source: str | bytes) -> None:
        self._name = name
        self._source = source

    def __getattr__(self, attr: str) -> Any:
        compiled = re.compile(self._source)
        globals()[self._name] = compiled
        return getattr(compiled, attr)


def _pattern(name: str, source: AnyStr) -> re.Pattern[AnyStr]:
    return _LazyPattern(name, source)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Strings


_HTML_ESCAPES: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_SURROGATE = _pattern("_SURROGATE", "[\ud800-\udfff]")


def go_escape(text: str, *, surrogates: bool = False) -> str:
    """Apply Go's HTML-safe escapes to JSON text written by ``json.dumps`` or pydantic.

    Both already write ``\\b``/``\\f``/``\\n``/``\\r``/``\\t`` short and other control
    characters as lower-case ``\\u00xx``, as Go 1.22 does. The characters replaced here can
    only stand inside JSON strings, so a plain replace is exact. With ``surrogates``, a lone
    surrogate (a string built in Python from bytes that were not UTF-8) is written as
    ``\\ufffd``, as Go writes an invalid byte; pydantic's writer never lets one through.
    """
    for raw, escaped in _HTML_ESCAPES:
        if raw in text:
            text = text.replace(raw, escaped)
    if surrogates and _SURROGATE.search(text) is not None:
        text = _SURROGATE.sub(lambda _: "\\ufffd", text)
    return text


def legacy_escapes(text: str) -> str:
    """Rewrite Go 1.22 ``\\b``/``\\f`` short escapes as Go before 1.22 wrote them."""
    if "\\" not in text:
        return text
    # An escaped backslash followed by "b" must stay as it is: walk escape pairs.
    return re.sub(r"\\(.)", lambda m: {"b": "\\u0008", "f": "\\u000c"}.get(m[1], m[0]), text)


def _go_fffd(error: UnicodeError) -> tuple[str, int]:
    # Go replaces every invalid byte with one U+FFFD (utf8.DecodeRune returns width 1);
    # Python hands us the maximal invalid subpart, which is a run of such bytes.
    assert isinstance(error, UnicodeDecodeError)
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("deepalert-go-fffd", _go_fffd)


def decode_bytes(data: str | bytes | bytearray | memoryview) -> str:
    """Decode wire bytes as Go does: invalid UTF-8 bytes become U+FFFD, one each."""
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", "deepalert-go-fffd")


# ---------------------------------------------------------------------------------------------
# Numbers

_FLOAT_LIMIT: Final = 1e21


def format_go_float(value: float) -> str:
    """Write a float64 exactly as Go's ``encoding/json`` writes it.

    Shortest round-trip digits (the same digits as Python's ``repr``), in plain notation for
    magnitudes in [1e-6, 1e21) and ``1e+21``/``1e-7`` exponent notation otherwise.
    """
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value!r} is not a JSON number")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    text = repr(value)
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    negative = mantissa.startswith("-")
    mantissa = mantissa.lstrip("-")
    int_part, _, frac_part = mantissa.partition(".")
    if frac_part == "0":
        frac_part = ""
    digits = (int_part + frac_part).lstrip("0")
    # Position of the decimal point relative to the start of ``digits``.
    point = len(int_part.lstrip("0")) + exponent if int_part.strip("0") else exponent - (
        len(frac_part) - len(frac_part.lstrip("0"))
    )
    digits = digits.rstrip("0") or "0"
    sign = "-" if negative else ""
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= _FLOAT_LIMIT:
        exp = point - 1
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}".replace("e-0", "e-")
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _number_from_float(value: float) -> float | int:
    """The Python value that holds a float64 so that pydantic writes what Go writes."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("a JSON number must be finite (Go's float64 cannot hold it)")
    if value == 0 and math.copysign(1.0, value) < 0:
        return value  # -0: Go writes "-0", kept as a float and written by go_dumps
    if value.is_integer() and abs(value) < _FLOAT_LIMIT:
        # Go writes the shortest digits padded with zeros: 12345678901234567890 reads as
        # 12345678901234567168.0 and is written 12345678901234567000.
        return int(format_go_float(value))
    return value


def _needs_go_format(value: float) -> bool:
    # pydantic writes floats with ryu: it agrees with Go except below 1e-5 down to 1e-6
    # (Go: 0.0000015, ryu: 1.5e-6) and for -0 (Go: -0, ryu: -0.0).
    magnitude = abs(value)
    return (1e-6 <= magnitude < 1e-5) or (value == 0)


# ---------------------------------------------------------------------------------------------
# JSON values (Go's interface{})

MAX_DEPTH: Final = 10_000
"""Go's ``encoding/json`` nesting limit: a document may open at most this many objects and
arrays inside one another (the scanner's ``maxNestingDepth``). Every reader and writer here
works without recursion, so anything Go reads is read, at any Python recursion limit."""


_WRITER_DEPTH: Final = 100
"""Deeper values are handled without recursion: normalized by a loop, written by
:func:`write_value` (pydantic-core's writer stops at 255 levels); recursion in Python stays far
from its limit."""


class OutOfRange:
    """A JSON number that float64 cannot hold (``1e400``, an integer of 400 digits), as read.

    Go's decoder only scans a number in a field it ignores, so reading one is no error; a
    value of an ``interface{}`` field that holds one fails, as Go's ``float64`` conversion does.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"OutOfRange({self.text[:40]!r})"


def _where(path: str, key: str | int | None) -> str:
    if key is None:
        return path or "value"
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def _scalar(value: Any, path: str, key: str | int | None = None) -> Any:
    """One non-container JSON value as Go's ``interface{}`` holds it (see below)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -(2**53) <= value <= 2**53:
            return value
        try:
            as_float = float(value)
        except OverflowError:
            raise ValueError(f"{_where(path, key)}: number is out of range for Go's float64"
                             ) from None
        return _number_from_float(as_float)
    if isinstance(value, float):
        try:
            return _number_from_float(value)
        except ValueError as exc:
            raise ValueError(f"{_where(path, key)}: {exc}") from None
    if isinstance(value, OutOfRange):
        raise ValueError(f"{_where(path, key)}: number {value.text[:40]} is out of range for "
                         "Go's float64")
    raise ValueError(
        f"{_where(path, key)}: {type(value).__name__} is not a JSON value "
        "(use dict, list, str, int, float, bool or None)"
    )


def _too_deep(path: str) -> ValueError:
    where = path if len(path) <= 60 else path[:60] + "..."
    return ValueError(f"{where or 'value'}: nested more than {MAX_DEPTH} levels deep, "
                      "Go's limit")


def normalize_json_value(value: Any, *, sort_keys: bool, path: str = "") -> Any:
    """Return ``value`` as Go's ``interface{}`` holds it after a decode.

    Objects become dicts with string keys (sorted when ``sort_keys``), arrays become lists,
    numbers become the float64 Go would hold (integral ones as ``int``), strings lose lone
    surrogates to U+FFFD. A repeated key (in :class:`Pairs`) keeps its first position and its
    last value, as a Go map does; the values it replaced are still checked, as Go checks
    them. Anything else, a number float64 cannot hold or nesting deeper than
    :data:`MAX_DEPTH`, raises ``ValueError`` naming the path. Works without recursion.
    """
    if not isinstance(value, (Mapping, list, tuple)):
        return _scalar(value, path)
    try:
        return _normalize(value, sort_keys, path, 1)
    except _TooDeepToRecurse:
        pass
    root: list[Any] = [None]
    # Without recursion: (value, container to fill, slot in it, path of value, its depth)
    work: list[tuple[Any, Any, Any, str, int]] = [(value, root, 0, path, 1)]
    while work:
        item, parent, slot, where, depth = work.pop()
        if not isinstance(item, (Mapping, list, tuple)):  # a replaced duplicate's value
            parent[slot] = _scalar(item, where)
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(where)
        if isinstance(item, (Mapping, Pairs)):
            merged: dict[str, Any] = {}
            for key, sub in (item if isinstance(item, Pairs) else item.items()):
                if not isinstance(key, str):
                    raise ValueError(f"{where or 'value'}: object key {key!r} is not a string")
                if _SURROGATE.search(key):
                    key = _SURROGATE.sub("\ufffd", key)
                if key in merged:  # replaced, but still read (and checked) by Go
                    work.append((merged[key], {}, key, _where(where, key), depth + 1))
                merged[key] = sub
            out: dict[str, Any] = dict.fromkeys(sorted(merged) if sort_keys else merged)
            parent[slot] = out
            for key in out:
                sub = merged[key]
                if isinstance(sub, (Mapping, list, tuple)):
                    work.append((sub, out, key, _where(where, key), depth + 1))
                else:
                    out[key] = _scalar(sub, where, key)
        else:
            items = list(item)
            parent[slot] = items
            for i, sub in enumerate(items):
                if isinstance(sub, (Mapping, list, tuple)):
                    work.append((sub, items, i, _where(where, i), depth + 1))
                else:
                    items[i] = _scalar(sub, where, i)
    return root[0]


def _normalize(value: Any, sort_keys: bool, path: str, depth: int) -> Any:
    # Recursive, as it is fastest for the shallow values messages hold; bounded by
    # _WRITER_DEPTH, beyond which normalize_json_value goes on without recursion.
    if isinstance(value, (Mapping, Pairs)):
        if depth > _WRITER_DEPTH:
            raise _TooDeepToRecurse
        items: list[tuple[str, Any]] = []
        for key, item in (value if isinstance(value, Pairs) else value.items()):
            if not isinstance(key, str):
                raise ValueError(f"{path or 'value'}: object key {key!r} is not a string")
            if _SURROGATE.search(key):
                key = _SURROGATE.sub("\ufffd", key)
            items.append((key, _normalize(item, sort_keys, f"{path}.{key}", depth + 1)))
        if sort_keys:
            items.sort(key=lambda kv: kv[0])
        # A repeated key keeps its first position and its last value (a Go map); the values
        # it replaced were checked above, as Go checks them.
        return dict(items)
    if isinstance(value, (list, tuple)):
        if depth > _WRITER_DEPTH:
            raise _TooDeepToRecurse
        return [_normalize(item, sort_keys, f"{path}[{i}]", depth + 1)
                for i, item in enumerate(value)]
    return _scalar(value, path)


class _TooDeepToRecurse(Exception):
    """A value nested deeper than the recursive helpers go (see :data:`_WRITER_DEPTH`)."""


_NEGATIVE_ZERO_TEXT = _pattern("_NEGATIVE_ZERO_TEXT", r"-0(?![0-9.eE])")
_NEGATIVE_ZERO_BYTES = _pattern("_NEGATIVE_ZERO_BYTES", rb"-0(?![0-9.eE])")


def has_negative_zero(data: str | bytes) -> bool:
    """True when JSON text holds the number ``-0``, which pydantic-core reads as ``0``.

    A literal search (fast even in long text); each hit counts only where a number can start,
    after ``:``, ``[`` or ``,``. Text inside strings can only make it say True: harmless.
    """
    if isinstance(data, str):
        return _negative_zero_in(data, _NEGATIVE_ZERO_TEXT, " \t\r\n", ":[,")
    return _negative_zero_in(data, _NEGATIVE_ZERO_BYTES, b" \t\r\n", b":[,")


def _negative_zero_in(data: AnyStr, pattern: re.Pattern[AnyStr], space: AnyStr,
                      starts: AnyStr) -> bool:
    for hit in pattern.finditer(data):
        i = hit.start() - 1
        while i >= 0 and data[i:i + 1] in space:
            i -= 1
        if i >= 0 and data[i:i + 1] in starts:
            return True
    return False


def needs_number_work(value: Any) -> bool:
    """True when a JSON value read by pydantic-core holds a number float64 would change: a
    float (Go writes ``1.0`` as ``1``) or an integer beyond 2**53."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is int:
            if not -(2**53) <= item <= 2**53:
                return True
        elif kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False


def protect_floats(value: Any, tokens: dict[str, str], sort_keys: bool,
                   all_floats: bool = False) -> Any:
    """Prepare a JSON value for pydantic's writer (or, with ``all_floats``, ``json.dumps``).

    Floats that the writer would write differently from Go are replaced by placeholder
    strings recorded in ``tokens`` (``placeholder -> Go text``); ``to_json`` swaps them back.
    A value nested deeper than those writers go is written whole by :func:`write_value` and
    replaced by one placeholder.
    """
    try:
        return _protect(value, tokens, sort_keys, all_floats, 0)
    except _TooDeepToRecurse:
        return _placeholder(tokens, write_value(value, sort_keys=sort_keys))


def _protect(value: Any, tokens: dict[str, str], sort_keys: bool, all_floats: bool,
             depth: int) -> Any:
    # Recursive, as it is fastest for the shallow values messages hold; bounded by
    # _WRITER_DEPTH so that it never nears Python's recursion limit.
    if isinstance(value, float) and (all_floats or _needs_go_format(value)):
        return _placeholder(tokens, format_go_float(value))
    if isinstance(value, dict):
        if depth >= _WRITER_DEPTH:
            raise _TooDeepToRecurse
        keys = sorted(value) if sort_keys else value
        return {k: _protect(value[k], tokens, sort_keys, all_floats, depth + 1) for k in keys}
    if isinstance(value, list):
        if depth >= _WRITER_DEPTH:
            raise _TooDeepToRecurse
        return [_protect(v, tokens, sort_keys, all_floats, depth + 1) for v in value]
    return value


def _placeholder(tokens: dict[str, str], text: str) -> str:
    token = f"\x00deepalert-float-{len(tokens)}-{_NONCE}\x00"
    tokens[token] = text
    return token


_NONCE: Final = f"{id(object()):x}{id(_SURROGATE):x}"


def restore_floats(text: str, tokens: Mapping[str, str]) -> str:
    """Swap the placeholders of :func:`protect_floats` for Go's number text."""
    for token, number in tokens.items():
        text = text.replace(f'"{token}"'.replace("\x00", "\\u0000"), number)
    return text


def go_dumps(value: Any, *, sort_keys: bool = True) -> str:
    """Write a JSON value exactly as Go's ``json.Marshal`` writes an ``interface{}``."""
    tokens: dict[str, str] = {}
    prepared = protect_floats(normalize_json_value(value, sort_keys=sort_keys), tokens,
                              sort_keys, all_floats=True)
    return write_prepared(prepared, tokens)


def write_prepared(value: Any, tokens: Mapping[str, str]) -> str:
    """Write a value prepared by :func:`protect_floats` (``all_floats``) with the standard
    library, then Go's escapes, lone surrogates included."""
    import json  # only the lenient and fallback paths need it

    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except RecursionError:  # pragma: no cover - protect_floats leaves no deep value
        text = write_value(value, sort_keys=False)
    return go_escape(restore_floats(text, tokens) if tokens else text, surrogates=True)


def _write_str(text: str) -> str:
    from json.encoder import encode_basestring  # C, and what json.dumps writes strings with

    written: str = encode_basestring(text)
    if _SURROGATE.search(written) is not None:
        written = _SURROGATE.sub(lambda _: "\\ufffd", written)
    return written


def write_value(value: Any, *, sort_keys: bool) -> str:
    """Write a normalized JSON value without recursion, floats as Go writes them.

    The text is what ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes
    (lone surrogates as ``\\ufffd``); callers apply :func:`go_escape` to the whole message.
    """
    out: list[str] = []
    # (is literal text, value or text)
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        literal, item = stack.pop()
        if literal:
            out.append(item)
        elif isinstance(item, str):
            out.append(_write_str(item))
        elif item is None:
            out.append("null")
        elif item is True:
            out.append("true")
        elif item is False:
            out.append("false")
        elif isinstance(item, int):
            out.append(str(item))
        elif isinstance(item, float):
            out.append(format_go_float(item))
        elif isinstance(item, dict):
            keys = sorted(item) if sort_keys else list(item)
            out.append("{")
            stack.append((True, "}"))
            for i in range(len(keys) - 1, -1, -1):
                stack.append((False, item[keys[i]]))
                stack.append((True, ("," if i else "") + _write_str(keys[i]) + ":"))
        elif isinstance(item, list):
            out.append("[")
            stack.append((True, "]"))
            for i in range(len(item) - 1, -1, -1):
                stack.append((False, item[i]))
                if i:
                    stack.append((True, ","))
        else:
            raise ValueError(f"{type(item).__name__} is not a JSON value")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Decoding


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float | OutOfRange:
    value = float(text)
    if math.isinf(value):
        return OutOfRange(text)  # an error only where an interface{} takes it
    return value


def _parse_int(text: str) -> int | float | OutOfRange:
    if text == "-0":
        return -0.0
    if len(text) > 400:  # beyond float64 and beyond Python's int() digit limit
        return OutOfRange(text)
    return int(text)


class Pairs(list[tuple[str, Any]]):
    """A JSON object as ``(key, value)`` pairs in input order (see :func:`go_loads`)."""

    __slots__ = ()


def go_loads(data: str | bytes | bytearray | memoryview, *, pairs: bool = False) -> Any:
    """Parse JSON text as Go does; raise ``ValueError`` on anything Go would reject.

    With ``pairs``, objects are lists of ``(key, value)`` pairs in input order, so that
    duplicate keys and case-insensitive matches can be resolved as Go resolves them. A number
    float64 cannot hold reads as :class:`OutOfRange` (Go only scans it where it is ignored).
    Nesting up to Go's :data:`MAX_DEPTH` is read, at any recursion limit.
    """
    import json

    text = decode_bytes(data)
    surrogates = "\\ud" in text or "\\uD" in text
    hook: Callable[[list[tuple[str, Any]]], Any] | None = Pairs if pairs else None
    try:
        value = json.loads(
            text,
            parse_float=_parse_float,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
            object_pairs_hook=hook,
        )
        if surrogates:
            # Go reads a \u escape of a lone surrogate as U+FFFD; json.loads keeps it.
            value = _replace_surrogates(value)
    except RecursionError:
        value = _loads_deep(text, pairs=pairs, surrogates=surrogates)
    return value


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, Pairs):
        return Pairs((_replace_surrogates(k), _replace_surrogates(v)) for k, v in value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


_SPACE = _pattern("_SPACE", r"[ \t\n\r]*")
_NUMBER = _pattern("_NUMBER", r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS: Final = (("true", True), ("false", False), ("null", None))


def _loads_deep(text: str, *, pairs: bool, surrogates: bool) -> Any:
    """:func:`go_loads` without recursion, for documents nested beyond Python's limit."""
    from json.decoder import scanstring  # type: ignore[attr-defined]

    def string_at(i: int) -> tuple[str, int]:
        try:
            value, end = scanstring(text, i + 1, True)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return (_SURROGATE.sub("\ufffd", value) if surrogates else value), end

    def key_at(i: int) -> tuple[str, int]:
        if text[i:i + 1] != '"':
            raise ValueError(f"expected an object key at character {i}")
        key, i = string_at(i)
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        if text[i:i + 1] != ":":
            raise ValueError(f"expected ':' at character {i}")
        return key, _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]

    # Open containers: [items, pending key, is an object]
    stack: list[list[Any]] = []
    i = _SPACE.match(text).end()  # type: ignore[union-attr]
    while True:
        char = text[i:i + 1]
        value: Any
        if char in ("{", "["):
            if len(stack) >= MAX_DEPTH:
                raise ValueError(f"exceeded Go's maximum nesting depth of {MAX_DEPTH} at "
                                 f"character {i}")
            i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
            if text[i:i + 1] == ("}" if char == "{" else "]"):
                value = (Pairs() if pairs else {}) if char == "{" else []
                i += 1
            elif char == "{":
                key, i = key_at(i)
                stack.append([[], key, True])
                continue
            else:
                stack.append([[], None, False])
                continue
        elif char == '"':
            value, i = string_at(i)
        else:
            number = _NUMBER.match(text, i)
            if number is not None and number.end() > i:
                digits = number.group()
                value = (_parse_float(digits) if number.group(1) or number.group(2)
                         else _parse_int(digits))
                i = number.end()
            else:
                for word, literal in _LITERALS:
                    if text.startswith(word, i):
                        value, i = literal, i + len(word)
                        break
                else:
                    raise ValueError(f"expected a JSON value at character {i}")
        # Hand the finished value to its container; close containers that end here.
        while True:
            if not stack:
                i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
                if i != len(text):
                    raise ValueError(f"extra data at character {i}")
                return value
            top = stack[-1]
            top[0].append((top[1], value) if top[2] else value)
            i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
            char = text[i:i + 1]
            if char == ",":
                i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
                if top[2]:
                    top[1], i = key_at(i)
                break
            if char != ("}" if top[2] else "]"):
                raise ValueError(f"expected ',' or '{'}' if top[2] else ']'}' at character {i}")
            i += 1
            stack.pop()
            value = (Pairs(top[0]) if pairs else dict(top[0])) if top[2] else top[0]


# ---------------------------------------------------------------------------------------------
# Time

_CANONICAL_TIME = _pattern(
    "_CANONICAL_TIME",
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{0,8}[1-9])?(?:Z|[+-]\d\d:\d\d)"
)
_LEAP_YEAR = r"(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
CANONICAL_TIME_PATTERN: Final = (
    r"^(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))|" + _LEAP_YEAR + r"-02-29)"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(?:\.\d{0,8}[1-9])?(?:Z|[+-](?:(?:[01]\d|2[0-3]):(?:0[1-9]|[1-5]\d)"
    r"|(?:0[1-9]|1\d|2[0-3]):00))$"
)
"""Go's own output, real calendar dates only: text ``GoTime`` can take as it is."""


_RFC3339 = _pattern(
    "_RFC3339",
    r"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)T(?P<hour>\d\d?):(?P<minute>\d\d)"
    r":(?P<second>\d\d)(?:[.,](?P<fraction>\d+))?"
    r"(?P<zone>Z|(?P<sign>[+-])(?P<oh>\d\d):(?P<om>\d\d))"
)
_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(month: int, year: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


class GoTime(str):
    """A Go ``time.Time`` as the wire carries it: canonical RFC 3339 text with nanoseconds.

    It is a ``str`` holding exactly what Go writes, so it round-trips byte for byte and
    hashes as Go hashes it. Use :attr:`datetime` for arithmetic and :attr:`nanosecond` for the
    digits a ``datetime`` cannot hold. Build one from a ``datetime`` with
    :meth:`from_datetime`; a naive ``datetime`` is taken as UTC.
    """

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """pydantic's schema for every GoTime (model fields, a ``TypeAdapter``, a JSON schema
        writing a field's default): any RFC 3339 text, a datetime, or null (the zero time).

        Built when a model is first built, so importing this module loads no pydantic."""
        from pydantic_core import core_schema

        # Go's own output takes a fast path checked by pydantic-core; anything else (other
        # spellings, datetime objects, null) goes through the full parser.
        canonical = core_schema.no_info_after_validator_function(
            GoTime,  # the pattern checked everything; the class call runs no Python code
            core_schema.str_schema(pattern=CANONICAL_TIME_PATTERN, strict=True),
        )
        lenient = core_schema.no_info_plain_validator_function(coerce_time)
        return core_schema.union_schema(
            [canonical, lenient],
            mode="left_to_right",
            serialization=core_schema.plain_serializer_function_ser_schema(
                str.__str__, return_schema=core_schema.str_schema(), when_used="unless-none"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        return {"type": "string", "format": "date-time"}

    @classmethod
    def parse(cls, text: str) -> GoTime:
        """Parse RFC 3339 text as Go's ``time.Time.UnmarshalJSON`` does, into Go's text."""
        if _CANONICAL_TIME.fullmatch(text) is not None and _valid_fields(text):
            return cls._trusted(text)
        return cls._trusted(parse_go_time(text))

    @classmethod
    def _trusted(cls, text: str) -> GoTime:
        return str.__new__(cls, text)

    @classmethod
    def from_datetime(cls, value: datetime, nanosecond: int | None = None) -> GoTime:
        """Write ``value`` as Go would; ``nanosecond`` (0-999999999) overrides the fraction."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        offset = value.utcoffset() or timedelta(0)
        nanos = value.microsecond * 1000 if nanosecond is None else nanosecond
        if not 0 <= nanos < 1_000_000_000:
            raise ValueError("nanosecond must be in 0..999999999")
        return cls._trusted(_format(value.year, value.month, value.day, value.hour,
                                    value.minute, value.second, nanos,
                                    int(offset.total_seconds())))

    @property
    def is_zero(self) -> bool:
        """True for Go's zero time, which the core writes when an alert has no time."""
        return self.datetime == _ZERO_DATETIME if not self.startswith("0000") else False

    @property
    def nanosecond(self) -> int:
        """The fraction of the second, in nanoseconds (0-999999999)."""
        match = _RFC3339.fullmatch(self)
        assert match is not None
        return int((match["fraction"] or "").ljust(9, "0")[:9])

    @property
    def datetime(self) -> datetime:
        """An aware ``datetime`` with the written offset (microseconds; nanoseconds truncated)."""
        match = _RFC3339.fullmatch(self)
        assert match is not None
        offset = 0
        if match["sign"]:
            offset = (int(match["oh"]) * 60 + int(match["om"])) * 60
            offset = -offset if match["sign"] == "-" else offset
        return datetime(
            int(match["year"]), int(match["month"]), int(match["day"]), int(match["hour"]),
            int(match["minute"]), int(match["second"]), self.nanosecond // 1000,
            tzinfo=timezone(timedelta(seconds=offset)) if offset else timezone.utc,
        )

    def __repr__(self) -> str:
        return f"GoTime({str.__repr__(self)})"


def _valid_fields(text: str) -> bool:
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    if not (1 <= month <= 12 and 1 <= day <= _days_in(month, year)):
        return False
    if int(text[11:13]) > 23 or int(text[14:16]) > 59 or int(text[17:19]) > 59:
        return False
    if text[-1] != "Z":
        hours, minutes = int(text[-5:-3]), int(text[-2:])
        # A zero offset is written "Z" by Go, so "+00:00" is not canonical.
        if hours > 23 or minutes > 59 or hours == minutes == 0:
            return False
    return True


def _format(year: int, month: int, day: int, hour: int, minute: int, second: int,
            nanos: int, offset: int) -> str:
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    if offset == 0:
        return text + "Z"
    sign = "-" if offset < 0 else "+"
    minutes = abs(offset) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_go_time(text: str) -> str:
    """Return Go's canonical text for an RFC 3339 time, or raise ``ValueError``.

    Accepts what Go's JSON decoder accepts: ``T`` separator, optional fraction (``.`` or
    ``,``; digits past nine truncated), ``Z`` or a ``±hh:mm`` offset. ``+00:00`` is written
    back as ``Z`` and trailing fractional zeros are dropped.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("not RFC 3339")
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    if not 1 <= month <= 12:
        raise ValueError("month out of range")
    if not 1 <= day <= _days_in(month, year):
        raise ValueError("day out of range")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("time of day out of range")
    offset = 0
    if match["sign"]:
        oh, om = int(match["oh"]), int(match["om"])
        if oh > 23 or om > 59:
            raise ValueError("time zone offset out of range")
        offset = (oh * 60 + om) * 60 * (-1 if match["sign"] == "-" else 1)
    nanos = int((match["fraction"] or "").ljust(9, "0")[:9])
    return _format(year, month, day, hour, minute, second, nanos, offset)


ZERO_TIME: Final = GoTime._trusted("0001-01-01T00:00:00Z")
"""Go's zero ``time.Time``: what the core writes for an alert sent without a time."""
_ZERO_DATETIME: Final = datetime(1, 1, 1, tzinfo=timezone.utc)


def coerce_time(value: object) -> GoTime:
    """Accept a ``GoTime``, RFC 3339 text, a ``datetime`` or ``None`` (the zero time)."""
    if type(value) is GoTime:
        return value
    if isinstance(value, str):
        return GoTime.parse(value)
    if isinstance(value, datetime):
        return GoTime.from_datetime(value)
    if value is None:
        return ZERO_TIME
    raise ValueError(f"expected an RFC 3339 time string or a datetime, got {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# Go's field matching and zero values (the lenient decode path)

def fold_name(name: str) -> str:
    """Go's case folding for JSON keys (``encoding/json.foldName``).

    ASCII letters fold to upper case; a non-ASCII rune folds to the smallest rune of its
    simple-fold orbit, which is ASCII only for KELVIN SIGN (K) and LATIN SMALL LONG S (S).
    """
    if name.isascii():
        return name.upper()
    return "".join(
        ch.upper() if ch.isascii() else {"\u212a": "K", "\u017f": "S"}.get(ch, ch) for ch in name
    )


def hash_hex(data: str) -> str:
    """SHA-256 of the UTF-8 bytes, as 64 lower-case hex digits."""
    import hashlib

    return hashlib.sha256(data.encode("utf-8")).hexdigest()
