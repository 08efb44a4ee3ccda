"""The pipeline's fast paths publish and store exactly what the general path does.

Differential tests: the same input through a pipeline (or core) with ``Core.fast_paths`` on and
one with it off; every publication, stored finding and error must be byte-identical. Report IDs
come from a counter and time from a ManualClock, so both runs are deterministic.
"""

from __future__ import annotations

import gc
import itertools
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepalert import (
    Alert,
    Attribute,
    ContentBinary,
    ContentHost,
    ContentUser,
    Report,
    ReportResult,
    Severity,
    TaskResult,
)
from deepalert.core import Core
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.local import LocalPipeline, ManualClock, MemoryStore
from deepalert.models import EntityActivity, EntityDomain
from deepalert.reviewer import reviewer

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
BOUNDED = settings(max_examples=40, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text that stresses the writers: Go's HTML escapes, line separators, quotes, controls, non-ASCII.
_text = st.text(alphabet=st.sampled_from(list("ab1.:/ \"\\<>&\u2028\u2029\x00\x08\x0c\n\té漢😀")),
                max_size=8)
_offsets = st.sampled_from([timezone.utc, timezone(timedelta(hours=9)),
                            timezone(timedelta(hours=-5, minutes=-30))])
_times = st.builds(lambda d, tz: d.replace(tzinfo=tz),
                   st.datetimes(min_value=datetime(1999, 1, 1), max_value=datetime(2030, 1, 1)),
                   _offsets)
_attributes = st.builds(
    Attribute,
    type=st.sampled_from(["ipaddr", "domain", "username", "file.sha256", "odd<&>"]),
    key=_text, value=_text,
    context=st.none() | st.lists(st.sampled_from(["remote", "local", "client", "server",
                                                  "subject", "<x>"]), max_size=4),
    timestamp=st.none() | _times)
_alerts = st.builds(
    Alert, detector=st.sampled_from(["ids", "edr"]), rule_id=st.sampled_from(["r1", "r2"]),
    alert_key=st.sampled_from(["a", "b", "c&"]), description=_text, timestamp=_times,
    attributes=st.lists(_attributes, min_size=1, max_size=4))


def _pipeline(fast: bool, strict: bool = False) -> tuple[LocalPipeline, list[str]]:
    """Both paths' pipeline; ``strict``: filtering emitters and a reviewer that fails on some
    reports, whose every input is recorded too."""
    emitted: list[str] = []

    @inspector(author="geo", types=["ipaddr", "domain", "odd<&>"])
    def geo(attr: Attribute) -> TaskResult:
        when = attr.timestamp or "2024-02-29T23:59:59.123456789+09:00"
        found = [Attribute(type="domain", key="seen", value=f"{attr.value}.example")]
        return TaskResult(
            contents=[ContentHost(country=[attr.value], hostname=[attr.key] if attr.key else None,
                                  related_domains=[EntityDomain(name=attr.value, timestamp=when,
                                                                source="<geo>")])],
            new_attributes=found if attr.type == "ipaddr" else [])

    @inspector(author="who")
    def who(attr: Attribute) -> TaskResult:
        return TaskResult(contents=[
            ContentUser(activities=[EntityActivity(principal=attr.value, action=attr.key,
                                                   last_seen=attr.timestamp)]),
            ContentBinary(os=[attr.type], software=[] if attr.key else None)])

    @reviewer
    def review(report: Report) -> ReportResult:
        return ReportResult(severity=Severity.URGENT if len(report.sections or []) > 3
                            else Severity.SAFE, reason=f"{len(report.alerts or [])} alerts")

    @emitter(statuses=["new", "more", "published"])
    def record(report: Report) -> None:
        emitted.append(report.to_json())

    @reviewer
    def picky(report: Report) -> ReportResult:
        emitted.append("reviewed " + report.to_json())
        if len(report.attributes or []) % 3 == 2:
            raise ValueError(f"cannot decide {report.id}")
        return review.func(report)

    @emitter  # published only: new/more skipped unread on the fast path
    def published(report: Report) -> None:
        emitted.append("published " + report.to_json())

    @emitter(statuses=["more", "published"], min_severity="urgent")
    def urgent(report: Report) -> None:
        if len(report.alerts or []) > 2:
            raise RuntimeError(f"pager down for {report.id}")
        emitted.append("urgent " + report.id)

    ids = itertools.count()
    pipeline = LocalPipeline(inspectors=[geo, who], reviewer=picky if strict else review,
                             emitters=[published, urgent] if strict else [record],
                             clock=ManualClock(START), new_id=lambda: f"report-{next(ids)}")
    pipeline.core.fast_paths = fast
    return pipeline, emitted


def _run(texts: list[str], fast: bool, step: timedelta, strict: bool = False
         ) -> tuple[list[str], list[str], list[str], int]:
    pipeline, emitted = _pipeline(fast, strict)
    for text in texts:
        pipeline.submit(text)
        pipeline.advance(step)
    pipeline.run()
    return (pipeline.published_json(), emitted, [str(e) for e in pipeline.errors],
            pipeline.publications)


@BOUNDED
@given(alerts=st.lists(_alerts, min_size=1, max_size=6), pretty=st.booleans(),
       step=st.sampled_from([timedelta(0), timedelta(minutes=4), timedelta(hours=4)]))
def test_pipeline_publishes_the_same_bytes_on_both_paths(alerts: list[Alert], pretty: bool,
                                                         step: timedelta) -> None:
    texts = [a.to_json() for a in alerts]
    if pretty:  # non-canonical input: whitespace, keys in another order
        texts = [json.dumps(dict(reversed(json.loads(t).items())), indent=1) for t in texts]
    fast = _run(texts, True, step)
    assert fast[0], "nothing was published"
    assert fast == _run(texts, False, step)


@BOUNDED
@given(alerts=st.lists(_alerts, min_size=1, max_size=6),
       step=st.sampled_from([timedelta(0), timedelta(minutes=4), timedelta(hours=4)]))
def test_filtering_emitters_and_a_failing_reviewer_see_the_same_on_both_paths(
        alerts: list[Alert], step: timedelta) -> None:
    # The reviewer reads the report's text itself, emitters that filter a status out are not
    # called and the snapshots nobody hears are not compiled (fast path): what the reviewer
    # and emitters see, their errors and the publication count must not change.
    texts = [a.to_json() for a in alerts]
    fast = _run(texts, True, step, strict=True)
    assert any(line.startswith("reviewed ") for line in fast[1])
    assert fast == _run(texts, False, step, strict=True)


def test_unheard_snapshots_are_not_compiled_on_the_fast_path(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # The differential test above would pass if the fast path never ran: check that it does
    # (with nothing that would show a skip: no debug logging, no metrics).
    caplog.set_level(logging.INFO, logger="deepalert.emitter")
    for name in ("DEEPALERT_METRICS", "LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    compiled = []
    for fast in (True, False):
        pipeline, _ = _pipeline(fast, strict=True)
        calls = 0
        compile_json = pipeline.core.compile_report_json

        def counting(report_id: str, compile_json: Any = compile_json) -> str | None:
            nonlocal calls
            calls += 1
            return compile_json(report_id)

        pipeline.core.compile_report_json = counting  # type: ignore[method-assign]
        for key in "abc":
            pipeline.submit(Alert(detector="ids", rule_id="r", alert_key=key,
                                  attributes=[Attribute(type="ipaddr", value="10.0.0.1")]))
        pipeline.run()
        compiled.append((calls, pipeline.publications))
    # Three new snapshots (heard by nobody on the fast path), three reviews, three published.
    assert compiled == [(6, 6), (9, 6)]


@pytest.mark.parametrize("setting", ["debug", "metrics"])
def test_a_skip_that_would_be_seen_is_not_taken(setting: str, caplog: pytest.LogCaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The emitter logs each skip at debug level and counts each record in its metrics: with
    # either on, every publication reaches it, as on the general path.
    if setting == "metrics":
        monkeypatch.setenv("DEEPALERT_METRICS", "on")
    else:
        caplog.set_level(logging.DEBUG, logger="deepalert.emitter")
    seen = []
    for fast in (True, False):
        caplog.clear()
        pipeline, _ = _pipeline(fast, strict=True)
        pipeline.submit(Alert(detector="ids", rule_id="r", alert_key="k",
                              attributes=[Attribute(type="ipaddr", value="10.0.0.1")]))
        pipeline.run()
        out = capsys.readouterr().out
        seen.append(out.count('"Records"') if setting == "metrics"
                    else [(r.getMessage(), r.__dict__.get("report_id"), r.__dict__.get("record"))
                          for r in caplog.records if "skips report" in r.getMessage()])
    assert seen[0] == seen[1]
    assert seen[0]  # something was skipped (and counted or logged) on both paths


# --- findings, one at a time ------------------------------------------------------------------

# Contents may hold lone surrogates too (escaped, or raw where the text stays a str): what the
# serializer refuses must be written as the general path writes it.
_content_text = _text | st.sampled_from(["\ud800", "a\udfffb", "\U0001f600\ud83d"])
_contents = st.one_of(
    st.fixed_dictionaries({"country": st.lists(_content_text, max_size=2)},
                          optional={"related_domains": st.lists(st.fixed_dictionaries(
                              {"name": _text, "timestamp": st.sampled_from([
                                  "2025-01-01T00:00:00Z", "2025-01-01T09:00:00.5+09:00",
                                  "2025-01-01T00:00:00.123456789-05:30", "bad"])}),
                              max_size=2), "Owner": st.just(["x"]), "os": st.none()}),
    st.just({}), st.none(), st.just([1]), st.just({"country": "JP"}))


@BOUNDED
@given(content=_contents, attr=_attributes,
       kind=st.sampled_from(["host", "user", "binary", "other", "Host"]),
       spaced=st.booleans())
def test_store_finding_stores_what_submit_finding_stores(content: object, attr: Attribute,
                                                         kind: str, spaced: bool) -> None:
    finding = {"report_id": "r<1>", "author": "a&b", "attribute": json.loads(attr.to_json()),
               "type": kind, "content": content}
    text = json.dumps(finding, ensure_ascii=spaced, separators=(", ", ": ") if spaced
                      else (",", ":"))
    outcomes = []
    for fast in (True, False):
        store = MemoryStore()
        core = Core(store, ManualClock(START), _pipeline(fast)[0])
        core.fast_paths = fast
        try:
            core.store_finding(text)
            outcome: object = [(f.attr_hash, f.attribute, f.content_type, f.content)
                               for f in store.findings("r<1>")]
        except Exception as exc:
            outcome = (type(exc).__name__, str(exc))
        outcomes.append(outcome)
    assert outcomes[0] == outcomes[1]


def test_a_typed_finding_is_taken_on_the_fast_path() -> None:
    # The differential tests would pass if the fast path never ran: check that it does.
    from deepalert.core._core import _typed_finding

    text = ('{"report_id":"r","author":"a","attribute":{"type":"ipaddr","key":"k",'
            '"value":"v","context":null},"type":"host","content":{"country":["JP"]}}')
    typed = _typed_finding(text)
    assert typed is not None
    assert isinstance(typed.content, ContentHost)
    assert _typed_finding(text.replace('"host"', '"other"')) is None
    assert _typed_finding(text.replace('"country"', '"Country"')) is None  # Go's case folding


def test_run_restores_the_garbage_collector_even_on_error() -> None:
    pipeline, _ = _pipeline(True)
    pipeline.submit(Alert(detector="ids", rule_id="r", alert_key="k",
                          attributes=[Attribute(type="ipaddr", value="10.0.0.1")]))
    threshold = gc.get_threshold()

    def boom(report: str) -> None:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= 50_000
        raise RuntimeError("dispatch failed")

    pipeline.core.dispatch_inspection = boom  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="dispatch failed"):
        pipeline.run()
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0


def test_submit_many_restores_the_garbage_collector() -> None:
    pipeline, _ = _pipeline(True)
    threshold = gc.get_threshold()
    seen: list[tuple[int, int]] = []

    def alerts() -> Iterator[tuple[str | None, str]]:
        seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))
        yield "a.json:1", "{not json"
        yield "a.json:2", Alert(detector="ids", rule_id="r", alert_key="k").to_json()

    receipts = pipeline.submit_many(alerts())
    assert len(receipts) == 1
    assert [e.source for e in pipeline.errors] == ["a.json:1"]
    assert seen[0][0] > 0
    assert seen[0][1] >= 50_000
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0


def test_dispatch_times_are_written_in_each_clock_zone() -> None:
    # The dispatch time is written once per instant (cached): two cores at the same instant
    # on clocks of two zones (a Clock of one's own may keep any zone) each write their own,
    # as Go writes time.Now() in the local zone.
    class Fixed:
        def __init__(self, now: datetime) -> None:
            self.at = now

        def now(self) -> datetime:
            return self.at

    written = []
    for zone in (timezone.utc, timezone(timedelta(hours=9))):
        pipeline = LocalPipeline(clock=Fixed(START.astimezone(zone)))
        pipeline.submit(Alert(detector="ids", rule_id="r", alert_key="k",
                              attributes=[Attribute(type="ipaddr", value="10.0.0.1")]))
        pipeline.run()
        (report,) = pipeline.published()
        written.append([a.timestamp for a in report.attributes or []])
    assert written == [["2026-01-01T12:00:00Z"], ["2026-01-01T21:00:00+09:00"]]
