"""The local pipeline follows the Go core's semantics, on a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from deepalert import (
    Alert,
    Attribute,
    ContentHost,
    ContentUser,
    Report,
    ReportResult,
    ReportStatus,
    Severity,
    Task,
    TaskResult,
)
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.local import LocalPipeline, ManualClock, MemoryStore, SQLiteStore
from deepalert.reviewer import reviewer

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def ip_alert(*ips: str, key: str = "k", **fields: object) -> Alert:
    return Alert(detector="ids", rule_id="scan", alert_key=key,
                 attributes=[Attribute(type="ipaddr", key="src", value=ip,
                                       context=["remote", "client"]) for ip in ips],
                 **fields)  # type: ignore[arg-type]


class Recorder:
    """Inspectors, a reviewer and an emitter that remember what they saw."""

    def __init__(self) -> None:
        self.tasks: list[Attribute] = []
        self.reviewed: list[Report] = []
        self.emitted: list[Report] = []

        @inspector(author="geo", types=["ipaddr"])
        def geo(attr: Attribute) -> ContentHost:
            self.tasks.append(attr)
            return ContentHost(country=["JP"])

        @inspector(author="owner")
        def owner(attr: Attribute) -> ContentHost | None:
            return ContentHost(owner=["corp"]) if attr.type == "ipaddr" else None

        @reviewer
        def review(report: Report) -> ReportResult:
            self.reviewed.append(report)
            return ReportResult(severity=Severity.URGENT, reason="seen")

        @emitter(statuses=["new", "more", "published"])
        def record(report: Report) -> None:
            self.emitted.append(report)

        self.geo, self.owner, self.review, self.record = geo, owner, review, record


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SQLiteStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SQLiteStore(tmp_path / "reports.db")
        yield sqlite
        sqlite.close()


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def pipeline(rec: Recorder, store: MemoryStore | SQLiteStore, clock: ManualClock
             ) -> LocalPipeline:
    return LocalPipeline(inspectors=[rec.geo, rec.owner], reviewer=rec.review,
                         emitters=[rec.record], store=store, clock=clock)


def test_alerts_with_one_alert_id_share_a_report(pipeline: LocalPipeline) -> None:
    """The first alert opens a new report; the next with the same AlertID adds to it."""
    first = pipeline.submit(ip_alert("192.0.2.1"))
    second = pipeline.submit(ip_alert("192.0.2.2"))
    other = pipeline.submit(ip_alert("192.0.2.3", key="other"))
    assert (first.status, second.status) == ("new", "more")
    assert first.report_id == second.report_id != other.report_id


def test_the_window_is_fixed_from_the_first_alert(pipeline: LocalPipeline,
                                                  clock: ManualClock) -> None:
    """Alerts within 3 hours of the first share its report; later ones open a new report."""
    first = pipeline.submit(ip_alert("192.0.2.1"))
    clock.advance(timedelta(hours=2))
    assert pipeline.submit(ip_alert("192.0.2.1")).report_id == first.report_id
    clock.advance(timedelta(hours=1, minutes=1))  # 3h01 after the first, 1h01 after the last
    late = pipeline.submit(ip_alert("192.0.2.1"))
    assert (late.status, late.report_id != first.report_id) == ("new", True)


def test_an_alert_four_hours_later_opens_a_new_report_that_is_reviewed_alone(
        pipeline: LocalPipeline, rec: Recorder) -> None:
    """Each report is reviewed and published on its own."""
    first = pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.advance(timedelta(hours=4))
    second = pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    assert [r.id for r in rec.reviewed] == [first.report_id, second.report_id]
    assert {r.id for r in pipeline.published()} == {first.report_id, second.report_id}


def test_delays_are_simulated_not_slept(pipeline: LocalPipeline, rec: Recorder,
                                        clock: ManualClock) -> None:
    """Inspection waits 5 minutes and review 10, on the simulated clock."""
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.advance(timedelta(minutes=4, seconds=59))
    assert rec.tasks == []
    pipeline.advance(timedelta(seconds=1))
    assert len(rec.tasks) == 1
    pipeline.advance(timedelta(minutes=4, seconds=59))
    assert rec.reviewed == []
    pipeline.run()
    assert clock.now() == START + timedelta(minutes=10)
    assert len(rec.reviewed) == 1


def test_attributes_are_inspected_once_per_report(pipeline: LocalPipeline,
                                                  rec: Recorder) -> None:
    """The same attribute in several alerts of one report is dispatched once."""
    pipeline.submit(ip_alert("192.0.2.1", "192.0.2.2"))
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    assert sorted(a.value for a in rec.tasks) == ["192.0.2.1", "192.0.2.2"]


def test_attribute_timestamps_are_part_of_the_dedup_identity(pipeline: LocalPipeline,
                                                             rec: Recorder) -> None:
    """An attribute that carries its own, different timestamp is dispatched again."""
    stamped = ip_alert("192.0.2.1")
    assert stamped.attributes is not None
    stamped.attributes[0].timestamp = "2026-01-01T00:00:00Z"  # type: ignore[assignment]
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.submit(stamped)
    pipeline.run()
    assert [a.value for a in rec.tasks] == ["192.0.2.1", "192.0.2.1"]


def test_tasks_carry_the_alert_time_and_a_sorted_context(pipeline: LocalPipeline,
                                                         rec: Recorder) -> None:
    """A task attribute without a timestamp gets the alert's; its context arrives sorted."""
    pipeline.submit(ip_alert("192.0.2.1", timestamp="2026-01-01T11:00:00+09:00"))
    pipeline.run()
    (task_attr,) = rec.tasks
    assert task_attr.timestamp == "2026-01-01T11:00:00+09:00"
    assert task_attr.context == ["client", "remote"]


