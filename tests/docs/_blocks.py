"""Fenced code blocks of README.md and docs/*.md, read as the documentation test runs them.

The conventions this module enforces are described in ``test_code_blocks.py``'s docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

ROOT = Path(__file__).resolve().parents[2]

#: Languages whose blocks are run.
PYTHON = frozenset({"python", "py"})
SHELL = frozenset({"console", "bash", "sh", "shell"})
#: Languages shown, never run; ``json`` and ``yaml`` blocks must still parse.
DISPLAY = frozenset({"text", "json", "yaml", "toml", "ini", "jsonl", "make"})
#: ``<!-- marker -->`` or ``<!-- marker: reason -->`` on the line before a fence.
MARKERS = frozenset({"partial", "no-run"})

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[^\s`]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<name>[A-Za-z][\w-]*)\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its marker and its text."""

    page: str  # path relative to the repository root
    line: int  # 1-based line of the first line of code (after the fence)
    lang: str
    code: str
    marker: str | None = None
    reason: str = ""

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Command:
    """One shell command of a console block, with the output the block shows for it."""

    text: str
    line: int
    output: list[str] = field(default_factory=list)


def pages() -> list[Path]:
    """README.md and every docs/*.md page (docs/reference/ holds the generated API pages)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, in order. An unclosed fence is an error."""
    rel = page.relative_to(ROOT).as_posix()
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening["fence"]
        marker = _MARKER.match(lines[i - 1]) if i > 0 else None
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if end == len(lines):
            raise ValueError(f"{rel}:{i + 1}: a fenced block is never closed")
        found.append(Block(
            page=rel, line=i + 2, lang=opening["lang"].lower(),
            code="\n".join(lines[i + 1:end]) + "\n",
            marker=marker["name"] if marker else None,
            reason=(marker["reason"] or "") if marker else "",
        ))
        i = end + 1
    return found


def problems(block: Block) -> list[str]:
    """What is wrong with a block's language or marker, before anything is run."""
    known = PYTHON | SHELL | DISPLAY
    if not block.lang:
        return [f"{block.where}: a fenced block without a language: write ```text for output, "
                "```python or ```console for code"]
    if block.lang not in known:
        return [f"{block.where}: unknown language {block.lang!r}: use one of "
                f"{', '.join(sorted(known))}"]
    if block.marker is None:
        return []
    if block.marker not in MARKERS:
        return [f"{block.where}: unknown marker <!-- {block.marker} -->: use "
                "<!-- partial --> or <!-- no-run --> (see tests/docs/test_code_blocks.py)"]
    if block.lang in DISPLAY:
        return [f"{block.where}: <!-- {block.marker} --> on a ```{block.lang} block, "
                "which is never run"]
    if block.marker == "partial" and block.lang in SHELL:
        return [f"{block.where}: <!-- partial --> is for Python blocks; a command that "
                "cannot run here is <!-- no-run: why -->"]
    if block.marker == "no-run" and not block.reason:
        return [f"{block.where}: <!-- no-run --> needs a reason: <!-- no-run: needs AWS -->"]
    return []


def commands(block: Block) -> list[Command]:
    """The commands of a shell block.

    Lines starting with ``$ `` are commands, and the lines after one (up to the next) are its
    shown output. A block without any ``$ `` line is a list of commands, one a line. A
    trailing backslash continues a command on the next line.
    """
    lines = block.code.splitlines()
    prompted = any(line.startswith("$ ") for line in lines)
    found: list[Command] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        is_command = line.startswith("$ ") if prompted else bool(line.strip())
        if not is_command:
            if found and prompted:
                found[-1].output.append(line)
            i += 1
            continue
        start = i
        text = line[2:] if prompted else line
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + lines[i].strip()
        found.append(Command(text=text, line=block.line + start))
        i += 1
    return found


def expected_output(command: Command) -> re.Pattern[str] | None:
    """The shown output as a pattern (``…`` stands for any text), or None if none is shown."""
    shown = "\n".join(line.rstrip() for line in command.output).strip()
    if not shown:
        return None
    parts = [re.escape(part) for part in shown.split("…")]
    return re.compile(".*?".join(parts), re.DOTALL)


#: CloudFormation's short forms of its intrinsic functions (``!Ref Name``), which the SAM and
#: CloudFormation snippets of the docs use; any other tag is an error.
CFN_TAGS = ("And", "Base64", "Cidr", "Condition", "Equals", "FindInMap", "GetAZs", "GetAtt",
            "If", "ImportValue", "Join", "Not", "Or", "Ref", "Select", "Split", "Sub",
            "Transform")


class _CloudFormationLoader(yaml.SafeLoader):
    """yaml's safe loader, reading ``!Ref x`` as ``{"Ref": "x"}`` and so on."""

    # Its own tables: a library that registers constructors on yaml.SafeLoader itself (one of
    # the template tools does, for "!" tags) must not make this loader accept other tags.
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)
    yaml_multi_constructors: ClassVar[dict[Any, Any]] = {}


def _intrinsic(name: str) -> Callable[[yaml.SafeLoader, yaml.Node], Any]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return {name: loader.construct_sequence(node, deep=True)}
        if isinstance(node, yaml.MappingNode):
            return {name: loader.construct_mapping(node, deep=True)}
        assert isinstance(node, yaml.ScalarNode)
        return {name: loader.construct_scalar(node)}
    return construct


for _tag in CFN_TAGS:
    _CloudFormationLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))


def load_yaml(text: str) -> list[Any]:
    """The documents of a YAML block; CloudFormation's ``!Ref``-style tags are allowed."""
    return list(yaml.load_all(text, Loader=_CloudFormationLoader))  # a SafeLoader subclass
