"""Environment variables read cheaply enough for every invocation.

Handlers read their settings (log level, metrics) at each invocation, so that a change of the
environment, in a test say, takes effect; ``os.environ.get`` costs about 0.7 µs a name that
is not set (an encoding and a ``KeyError`` in Python). On CPython under POSIX, ``os.environ``
keeps its contents in a dict of bytes that every change goes through; reading that dict
directly gives the same answer for a few tens of nanoseconds. Anywhere else, or when
``os.environ`` has been replaced, ``os.environ.get`` is used.
"""

from __future__ import annotations

import os
import sys

__all__ = ["getenv"]

_ENVIRON = os.environ
_DATA = getattr(os.environ, "_data", None)
_ENCODING = sys.getfilesystemencoding()
_DIRECT = os.name == "posix" and type(_DATA) is dict
_keys: dict[str, bytes] = {}


def getenv(name: str) -> str | None:
    """``os.environ.get(name)``, cheaper for a name that is not set."""
    if _DIRECT and os.environ is _ENVIRON:
        key = _keys.get(name)
        if key is None:
            key = _keys[name] = name.encode(_ENCODING, "surrogateescape")
        value = _DATA.get(key)  # type: ignore[union-attr]
        return None if value is None else value.decode(_ENCODING, "surrogateescape")
    return os.environ.get(name)
