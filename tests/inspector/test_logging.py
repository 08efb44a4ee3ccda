"""Logs: one JSON object a line, naming report, author and attribute, with secrets masked."""

from __future__ import annotations

import json
import logging

import pytest

from deepalert import Attribute, ContentHost
from deepalert.inspector import InspectionContext, inspector
from deepalert.inspector._log import redact
from deepalert.testing import MemorySink, sqs_sns_event
from tests.inspector.conftest import ATTRIBUTE, FINDING, REPORT_ID, make_task


def json_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records
            if r.name.startswith("deepalert.inspector")]


def test_failed_record_is_logged_as_json_with_report_author_and_attribute(
        caplog: pytest.LogCaptureFixture, sink: MemorySink) -> None:
    """A failure logs one JSON line with report ID, author, attribute, message ID and error."""
    @inspector(author="whois")
    def whois(attr: Attribute) -> None:
        raise RuntimeError("lookup failed")

    event = sqs_sns_event(make_task("192.0.2.9"))
    with caplog.at_level(logging.INFO, logger="deepalert.inspector"):
        whois.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                     attribute_queue_url=ATTRIBUTE)
    failure, summary = json_lines(caplog)
    assert failure["level"] == "ERROR"
    assert failure["report_id"] == REPORT_ID
    assert failure["author"] == "whois"
    assert failure["attribute"] == {"type": "ipaddr", "key": "src", "value": "192.0.2.9"}
    assert failure["message_id"] == event["Records"][0]["messageId"]
    assert (failure["error"], failure["reason"]) == ("RuntimeError", "lookup failed")
    assert str(failure["where"]).endswith("in whois")
    assert (summary["message"], summary["records"], summary["failed"]) == (
        "inspection batch done", 1, 1)


def test_secrets_in_error_messages_are_masked(caplog: pytest.LogCaptureFixture,
                                              sink: MemorySink) -> None:
    """URLs lose their path and query, tokens and AWS key IDs are masked in logs."""
    @inspector(author="leaky")
    def leaky(attr: Attribute) -> None:
        raise RuntimeError("POST https://hooks.slack.com/services/T01/B02/s3cr3t failed; "
                           "api_key=abc123 key AKIAABCDEFGHIJKLMNOP Authorization: Bearer xyz")

    with caplog.at_level(logging.ERROR, logger="deepalert.inspector"):
        leaky.invoke(sqs_sns_event(make_task()), sqs_client=sink, finding_queue_url=FINDING,
                     attribute_queue_url=ATTRIBUTE)
    text = caplog.text
    for secret in ("s3cr3t", "abc123", "AKIAABCDEFGHIJKLMNOP", "xyz", "T01"):
        assert secret not in text
    assert "https://hooks.slack.com/…" in text


def test_redact_keeps_harmless_text() -> None:
    """Text without URLs or secrets is left as it is."""
    assert redact("no route to host 192.0.2.1") == "no route to host 192.0.2.1"


def test_context_logger_writes_json_with_the_task_fields(
        caplog: pytest.LogCaptureFixture) -> None:
    """ctx.logger lines carry report ID, author, attribute and the extra fields given."""
    from deepalert.testing import run_inspector

    @inspector(author="geo")
    def geo(attr: Attribute, ctx: InspectionContext) -> ContentHost:
        ctx.logger.info("looked up %s", "geoip", extra={"hits": 2})
        return ContentHost(country=["JP"])

    with caplog.at_level(logging.INFO, logger="deepalert.inspector"):
        run_inspector(geo, Attribute(type="ipaddr", key="src", value="192.0.2.1"),
                      report_id="r-7")
    line = next(x for x in json_lines(caplog) if x["message"] == "looked up geoip")
    assert line == {"level": "INFO", "message": "looked up geoip", "report_id": "r-7",
                    "author": "geo",
                    "attribute": {"type": "ipaddr", "key": "src", "value": "192.0.2.1"},
                    "hits": 2}


def test_nothing_is_logged_per_record_on_success(caplog: pytest.LogCaptureFixture,
                                                 sink: MemorySink) -> None:
    """A successful batch logs one summary line, not one line per record."""
    @inspector(author="a")
    def ok(attr: Attribute) -> ContentHost:
        return ContentHost()

    with caplog.at_level(logging.INFO, logger="deepalert.inspector"):
        ok.invoke(sqs_sns_event(*(make_task() for _ in range(5))), sqs_client=sink,
                  finding_queue_url=FINDING, attribute_queue_url=ATTRIBUTE)
    assert [x["message"] for x in json_lines(caplog)] == ["inspection batch done"]


def test_context_logger_lines_are_redacted_tracebacks_included(
        caplog: pytest.LogCaptureFixture) -> None:
    """What an inspector writes with ctx.logger is redacted like the SDK's own lines: the
    message, string extras and the traceback of ctx.logger.exception (in the line itself)."""
    from deepalert.testing import run_inspector

    key = "sk-live-0123456789abcdef0123"
    url = f"https://intel.example/v1?api_key={key}"

    @inspector(author="intel")
    def intel(attr: Attribute, ctx: InspectionContext) -> ContentHost:
        ctx.logger.info("calling %s", url, extra={"url": url, "hits": 2})
        try:
            raise ConnectionError(f"GET {url} failed")
        except ConnectionError:
            ctx.logger.exception("lookup failed")
        return ContentHost(country=["JP"])

    with caplog.at_level(logging.INFO, logger="deepalert.inspector"):
        run_inspector(intel, Attribute(type="ipaddr", key="src", value="192.0.2.1"))
    assert key not in caplog.text
    lines = {x["message"]: x for x in json_lines(caplog)}
    calling = lines[f"calling {redact(url)}"]  # the URL kept up to its host
    assert redact(url).startswith("https://intel.example/")
    assert (calling["url"], calling["hits"]) == (redact(url), 2)
    failed = lines["lookup failed"]
    assert failed["level"] == "ERROR"
    assert f"ConnectionError: GET {redact(url)} failed" in failed["exception"]
    assert "Traceback (most recent call last)" in failed["exception"]
    assert all(r.exc_info is None and not r.exc_text for r in caplog.records)
