"""``deepalert package``: a Lambda function bundle or layer with bytecode that stays valid."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Add the ``package`` subcommand to the ``deepalert`` command's subparsers."""
    package = subparsers.add_parser(
        "package", help="build a Lambda function bundle or layer with compiled bytecode",
        description="Build a Lambda function bundle (a folder and/or a zip) or a layer from a "
                    "project: its requirements installed for the Lambda platform, deepalert "
                    "from this installed copy, its own code, all compiled to unchecked-hash "
                    ".pyc files that stay valid on Lambda's read-only filesystem. boto3 and "
                    "what it needs are left out: the Lambda runtime provides them.")
    package.add_argument("project", nargs="?", default=".", metavar="PROJECT",
                         help="the folder with the function's code and requirements.txt "
                              "(default: the current folder)")
    package.add_argument("--out", metavar="FOLDER",
                         help="write the bundle as this folder (such as $ARTIFACTS_DIR)")
    package.add_argument("--zip", metavar="FILE", help="write the bundle as this zip file")
    package.add_argument("--layer", action="store_true",
                         help="build a layer: everything under python/")
    package.add_argument("--no-source", action="store_true",
                         help="leave the project's own files out (a layer of dependencies)")
    package.add_argument("--python", metavar="VERSION",
                         help="the runtime's Python, such as 3.12 or python3.12; must be the "
                              "Python running this (default: the Runtime PROJECT/template.yaml "
                              "names, else this Python)")
    package.add_argument("--arch", choices=("x86_64", "arm64"),
                         help="the function's architecture (default: the Architectures "
                              "PROJECT/template.yaml names, else x86_64)")
    package.add_argument("--requirements", metavar="FILE",
                         help="the requirements file (default: PROJECT/requirements.txt if "
                              "present); lines naming deepalert are dropped")
    package.add_argument("--include-boto3", action="store_true",
                         help="keep boto3, botocore, s3transfer, jmespath, urllib3, "
                              "python-dateutil and six")
    package.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                         help="leave project files or folders of this name out (repeatable)")
    package.add_argument("--find-links", action="append", default=[], metavar="DIR",
                         help="let pip find wheels in this folder (repeatable)")
    package.add_argument("--no-index", action="store_true",
                         help="pip looks at no package index (with --find-links)")
    package.add_argument("--force", action="store_true", help="replace an existing output")
    package.set_defaults(handler=_cmd_package)


def _cmd_package(args: argparse.Namespace) -> int:
    from deepalert._package import PackagingError, build_bundle

    pip_options: list[str] = []
    for where in args.find_links:
        pip_options += ["--find-links", str(Path(where).resolve())]
    if args.no_index:
        pip_options.append("--no-index")
    try:
        bundle = build_bundle(
            Path(args.project),
            folder=Path(args.out) if args.out else None,
            zip_file=Path(args.zip) if args.zip else None,
            layer=args.layer,
            python=args.python,
            architecture=args.arch,
            requirements=Path(args.requirements) if args.requirements else None,
            include_source=not args.no_source,
            include_boto3=args.include_boto3,
            excludes=args.exclude,
            pip_options=pip_options,
            force=args.force,
        )
    except PackagingError as exc:
        print(f"deepalert package: {exc}", file=sys.stderr)
        return 2
    kind = "layer" if args.layer else "function bundle"
    where = " and ".join(str(p) for p in (bundle.folder, bundle.zip_file) if p is not None)
    print(f"{kind} for Python {bundle.python} on {bundle.architecture}: {where}", file=sys.stderr)
    print(f"  {bundle.files} files, {bundle.size / 1e6:.1f} MB, {bundle.compiled} modules "
          "compiled (unchecked-hash .pyc)", file=sys.stderr)
    stands_for = f" (for {', '.join(bundle.replaced)})" if bundle.replaced else ""
    print(f"  deepalert {bundle.deepalert}{stands_for}", file=sys.stderr)
    if bundle.left_out:
        names = ", ".join(f"{name} ({size / 1e6:.1f} MB)"
                          for name, size in sorted(bundle.left_out.items()))
        print(f"  left out, the Lambda runtime provides them: {names}", file=sys.stderr)
    for name in bundle.not_compiled:
        print(f"  not compiled (kept as source): {name}", file=sys.stderr)
    return 0
