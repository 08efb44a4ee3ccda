"""Feedback ends: an inspector that always finds something new is cut off (issue 10)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from deepalert import Alert, Attribute, ContentHost, TaskResult
from deepalert.core import CoreSettings
from deepalert.inspector import inspector
from deepalert.local import LocalPipeline, ManualClock, MemoryStore, SQLiteStore

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SQLiteStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SQLiteStore(tmp_path / "r.db")
        yield sqlite
        sqlite.close()


def alert() -> Alert:
    return Alert(detector="ids", rule_id="r", alert_key="k",
                 attributes=[Attribute(type="domain", key="d", value="example.org")])


def endless() -> tuple[Any, list[str]]:
    """An inspector that returns a fresh attribute for every task it gets."""
    seen: list[str] = []
    counter = itertools.count()

    @inspector(author="endless")
    def find_more(attr: Attribute) -> TaskResult:
        seen.append(attr.value)
        return TaskResult(contents=[ContentHost(owner=["x"])], new_attributes=[
            Attribute(type="domain", key="d", value=f"n{next(counter)}.example.org")])

    return find_more, seen


def test_an_endless_inspector_is_cut_off_at_max_feedback_depth(
        store: MemoryStore | SQLiteStore) -> None:
    """With max_feedback_depth=3 the alert's attribute and three rounds of feedback are
    inspected; the fourth round is recorded, not inspected, and reported once."""
    find_more, seen = endless()
    run = LocalPipeline(inspectors=[find_more], store=store, clock=ManualClock(START),
                        settings=CoreSettings(max_feedback_depth=3))
    receipt = run.submit(alert())
    run.run()
    assert seen == ["example.org", "n0.example.org", "n1.example.org", "n2.example.org"]
    (error,) = run.errors
    assert error.stage == "feedback"
    assert error.report_id == receipt.report_id
    assert "max_feedback_depth=3" in error.detail
    assert "n3.example.org" in error.detail
    (report,) = run.published()
    assert {a.value for a in report.attributes or []} == {
        "example.org", "n0.example.org", "n1.example.org", "n2.example.org", "n3.example.org"}


def test_the_default_settings_end_an_endless_loop() -> None:
    """Without settings, a run with an endless inspector ends (depth 8 by default)."""
    find_more, seen = endless()
    run = LocalPipeline(inspectors=[find_more], clock=ManualClock(START))
    run.submit(alert())
    run.run()
    assert len(seen) == 1 + CoreSettings().max_feedback_depth
    assert [e.stage for e in run.errors] == ["feedback"]


def test_feedback_within_the_limit_is_inspected_without_errors() -> None:
    """An inspector that finds one derived attribute (like deepalert-minerva) is unaffected."""
    seen: list[str] = []

    @inspector(author="minerva")
    def link(attr: Attribute) -> TaskResult:
        seen.append(attr.value)
        if attr.type == "url":
            return TaskResult()
        return TaskResult(new_attributes=[Attribute(type="url", key="search",
                                                    value=f"https://logs/?q={attr.value}")])

    run = LocalPipeline(inspectors=[link], clock=ManualClock(START),
                        settings=CoreSettings(max_feedback_depth=1))
    run.submit(alert())
    run.run()
    assert seen == ["example.org", "https://logs/?q=example.org"]
    assert run.errors == []


def test_a_loop_back_to_a_known_attribute_ends_by_dedup_without_errors() -> None:
    """a -> b -> a stops at the attribute cache, as in Go, and is not reported as cut off.

    The fed-back ``a`` carries the task's timestamp, so it is new once (protocol notes §2.4);
    the next ``b`` is then a repeat.
    """
    @inspector(author="flip")
    def flip(attr: Attribute) -> TaskResult:
        other = "b.example.org" if attr.value == "example.org" else "example.org"
        return TaskResult(new_attributes=[Attribute(type="domain", key="d", value=other)])

    run = LocalPipeline(inspectors=[flip], clock=ManualClock(START),
                        settings=CoreSettings(max_feedback_depth=2))
    run.submit(alert())
    run.run()
    assert run.errors == []


def test_negative_depth_is_refused() -> None:
    """A negative max_feedback_depth is a clear error, not a silent 'never'."""
    with pytest.raises(ValueError, match="max_feedback_depth"):
        CoreSettings(max_feedback_depth=-1)