def test_findings_from_every_inspector_share_one_section(pipeline: LocalPipeline) -> None:
    """Findings about one attribute from two inspectors land in one section."""
    pipeline.submit(ip_alert("192.0.2.1", "192.0.2.2"))
    pipeline.run()
    (report,) = pipeline.published()
    assert report.sections is not None
    assert len(report.sections) == 2
    for section in report.sections:
        assert [h.to_json() for h in section.hosts or []] == [
            '{"country":["JP"]}', '{"owner":["corp"]}']


def test_sections_are_sorted_by_attribute_hash(pipeline: LocalPipeline) -> None:
    """Sections come in ascending order of their attribute's hash, as in the current core."""
    pipeline.submit(ip_alert(*[f"192.0.2.{i}" for i in range(1, 8)]))
    pipeline.run()
    (report,) = pipeline.published()
    hashes = [s.attr.hash() for s in report.sections or []]
    assert hashes == sorted(hashes)
    assert len(hashes) == 7


def test_new_attributes_become_tasks_and_loops_end(store: MemoryStore | SQLiteStore,
                                                   clock: ManualClock) -> None:
    """Fed-back attributes are inspected too; de-duplication stops an endless loop."""
    seen: list[str] = []

    @inspector(author="resolver")
    def resolver(attr: Attribute) -> TaskResult:
        seen.append(attr.value)
        # Always reports the same two attributes, whatever it is given.
        return TaskResult(new_attributes=[Attribute(type="domain", value="a.example"),
                                          Attribute(type="domain", value="b.example")])

    pipeline = LocalPipeline(inspectors=[resolver], store=store, clock=clock)
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    assert sorted(seen) == ["192.0.2.1", "a.example", "b.example"]
    (report,) = pipeline.published()
    assert sorted(a.value for a in report.attributes or []) == [
        "192.0.2.1", "a.example", "b.example"]


def test_report_attribute_times_are_their_own_or_the_dispatch_time(
        pipeline: LocalPipeline) -> None:
    """report.attributes carry the attribute's timestamp, else when it was dispatched."""
    pipeline.submit(ip_alert("192.0.2.1", timestamp="2020-01-01T00:00:00Z"))
    pipeline.run()
    (report,) = pipeline.published()
    (attr,) = report.attributes or []
    assert attr.timestamp is not None
    assert attr.timestamp.datetime == START + timedelta(minutes=5)


