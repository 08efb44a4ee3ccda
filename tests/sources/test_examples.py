"""The real-format example files in examples/alerts/ convert cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepalert.sources import convert_file

from ._fixtures import check

EXAMPLES = Path(__file__).parents[2] / "examples" / "alerts"
SOURCE_EXAMPLES = {
    "guardduty-ssh-bruteforce.json": ("aws.guardduty", 1),
    "securityhub-asff-guardduty.json": ("aws.guardduty", 1),
    "securityhub-ocsf-guardduty.json": ("aws.guardduty", 1),
    "suricata-eve.jsonl": ("suricata", 4),
    "falco.jsonl": ("falco", 2),
    "cloudtrail-console-login.json": ("cloudtrail-rules", 1),
    "zircolite-detected.json": ("zircolite", 2),
}


@pytest.mark.parametrize("name", sorted(SOURCE_EXAMPLES))
def test_example_converts(name: str) -> None:
    """Each example gives its alerts, recognised without naming the source."""
    detector, count = SOURCE_EXAMPLES[name]
    items = list(convert_file(EXAMPLES / name))
    assert [i.error for i in items if i.error] == []
    alerts = check([a for i in items for a in i.alerts])
    assert [a.detector for a in alerts] == [detector] * count


def test_guardduty_examples_fold_into_one_report() -> None:
    """The GuardDuty example and its Security Hub ASFF and OCSF copies share one AlertID."""
    names = ["guardduty-ssh-bruteforce.json", "securityhub-asff-guardduty.json",
             "securityhub-ocsf-guardduty.json"]
    ids = {a.alert_id() for n in names for i in convert_file(EXAMPLES / n) for a in i.alerts}
    assert len(ids) == 1
