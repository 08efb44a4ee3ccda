"""The report renderer: what each format shows, and its size limits."""

from __future__ import annotations

import json

import pytest

from deepalert import ContentHost, Report
from deepalert.render import (
    GITHUB_BODY_LIMIT,
    SLACK_MAX_BLOCKS,
    digest,
    render_markdown,
    render_slack,
    render_text,
    report_title,
)
from deepalert.testing import make_alert, make_attribute, make_report
from tests.render.conftest import REPORT_ID


def _huge_report(count: int = 400) -> Report:
    attrs = [make_attribute("ipaddr", f"198.51.{i // 250}.{i % 250}", "remote")
             for i in range(count)]
    alerts = [make_alert(*attrs[i:i + 50], rule_id=f"rule-{i}", description="x" * 900)
              for i in range(0, count, 50)]
    findings = [(a, ContentHost(country=["JP"], hostname=["h" * 250] * 20)) for a in attrs]
    return make_report(*alerts, findings=findings, status="published", severity="urgent",
                       reason="r" * 5000, id=REPORT_ID)


def test_title_names_every_rule_the_severity_and_the_report(report: Report) -> None:
    """The title says the severity, every alert's rule (not only alerts[0]) and the report ID."""
    title = report_title(report)
    assert title == f"[URGENT] SSH brute force, malware-download (report {REPORT_ID})"


def test_title_keeps_the_report_id_when_rules_are_long() -> None:
    """Long rule names are cut first; the report ID always fits."""
    report = make_report(make_alert(rule_id="r" * 500), id=REPORT_ID, severity="safe")
    title = report_title(report, 150)
    assert len(title) <= 150
    assert title.endswith(f"(report {REPORT_ID})")
    assert title.startswith("[SAFE] rrr")


def test_empty_severity_reads_unclassified() -> None:
    """A report without a verdict is shown as the core publishes it: unclassified."""
    assert digest(make_report()).severity == "unclassified"


def test_digest_sections_and_links(report: Report) -> None:
    """Findings are grouped into hosts, users and binaries; additional URLs become links."""
    d = digest(report)
    assert [g.title for g in d.findings] == ["Hosts", "Users", "Binaries"]
    host = d.findings[0].items[0]
    assert host.subject.value == "198.51.100.7"
    assert ("Country", "NL") in host.facts
    assert any(name == "Related malware" and "b" * 64 in value for name, value in host.facts)
    assert d.links == ("https://siem.example.com/search?q=198.51.100.7",)
    assert d.rules == ("SSH brute force", "malware-download")


def test_a_javascript_url_is_not_a_link() -> None:
    """Only http(s) URLs count as investigation links."""
    bad = make_attribute("url", "javascript:alert(1)", "additional")
    assert digest(make_report(make_alert(bad))).links == ()


def test_markdown_shows_every_part(report: Report) -> None:
    """The Markdown has the title, reason, alerts, attributes, links and each finding group."""
    md = render_markdown(report)
    assert md.startswith("## \\[URGENT\\] SSH brute force")
    for expected in ("**Reason:**", "### Alerts (2)", "### Attributes (", "### Hosts (1)",
                     "### Users (1)", "### Binaries (1)", "`198.51.100.7`",
                     "### Investigation links", "**Country:** `NL`", f"`{REPORT_ID}`"):
        assert expected in md, expected


def test_plain_text_shows_every_part(report: Report) -> None:
    """The plain text has the same content, unescaped."""
    text = render_text(report, max_chars=10_000)
    assert text.splitlines()[0] == report_title(report)
    for expected in ("Reason: 198.51.100.7 has malware", "Alerts (2):",
                     "- SSH brute force from suricata: SSH brute force from 198.51.100.7",
                     "Hosts (1):", "  Country: NL", "Users (1):", "Binaries (1):"):
        assert expected in text, expected


@pytest.mark.parametrize("limit", [200, 1000, 5000, GITHUB_BODY_LIMIT])
def test_markdown_fits_the_limit_and_says_what_was_left_out(limit: int) -> None:
    """A huge report is cut by whole entries to the limit, with a closing note."""
    md = render_markdown(_huge_report(), max_chars=limit)
    assert len(md) <= limit
    assert md.startswith("## ")
    assert "more entries left out" in md.splitlines()[-1]