def test_the_reviewer_sees_the_compiled_report(pipeline: LocalPipeline, rec: Recorder) -> None:
    """The reviewer gets alerts, attributes and sections, status more/new, an empty result."""
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.submit(ip_alert("192.0.2.2"))
    pipeline.run()
    (seen,) = rec.reviewed
    assert seen.status == "more"
    assert seen.result == ReportResult()
    assert len(seen.alerts or []) == 2
    assert len(seen.sections or []) == 2
    assert seen.created_at == "2026-01-01T12:00:00Z"


def test_created_at_has_second_precision_once_stored(store: MemoryStore | SQLiteStore) -> None:
    """The core keeps created_at as whole seconds, so compiled reports drop the fraction."""
    clock = ManualClock(START + timedelta(microseconds=250_000))
    pipeline = LocalPipeline(store=store, clock=clock)
    receipt = pipeline.submit(ip_alert("192.0.2.1"))
    report = pipeline.report(receipt.report_id)
    assert report is not None
    assert report.created_at == "2026-01-01T12:00:00Z"


@pytest.mark.parametrize(("returned", "severity"), [
    (None, "unclassified"), (ReportResult(reason="no idea"), "unclassified"),
    (Severity.SAFE, "safe"),
])
def test_a_missing_or_empty_verdict_is_published_unclassified(
        returned: ReportResult | Severity | None, severity: str) -> None:
    """No result, or an empty severity, becomes unclassified; a verdict is kept."""

    @reviewer
    def review(report: Report) -> ReportResult | Severity | None:
        return returned

    pipeline = LocalPipeline(reviewer=review, clock=ManualClock(START))
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    (report,) = pipeline.published()
    assert report.result.severity == severity


def test_emitters_see_every_publication(pipeline: LocalPipeline, rec: Recorder) -> None:
    """A report is published for each alert (new, more) and once reviewed (published)."""
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.submit(ip_alert("192.0.2.2"))
    pipeline.run()
    assert [r.status for r in rec.emitted] == ["new", "more", "published"]
    assert rec.emitted[-1].result.severity == "urgent"


def test_a_late_alert_gets_the_report_reviewed_again_by_default(
        pipeline: LocalPipeline, rec: Recorder) -> None:
    """After publication, another alert of the window re-opens review and republishes."""
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    pipeline.advance(timedelta(hours=1))
    pipeline.submit(ip_alert("192.0.2.9"))
    pipeline.run()
    assert len(rec.reviewed) == 2
    assert [r.status for r in rec.emitted] == ["new", "published", "more", "published"]
    (report,) = pipeline.published()
    assert report.result.severity == "urgent"
    assert len(report.alerts or []) == 2


def test_go_late_alert_behaviour_is_available(rec: Recorder) -> None:
    """With late_alerts="go" the report reverts to more with an empty result, unreviewed."""
    pipeline = LocalPipeline(inspectors=[rec.geo], reviewer=rec.review, emitters=[rec.record],
                             clock=ManualClock(START), late_alerts="go")
    receipt = pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    pipeline.advance(timedelta(hours=1))
    pipeline.submit(ip_alert("192.0.2.9"))
    pipeline.run()
    assert len(rec.reviewed) == 1
    current = pipeline.report(receipt.report_id)
    assert current is not None
    assert (current.status, current.result.severity) == ("more", "")
    assert rec.emitted[-1].status == "more"


def test_a_failing_inspector_is_reported_and_the_others_still_count(clock: ManualClock) -> None:
    """An inspector that raises is an error naming it and the alert; others' findings stay."""

    @inspector(author="broken")
    def broken(attr: Attribute) -> None:
        raise RuntimeError("intel service unavailable")

    @inspector(author="users")
    def users(attr: Attribute) -> ContentUser:
        return ContentUser(activities=[])

    pipeline = LocalPipeline(inspectors=[broken, users], clock=clock)
    pipeline.submit(ip_alert("192.0.2.1"), source="alerts.jsonl line 1")
    pipeline.run()
    (error,) = pipeline.errors
    assert error.stage == "inspector"
    assert "'broken'" in error.detail
    assert "192.0.2.1" in error.detail
    assert error.source == "alerts.jsonl line 1"
    (report,) = pipeline.published()
    assert [len(s.users or []) for s in report.sections or []] == [1]


