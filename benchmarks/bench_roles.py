"""Reviewer and emitter handlers against reading the report they carry.

Baseline: ``Report.from_json`` of the report text (what any handler has to pay). Measured:
the ``@reviewer`` handler on the Step Functions event (decode, review, validate, encode) with
a no-op function and with the example policy; the ``@emitter`` handler on an SNS event and
on an SQS batch of 10 SNS envelopes (unwrap, decode, filter, call); and the cold-start
import of each role module against ``import deepalert``.

Run from the repository root: ``python benchmarks/bench_roles.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import interleaved, startup
from deepalert import ContentHost, Report, ReportStatus
from deepalert.emitter import emitter
from deepalert.reviewer import reviewer
from deepalert.testing import (
    FakeLambdaContext,
    make_alert,
    make_attribute,
    make_malware,
    make_report,
    sns_event,
    sqs_sns_event,
)
from examples.reviewer.policy import review


def compiled_report() -> Report:
    """Five alerts, twelve attributes, a host finding with malware for each remote address."""
    remotes = [make_attribute("ipaddr", f"198.51.100.{i}", "remote", "client")
               for i in range(10)]
    local = make_attribute("ipaddr", "10.0.0.5", "local", "server")
    user = make_attribute("username", "alice", "subject")
    alerts = [make_alert(*remotes[i * 2:i * 2 + 2], local, user, rule_id="ssh-bruteforce",
                         description="Many failed SSH logins " * 4) for i in range(5)]
    findings = [(ip, ContentHost(country=["NL"], as_owner=["Example Hosting"],
                                 related_malware=[make_malware(f"{i:02x}" * 32, positive=False)
                                                  for _ in range(3)]))
                for i, ip in enumerate(remotes)]
    findings.append((local, ContentHost(owner=["Example Corp"], hostname=["web-1"])))
    return make_report(*alerts, findings=findings)


def read_ten(text: str) -> None:
    """Read the report ten times, keeping none (as the handler keeps none)."""
    for _ in range(10):
        Report.from_json(text)


def main() -> None:
    report = compiled_report()
    text = report.to_json()
    event = json.loads(text)
    published = report.model_copy(update={"status": ReportStatus.PUBLISHED.value})
    published_text = published.to_json()
    context = FakeLambdaContext(timeout_ms=10**9)
    notify = emitter(lambda report: None)
    nothing = reviewer(lambda report: None)
    sns = sns_event(published)
    sqs = sqs_sns_event(*[published] * 10)

    results = interleaved({
        "from_json": lambda: Report.from_json(text),
        "reviewer handler, no-op function": lambda: nothing(event, context),
        "example policy function alone": lambda: review.func(report),
        "reviewer handler, example policy": lambda: review(event, context),
        "emitter SNS": lambda: notify(sns, context),
        "from_json x10": lambda: read_ten(published_text),
        "emitter SQS x10": lambda: notify(sqs, context),
    }, number=200)
    print(f"report: {len(text):,} bytes, {len(report.alerts or [])} alerts, "
          f"{len(report.sections or [])} sections")
    base = results["from_json"]
    for name in ("from_json", "reviewer handler, no-op function",
                 "example policy function alone", "reviewer handler, example policy",
                 "emitter SNS"):
        print(f"| {name} | {results[name] * 1e6:,.0f} µs | {results[name] / base:.2f}x |")
    base10 = results["from_json x10"]
    for name in ("from_json x10", "emitter SQS x10"):
        print(f"| {name} | {results[name] * 1e6:,.0f} µs | {results[name] / base10:.2f}x |")

    starts = startup({
        "import deepalert": "import deepalert",
        "import deepalert.reviewer": "import deepalert.reviewer",
        "import deepalert.emitter": "import deepalert.emitter",
    }, runs=15)
    base_start = starts["import deepalert"]
    for name, seconds in starts.items():
        print(f"| {name} | {seconds * 1e3:.0f} ms | {seconds / base_start:.2f}x |")


if __name__ == "__main__":
    main()
