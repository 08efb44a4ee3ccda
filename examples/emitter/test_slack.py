"""Tests of the example Slack emitter, against a webhook receiver on 127.0.0.1.

Run ``python -m pytest`` in this folder.
"""

from __future__ import annotations

import logging
import socket

import pytest

from deepalert import Report, ReportStatus
from deepalert.render import render_slack
from deepalert.testing import (
    FakeLambdaContext,
    make_alert,
    make_attribute,
    make_report,
    message_ids,
    run_emitter,
    sns_event,
    sqs_sns_event,
)
from examples.emitter import slack
from examples.emitter.conftest import SECRET_PATH, Receiver
from examples.emitter.slack import WebhookError, post_to_slack

SECRET = SECRET_PATH.rsplit("/", 1)[-1]


def published(severity: str = "urgent", **kwargs: object) -> Report:
    return make_report(
        make_alert(make_attribute("ipaddr", "198.51.100.7", "remote"), rule_id="ssh-brute",
                   rule_name="SSH brute force", description="Many failed logins"),
        status=ReportStatus.PUBLISHED, severity=severity, reason="policy said so",
        id="r-1", **kwargs)  # type: ignore[arg-type]


def test_a_published_urgent_report_is_posted_once(webhook: Receiver) -> None:
    """An urgent published report becomes one webhook message: its Block Kit rendering."""
    report = published()
    run = run_emitter(post_to_slack, report)
    assert (run.ran, run.failed) == (True, False)
    assert webhook.paths == [SECRET_PATH]
    [message] = webhook.messages
    assert message == render_slack(report)
    assert message["text"] == "[URGENT] SSH brute force (report r-1): policy said so"
    assert "• ipaddr 198.51.100.7 (remote)" in str(message["blocks"])


@pytest.mark.parametrize("report", [
    published(severity="safe"),
    make_report(status=ReportStatus.NEW),
    make_report(status=ReportStatus.MORE),
], ids=["safe", "new", "more"])
def test_safe_reports_and_snapshots_are_not_posted(webhook: Receiver, report: Report) -> None:
    """Safe reports and the core's new/more snapshots post nothing."""
    assert not run_emitter(post_to_slack, report).ran
    assert webhook.messages == []


def test_an_unclassified_report_is_posted(webhook: Receiver) -> None:
    """Unclassified reports (including an empty severity) need a human and are posted."""
    run_emitter(post_to_slack, published(severity=""))
    assert webhook.messages[0]["text"].startswith("[UNCLASSIFIED]")


def test_attacker_text_arrives_escaped(webhook: Receiver) -> None:
    """&, < and > in alert and attribute values arrive escaped: no mentions, no fake links."""
    evil = "<!channel> & <https://evil.example|click here>"
    report = make_report(
        make_alert(make_attribute("domain", evil, "remote"), rule_id="r",
                   rule_name="<@U123> rule", description=evil),
        status="published", severity="urgent", reason=evil)
    run_emitter(post_to_slack, report)
    [message] = webhook.messages
    text = str(message)
    assert "<!channel>" not in text
    assert "<@U123>" not in text
    assert "<https://evil" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;" in text


def test_rules_come_from_every_alert_not_the_first(webhook: Receiver) -> None:
    """The title names every alert's rule, since alerts come in no particular order."""
    report = make_report(make_alert(rule_id="b", rule_name="Rule B"),
                         make_alert(rule_id="a", rule_name="Rule A"),
                         status="published", severity="urgent", id="r-2")
    run_emitter(post_to_slack, report)
    assert webhook.messages[0]["text"].startswith("[URGENT] Rule A, Rule B (report r-2)")


def test_a_huge_report_stays_within_slack_limits(webhook: Receiver) -> None:
    """A huge description and 300 attributes still make a message Slack accepts."""
    attrs = [make_attribute("ipaddr", f"192.0.2.{i}", "remote") for i in range(300)]
    report = make_report(make_alert(*attrs, description="x" * 5000),
                         status="published", severity="urgent")
    run_emitter(post_to_slack, report)
    [message] = webhook.messages
    assert len(message["blocks"]) <= 50
    assert all(len(block.get("text", {}).get("text", "")) <= 3000
               for block in message["blocks"])
    assert "more attributes" in str(message["blocks"])


def test_an_http_error_fails_the_record_without_revealing_the_url(
        webhook: Receiver, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A 500 from the webhook raises WebhookError naming the status; the URL is nowhere."""
    webhook.status = 500
    with caplog.at_level(logging.DEBUG), pytest.raises(WebhookError) as caught:
        post_to_slack(sns_event(published()), FakeLambdaContext())
    assert str(caught.value) == "the webhook answered HTTP 500"
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is not None  # suppressed, not printed with it
    assert caught.value.__suppress_context__
    out = capsys.readouterr()
    for text in (str(caught.value), caplog.text, out.out, out.err):
        assert SECRET not in text
        assert "127.0.0.1" not in text


def test_over_sqs_a_failed_post_is_a_batch_item_failure(webhook: Receiver) -> None:
    """Over SQS, only the record whose post failed is handed back for a retry."""
    webhook.status = 429
    event = sqs_sns_event(published(), make_report(status="new"))
    response = post_to_slack(event, FakeLambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[0]}]}


def test_a_redirect_is_not_followed(webhook: Receiver) -> None:
    """A redirect answer fails the post instead of sending the message elsewhere."""
    webhook.status = 302
    webhook.location = "/elsewhere"
    with pytest.raises(WebhookError, match="HTTP 302"):
        post_to_slack.emit(published())
    assert webhook.paths == [SECRET_PATH]


def test_an_unreachable_webhook_names_only_the_error_type(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection failure raises WebhookError with the exception type, not the URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{port}{SECRET_PATH}")
    with pytest.raises(WebhookError) as caught:
        post_to_slack.emit(published())
    assert str(caught.value) == "the webhook could not be reached (URLError)"


@pytest.mark.parametrize("url", [
    f"http://hooks.example.com{SECRET_PATH}",
    f"ftp://127.0.0.1{SECRET_PATH}",
    f"https://[::1{SECRET_PATH}",
    SECRET,
])
def test_a_url_that_is_not_https_is_refused_without_echoing_it(
        monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Only https (or http to loopback) is used; the error does not repeat the URL."""
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    with pytest.raises(WebhookError, match="SLACK_WEBHOOK_URL") as caught:
        post_to_slack.emit(published())
    assert SECRET not in str(caught.value)


def test_without_a_webhook_url_the_message_is_printed_not_posted(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With SLACK_WEBHOOK_URL unset the emitter prints the message and succeeds (dry run)."""
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    assert post_to_slack.emit(published())
    err = capsys.readouterr().err
    assert "SLACK_WEBHOOK_URL is not set" in err
    assert '"text": "[URGENT] SSH brute force (report r-1): policy said so"' in err


@pytest.mark.parametrize(("left_ms", "timeout"), [(60_000, 10.0), (3_000, 2.0), (100, 0.5)])
def test_a_post_never_outlasts_the_invocation(webhook: Receiver, monkeypatch: pytest.MonkeyPatch,
                                              left_ms: int, timeout: float) -> None:
    """The post's timeout ends a second before the Lambda deadline (at most 10 s)."""
    seen: list[float] = []
    monkeypatch.setattr(slack, "post", lambda url, message, *, timeout: seen.append(timeout))
    post_to_slack(sns_event(published()), FakeLambdaContext(timeout_ms=left_ms,
                                                            clock=lambda: 0.0))
    assert seen == [timeout]
