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
processed), 2 for a usage error (a role that cannot be loaded or is of the wrong kind, a
``--db`` file that cannot be opened, an unknown ``--source``...). No input makes the command
answer with a traceback: every problem is one line on stderr naming the file or argument, with
control characters escaped and secrets masked (``--verbose`` adds tracebacks, redacted).
"""

from __future__ import annotations

import argparse
import contextlib
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
_GO_MAX_DEPTH = 10_000


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
        _say(f"deepalert {args.command}: {exc}")
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0
    except Exception as exc:  # a fault no command could go on after: one line, status 1
        from deepalert.local._pipeline import _traceback

        _say(f"deepalert {args.command}: {_fault(args, exc)}")
        if getattr(args, "verbose", False):
            _say_traceback(_traceback(exc))
        return 1
    return code


def _fault(args: argparse.Namespace, exc: Exception) -> str:
    if type(exc).__module__ == "sqlite3" and getattr(args, "db", None):
        return f"--db {args.db}: {exc}; the run stopped (what was stored is kept)"
    return f"stopped by {type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _go_depth() -> Iterator[None]:
    """Read JSON nested as deep as Go does (10,000 levels) while inside.

    Python's readers stop at the recursion limit (1,000 by default). It is raised only around
    reading input, not while the user's roles run, so that their own runaway recursion fails
    as it would anywhere else; deeper input still fails alone with a named error.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _GO_MAX_DEPTH + 2_000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepalert",
        description="Run DeepAlert alerts through your inspectors, reviewer and emitters "
                    "locally and offline; package, scaffold and deploy them, and the core, "
                    "to AWS.")
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
    run.add_argument("--verbose", action="store_true",
                     help="show each failure's traceback (redacted) under its error line")
    run.set_defaults(handler=_cmd_run)

    validate = sub.add_parser("validate", help="check alerts as the core's Validate() does")
    validate.add_argument("alerts", nargs="+", metavar="ALERTS",
                          help="alert files or folders (JSON, JSON array, JSON lines; - is stdin)")
    validate.add_argument("--source", default="auto", metavar="NAME",
                          help="the format of the input (default: auto)")
    validate.set_defaults(handler=_cmd_validate)

    convert = sub.add_parser("convert", help="convert raw security events into DeepAlert "
                                             "alerts (JSON lines on stdout)")
    convert.add_argument("files", nargs="+", metavar="FILES",
                         help="raw event files or folders (- is stdin)")
    convert.add_argument("--source", default="auto", metavar="NAME",
                         help="the format of the input (default: auto)")
    convert.set_defaults(handler=_cmd_convert)

    inspect = sub.add_parser("inspect", help="run one inspector on one attribute")
    inspect.add_argument("--inspector", required=True, metavar="MODULE:NAME",
                         help="the @inspector to run")
    inspect.add_argument("--attr", required=True, metavar="TYPE:VALUE",
                         help="the attribute, such as ipaddr:192.0.2.1")
    inspect.add_argument("--key", default="", help="the attribute key (default: empty)")
    inspect.add_argument("--context", action="append", default=None, metavar="CONTEXT",
                         help="an attribute context (repeatable)")
    inspect.add_argument("--verbose", action="store_true",
                         help="show the inspector's traceback (redacted) when it raises")
    inspect.set_defaults(handler=_cmd_inspect)

    review = sub.add_parser("review", help="run a reviewer on a report file")
    review.add_argument("--reviewer", required=True, metavar="MODULE:NAME",
                        help="the @reviewer to run")
    review.add_argument("report", metavar="REPORT.json", help="the report file (- is stdin)")
    review.add_argument("--verbose", action="store_true",
                        help="show the reviewer's traceback (redacted) when it raises")
    review.set_defaults(handler=_cmd_review)

    cases = sub.add_parser("cases", help="run a reviewer's declared cases")
    cases.add_argument("reviewer", metavar="MODULE:NAME", help="the @reviewer whose cases run")
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
            if not path.is_file():
                raise _UsageError(f"cannot load {module_name}: no such file")
            loader = importlib.util.spec_from_file_location(path.stem, path)
            if loader is None or loader.loader is None:
                raise _UsageError(f"cannot load {module_name}")
            module = importlib.util.module_from_spec(loader)
            sys.modules[path.stem] = module
            try:
                loader.loader.exec_module(module)
            except BaseException:
                del sys.modules[path.stem]  # no half-run module left behind
                raise
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _UsageError(f"cannot import {module_name!r}: {exc}") from None
    except SyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}" if exc.filename else module_name
        raise _UsageError(f"cannot import {module_name!r}: syntax error in {where}: "
                          f"{exc.msg}") from None
    except Exception as exc:  # the module raised while being imported
        raise _UsageError(f"cannot import {module_name!r}: it raised {type(exc).__name__}: "
                          f"{exc}") from None
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise _UsageError(f"{module_name!r} has no {attr!r}") from None
    return obj


