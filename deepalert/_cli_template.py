"""``deepalert template``: print the SAM template of the DeepAlert core on AWS.

::

    deepalert template [--code-uri PATH_OR_S3_URI] > template.yaml

The template ships in the package (``deepalert/core/aws/template.yaml``). Its functions' code
is the folder ``./deepalert-core`` by default (``sam build`` installs what its
``requirements.txt`` names); ``--code-uri`` points them at another folder or at a bundle
already in S3 (``s3://bucket/key.zip``).
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from typing import Any

__all__ = ["DEFAULT_CODE_URI", "add_parser", "core_template"]

DEFAULT_CODE_URI = "./deepalert-core"
"""Where the template's functions take their code from, unless told otherwise."""

_CODE_URI_LINE = f"    CodeUri: {DEFAULT_CODE_URI}\n"


def core_template(code_uri: str = DEFAULT_CODE_URI) -> str:
    """The core's SAM template as YAML text, its functions' ``CodeUri`` set to ``code_uri``."""
    text = (resources.files("deepalert") / "core" / "aws" / "template.yaml").read_text(
        encoding="utf-8")
    if code_uri != DEFAULT_CODE_URI:
        if any(c in code_uri for c in "\n\r'\"#{}[]") or not code_uri.strip():
            raise ValueError(f"--code-uri {code_uri!r}: expected a folder or an s3:// URI")
        text = text.replace(_CODE_URI_LINE, f"    CodeUri: {code_uri}\n", 1)
    return text


def add_parser(sub: Any) -> None:
    """Register ``template`` on the ``deepalert`` command's subparsers."""
    template = sub.add_parser(
        "template", help="print the SAM template of the DeepAlert core on AWS",
        description="Print the SAM template that deploys the DeepAlert core (table, topics, "
                    "queues, state machines, functions). See docs/deploy.md.")
    template.add_argument("--code-uri", default=DEFAULT_CODE_URI, metavar="PATH_OR_S3_URI",
                          help=f"the functions' code (default: {DEFAULT_CODE_URI}, a folder "
                               "whose requirements.txt names deepalert)")
    template.set_defaults(handler=_cmd_template)


def _cmd_template(args: argparse.Namespace) -> int:
    try:
        text = core_template(args.code_uri)
    except ValueError as exc:
        print(f"deepalert template: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0
