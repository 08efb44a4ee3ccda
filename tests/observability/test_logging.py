"""LOG_LEVEL for every role's logger, JSON lines, and living with a Powertools Logger."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from deepalert import Attribute, ConfigurationError, Report, Severity
from deepalert._lambda import _logging
from deepalert.emitter import emitter
from deepalert.reviewer import reviewer
from deepalert.testing import (
    FakeLambdaContext,
    direct_event,
    make_report,
    run_inspector,
    sns_event,
)
from tests.observability.test_metrics import intel


@pytest.fixture(autouse=True)
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[logging.Logger]:
    for name in _logging.LEVEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("deepalert")
    saved = (logger.level, list(logger.handlers), logger.propagate)
    monkeypatch.setattr(_logging, "_applied", None)
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]
    logger.propagate = saved[2]


@reviewer
def review(report: Report) -> Severity:
    return Severity.SAFE


@emitter
def notify(report: Report) -> None:
    return None


def invoke(role: str) -> None:
    report = make_report(status="published")
    if role == "reviewer":
        review(direct_event(report), FakeLambdaContext())
    elif role == "emitter":
        notify(sns_event(report), FakeLambdaContext())
    else:
        run_inspector(intel, Attribute(type="ipaddr", value="192.0.2.1"))


@pytest.mark.parametrize("role", ["inspector", "reviewer", "emitter"])
@pytest.mark.parametrize(("variable", "value", "level"), [
    ("LOG_LEVEL", "debug", logging.DEBUG),
    ("POWERTOOLS_LOG_LEVEL", "ERROR", logging.ERROR),
    ("AWS_LAMBDA_LOG_LEVEL", "WARN", logging.WARNING),
    ("AWS_LAMBDA_LOG_LEVEL", "TRACE", logging.DEBUG),  # Lambda's own level names
    ("LOG_LEVEL", "fatal", logging.CRITICAL),
])
def test_every_role_honours_the_log_level(role: str, variable: str, value: str, level: int,
                                          fresh_logging: logging.Logger,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    invoke(role)
    assert fresh_logging.level == level
    assert logging.getLogger(f"deepalert.{role}").getEffectiveLevel() == level


def test_log_level_comes_first(fresh_logging: logging.Logger,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "ERROR")
    invoke("emitter")
    assert fresh_logging.level == logging.INFO


def test_a_level_the_application_set_is_kept(fresh_logging: logging.Logger,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_logging.setLevel(logging.CRITICAL)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    invoke("reviewer")
    assert fresh_logging.level == logging.CRITICAL


def test_without_log_level_nothing_is_configured(fresh_logging: logging.Logger) -> None:
    handlers = list(fresh_logging.handlers)
    invoke("emitter")
    assert fresh_logging.level == logging.NOTSET
    assert fresh_logging.handlers == handlers


def test_a_bad_level_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    with pytest.raises(ConfigurationError, match=r"LOG_LEVEL='verbose' is not a logging level"):
        invoke("reviewer")


SCRIPT_HEAD = """
import logging, sys
from deepalert import Attribute, ContentHost, Task
from deepalert.inspector import inspector
from deepalert.testing import FakeLambdaContext, MemorySink, sqs_sns_event

@inspector(author="intel")
def intel(attr: Attribute) -> ContentHost:
    if attr.value == "boom":
        raise RuntimeError("lookup failed")
    return ContentHost(country=["JP"])

def run() -> None:
    sink = MemorySink()
    event = sqs_sns_event(Task(report_id="r-7", attribute=Attribute(type="ipaddr", value="boom")),
                          Task(report_id="r-7", attribute=Attribute(type="ipaddr", value="ok")))
    intel.invoke(event, FakeLambdaContext(), sqs_client=sink,
                 finding_queue_url=sink.finding_queue_url,
                 attribute_queue_url=sink.attribute_queue_url)
