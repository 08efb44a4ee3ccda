"""The ``deepalert`` command: run alerts through the local pipeline, and try each role alone.

::

    deepalert run ALERTS... [--inspector MODULE:NAME]... [--reviewer MODULE:NAME]
                            [--emitter MODULE:NAME]... [--db FILE] [--output text|json]
    deepalert validate ALERTS...
    deepalert convert FILES... [--source NAME]
    deepalert inspect --inspector MODULE:NAME --attr TYPE:VALUE
    deepalert review --reviewer MODULE:NAME REPORT.json
    deepalert cases MODULE:NAME
    deepalert package [PROJECT] [--out FOLDER] [--zip FILE] [--layer] [--python VERSION] ...
    deepalert new inspector|reviewer|emitter NAME [--dir DIR]
    deepalert send ALERTS... (--queue-url URL | --topic-arn ARN)
    deepalert template [--code-uri PATH_OR_S3_URI]

``ALERTS`` are files (one alert, a JSON array, or JSON lines; ``-`` is standard input) or
folders of ``.json``/``.jsonl`` files. They may hold DeepAlert alerts or raw events of a
format :mod:`deepalert.sources` knows (GuardDuty, Security Hub, Suricata, Falco, ...).

Exit status: 0 when everything went through, 1 when anything failed (the rest is still
processed), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["main"]

_PROGRESS_EVERY = 10_000


class _UsageError(Exception):
    """A command line that cannot run: exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``deepalert`` command with ``argv`` (``sys.argv[1:]`` by default)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.handler(args)
    except _UsageError as exc:
        print(f"deepalert {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepalert",
        description="Run DeepAlert alerts through your inspectors, reviewer and emitters, "
                    "locally and offline.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run alerts through the whole local pipeline",
                         description="Run alerts through the DeepAlert core's pipeline, in "
                                     "process, with simulated delays.")
    run.add_argument("alerts", nargs="+", metavar="ALERTS",
                     help="alert files or folders (JSON, JSON array, JSON lines; - is stdin)")
    run.add_argument("--inspector", action="append", default=[], metavar="MODULE:NAME",
                     help="an @inspector to run (repeatable)")
    run.add_argument("--reviewer", metavar="MODULE:NAME", help="the @reviewer to run")
    run.add_argument("--emitter", action="append", default=[], metavar="MODULE:NAME",
                     help="an @emitter to run (repeatable)")
    run.add_argument("--db", metavar="FILE", help="keep reports in this SQLite file")
    run.add_argument("--output", choices=("text", "json"), default="text",
                     help="text: a summary per published report; json: one report per line")
    run.add_argument("--source", default="auto", metavar="NAME",
                     help="the format of the input (default: auto)")
    run.add_argument("--late-alerts", choices=("review-again", "go"), default="review-again",
                     help="what an alert after publication does (default: review-again)")
    run.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    run.set_defaults(handler=_cmd_run)

    validate = sub.add_parser("validate", help="check alerts as the core's Validate() does")
    validate.add_argument("alerts", nargs="+", metavar="ALERTS")
    validate.add_argument("--source", default="auto", metavar="NAME")
    validate.set_defaults(handler=_cmd_validate)

    convert = sub.add_parser("convert", help="convert raw security events into DeepAlert "
                                             "alerts (JSON lines on stdout)")
    convert.add_argument("files", nargs="+", metavar="FILES")
    convert.add_argument("--source", default="auto", metavar="NAME")
    convert.set_defaults(handler=_cmd_convert)

    inspect = sub.add_parser("inspect", help="run one inspector on one attribute")
    inspect.add_argument("--inspector", required=True, metavar="MODULE:NAME")
    inspect.add_argument("--attr", required=True, metavar="TYPE:VALUE",
                         help="the attribute, such as ipaddr:192.0.2.1")
    inspect.add_argument("--key", default="", help="the attribute key")
    inspect.add_argument("--context", action="append", default=None, metavar="CONTEXT",
                         help="an attribute context (repeatable)")
    inspect.set_defaults(handler=_cmd_inspect)

    review = sub.add_parser("review", help="run a reviewer on a report file")
    review.add_argument("--reviewer", required=True, metavar="MODULE:NAME")
    review.add_argument("report", metavar="REPORT.json")
    review.set_defaults(handler=_cmd_review)

    cases = sub.add_parser("cases", help="run a reviewer's declared cases")
    cases.add_argument("reviewer", metavar="MODULE:NAME")
    cases.set_defaults(handler=_cmd_cases)

    # Commands that build and deploy, each in its own module.
    from deepalert import _cli_new, _cli_package, _cli_send, _cli_template

    _cli_package.add_parser(sub)
    _cli_new.add_parser(sub)
    _cli_send.add_parser(sub)
    _cli_template.add_parser(sub)
    return parser


