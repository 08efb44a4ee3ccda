"""The example reviewer runs from its folder, imports by MODULE:NAME and deploys as documented."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deepalert.reviewer import Reviewer, run_cases

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "examples" / "reviewer"


def load_template(path: Path) -> Any:
    """A SAM template, with CloudFormation's !Tags read as plain values."""
    yaml = pytest.importorskip("yaml")

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node)}
        return {suffix: loader.construct_mapping(node)}

    Loader.add_multi_constructor("!", tag)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # a SafeLoader subclass


def test_the_example_tests_pass_when_run_from_the_example_folder() -> None:
    """`python -m pytest` in examples/reviewer passes, the reviewer's cases included."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=FOLDER, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed" in result.stdout


def test_the_example_imports_by_module_and_name() -> None:
    """examples.reviewer.policy:review is a Reviewer whose cases all pass."""
    review = importlib.import_module("examples.reviewer.policy").review
    assert isinstance(review, Reviewer)
    results = run_cases(review)
    assert len(results) == 6
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_the_case_fixtures_are_what_make_cases_writes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed fixtures match their generator byte for byte (wire codec output)."""
    make_cases = importlib.import_module("examples.reviewer.make_cases")
    monkeypatch.setattr(make_cases, "HERE", tmp_path)
    make_cases.main()
    for fixture in (FOLDER / "cases").glob("*.json"):
        assert (tmp_path / "cases" / fixture.name).read_bytes() == fixture.read_bytes()


def test_the_sam_template_points_at_the_reviewer() -> None:
    """template.yaml deploys policy.review from this folder on a Python runtime."""
    template = load_template(FOLDER / "template.yaml")
    function = template["Resources"]["ReviewerFunction"]
    assert function["Type"] == "AWS::Serverless::Function"
    props = function["Properties"]
    module, name = props["Handler"].split(".")
    assert (FOLDER / props["CodeUri"] / f"{module}.py").is_file()
    assert isinstance(getattr(importlib.import_module(f"examples.reviewer.{module}"), name),
                      Reviewer)
    assert props["Runtime"].startswith("python3.")
    assert props["Environment"]["Variables"]["ORGANISATION_OWNERS"] == {
        "Ref": "OrganisationOwners"}
