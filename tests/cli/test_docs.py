"""The docs list every option of every subcommand, as --help does (issue 11).

docs/cli.md has a section per command it documents (``### `deepalert run ...```) and is
checked strictly: every option in a row of that section. A command documented on its own page
instead (deploying, packaging) must have each option mentioned somewhere in the docs.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from deepalert import cli

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLI_DOCS = DOCS / "cli.md"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def section(command: str) -> str | None:
    text = CLI_DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^### `deepalert {command}\b.*?(?=^#{{2,3}} |\Z)", text, re.M | re.S)
    return match[0] if match else None


def all_docs() -> str:
    pages = [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages if p.exists())


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_is_in_help_and_in_the_docs(command: str) -> None:
    """Each option and positional of the subcommand has help text and is in the docs."""
    docs = section(command)
    strict = docs is not None
    if docs is None:
        docs = all_docs()
        assert f"deepalert {command}" in docs, f"no docs page mentions deepalert {command}"
    for action in subcommands()[command]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        names = action.option_strings or [action.metavar or action.dest]
        assert action.help, f"deepalert {command} {names[0]} has no --help text"
        if action.choices and not action.option_strings:  # a positional naming its choices
            mentioned = all(str(choice) in docs for choice in action.choices)
        else:
            mentioned = any((f"`{name}" if strict else name) in docs for name in names)
        assert mentioned, f"the docs do not mention {names[0]} of deepalert {command}"
        if strict and action.choices and action.option_strings:
            for choice in action.choices:
                assert str(choice) in docs, f"{names[0]} {choice} is not in docs/cli.md"


def test_the_commands_documented_here_have_their_sections() -> None:
    """The six commands of this module keep their sections in docs/cli.md."""
    for command in ("run", "validate", "convert", "inspect", "review", "cases"):
        assert section(command) is not None, command
