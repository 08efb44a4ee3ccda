"""Roles the CLI tests load by MODULE:NAME."""

from __future__ import annotations

from deepalert import Attribute, ContentHost, Report, ReportResult, Severity
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.reviewer import reviewer

EMITTED: list[str] = []


@inspector(author="geo", types=["ipaddr"])
def geo(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"] if attr.value.startswith("192.") else ["US"])


@inspector(author="flaky")
def flaky(attr: Attribute) -> None:
    if attr.value == "203.0.113.66":
        raise RuntimeError("lookup failed for this one")


@reviewer
def review(report: Report) -> ReportResult:
    countries = {c for _, host in report.hosts() for c in host.country or ()}
    if "US" in countries:
        return ReportResult(severity=Severity.URGENT, reason="talked to a US host")
    return ReportResult(severity=Severity.SAFE, reason="only JP hosts")


@emitter
def remember(report: Report) -> None:
    EMITTED.append(report.id)


@reviewer(on_error="raise")
def strict_review(report: Report) -> ReportResult:
    raise ValueError("policy table missing")


# Composed at run time, so that no traceback source line shows it.
SECRET = "".join(["s3cr3t", "-", "value-", "42"])


@inspector(author="leaky")
def leaky(attr: Attribute) -> None:
    raise RuntimeError(f"lookup refused, client_secret={SECRET}")


@reviewer(on_error="raise")
def leaky_review(report: Report) -> ReportResult:
    raise RuntimeError(f"policy store said: db_password={SECRET}")


@emitter
def leaky_emit(report: Report) -> None:
    raise RuntimeError(f"POST https://hooks.slack.com/services/T0/B0/{SECRET} failed")


@reviewer
def forger(report: Report) -> ReportResult:
    return ReportResult(severity=Severity.SAFE,
                        reason="fine\nReport forged [published] SAFE\x1b[2J")


@inspector(author="remote-only", contexts=["remote"])
def remote_only(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"])
