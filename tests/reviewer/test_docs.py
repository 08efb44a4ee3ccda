"""The Python examples in docs/reviewer.md and docs/emitter.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def blocks(name: str) -> list[str]:
    return BLOCK.findall((DOCS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("doc", "index"), [
    (doc, i) for doc in ("reviewer.md", "emitter.md") for i in range(len(blocks(doc)))])
def test_a_python_block_of_the_docs_runs(doc: str, index: int) -> None:
    """Each ```python block runs on its own without error (its asserts included)."""
    code = blocks(doc)[index]
    exec(compile(code, f"{doc}[{index}]", "exec"), {"__name__": f"docs_{index}"})
