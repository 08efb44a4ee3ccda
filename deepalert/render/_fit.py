"""Fitting rendered parts into a size limit without cutting through markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["fit"]


def fit(parts: Sequence[str], limit: int, separator: str,
        trailer: Callable[[int], str]) -> str:
    """Join whole ``parts`` while they fit in ``limit`` characters.

    Each part is complete markup, so the result is never cut inside an escape, a code span or
    an entity. When parts are left out, ``trailer(count_left_out)`` closes the text (it must
    fit). The first part (the title) is always kept, cut to the limit if it must be.
    """
    if not parts:
        return ""
    out = [parts[0][:limit]]
    size = len(out[0])
    for index, part in enumerate(parts[1:], start=1):
        grown = size + len(separator) + len(part)
        left = len(parts) - index - 1
        # Keep room for a trailer unless this is the last part.
        reserve = 0 if left == 0 else len(separator) + len(trailer(len(parts)))
        if grown + reserve <= limit:
            out.append(part)
            size = grown
            continue
        note = separator + trailer(len(parts) - index)
        if size + len(note) <= limit:
            out.append(note[len(separator):])
        break
    return separator.join(out)