"""


def run_script(body: str) -> list[dict[str, Any]]:
    """Run a script in a fresh interpreter (no logging configured by pytest); every line it
    writes, to stdout or stderr, must be one JSON object."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LOG_"))}
    env.update(LOG_LEVEL="INFO", POWERTOOLS_SERVICE_NAME="intel")
    done = subprocess.run([sys.executable, "-c", SCRIPT_HEAD + textwrap.dedent(body)],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # fails on any line that is not JSON


def ours(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    """Our lines with this message, whether the message is top-level or (under a Powertools
    formatter) the decoded object in "message"."""
    found = []
    for line in lines:
        inner = line.get("message")
        record = inner if isinstance(inner, dict) else line
        if record.get("message") == message:
            found.append(record)
    return found


def test_outside_lambda_the_lines_are_json() -> None:
    lines = run_script("run()\n")
    [failed] = ours(lines, "record failed")
    assert failed["report_id"] == "r-7"
    assert failed["author"] == "intel"
    assert failed["attribute"] == {"type": "ipaddr", "key": "", "value": "boom"}
    assert len(ours(lines, "inspection batch done")) == 1  # INFO, as LOG_LEVEL says


def test_with_a_powertools_logger_both_write_json_once() -> None:
    pytest.importorskip("aws_lambda_powertools")
    lines = run_script("""
        from aws_lambda_powertools import Logger
        from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

        logging.getLogger("deepalert")  # as docs/observability.md says
        logger = Logger()  # the user's own, service "intel" from POWERTOOLS_SERVICE_NAME
        copy_config_to_registered_loggers(source_logger=logger, include={"deepalert"})
        logger.info("user line", extra={"k": 1})
        run()
    """)
    [user] = [line for line in lines if line.get("message") == "user line"]
    assert user["k"] == 1
    assert user["service"] == "intel"
    [failed] = ours(lines, "record failed")  # exactly once: no second handler wrote it
    assert (failed["report_id"], failed["author"], failed["attribute"]["value"]) == (
        "r-7", "intel", "boom")
    assert len(ours(lines, "inspection batch done")) == 1
    powertools_lines = [line for line in lines if "service" in line]
    assert len(powertools_lines) == len(lines)  # ours went through the Powertools handler


ROLES_SCRIPT = """
from deepalert import Report, Severity
from deepalert.emitter import emitter
from deepalert.reviewer import reviewer
from deepalert.testing import direct_event, make_report, sns_event

@reviewer
def strict(report: Report) -> Severity:
    raise ValueError("policy table missing")

@emitter
def pager(report: Report) -> None:
    raise RuntimeError("pager down; client_secret=s3cr3t-v4lue-for-the-test")

def roles() -> None:
    report = make_report(id="r-9", status="published")
    strict(direct_event(report), FakeLambdaContext())
    try:
        pager(sns_event(report), FakeLambdaContext())
    except RuntimeError:
        pass
"""


@pytest.mark.parametrize("powertools", [False, True], ids=["plain", "powertools"])
def test_reviewer_and_emitter_lines_carry_the_report_id_and_author(powertools: bool) -> None:
    """The reviewer's and emitter's log lines are JSON with report_id and author, as the
    inspector's are, whether ours or a Powertools Logger's handler writes them."""
    setup = ""
    if powertools:
        pytest.importorskip("aws_lambda_powertools")
        setup = ("from aws_lambda_powertools import Logger\n"
                 "from aws_lambda_powertools.logging.utils import "
                 "copy_config_to_registered_loggers\n"
                 "copy_config_to_registered_loggers(source_logger=Logger(), "
                 "include={'deepalert'})\n")
    lines = run_script(ROLES_SCRIPT + setup + "roles()\n")
    by_author = {}
    for line in lines:
        inner = line.get("message")
        record = inner if isinstance(inner, dict) else line
        author = str(record.get("author", ""))
        if author.endswith((".strict", ".pager")):
            by_author[author.rsplit(".", 1)[1]] = record
    assert by_author["strict"]["report_id"] == "r-9"
    assert by_author["pager"]["report_id"] == "r-9"
    assert "pager down" in json.dumps(by_author["pager"])  # the traceback is written...
    assert "s3cr3t-v4lue" not in json.dumps(lines)             # ...redacted
