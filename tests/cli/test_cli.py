"""The deepalert command: the local pipeline and each role, from the shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deepalert import Report, cli
from tests.cli import roles

ROLES = "tests.cli.roles"


def alert_line(ip: str, key: str) -> str:
    return json.dumps({"detector": "ids", "rule_id": "r", "alert_key": key,
                       "attributes": [{"type": "ipaddr", "key": "src", "value": ip,
                                       "context": ["remote"]}]})


@pytest.fixture
def alerts(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.jsonl"
    path.write_text("\n".join([alert_line("192.0.2.1", "a"), alert_line("198.51.100.7", "b"),
                               alert_line("192.0.2.2", "a")]) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_a_summary_of_each_published_report(
        capsys: pytest.CaptureFixture[str], alerts: Path) -> None:
    """Text output names each report's verdict, alerts, attributes and findings."""
    code, out, err = run(capsys, "run", str(alerts), "--inspector", f"{ROLES}:geo",
                         "--reviewer", f"{ROLES}:review")
    assert code == 0, err
    assert out.count("[published]") == 2
    assert "SAFE: only JP hosts" in out
    assert "URGENT: talked to a US host" in out
    assert "host: country=US" in out
    assert "3 alerts, 2 reports published, 0 errors" in err


def test_run_json_output_is_one_go_exact_report_per_line(
        capsys: pytest.CaptureFixture[str], alerts: Path) -> None:
    """--output json writes each published report as the report topic carries it."""
    code, out, _ = run(capsys, "run", str(alerts), "--inspector", f"{ROLES}:geo",
                       "--reviewer", f"{ROLES}:review", "--output", "json")
    lines = out.splitlines()
    assert code == 0
    assert len(lines) == 2
    for line in lines:
        report = Report.from_json(line)
        assert report.to_json() == line
        assert report.status == "published"


def test_run_calls_emitters(capsys: pytest.CaptureFixture[str], alerts: Path) -> None:
    """Emitters given with --emitter receive the published reports."""
    roles.EMITTED.clear()
    code, _, _ = run(capsys, "run", str(alerts), "--emitter", f"{ROLES}:remember", "--quiet")
    assert code == 0
    assert len(roles.EMITTED) == 2


def test_bad_alerts_are_named_by_file_and_line_and_the_rest_still_run(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unreadable or invalid alert fails alone; the exit status says something failed."""
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([alert_line("192.0.2.1", "a"), "{not json",
                               json.dumps({"detector": "ids", "rule_id": ""}),
                               alert_line("192.0.2.9", "z")]) + "\n")
    code, out, err = run(capsys, "run", str(path), "--output", "json")
    assert code == 1
    assert len(out.splitlines()) == 2
    assert f"{path} line 2" in err
    assert f"{path} line 3" in err
    assert "rule_id" in err


def test_an_inspector_that_raises_is_named_with_the_alert_position(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The error says which inspector failed on which attribute, from which file and line."""
    path = tmp_path / "a.jsonl"
    path.write_text(alert_line("192.0.2.1", "a") + "\n" + alert_line("203.0.113.66", "b") + "\n")
    code, out, err = run(capsys, "run", str(path), "--inspector", f"{ROLES}:flaky",
                         "--output", "json")
    assert code == 1
    assert len(out.splitlines()) == 2  # both reports are still published
    assert f"{path} line 2" in err
    assert "'flaky' failed on ipaddr '203.0.113.66'" in err


def test_missing_files_are_errors_and_other_files_still_run(
        capsys: pytest.CaptureFixture[str], alerts: Path, tmp_path: Path) -> None:
    """A file that cannot be read is reported; the readable ones are processed."""
    code, out, err = run(capsys, "run", str(tmp_path / "nope.json"), str(alerts),
                         "--output", "json")
    assert code == 1
    assert "nope.json" in err
    assert len(out.splitlines()) == 2


def test_run_reads_folders_and_standard_input(capsys: pytest.CaptureFixture[str],
                                              alerts: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    """A folder means its .json/.jsonl files; - means standard input."""
    code, out, _ = run(capsys, "run", str(alerts.parent), "--output", "json", "--quiet")
    assert (code, len(out.splitlines())) == (0, 2)
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        (alert_line("192.0.2.1", "x") + "\n").encode())))
    code, out, _ = run(capsys, "run", "-", "--output", "json", "--quiet")
    assert (code, len(out.splitlines())) == (0, 1)


