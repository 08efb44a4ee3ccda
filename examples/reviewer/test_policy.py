"""Tests of the example policy. Run ``python -m pytest`` in this folder.

Importing ``review`` here is enough for the deepalert pytest plugin to run its cases too.
"""

from __future__ import annotations

import pytest

from deepalert import ContentHost, Report, Severity
from deepalert.testing import make_alert, make_attribute, make_report, run_reviewer
from examples.reviewer.policy import review

SCANNER = make_attribute("ipaddr", "192.0.2.10", "remote", "client")
OTHER = make_attribute("ipaddr", "203.0.113.7", "remote", "client")


def scan_report(*owned_by: tuple[str, ...]) -> Report:
    """A port scan from SCANNER and OTHER, each with a host finding owned by ``owned_by``."""
    return make_report(make_alert(SCANNER, OTHER, rule_id="port-scan"), findings=[
        (attr, ContentHost(owner=list(owner))) for attr, owner in zip(
            (SCANNER, OTHER), owned_by, strict=False)])


def test_the_handler_answers_step_functions_in_go_wire_form() -> None:
    """Invoked as the review machine does, the reviewer returns {"severity", "reason"}."""
    run = run_reviewer(review, scan_report(("Example Corp",), ("example corp",)))
    assert run.response == {"severity": "safe",
                            "reason": "every remote address is ours (192.0.2.10, 203.0.113.7)"}


def test_a_report_is_safe_only_when_every_remote_address_is_ours() -> None:
    """One remote address we do not own keeps the report unclassified."""
    assert review.func(scan_report(("Example Corp",), ("Someone Else",))).severity == \
        Severity.UNCLASSIFIED
    assert review.func(scan_report(("Example Corp",))).severity == Severity.UNCLASSIFIED


def test_the_organisation_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """ORGANISATION_OWNERS (comma-separated, any case) names who counts as us."""
    report = scan_report(("Acme Ltd",), ("ACME Security",))
    assert review.func(report).severity == Severity.UNCLASSIFIED
    monkeypatch.setenv("ORGANISATION_OWNERS", "acme ltd, Acme Security")
    assert review.func(report).severity == Severity.SAFE


def test_an_empty_report_is_unclassified() -> None:
    """A report with no alerts, attributes or sections gets no verdict but no error."""
    assert review.func(Report()).severity == Severity.UNCLASSIFIED
