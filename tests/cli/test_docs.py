"""docs/cli.md lists every option of every subcommand, as --help does (issue 11)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from deepalert import cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def section(command: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^### `deepalert {command}\b.*?(?=^#{{2,3}} |\Z)", text, re.M | re.S)
    assert match, f"docs/cli.md has no section for deepalert {command}"
    return match[0]


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_is_in_help_and_in_the_docs(command: str) -> None:
    """Each option and positional of the subcommand has help text and a row in its section."""
    docs = section(command)
    for action in subcommands()[command]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        names = action.option_strings or [action.metavar or action.dest]
        assert action.help, f"deepalert {command} {names[0]} has no --help text"
        assert any(f"`{name}" in docs for name in names), (
            f"docs/cli.md does not mention {names[0]} of deepalert {command}")
        if action.choices and action.option_strings:
            for choice in action.choices:
                assert str(choice) in docs, f"{names[0]} {choice} is not in the docs"
