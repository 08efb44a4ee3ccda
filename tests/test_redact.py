"""deepalert._redact: the one function that takes credentials out of text leaving the SDK.

The secrets below are fake but have the shapes real credentials take (AWS's documentation
examples, well-formed GitHub/Slack/JWT tokens); each must disappear from the output.
"""

from __future__ import annotations

import logging

import pytest

from deepalert._redact import RedactingFilter, escape_control, redact

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = "FwoGZXIvYXdzEBYaDNmQ3Ru+7X4kQ2bJtyKrAU4LbQ2XhA9vD0C2gh/8example+token=="
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
       ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98qdf\nq9Lm3bXhKyZ\n"
       "-----END RSA PRIVATE KEY-----")

# (text, the secret that must not survive, what must still be there)
SECRETS = [
    (f"aws_secret_access_key={AWS_SECRET}", AWS_SECRET, "aws_secret_access_key="),
    (f"AWS_SECRET_ACCESS_KEY = {AWS_SECRET}", AWS_SECRET, "AWS_SECRET_ACCESS_KEY"),
    ("client_secret=s3cr3tValue42", "s3cr3tValue42", "client_secret="),
    ("db_password=hunter2 at db.internal", "hunter2", "at db.internal"),
    ("DB_PASSWORD: 'hunter2'", "hunter2", "DB_PASSWORD"),
    (f"aws_session_token={SESSION}", SESSION[:20], "aws_session_token="),
    (f"token expired: {SESSION}", SESSION[:20], "token expired"),
    (f"{{'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE', 'SecretAccessKey': '{AWS_SECRET}'}}",
     AWS_SECRET, "'SecretAccessKey': '***'"),
    (f'{{"SessionToken": "{SESSION}", "Expiration": "2026-12-01"}}', SESSION[:20],
     '"Expiration": "2026-12-01"'),
    ('{"password": "pa\\"ss word", "user": "alice"}', "pa\\\"ss", '"user": "alice"'),
    ("key AKIAIOSFODNN7EXAMPLE was denied", "AKIAIOSFODNN7EXAMPLE", "was denied"),
    ("temp key ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "temp key"),
    ("role_AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "role_"),
    (f"secret {AWS_SECRET} leaked", AWS_SECRET, "leaked"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "Authorization: Basic"),
    ("Authorization: Bearer xyz", "xyz", "Authorization"),
    ("{'Authorization': 'Bearer abc.def.ghi'}", "abc.def", "'Authorization'"),
    ("sent with Bearer 0123456789abcdef", "0123456789abcdef", "sent with Bearer"),
    ("X-Api-Key: 12345abcde", "12345abcde", "X-Api-Key"),
    ("api_key=abc123&q=1", "abc123", "api_key="),
    (f"jwt {JWT} rejected", JWT[:30], "rejected"),
    (f"key file:\n{PEM}\nend", "MIIEowIBAAKCAQEA", "end"),
    ('{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----'
     '\\n"}', "MIIEvQIBADANBg", '"private_key"'),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE (cut)", "b3BlbnNzaC1rZXktdjE",
     "BEGIN OPENSSH PRIVATE KEY"),
    ("push with ghp_16C7e42F292c6912E7710c838347Ae178B4a failed", "ghp_16C7e42F292c", "failed"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c", ""),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
     "11ABCDEFG0123456789", ""),
    ("glpat-abcdefghij0123456789", "abcdefghij0123456789", ""),
    ("slack said invalid_auth for xoxb-2345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
     "AbCdEfGhIjKlMnOpQrStUvWx", "invalid_auth"),
    ("xoxp-1234567890-1234567890-abcdefabcdef", "abcdefabcdef", ""),
    ("xapp-1-A0123456789-1234567890-abcdef0123", "abcdef0123", ""),
    ("POST https://hooks.slack.com/services/T01ABC/B02DEF/s3cr3tPart failed", "s3cr3tPart",
     "https://hooks.slack.com/… failed"),
    ("https://hooks.slack.com/services/T01ABC/B02DEF/s3cr3tPart", "T01ABC", "hooks.slack.com"),
    ("connect postgres://app:pa/ss@word@db.example.com:5432/x", "pa/ss", "db.example.com"),
    ("connect postgres://app:p4ss/w0rd@db.example.com/x", "p4ss", "postgres://***@db.example"),
    ("https://user:secretpw@example.com", "secretpw", "example.com"),
    ("GET https://api.example.com/v1?token=abc123 gave 403", "abc123", "gave 403"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", ""),
    ("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "SyA-abcdefghijkl", ""),
    ("Cookie: session=abcdef123456", "abcdef123456", "Cookie"),
    ("passphrase=correct-horse", "correct-horse", "passphrase="),
    ("{'credentials': {'password': 'pw-123'}}", "pw-123", "'credentials'"),
]

# Text that must come out exactly as it went in.
READABLE = [
    "no route to host 192.0.2.1",
    "connection to 2001:db8::1 port 443 refused",
    "the token expired; sign in again",
    "wrong password for user alice",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 is known bad",
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709, md5 d41d8cd98f00b204e9800998ecf8427e",
    "report 5a1c7a6e-8d3b-4c7e-9f1a-2b3c4d5e6f70 published",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf not found",
    "arn:aws:iam::123456789012:role/deepalert-inspector",
    "author=geo key=src type=ipaddr",
    "https://example.com",
    "lookup of example.com timed out after 3 s",
    "Basic checks passed",
    "KeyError: 'country'",
    "ValueError: invalid literal for int() with base 10: 'abc'",
    "日本語のメッセージ émoji ✓",
    'File "/Users/JaneDoe/Projects/AlertHub/src/app/handlers/ip.py", line 12, in lookup',
    "/Users/JaneDoe/Projects/AlertHub/srcAp/x is forty characters of path",
]


@pytest.mark.parametrize(("text", "secret", "kept"), SECRETS)
def test_each_credential_shape_is_masked(text: str, secret: str, kept: str) -> None:
    """The secret is gone, the text around it stays readable."""
    out = redact(text)
    assert secret not in out, out
    assert kept in out, out
    assert "***" in out or "/…" in out  # URLs lose their path: "https://host/…"


@pytest.mark.parametrize("text", READABLE)
def test_ordinary_text_ips_hashes_and_arns_stay_readable(text: str) -> None:
    """Words, addresses, digests of findings and ARNs are evidence, not secrets."""
    assert redact(text) == text


def test_redact_is_idempotent() -> None:
    """Redacting twice changes nothing more (errors are redacted at several layers)."""
    for text, _, _ in SECRETS:
        once = redact(text)
        assert redact(once) == once


def test_escape_control_shows_what_a_terminal_would_act_on() -> None:
    """Newlines, ANSI escapes, C1 controls, line separators and bidi overrides are escaped."""
    text = "rule\nReport forged [published]\x1b[2J\x9b31m\u2028\u202etxt.exe\té"
    out = escape_control(text)
    assert out == ("rule\\nReport forged [published]\\x1b[2J\\x9b31m\\u2028\\u202etxt.exe"
                   "\\té")
    assert escape_control("a\nb", keep_newlines=True) == "a\nb"


def test_the_logging_filter_redacts_messages_and_tracebacks(
        caplog: pytest.LogCaptureFixture) -> None:
    """A logger with the filter writes neither the secret in the message nor in the traceback."""
    log = logging.getLogger("tests.redact")
    log.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.ERROR, logger="tests.redact"):
            try:
                raise RuntimeError(f"aws_secret_access_key={AWS_SECRET}")
            except RuntimeError:
                log.exception("failed on report %s with client_secret=%s", "r-1\nforged",
                              "s3cr3tValue42")
    finally:
        log.filters.clear()
    assert AWS_SECRET not in caplog.text
    assert "s3cr3tValue42" not in caplog.text
    assert "RuntimeError" in caplog.text
    assert "r-1\\nforged" in caplog.text  # the report ID cannot forge a log line


def test_patterns_are_compiled_on_first_use_not_at_import() -> None:
    """Importing the module compiles nothing (import cost matters on Lambda cold starts)."""
    import subprocess
    import sys

    code = ("import deepalert._redact as r; assert r._rules.cache_info().currsize == 0; "
            "r.redact('x'); assert r._rules.cache_info().currsize == 1")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_log_lines_of_every_role_cannot_be_forged_by_a_report_id(
        caplog: pytest.LogCaptureFixture) -> None:
    """Report IDs and exception texts reach the logs with control characters escaped: the
    emitter's and reviewer's plain lines, and the inspector's JSON lines (still JSON)."""
    import json

    from deepalert import Attribute, Report, ReportResult
    from deepalert.emitter import emitter
    from deepalert.inspector import inspector
    from deepalert.reviewer import reviewer
    from deepalert.testing import MemorySink, direct_event, sns_event, sqs_sns_event
    from tests.inspector.conftest import make_task

    evil = "r-1\nERROR forged line\x1b[2J\x9b"

    @emitter
    def fails(report: Report) -> None:
        raise RuntimeError(f"failed {report.id}")

    @reviewer
    def judge(report: Report) -> ReportResult:
        raise RuntimeError(f"failed {report.id}")

    @inspector(author="x")
    def broken(attr: Attribute) -> None:
        raise RuntimeError(f"failed {attr.value}")

    report = Report(id=evil, status="published")
    with caplog.at_level(logging.INFO, logger="deepalert"):
        with pytest.raises(RuntimeError):
            fails(sns_event(report.to_json()))
        judge(direct_event(report))
        broken.invoke(sqs_sns_event(make_task(evil, report_id=evil)), sqs_client=MemorySink(),
                      finding_queue_url=MemorySink.FINDING_QUEUE_URL,
                      attribute_queue_url=MemorySink.ATTRIBUTE_QUEUE_URL)
    lines = [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    text = "\n".join(lines)
    assert "\x1b" not in text
    assert "\x9b" not in text
    assert not any(line.startswith("ERROR forged") for line in text.splitlines())
    inspector_lines = [r.getMessage() for r in caplog.records
                       if r.name.startswith("deepalert.inspector")]
    assert inspector_lines
    for line in inspector_lines:
        assert json.loads(line)  # still one JSON object
