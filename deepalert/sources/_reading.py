"""Read the events of a file as a stream: memory stays bounded by the largest single event.

A file holds one JSON document (an event, or a JSON array of events) or JSON lines. Lines are
split on ``\\n`` only: U+2028, U+2029 and U+0085 are valid inside JSON strings. A JSON array is
read item by item; a gzip file is decompressed as it is read, up to a size cap.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import json
import math
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

__all__ = ["MAX_DECOMPRESSED_BYTES", "MAX_RECORD_BYTES", "DecompressionLimitError", "Event",
           "ReadError", "read_events"]

MAX_DECOMPRESSED_BYTES: Final = 1 << 30
"""The default cap on what a gzip file may inflate to (1 GiB): a gzip bomb stops there."""

MAX_RECORD_BYTES: Final = 64 << 20
"""The largest single event read (64 MiB): a longer line, array item or document fails alone,
without being held in memory."""

_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"

Event = tuple[str, Any]
"""``(position, value)``: the position (``"line 3"``, ``"item 2"``) and the parsed JSON value
of the event, or a :class:`ReadError` for an event that cannot be read (the other events go
on)."""


class ReadError(Exception):
    """An event of the file that cannot be read (not JSON, too deeply nested...)."""


class DecompressionLimitError(OSError):
    """A gzip file inflates to more than the cap; what came before the cap was read."""


def _raw_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _gunzip(chunks: Iterator[bytes], cap: int) -> Iterator[bytes]:
    # Concatenated gzip members (as log shippers write) are read one after the other.
    inflater = zlib.decompressobj(wbits=31)
    total = 0
    fed = False
    for chunk in chunks:
        data = chunk
        while data:
            fed = True
            out = inflater.decompress(data, _CHUNK)
            total += len(out)
            if total > cap:
                raise DecompressionLimitError(
                    f"the gzip content is larger than the {cap:,}-byte cap "
                    "(max_decompressed); the rest of the file is not read")
            if out:
                yield out
            if inflater.eof:
                data = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
                fed = False
            else:
                data = inflater.unconsumed_tail
    if fed and not inflater.eof:
        raise OSError("the gzip file is cut short")


def _lines(chunks: Iterator[bytes], cap: int) -> Iterator[bytes | None]:
    """Lines split on ``\\n`` only; ``None`` for a line longer than ``cap`` (not kept)."""
    pending: list[bytes] = []
    size = 0
    too_long = False
    for chunk in chunks:
        parts = chunk.split(b"\n")
        for part in parts[:-1]:
            if too_long or size + len(part) > cap:
                yield None
            else:
                pending.append(part)
                yield b"".join(pending)
            pending, size, too_long = [], 0, False
        last = parts[-1]
        if not too_long:
            size += len(last)
            if size > cap:
                pending, too_long = [], True
            elif last:
                pending.append(last)
    if too_long:
        yield None
    elif pending:
        yield b"".join(pending)


def _number(text: str) -> float:
    # Go skips numbers it cannot hold in fields it ignores (1e400, integers of thousands of
    # digits); Python would make them inf, which no JSON writer writes back, or refuse them.
    # They are kept as the largest float, so the record still reads as Go reads it.
    value = float(text)
    return math.copysign(sys.float_info.max, value) if math.isinf(value) else value


def _int(text: str) -> int | float:
    return int(text) if len(text) < 4_000 else _number(text)


@functools.cache
def _decoder(long_ints: bool = False) -> json.JSONDecoder:
    # The int hook costs a call per integer: only used again after the plain reader refused an
    # integer too long for Python's int(); floats are rarer, the float hook always.
    if long_ints:
        return json.JSONDecoder(parse_float=_number, parse_int=_int)
    return json.JSONDecoder(parse_float=_number)


def _decode(text: str) -> Any:
    try:
        return _decoder().decode(text)
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
        return _decoder(True).decode(text)


def _text(line: bytes | None) -> str | None:
    return None if line is None else line.decode("utf-8", errors="replace")


def _parse_line(line: str | None) -> Any:
    if line is None:
        return ReadError("longer than the record size cap (MAX_RECORD_BYTES); not read")
    try:
        return _decode(line)
    except RecursionError:
        return ReadError(_too_deep())
    except ValueError as exc:
        return ReadError(f"not valid JSON ({exc})")


def _too_deep() -> str:
    return (f"nests deeper than Python's recursion limit ({sys.getrecursionlimit():,} levels) "
            "lets it be read")


def _is_json(line: str | None) -> bool:
    if line is None:
        return False
    try:
        _decode(line)
    except (ValueError, RecursionError):
        return False
    return True


def _array_items(first: str, rest: Iterator[str], cap: int) -> Iterator[Event]:
    """The items of a JSON array whose text starts with ``first`` (after the ``[``)."""
    decoder = _decoder()
    buf, pos, eof, count = first, 0, False, 0

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        buf, pos = buf[pos:], 0
        want = max(len(buf), _CHUNK)
        added = 0
        for piece in rest:
            buf += piece
            added += len(piece)
            if added >= want:
                return True
        eof = True
        return added > 0

    def skip_space() -> bool:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or not more():
                return pos < len(buf)

    while True:
        if not skip_space():
            yield f"item {count + 1}", ReadError("the JSON array is not closed (the file is "
                                                 "cut short)")
            return
        if buf[pos] == "]":
            pos += 1
            if skip_space():
                yield f"item {count + 1}", ReadError("unexpected data after the JSON array")
            return
        if count:
            if buf[pos] != ",":
                yield f"item {count + 1}", ReadError("not valid JSON (expected ',' or ']' "
                                                     "between array items)")
                return
            pos += 1
            if not skip_space():
                continue
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except RecursionError:
                yield f"item {count + 1}", ReadError(
                    f"{_too_deep()}; the rest of the array cannot be read")
                return
            except ValueError as exc:
                if "digits" in str(exc) and decoder is _decoder():
                    decoder = _decoder(True)  # an integer longer than Python's int() takes
                    continue
                if len(buf) - pos > cap:
                    yield f"item {count + 1}", ReadError(
                        "longer than the record size cap (MAX_RECORD_BYTES); the rest of the "
                        "array is not read")
                    return
                if more():
                    continue
                yield f"item {count + 1}", ReadError(f"not valid JSON ({exc}); the rest of the "
                                                     "array cannot be read")
                return
            if end == len(buf) and more():
                continue  # a number may go on in the next chunk
            break
        count += 1
        pos = end
        yield f"item {count}", value


def _decoded(chunks: Iterator[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in chunks:
        if text := decoder.decode(chunk):
            yield text
    if tail := decoder.decode(b"", final=True):
        yield tail


def _documents(chunks: Iterator[bytes], cap: int) -> Iterator[Event]:
    """JSON lines, one document (perhaps over several lines), or a JSON array."""
    seen: list[bytes] = []
    start = b""
    for chunk in chunks:
        if not seen and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[len(codecs.BOM_UTF8):]
        seen.append(chunk)
        start = chunk.lstrip()
        if start:
            break
    if not start:
        return
    replay = itertools.chain(seen, chunks)
    if start.startswith(b"["):
        text = _decoded(replay)
        head = ""
        for piece in text:
            head += piece
            if head.strip():
                break
        head = head.lstrip()[1:]
        yield from _array_items(head, text, cap)
        return
    yield from _lines_or_document(_lines(replay, cap), cap)


def _lines_or_document(lines: Iterator[bytes | None], cap: int) -> Iterator[Event]:
    number = 0
    first: bytes | None = b""
    for first in lines:
        number += 1
        if first is None or first.strip():
            break
    head = _text(first)
    after = _Peek(lines)
    try:
        second = after.first_nonblank()
    except OSError:  # a read error or the gzip cap: the first line still counts
        yield f"line {number}", _parse_line(head)
        raise
    if _is_json(head):
        if second is None:
            yield "item 1", _parse_line(head)
            return
        yield f"line {number}", _parse_line(head)
        yield from _json_lines(after, number)
        return
    # The first line is no JSON by itself: a document over several lines (pretty-printed),
    # unless the next line is JSON alone (JSON lines whose first line is bad).
    if second is not None and _is_json(_text(second[1])):
        yield f"line {number}", _parse_line(head)
        yield from _json_lines(after, number)
        return
    parts: list[str] = [head or ""]
    size = len(parts[0])
    for line in after:
        size += 1 + (cap if line is None else len(line))
        if size > cap:
            yield "item 1", _parse_line(None)
            return
        parts.append(_text(line) or "")
    yield "item 1", _parse_line("\n".join(parts))


class _Peek:
    """Lines, with the first non-blank one looked at in advance (blank ones only counted)."""

    def __init__(self, lines: Iterator[bytes | None]) -> None:
        self._lines = lines
        self._blank = 0
        self._next: list[bytes | None] = []

    def first_nonblank(self) -> tuple[int, bytes | None] | None:
        for line in self._lines:
            if line is None or line.strip():
                self._next.append(line)
                return self._blank + 1, line
            self._blank += 1
        return None

    def __iter__(self) -> Iterator[bytes | None]:
        blank, self._blank = self._blank, 0
        pending, self._next = self._next, []
        for _ in range(blank):
            yield b""
        yield from pending
        yield from self._lines


def _json_lines(lines: _Peek, number: int) -> Iterator[Event]:
    for line in lines:
        number += 1
        if line is None or line.strip():
            yield f"line {number}", _parse_line(_text(line))


def read_events(path: str | Path, *, max_decompressed: int = MAX_DECOMPRESSED_BYTES,
                max_record: int = MAX_RECORD_BYTES) -> Iterator[Event]:
    """The events of a file (``"-"``: standard input), streamed.

    Raises:
        OSError: the file cannot be opened or read.
        DecompressionLimitError: a gzip file inflates to more than ``max_decompressed`` bytes
            (raised once the events before the cap were given).
    """
    if str(path) == "-":
        stream: IO[bytes] = sys.stdin.buffer
        yield from _stream_events(stream, max_decompressed, max_record)
        return
    with open(path, "rb") as stream:
        yield from _stream_events(stream, max_decompressed, max_record)


def _stream_events(stream: IO[bytes], cap: int, max_record: int) -> Iterator[Event]:
    chunks = _raw_chunks(stream)
    first = next(chunks, b"")
    while 0 < len(first) < 2:  # a pipe may give one byte at a time
        more = next(chunks, b"")
        if not more:
            break
        first += more

    def all_chunks() -> Iterator[bytes]:
        yield first
        yield from chunks

    source = all_chunks()
    if first[:2] == _GZIP_MAGIC:  # a gzipped CloudTrail or EVE log file
        source = _gunzip(source, cap)
    try:
        yield from _documents(source, max_record)
    except zlib.error as exc:
        raise OSError(f"not a readable gzip file ({exc})") from None