def test_a_failing_reviewer_in_raise_mode_publishes_unclassified(clock: ManualClock) -> None:
    """As on the core on AWS: the report is published unclassified, the reason naming only the
    error's type; the error itself is in ``errors``, redacted."""
    hook = "https://hooks.slack.com/services/T01ABC/B02DEF/s3cr3tPart"

    @reviewer(on_error="raise")
    def review(report: Report) -> ReportResult:
        raise ValueError(f"policy bug posting to {hook}")

    pipeline = LocalPipeline(reviewer=review, clock=clock)
    receipt = pipeline.submit(ip_alert("192.0.2.1"), source="alerts.jsonl line 1")
    pipeline.run()
    (report,) = pipeline.published()
    assert report.id == receipt.report_id
    assert report.status == ReportStatus.PUBLISHED
    assert report.result.severity == Severity.UNCLASSIFIED
    assert report.result.reason == "the reviewer failed (ValueError); see its logs"
    (error,) = pipeline.errors
    assert error.stage == "reviewer"
    assert error.report_id == receipt.report_id
    assert error.source == "alerts.jsonl line 1"
    assert "policy bug" in error.detail
    assert "published unclassified" in error.detail
    assert "s3cr3tPart" not in error.detail
    assert error.traceback is not None
    assert "s3cr3tPart" not in error.traceback


@pytest.mark.parametrize(("output", "reason"), [
    (["urgent"], "the reviewer returned a list, not a ReportResult"),
    ({"severity": 3}, "the reviewer's result could not be read"),
])
def test_a_reviewer_output_that_is_no_verdict_publishes_unclassified(
        clock: ManualClock, output: object, reason: str) -> None:
    """The same outputs the core on AWS publishes unclassified (submit_report)."""

    def review(event: object, context: object) -> object:
        return output

    pipeline = LocalPipeline(reviewer=review, clock=clock)
    pipeline.submit(ip_alert("192.0.2.1"))
    pipeline.run()
    (report,) = pipeline.published()
    assert (report.result.severity, report.result.reason) == (Severity.UNCLASSIFIED, reason)
    (error,) = pipeline.errors
    assert error.stage == "reviewer"


def test_a_finding_the_core_cannot_decode_is_refused_and_the_report_survives(
        clock: ManualClock) -> None:
    """A malformed content is an error, not a report that can never compile again."""
    pipeline = LocalPipeline(clock=clock)
    receipt = pipeline.submit(ip_alert("192.0.2.1"))
    bad = ('{"report_id":"' + receipt.report_id + '","author":"hand-made",'
           '"attribute":{"type":"ipaddr"},"type":"host","content":{"ipaddr":"192.0.2.1"}}')
    with pytest.raises(ValueError, match="hand-made"):
        pipeline.core.submit_finding(bad)
    pipeline.run()
    assert [r.id for r in pipeline.published()] == [receipt.report_id]


def test_invalid_alerts_are_reported_and_the_rest_processed(clock: ManualClock) -> None:
    """submit_many records refused alerts with their source and carries on."""
    pipeline = LocalPipeline(clock=clock)
    receipts = pipeline.submit_many([
        ("a.json", ip_alert("192.0.2.1")),
        ("b.json", '{"detector":"d"}'),
        ("c.json", "{not json"),
        ("d.json", ip_alert("192.0.2.2", key="other")),
    ])
    assert len(receipts) == 2
    assert [(e.stage, e.source) for e in pipeline.errors] == [("alert", "b.json"),
                                                              ("alert", "c.json")]
    assert "rule_id" in pipeline.errors[0].detail