# --- loading roles and inputs ------------------------------------------------------------------


def load_object(spec: str) -> Any:
    """Import ``MODULE:NAME`` (or ``path/to/file.py:NAME``) and return the object."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise _UsageError(f"{spec!r} is not MODULE:NAME (for example examples.inspector.app:"
                          "ip_classifier)")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            loader = importlib.util.spec_from_file_location(path.stem, path)
            if loader is None or loader.loader is None:
                raise _UsageError(f"cannot load {module_name}")
            module = importlib.util.module_from_spec(loader)
            sys.modules[path.stem] = module
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _UsageError(f"cannot import {module_name!r}: {exc}") from None
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise _UsageError(f"{module_name!r} has no {attr!r}") from None
    return obj


def _files(paths: Sequence[str]) -> Iterator[str]:
    for name in paths:
        path = Path(name)
        if name != "-" and path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix in {".json", ".jsonl", ".ndjson"})
            yield from (str(p) for p in found)
        else:
            yield name


def _read_alerts(paths: Sequence[str], source: str) -> Iterator[tuple[str, Any, str | None]]:
    """``(where, alert or None, error or None)`` for every event of every input.

    Events a converter leaves out on purpose (sample findings, say) are noted on stderr.
    """
    from deepalert.errors import SourceError
    from deepalert.sources import SOURCES, convert_file

    if source not in SOURCES:
        raise _UsageError(f"unknown --source {source!r}; expected one of {', '.join(SOURCES)}")
    for path in _files(paths):
        label = "<stdin>" if path == "-" else path
        try:
            items = list(convert_file(path, source=source))
        except OSError as exc:
            yield label, None, f"cannot read: {exc.strerror or exc}"
            continue
        for item in items:
            where = f"{label} {item.position}".strip()
            error = item.error
            if isinstance(error, SourceError):
                # The error names its own, finer position (a record inside an envelope).
                yield (f"{label} {error.position or item.position}".strip(), None,
                       str(SourceError(error.source, error.field, error.reason)))
            elif error is not None:
                yield where, None, str(error)
            for reason in item.skipped:
                print(f"{label}: skipped {reason}", file=sys.stderr)
            for alert in item.alerts:
                yield where, alert, None


# --- commands ----------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    from deepalert.local import LocalPipeline, SQLiteStore
    from deepalert.local._pipeline import PipelineError

    inspectors = [load_object(s) for s in args.inspector]
    reviewer = load_object(args.reviewer) if args.reviewer else None
    emitters = [load_object(s) for s in args.emitter]
    store = SQLiteStore(args.db) if args.db else None
    pipeline = LocalPipeline(inspectors=inspectors, reviewer=reviewer, emitters=emitters,
                             store=store, late_alerts=args.late_alerts)
    progress = not args.quiet
    count = 0
    for where, alert, error in _read_alerts(args.alerts, args.source):
        if error is not None:
            pipeline.errors.append(PipelineError("alert", error, source=where))
            continue
        pipeline.submit_many([(where, alert)])
        count += 1
        if progress and count % _PROGRESS_EVERY == 0:
            print(f"deepalert run: {count:,} alerts submitted", file=sys.stderr)
    pipeline.run()
    if progress and (pipeline.resumed or pipeline.repeated):
        print(f"deepalert run: resumed {pipeline.resumed} pending steps from {args.db}; "
              f"{pipeline.repeated} alerts were stored already", file=sys.stderr)
    out = sys.stdout
    reports = pipeline.published_json()
    if args.output == "json":
        for text in reports:
            out.write(text + "\n")
    else:
        from deepalert.models import Report

        for text in reports:
            _print_report(Report.from_json(text), out)
    for failure in pipeline.errors:
        print(f"error: {failure}", file=sys.stderr)
    if progress:
        print(f"deepalert run: {count} alerts, {len(reports)} reports published, "
              f"{len(pipeline.errors)} errors", file=sys.stderr)
    if store is not None:
        store.close()
    return 1 if pipeline.errors else 0


def _cmd_validate(args: argparse.Namespace) -> int:
    bad = good = 0
    for where, alert, error in _read_alerts(args.alerts, args.source):
        if error is not None:
            print(f"{where}: {error}", file=sys.stderr)
            bad += 1
        else:
            assert alert is not None
            good += 1
    print(f"{good} valid, {bad} invalid", file=sys.stderr)
    return 1 if bad else 0


def _cmd_convert(args: argparse.Namespace) -> int:
    bad = 0
    for where, alert, error in _read_alerts(args.files, args.source):
        if error is not None:
            print(f"{where}: {error}", file=sys.stderr)
            bad += 1
        else:
            sys.stdout.write(alert.to_json() + "\n")
    return 1 if bad else 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from deepalert.models import Attribute
    from deepalert.testing import run_inspector

    inspector = load_object(args.inspector)
    attr_type, sep, value = args.attr.partition(":")
    if not sep:
        raise _UsageError(f"--attr {args.attr!r} is not TYPE:VALUE (for example ipaddr:192.0.2.1)")
    attribute = Attribute(type=attr_type, key=args.key, value=value, context=args.context)
    try:
        result = run_inspector(inspector, attribute)
    except Exception as exc:  # the user's inspector: report, do not crash
        print(f"inspector raised {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for finding in result.findings:
        sys.stdout.write(finding.to_json() + "\n")
    if result.report_attribute is not None:
        sys.stdout.write(result.report_attribute.to_json() + "\n")
    print(f"{len(result.findings)} findings, {len(result.new_attributes)} new attributes",
          file=sys.stderr)
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from deepalert.errors import DeepAlertError
    from deepalert.models import Report

    reviewer = load_object(args.reviewer)
    try:
        data = sys.stdin.buffer.read() if args.report == "-" else Path(args.report).read_bytes()
    except OSError as exc:
        print(f"{args.report}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        report = Report.from_json(data)
    except DeepAlertError as exc:
        print(f"{args.report}: {exc}", file=sys.stderr)
        return 1
    try:
        result = reviewer(json.loads(report.to_json()), None)
    except Exception as exc:  # the user's reviewer: report, do not crash
        print(f"reviewer raised {type(exc).__name__}: {exc}; the core would not publish this "
              "report", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


def _cmd_cases(args: argparse.Namespace) -> int:
    from deepalert.reviewer import run_cases

    reviewer = load_object(args.reviewer)
    results = run_cases(reviewer)
    failed = 0
    for case in results:
        mark = "PASS" if case.passed else "FAIL"
        detail = "" if case.passed else f": {case.message}"
        print(f"{mark} {case.name}{detail}")
        failed += not case.passed
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


# --- text output -------------------------------------------------------------------------------


def _print_report(report: Any, out: IO[str]) -> None:
    result = report.result
    verdict = (result.severity or "unclassified").upper()
    reason = f": {result.reason}" if result.reason else ""
    out.write(f"Report {report.id} [{report.status}] {verdict}{reason}\n")
    alerts = report.alerts or []
    out.write(f"  alerts ({len(alerts)}):\n")
    for alert in alerts:
        name = alert.rule_name or alert.rule_id
        key = f" key={alert.alert_key}" if alert.alert_key else ""
        out.write(f"    {alert.timestamp}  {alert.detector}: {name}{key}\n")
        if alert.description:
            out.write(f"      {_clip(alert.description)}\n")
    attributes = report.attributes or []
    out.write(f"  attributes ({len(attributes)}):\n")
    for attr in attributes:
        out.write(f"    {_attr(attr)}\n")
    sections = report.sections or []
    out.write(f"  sections ({len(sections)}):\n")
    for section in sections:
        out.write(f"    {_attr(section.attr)}\n")
        for kind, contents in (("host", section.hosts), ("user", section.users),
                               ("binary", section.binaries)):
            for content in contents or ():
                out.write(f"      {kind}: {_content(content)}\n")
    out.write("\n")


def _attr(attr: Any) -> str:
    context = f" [{', '.join(attr.context)}]" if attr.context else ""
    key = f"{attr.key}=" if attr.key else ""
    return f"{attr.type} {key}{_clip(attr.value, 80)}{context}"


def _content(content: Any) -> str:
    parts = []
    for name, value in content.model_dump(exclude_none=True).items():
        if not value:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            parts.append(f"{name}={len(value)}")
        elif isinstance(value, list):
            parts.append(f"{name}={','.join(str(v) for v in value)}")
    return " ".join(parts) or "(empty)"


def _clip(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
