"""One helper for the import-cost tests: what importing a module adds to a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable

# What any pydantic model needs is loaded first, so only what deepalert itself adds counts
# (recent pydantic-core releases import asyncio themselves).
_BASELINE = "import pydantic, pydantic_core"


def loaded_by(module: str, roots: Iterable[str]) -> list[str]:
    """The modules under ``roots`` (top-level names or dotted prefixes) that ``import module``
    loads in a fresh interpreter, beyond what pydantic itself loads."""
    code = (f"import sys\n{_BASELINE}\n"
            "before = set(sys.modules)\n"
            f"import {module}\n"
            f"roots = {sorted(set(roots))!r}\n"
            "new = sorted(m for m in set(sys.modules) - before\n"
            "             if any(m == r or m.startswith(r + '.') for r in roots))\n"
            "print(','.join(new))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    out = result.stdout.strip()
    return out.split(",") if out else []