def test_every_hand_off_crosses_the_wire_as_go_json(rec: Recorder, clock: ManualClock) -> None:
    """Tasks reach inspectors as SNS-in-SQS records whose Message is Go-exact Task JSON."""
    seen: list[str] = []

    class Spy:
        author = "spy"

        def accepts(self, attr: Attribute) -> bool:
            return True

        def invoke(self, event: dict[str, object], context: object = None, **_: object) -> None:
            import json

            for record in event["Records"]:  # type: ignore[attr-defined]
                seen.append(json.loads(record["body"])["Message"])

    pipeline = LocalPipeline(inspectors=[Spy()], clock=clock)
    pipeline.submit(ip_alert("192.0.2.1", timestamp="2026-01-01T00:00:00.120Z"))
    pipeline.run()
    (message,) = seen
    assert Task.from_json(message).to_json() == message
    assert '"timestamp":"2026-01-01T00:00:00.12Z"' in message


def test_sqlite_reports_survive_a_restart(tmp_path: Path, rec: Recorder) -> None:
    """With an SQLite store, a later run folds a new alert into the stored report."""
    path = tmp_path / "reports.db"
    first_store = SQLiteStore(path)
    first = LocalPipeline(reviewer=rec.review, store=first_store, clock=ManualClock(START))
    receipt = first.submit(ip_alert("192.0.2.1"))
    first.run()
    first_store.close()

    second_store = SQLiteStore(path)
    second = LocalPipeline(reviewer=rec.review, store=second_store,
                           clock=ManualClock(START + timedelta(hours=1)))
    again = second.submit(ip_alert("192.0.2.2"))
    second.run()
    assert again.report_id == receipt.report_id
    (report,) = second.published()
    assert len(report.alerts or []) == 2
    second_store.close()


def test_compiled_reports_are_exactly_what_go_would_write(pipeline: LocalPipeline) -> None:
    """The report assembled from stored JSON equals the codec's own writing of it."""
    receipt = pipeline.submit(ip_alert("192.0.2.1", "192.0.2.2",
                                       description="<script>&\u2028", body={"b": 1, "a": 0.5}))
    pipeline.submit(ip_alert("192.0.2.3"))
    for _ in range(2):
        text = pipeline.core.compile_report_json(receipt.report_id)
        assert text is not None
        assert Report.from_json(text).to_json() == text
        pipeline.run()
    assert '"status":"published"' in text


def test_a_section_takes_the_attribute_of_its_first_finding(
        store: MemoryStore | SQLiteStore, clock: ManualClock) -> None:
    """Findings whose attributes hash alike share a section written with the first one's JSON."""
    pipeline = LocalPipeline(store=store, clock=clock)
    receipt = pipeline.submit(ip_alert("192.0.2.1"))
    for context, country in ((["remote", "client"], "JP"), (["client", "remote"], "US")):
        pipeline.core.submit_finding(
            '{"report_id":"' + receipt.report_id + '","author":"a","attribute":{"type":"ipaddr",'
            '"key":"src","value":"192.0.2.1","context":' + str(context).replace("'", '"')
            + '},"type":"host","content":{"country":["' + country + '"]}}')
    report = pipeline.report(receipt.report_id)
    assert report is not None
    (section,) = report.sections or []
    assert section.attr.context == ["remote", "client"]
    assert [h.country for h in section.hosts or []] == [["JP"], ["US"]]


def test_an_alert_body_with_status_keys_is_published(pipeline: LocalPipeline,
                                                     rec: Recorder) -> None:
    """A "status" key in an alert's body (an HTTP status, say) is more than peek_report
    vouches for: the pipeline reads the whole report instead of failing."""
    receipt = pipeline.submit(ip_alert("192.0.2.1", body={"http": {"status": 200},
                                                          "Status": "open"}))
    pipeline.run()
    assert pipeline.errors == []
    assert [r.status for r in rec.emitted] == ["new", "published"]
    (report,) = pipeline.published()
    assert report.id == receipt.report_id
    assert report.alerts is not None
    assert report.alerts[0].body["http"] == {"status": 200}