def test_run_with_a_database_keeps_reports_between_runs(
        capsys: pytest.CaptureFixture[str], alerts: Path, tmp_path: Path) -> None:
    """With --db, a later run's alerts join the stored reports; the same input run again
    stores nothing twice and publishes nothing again."""
    db = tmp_path / "r.db"
    run(capsys, "run", str(alerts), "--db", str(db), "--output", "json")
    code, out, _ = run(capsys, "run", str(alerts), "--db", str(db), "--output", "json")
    assert (code, out) == (0, "")
    more = tmp_path / "more.jsonl"
    more.write_text(alert_line("192.0.2.3", "a") + "\n" + alert_line("198.51.100.8", "b") + "\n")
    code, out, _ = run(capsys, "run", str(more), "--db", str(db), "--output", "json")
    assert code == 0
    reports = [Report.from_json(line) for line in out.splitlines()]
    assert sorted(len(r.alerts or []) for r in reports) == [2, 3]


def test_progress_goes_to_stderr_for_large_inputs(capsys: pytest.CaptureFixture[str],
                                                  alerts: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every so many alerts a progress line goes to stderr, never to stdout."""
    monkeypatch.setattr(cli, "_PROGRESS_EVERY", 1)
    code, out, err = run(capsys, "run", str(alerts), "--output", "json")
    assert code == 0
    assert "3 alerts submitted" in err
    assert "submitted" not in out


def test_validate_reports_each_invalid_alert(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """validate checks the core's limits and names the position of each bad alert."""
    path = tmp_path / "v.json"
    path.write_text(json.dumps([{"detector": "d", "rule_id": "r"},
                                {"detector": "d", "rule_id": "r", "description": "x" * 5000}]))
    code, _, err = run(capsys, "validate", str(path))
    assert code == 1
    assert f"{path} item 2" in err
    assert "4096" in err
    assert "1 valid, 1 invalid" in err


def test_inspect_runs_one_inspector_on_one_attribute(capsys: pytest.CaptureFixture[str]) -> None:
    """inspect prints the findings as finding-queue JSON."""
    code, out, _ = run(capsys, "inspect", "--inspector", f"{ROLES}:geo",
                       "--attr", "ipaddr:198.51.100.7", "--context", "remote")
    assert code == 0
    finding = json.loads(out.splitlines()[0])
    assert finding["author"] == "geo"
    assert finding["content"] == {"country": ["US"]}


def test_review_runs_a_reviewer_on_a_report_file(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    """review prints the reviewer's result as the core would receive it."""
    path = tmp_path / "report.json"
    path.write_text('{"id":"r1","sections":[{"attr":{"type":"ipaddr","value":"x"},'
                    '"hosts":[{"country":["US"]}]}]}')
    code, out, _ = run(capsys, "review", "--reviewer", f"{ROLES}:review", str(path))
    assert code == 0
    assert json.loads(out) == {"severity": "urgent", "reason": "talked to a US host"}


@pytest.mark.parametrize("spec", ["tests.cli.roles", "no.such.module:x", f"{ROLES}:nothing"])
def test_bad_role_names_are_usage_errors(capsys: pytest.CaptureFixture[str], alerts: Path,
                                         spec: str) -> None:
    """A role that cannot be loaded exits with status 2 and says why."""
    code, _, err = run(capsys, "run", str(alerts), "--inspector", spec)
    assert code == 2
    assert spec.split(":")[0] in err


def test_python_dash_m_runs_the_same_command() -> None:
    """python -m deepalert is the deepalert command."""
    result = subprocess.run([sys.executable, "-m", "deepalert", "--help"], capture_output=True,
                            text=True, check=True)
    assert "run" in result.stdout
    assert "validate" in result.stdout


def test_review_reports_a_failing_reviewer_without_a_traceback(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A reviewer that raises is named with its error and the exit status is 1."""
    path = tmp_path / "report.json"
    path.write_text('{"id":"r1"}')
    code, out, err = run(capsys, "review", "--reviewer", f"{ROLES}:strict_review", str(path))
    assert (code, out) == (1, "")
    assert "ValueError: policy table missing" in err
    assert "Traceback" not in err
