"""``deepalert new``: write a small inspector, reviewer or emitter project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Add the ``new`` subcommand to the ``deepalert`` command's subparsers."""
    new = subparsers.add_parser(
        "new", help="write a new inspector, reviewer or emitter project",
        description="Write a small project: the function, tests with a fixture alert, a SAM "
                    "template built with deepalert package, a README, requirements.txt and "
                    "pyproject.toml. It passes its own tests and mypy --strict as written. "
                    "Existing files are never overwritten.")
    new.add_argument("kind", choices=("inspector", "reviewer", "emitter"),
                     help="the role the function plays")
    new.add_argument("name", metavar="NAME",
                     help="the module and function name, a Python identifier such as ip_owner")
    new.add_argument("--dir", metavar="DIR",
                     help="the folder to write into (default: ./NAME)")
    new.set_defaults(handler=_cmd_new)


def _cmd_new(args: argparse.Namespace) -> int:
    from deepalert._scaffold import ScaffoldError, new_project

    folder = Path(args.dir) if args.dir else Path(args.name)
    try:
        written = new_project(args.kind, args.name, folder)
    except ScaffoldError as exc:
        print(f"deepalert new: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(f"wrote the {args.kind} project in {folder}; next: cd {folder} && python -m pytest "
          "&& mypy --strict .", file=sys.stderr)
    return 0