@pytest.mark.parametrize("limit", [300, 1024, 4000])
def test_text_fits_the_limit(limit: int) -> None:
    """Plain text is cut to the limit too, by whole lines."""
    text = render_text(_huge_report(), max_chars=limit)
    assert len(text) <= limit
    assert "more lines left out" in text.splitlines()[-1]


def test_small_report_is_not_cut(report: Report) -> None:
    """What fits is rendered whole, with no note."""
    assert "left out" not in render_markdown(report)
    assert "left out" not in render_text(report, max_chars=10_000)


def _texts(message: dict[str, object]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
                found.append((str(node["type"]), str(node["text"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(message)
    return found


def test_slack_message_shape(report: Report) -> None:
    """Header, facts as fields, reason, then labelled sections; JSON serialisable."""
    message = render_slack(report)
    json.dumps(message)
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["type"] == "plain_text"
    assert "Severity: urgent" in [f["text"] for f in blocks[1]["fields"]]
    assert message["text"].startswith("[URGENT] SSH brute force")
    labels = [b["text"]["text"] for b in blocks
              if b["type"] == "section" and b.get("text", {}).get("type") == "mrkdwn"]
    assert labels == ["*Alerts (2)*", "*Attributes (4)*", "*Investigation links*",
                      "*Hosts (1)*", "*Users (1)*", "*Binaries (1)*"]


def test_slack_report_text_is_only_ever_plain_text(report: Report) -> None:
    """mrkdwn objects hold only our own headings, never report text."""
    for kind, text in _texts(render_slack(report)):
        if kind == "mrkdwn":
            assert text.startswith("*")
            assert text.endswith("*")
            assert "198.51" not in text
            assert "alice" not in text


@pytest.mark.parametrize("max_blocks", [4, 10, SLACK_MAX_BLOCKS])
def test_slack_limits_hold_for_a_huge_report(max_blocks: int) -> None:
    """At most max_blocks blocks, 150 header characters, 3,000 per section, 2,000 per field."""
    message = render_slack(_huge_report(), max_blocks=max_blocks)
    blocks = message["blocks"]
    assert len(blocks) <= max_blocks
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
        assert len(block.get("fields", [])) <= 10
    assert "left out" in blocks[-1]["elements"][0]["text"]
    assert len(message["text"]) <= 3000


def test_slack_rejects_an_impossible_block_budget(report: Report) -> None:
    """A block budget outside 3..50 is a clear error."""
    with pytest.raises(ValueError, match="max_blocks must be between 4 and 50"):
        render_slack(report, max_blocks=51)


def _adf_nodes(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        found.append(node)
        for child in node.get("content", []):
            found.extend(_adf_nodes(child))
    return found


def test_adf_document_shape(report: Report) -> None:
    """The ADF document has the title, facts, and a heading and list per part."""
    from deepalert.render import render_adf

    doc = render_adf(report)
    assert (doc["type"], doc["version"]) == ("doc", 1)
    nodes = _adf_nodes(doc)
    headings = ["".join(str(c["text"]) for c in n["content"]) for n in nodes
                if n["type"] == "heading"]
    assert headings[0] == report_title(report)
    assert headings[1:] == ["Alerts (2)", "Attributes (4)", "Investigation links", "Hosts (1)",
                            "Users (1)", "Binaries (1)"]
    texts = [n["text"] for n in nodes if n["type"] == "text"]
    assert all(texts)  # ADF refuses empty text nodes
    assert "198.51.100.7 has malware  " in texts


@pytest.mark.parametrize("limit", [2_000, 10_000, 30_767])
def test_adf_fits_the_limit(limit: int) -> None:
    """A huge report's ADF text stays within the limit and says what was left out."""
    from deepalert.render import render_adf

    doc = render_adf(_huge_report(), max_chars=limit)
    text = "".join(str(n.get("text", "")) for n in _adf_nodes(doc))
    assert len(text) <= limit
    assert "more entries left out" in text


def test_limits_too_small_to_hold_a_title_are_refused(report: Report) -> None:
    """A size limit that could not hold the title is a clear error, not a broken text."""
    from deepalert.render import render_adf

    with pytest.raises(ValueError, match=r"render_markdown\(max_chars=\) must be an int of at"):
        render_markdown(report, max_chars=50)
    with pytest.raises(ValueError, match="render_text"):
        render_text(report, max_chars=10)
    with pytest.raises(ValueError, match="render_adf"):
        render_adf(report, max_chars=100)
