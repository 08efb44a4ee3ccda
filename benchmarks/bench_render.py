"""The report renderer against writing the same report to the wire.

Baseline: ``Report.to_json()`` of the report (what any emitter that forwards the report pays).
Measured: ``render_markdown`` (GitHub body), ``render_slack`` (Block Kit), ``render_text``
(PagerDuty/Opsgenie description), ``render_adf`` (Jira) and the Teams card, on a typical
report (2 alerts, 4 attributes, 3 findings) and a large one (8 alerts, 400 attributes, 400
host findings, cut to each target's limit).

Run from the repository root: ``python benchmarks/bench_render.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import interleaved
from deepalert import ContentHost, Report
from deepalert.integrations.teams import render_card
from deepalert.render import render_adf, render_markdown, render_slack, render_text
from deepalert.testing import make_alert, make_attribute, make_report
from tests.render.conftest import full_report


def large_report() -> Report:
    """8 alerts of 50 attributes each, a host finding per attribute."""
    attrs = [make_attribute("ipaddr", f"198.51.{i // 250}.{i % 250}", "remote")
             for i in range(400)]
    alerts = [make_alert(*attrs[i:i + 50], rule_id=f"rule-{i}", description="x" * 900)
              for i in range(0, 400, 50)]
    findings = [(a, ContentHost(country=["JP"], hostname=["h" * 60] * 5)) for a in attrs]
    return make_report(*alerts, findings=findings, status="published", severity="urgent",
                       reason="r" * 500)


def main() -> None:
    for name, report, number in (("typical", full_report(), 200),
                                 ("large", large_report(), 5)):
        times = interleaved({
            "Report.to_json (baseline)": report.to_json,
            "render_markdown": lambda r=report: render_markdown(r),
            "render_slack": lambda r=report: render_slack(r),
            "render_text": lambda r=report: render_text(r, max_chars=15_000),
            "render_adf": lambda r=report: render_adf(r),
            "Teams card": lambda r=report: render_card(r),
        }, number=number)
        base = times["Report.to_json (baseline)"]
        print(f"\n{name} report ({len(report.to_json()):,} bytes on the wire)")
        print("| Rendering | Per report | Ratio to baseline |")
        print("|---|---|---|")
        for label, seconds in times.items():
            ratio = "" if label.endswith("(baseline)") else f"{seconds / base:.1f}x"
            print(f"| {label} | {seconds * 1e3:.2f} ms | {ratio} |")


if __name__ == "__main__":
    main()
