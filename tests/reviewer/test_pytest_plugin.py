"""The pytest plugin runs a reviewer's cases as tests (exercised with pytester)."""

from __future__ import annotations

import pytest

from deepalert import ContentHost
from deepalert.testing import make_attribute, make_malware, make_report

pytest_plugins = ["pytester"]

REVIEWER = '''
from deepalert import Report, ReportResult, Severity
from deepalert.reviewer import Case, reviewer

@reviewer(cases=[
    Case("malware on a remote address", fixture="cases/malware.json", expect=Severity.URGENT),
    Case("quiet report", report=Report(id="quiet"), expect=Severity.UNCLASSIFIED),
    Case("wrongly expected safe", report=Report(id="quiet"), expect=Severity.SAFE),
    Case("crashes", report=Report(id="boom"), expect=Severity.URGENT),
])
def review(report: Report) -> ReportResult | None:
    if report.id == "boom":
        raise RuntimeError("lookup service down")
    for attr, host in report.hosts("ipaddr", "remote"):
        if host.related_malware:
            return ReportResult.of(Severity.URGENT, "malware")
    return None

@reviewer
def no_cases(report: Report) -> None:
    return None
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A folder with a reviewer module, its fixture file and a test module importing it."""
    ip = make_attribute("ipaddr", "198.51.100.7", "remote")
    report = make_report(findings=[(ip, ContentHost(related_malware=[make_malware()]))])
    pytester.makepyfile(my_policy=REVIEWER)
    pytester.mkdir("cases")
    (pytester.path / "cases" / "malware.json").write_text(report.to_json(), encoding="utf-8")
    pytester.makepyfile(test_policy="from my_policy import no_cases, review\n")
    return pytester


def test_cases_are_collected_under_the_reviewer_name(project: pytest.Pytester) -> None:
    """Each case is a test named test_module.py::<reviewer name>::<case name>."""
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "test_policy.py::review::malware on a remote address",
        "test_policy.py::review::quiet report",
        "test_policy.py::review::wrongly expected safe",
        "test_policy.py::review::crashes",
    ])
    assert "no_cases" not in result.stdout.str()


def test_passing_and_failing_cases_are_reported(project: pytest.Pytester) -> None:
    """Matching cases pass; a wrong severity fails with expected and actual."""
    result = project.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*reviewer case 'wrongly expected safe': expected safe, got unclassified*",
    ])


def test_a_raising_case_shows_the_reviewers_traceback(project: pytest.Pytester) -> None:
    """A case whose reviewer raises shows the exception and the line that raised it."""
    result = project.runpytest("-q", "-p", "no:cacheprovider", "-k", "crashes")
    result.assert_outcomes(failed=1, deselected=3)
    result.stdout.fnmatch_lines([
        "*raise RuntimeError(\"lookup service down\")*",
        "*RuntimeError: lookup service down*",
        "*CaseFailed: reviewer raised RuntimeError: lookup service down*",
    ])


def test_k_selects_cases_by_name(project: pytest.Pytester) -> None:
    """Case names take part in -k selection like test names."""
    result = project.runpytest("-q", "-p", "no:cacheprovider", "-k", "malware or quiet")
    result.assert_outcomes(passed=2, deselected=2)


def test_a_missing_fixture_fails_only_its_case(pytester: pytest.Pytester) -> None:
    """A case whose fixture file is missing fails, naming the file; the others still run."""
    pytester.makepyfile(my_policy=REVIEWER)
    pytester.makepyfile(test_policy="from my_policy import review\n")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*cannot load fixture *cases*malware.json*"])


def test_modules_without_reviewers_are_untouched(pytester: pytest.Pytester) -> None:
    """Ordinary test modules collect as usual with the plugin loaded."""
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
