"""Reviewer cases: named reports (inline or fixture files) with the severity they should get."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from deepalert import HandlerDefinitionError, Report, Severity, WireError
from deepalert.reviewer import Case, CaseResult, reviewer, run_cases
from deepalert.testing import make_report

MODULE = '''
from deepalert import Report, ReportResult, Severity
from deepalert.reviewer import Case, reviewer

@reviewer(on_error={on_error!r}, cases=[
    Case("from a fixture", fixture="cases/urgent.json", expect=Severity.URGENT),
    Case("inline", report=Report(id="safe"), expect=Severity.SAFE),
])
def review(report: Report) -> ReportResult | None:
    if report.id == "boom":
        raise RuntimeError("lookup failed")
    return ReportResult.of(report.id or "unclassified", "by id")
'''


@pytest.fixture
def load_module(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Import a module written into a temporary folder (removed from sys.modules after)."""
    names: list[str] = []

    def load(source: str) -> ModuleType:
        name = f"_case_module_{len(names)}"
        path = tmp_path / "pkg" / f"{name}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)


def write_fixture(folder: Path, name: str, report: Report) -> None:
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    (folder / "cases" / name).write_text(report.to_json(), encoding="utf-8")


def test_fixture_paths_resolve_against_the_folder_of_the_reviewer_module(
        tmp_path: Path, load_module: Callable[[str], ModuleType],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative fixture is read from the reviewer's folder, whatever the working directory."""
    module = load_module(MODULE.format(on_error="unclassified"))
    write_fixture(tmp_path / "pkg", "urgent.json", make_report(id="urgent"))
    monkeypatch.chdir(tmp_path)
    results = run_cases(module.review)
    assert results == [
        CaseResult("from a fixture", True, Severity.URGENT, "urgent", "urgent as expected",
                   "by id"),
        CaseResult("inline", True, Severity.SAFE, "safe", "safe as expected", "by id"),
    ]


def test_a_missing_fixture_does_not_break_import_and_fails_its_case(
        tmp_path: Path, load_module: Callable[[str], ModuleType]) -> None:
    """Fixtures are read when cases run, so a deployment without them still imports."""
    module = load_module(MODULE.format(on_error="unclassified"))
    first, second = run_cases(module.review)
    assert not first.passed
    assert first.actual is None
    assert isinstance(first.error, FileNotFoundError)
    assert first.message.startswith("cannot load fixture ")
    assert str(tmp_path / "pkg" / "cases" / "urgent.json") in first.message
    assert second.passed


def test_a_fixture_that_is_not_a_report_fails_its_case_naming_the_field(
        tmp_path: Path, load_module: Callable[[str], ModuleType]) -> None:
    """A fixture the core would not read fails with the wire error."""
    module = load_module(MODULE.format(on_error="unclassified"))
    (tmp_path / "pkg" / "cases").mkdir()
    (tmp_path / "pkg" / "cases" / "urgent.json").write_text('{"alerts": "x"}')
    result = run_cases(module.review)[0]
    assert not result.passed
    assert isinstance(result.error, WireError)
    assert "Report.alerts" in result.message


def test_a_wrong_severity_fails_with_expected_and_actual() -> None:
    """A case gets passed=False and a message with both severities and the reason."""
    review = reviewer(cases=[Case("c", report=make_report(id="safe"), expect="urgent")])(
        lambda report: Severity.SAFE if report.id == "safe" else None)
    [result] = run_cases(review)
    assert result == CaseResult("c", False, Severity.URGENT, "safe",
                                "expected urgent, got safe")


def test_a_null_or_empty_result_counts_as_unclassified() -> None:
    """As in the core, None and an empty severity are unclassified."""
    review = reviewer(cases=[
        Case("none", report=make_report(id="none"), expect=Severity.UNCLASSIFIED),
        Case("empty", report=make_report(id="empty"), expect=Severity.UNCLASSIFIED),
    ])(lambda report: None if report.id == "none" else {"severity": ""})
    assert [r.actual for r in run_cases(review)] == ["unclassified", "unclassified"]
    assert all(r.passed for r in run_cases(review))


def test_a_raising_reviewer_fails_its_case_even_with_the_unclassified_policy() -> None:
    """Cases ignore on_error: an exception is a failed case naming it, not unclassified."""
    def review_fn(report: Report) -> None:
        raise RuntimeError("lookup failed")

    review = reviewer(cases=[Case("c", report=make_report(), expect="unclassified")])(
        review_fn)
    [result] = run_cases(review)
    assert not result.passed
    assert result.actual is None
    assert result.message == "reviewer raised RuntimeError: lookup failed"
    assert isinstance(result.error, RuntimeError)


def test_an_unreadable_return_fails_its_case() -> None:
    """A case whose reviewer returns a value the core cannot read fails, naming why."""
    review = reviewer(cases=[Case("c", report=make_report(), expect="urgent")])(
        lambda report: "URGENT")
    [result] = run_cases(review)
    assert not result.passed
    assert "InvalidResultError" in result.message
    assert "names no severity" in result.message


def test_a_reviewer_without_cases_runs_none() -> None:
    """run_cases on a reviewer without cases is an empty list."""
    assert run_cases(reviewer(lambda report: None)) == []


def test_expect_accepts_severity_strings() -> None:
    """expect="urgent" is read as Severity.URGENT."""
    assert Case("c", report=Report(), expect="urgent").expect is Severity.URGENT  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "c", "expect": "urgent"}, "exactly one of report= and fixture="),
    ({"name": "c", "expect": "urgent", "report": Report(), "fixture": "x.json"},
     "exactly one of"),
    ({"name": "c", "expect": "high", "report": Report()}, "expect must be a Severity"),
    ({"name": " ", "expect": "urgent", "report": Report()}, "non-empty string"),
    ({"name": "c", "expect": "urgent", "report": {"id": "x"}}, "must be a deepalert.Report"),
])
def test_a_case_that_cannot_work_is_refused_when_declared(kwargs: dict[str, object],
                                                           message: str) -> None:
    """Case checks its arguments at construction, at import time of the reviewer."""
    name = kwargs.pop("name")
    with pytest.raises(HandlerDefinitionError, match=message):
        Case(name, **kwargs)  # type: ignore[arg-type]