def _load_role(spec: str, slot: str) -> Any:
    """:func:`load_object`, refused at once when the object is no role of kind ``slot``."""
    from deepalert.errors import HandlerDefinitionError
    from deepalert.local._pipeline import check_role

    obj = load_object(spec)
    try:
        check_role(obj, slot, spec)
    except HandlerDefinitionError as exc:
        raise _UsageError(str(exc)) from None
    return obj


def _files(paths: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """``(file, None)`` for every input file, or ``(folder, error)`` for a folder not listed."""
    for name in paths:
        path = Path(name)
        if name != "-" and path.is_dir():
            try:
                found = sorted(p for p in path.rglob("*")
                               if p.is_file() and p.suffix in {".json", ".jsonl", ".ndjson"})
            except OSError as exc:
                yield name, f"cannot list the folder: {exc.strerror or exc}"
                continue
            yield from ((str(p), None) for p in found)
        else:
            yield name, None


def _read_alerts(paths: Sequence[str], source: str) -> Iterator[tuple[str, Any, str | None]]:
    """``(where, alert or None, error or None)`` for every event of every input.

    Events a converter leaves out on purpose (sample findings, say) are noted on stderr.
    """
    from deepalert.errors import SourceError
    from deepalert.sources import SOURCES, convert_file

    if source not in SOURCES:
        raise _UsageError(f"unknown --source {source!r}; expected one of {', '.join(SOURCES)}")
    for path, problem in _files(paths):
        label = "<stdin>" if path == "-" else path
        if problem is not None:
            yield label, None, problem
            continue
        items = convert_file(path, source=source)
        while True:
            try:
                with _go_depth():
                    item = next(items)
            except StopIteration:
                break
            except OSError as exc:  # also a gzip file cut short or past the size cap
                yield label, None, f"cannot read: {exc.strerror or exc}"
                break
            except Exception as exc:  # whatever a reader raises: this file fails, not the run
                yield label, None, f"cannot read: {type(exc).__name__}: {exc}"
                break
            where = f"{label} {item.position}".strip()
            error = item.error
            if isinstance(error, SourceError):
                # The error names its own, finer position (a record inside an envelope).
                yield (f"{label} {error.position or item.position}".strip(), None,
                       str(SourceError(error.source, error.field, error.reason)))
            elif error is not None:
                yield where, None, str(error)
            for reason in item.skipped:
                _say(f"{label}: skipped {reason}")
            for alert in item.alerts:
                yield where, alert, None


# --- commands ----------------------------------------------------------------------------------


def _say(line: str, *, secret_free: bool = False) -> None:
    """One line on stderr: secrets masked, control characters escaped."""
    from deepalert._redact import escape_control, redact

    print(escape_control(line if secret_free else redact(line)), file=sys.stderr)


def _say_traceback(text: str) -> None:
    from deepalert._redact import safe_traceback

    for line in safe_traceback(text).split("\n"):
        print("    " + line, file=sys.stderr)


def _open_store(path: str) -> Any:
    """The ``--db`` store, or a usage error naming the file and what is wrong with it."""
    import sqlite3

    from deepalert.local import SQLiteStore

    target = Path(path)
    if target.is_dir():
        raise _UsageError(f"--db {path}: is a directory, not a database file")
    folder = target.parent
    if not folder.is_dir():
        raise _UsageError(f"--db {path}: the folder {str(folder)!r} does not exist")
    if target.exists() and not os.access(target, os.R_OK | os.W_OK):
        raise _UsageError(f"--db {path}: cannot be read and written (permissions)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _UsageError(f"--db {path}: the folder {str(folder)!r} is not writable "
                          "(SQLite writes its journal next to the file)")
    try:
        store = SQLiteStore(path)  # reads the header and writes the schema: a bad file fails
    except (sqlite3.Error, OSError) as exc:
        raise _UsageError(f"--db {path}: not a usable SQLite database ({exc})") from None
    return store


def _cmd_run(args: argparse.Namespace) -> int:
    from deepalert.local import LocalPipeline
    from deepalert.local._pipeline import PipelineError

    inspectors = [_load_role(s, "inspector") for s in args.inspector]
    reviewer = _load_role(args.reviewer, "reviewer") if args.reviewer else None
    emitters = [_load_role(s, "emitter") for s in args.emitter]
    if args.source not in _sources():
        raise _UsageError(f"unknown --source {args.source!r}; expected one of "
                          f"{', '.join(_sources())}")
    store = _open_store(args.db) if args.db else None
    pipeline = LocalPipeline(inspectors=inspectors, reviewer=reviewer, emitters=emitters,
                             store=store, late_alerts=args.late_alerts)
    progress = not args.quiet
    count = 0
    for where, alert, error in _read_alerts(args.alerts, args.source):
        if error is not None:
            pipeline.errors.append(PipelineError("alert", error, source=where))
            continue
        _submit(pipeline, where, alert)
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
        _say(f"error: {failure}", secret_free=True)  # PipelineError redacts itself
        if args.verbose and failure.traceback:
            _say_traceback(failure.traceback)
    if progress:
        _say(f"deepalert run: {count} alerts, {len(reports)} reports published, "
             f"{len(pipeline.errors)} errors")
    if store is not None:
        store.close()
    return 1 if pipeline.errors else 0


def _submit(pipeline: Any, where: str, alert: Any) -> None:
    """Submit one alert; whatever the core's readers raise fails this alert only."""
    from deepalert.local._pipeline import PipelineError, _traceback

    try:
        with _go_depth():
            pipeline.submit_many([(where, alert)])
    except Exception as exc:
        if type(exc).__module__ == "sqlite3":
            raise  # the store failed: no later alert can be stored either
        pipeline.errors.append(PipelineError(
            "alert", f"{type(exc).__name__}: {exc}", source=where, traceback=_traceback(exc)))


def _sources() -> tuple[str, ...]:
    from deepalert.sources import SOURCES

    return tuple(SOURCES)


def _cmd_validate(args: argparse.Namespace) -> int:
    bad = good = 0
    for where, alert, error in _read_alerts(args.alerts, args.source):
        if error is not None:
            _say(f"{where}: {error}")
            bad += 1
        else:
            assert alert is not None
            good += 1
    _say(f"{good} valid, {bad} invalid")
    return 1 if bad else 0


def _cmd_convert(args: argparse.Namespace) -> int:
    bad = 0
    for where, alert, error in _read_alerts(args.files, args.source):
        if error is not None:
            _say(f"{where}: {error}")
            bad += 1
        else:
            sys.stdout.write(alert.to_json() + "\n")
    return 1 if bad else 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from deepalert.local._pipeline import _traceback
    from deepalert.models import Attribute
    from deepalert.testing import run_inspector

    inspector = _load_role(args.inspector, "inspector")
    attr_type, sep, value = args.attr.partition(":")
    if not sep:
        raise _UsageError(f"--attr {args.attr!r} is not TYPE:VALUE (for example ipaddr:192.0.2.1)")
    attribute = Attribute(type=attr_type, key=args.key, value=value, context=args.context)
    if not inspector.accepts(attribute):
        _say(f"skipped: {_filter_note(inspector, attribute)}; the core would not send it this "
             "attribute, so it did not run")
        return 0
    try:
        result = run_inspector(inspector, attribute)
    except Exception as exc:  # the user's inspector: report, do not crash
        _say(f"inspector raised {type(exc).__name__}: {exc}")
        if args.verbose:
            _say_traceback(_traceback(exc))
        return 1
    for finding in result.findings:
        sys.stdout.write(finding.to_json() + "\n")
    if result.report_attribute is not None:
        sys.stdout.write(result.report_attribute.to_json() + "\n")
    _say(f"{len(result.findings)} findings, {len(result.new_attributes)} new attributes")
    return 0


def _filter_note(inspector: Any, attribute: Any) -> str:
    types = sorted(getattr(inspector, "types", None) or ())
    contexts = sorted(getattr(inspector, "contexts", None) or ())
    if types and attribute.type not in types:
        return (f"the inspector's types= filter ({', '.join(types)}) does not take type "
                f"{attribute.type!r}")
    given = ", ".join(attribute.context or ()) or "none"
    return (f"the inspector's contexts= filter ({', '.join(contexts)}) takes none of the "
            f"attribute's contexts ({given}; give them with --context)")


def _cmd_review(args: argparse.Namespace) -> int:
    from deepalert.local._pipeline import _traceback
    from deepalert.models import Report

    reviewer = _load_role(args.reviewer, "reviewer")
    label = "<stdin>" if args.report == "-" else args.report
    try:
        data = sys.stdin.buffer.read() if args.report == "-" else Path(args.report).read_bytes()
    except OSError as exc:
        _say(f"{label}: cannot read: {exc.strerror or exc}")
        return 1
    try:
        with _go_depth():
            report = Report.from_json(data)
            event = json.loads(report.to_json())
    except RecursionError:
        _say(f"{label}: nests too deeply to read")
        return 1
    except Exception as exc:  # not a report the core writes; whatever the reader raised
        _say(f"{label}: {exc}")
        return 1
    try:
        result = reviewer(event, None)
    except Exception as exc:  # the user's reviewer: report, do not crash
        _say(f"reviewer raised {type(exc).__name__}: {exc}; the core would not publish this "
             "report")
        if args.verbose:
            _say_traceback(_traceback(exc))
        return 1
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


def _cmd_cases(args: argparse.Namespace) -> int:
    from deepalert._redact import escape_control
    from deepalert.reviewer import run_cases

    reviewer = _load_role(args.reviewer, "reviewer")
    results = run_cases(reviewer)
    failed = 0
    for case in results:
        mark = "PASS" if case.passed else "FAIL"
        detail = "" if case.passed else f": {case.message}"
        print(escape_control(f"{mark} {case.name}{detail}"))
        failed += not case.passed
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


# --- text output -------------------------------------------------------------------------------


def _print_report(report: Any, out: IO[str]) -> None:
    from deepalert._redact import escape_control as e

    result = report.result
    verdict = e((result.severity or "unclassified").upper())
    reason = f": {e(result.reason)}" if result.reason else ""
    out.write(f"Report {e(report.id)} [{e(report.status)}] {verdict}{reason}\n")
    alerts = report.alerts or []
    out.write(f"  alerts ({len(alerts)}):\n")
    for alert in alerts:
        name = alert.rule_name or alert.rule_id
        key = f" key={e(alert.alert_key)}" if alert.alert_key else ""
        out.write(f"    {e(str(alert.timestamp))}  {e(alert.detector)}: {e(name)}{key}\n")
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
    from deepalert._redact import escape_control as e

    context = f" [{e(', '.join(attr.context))}]" if attr.context else ""
    key = f"{e(attr.key)}=" if attr.key else ""
    return f"{e(attr.type)} {key}{_clip(attr.value, 80)}{context}"


def _content(content: Any) -> str:
    from deepalert._redact import escape_control as e

    parts = []
    for name, value in content.model_dump(exclude_none=True).items():
        if not value:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            parts.append(f"{name}={len(value)}")
        elif isinstance(value, list):
            parts.append(f"{name}={e(','.join(str(v) for v in value))}")
    return " ".join(parts) or "(empty)"


def _clip(text: str, width: int = 100) -> str:
    from deepalert._redact import escape_control

    text = escape_control(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
