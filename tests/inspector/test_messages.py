"""What an inspector returns, and the Finding and ReportAttribute messages that come out."""

from __future__ import annotations

from typing import Any

import pytest

from deepalert import (
    Attribute,
    ContentBinary,
    ContentError,
    ContentHost,
    ContentUser,
    EntityActivity,
    EntityDomain,
    EntityMalware,
    EntityMalwareScan,
    EntitySoftware,
    Finding,
    TaskResult,
)
from deepalert.inspector import InspectionContext, inspector
from deepalert.testing import MemorySink, message_ids, run_inspector, sqs_sns_event
from tests.inspector.conftest import ATTRIBUTE, FINDING, REPORT_ID, make_task

ATTR = Attribute(type="ipaddr", key="src", value="192.0.2.1", context=["remote"],
                 timestamp="2020-01-01T09:00:00+09:00")


def returning(value: Any, **options: Any) -> Any:
    """An inspector that returns ``value`` for every attribute."""
    return inspector(author="fixed", **options)(lambda attr: value)


def test_each_content_becomes_one_finding_of_its_type() -> None:
    """One Finding per content, typed host, user or binary, with report ID and author."""
    contents = [ContentHost(country=["JP"]),
                ContentUser(activities=[EntityActivity(action="login")]),
                ContentBinary(os=["windows"])]
    result = run_inspector(returning(TaskResult(contents=contents)), ATTR, report_id="r-9")
    assert [f.type for f in result.findings] == ["host", "user", "binary"]
    assert {(f.report_id, f.author) for f in result.findings} == {("r-9", "fixed")}
    assert result.contents == contents


def test_content_is_written_as_go_writes_the_struct() -> None:
    """Omitted-when-empty fields are left out and times are RFC 3339 text."""
    content = ContentBinary(related_malware=[EntityMalware(
        sha256="ab", timestamp="2020-01-01T00:00:00Z",
        scans=[EntityMalwareScan(vendor="v", positive=True)])])
    result = run_inspector(returning(content), ATTR)
    assert result.sink.bodies(FINDING)[0].endswith(
        '"type":"binary","content":{"related_malware":[{"sha256":"ab",'
        '"timestamp":"2020-01-01T00:00:00Z","scans":[{"vendor":"v","name":"",'
        '"positive":true,"source":""}],"relation":""}]}}')


@pytest.mark.parametrize("content", [
    ContentHost(),
    ContentHost(ipaddr=["192.0.2.1"], country=["JP"], owner=["<a&b>"], hostname=["\u2028x"],
                related_domains=[EntityDomain(name="d.example", timestamp="2020-01-01T00:00:00Z")],
                software=[EntitySoftware(name="sshd")]),
    ContentUser(),
    ContentUser(activities=[EntityActivity(action="login",
                                           last_seen="2020-01-01T09:00:00.5+09:00")]),
    ContentBinary(software=["x"], related_malware=[EntityMalware(
        sha256="ab", scans=[EntityMalwareScan(positive=True)])]),
])
def test_finding_body_is_what_the_finding_model_writes(content: Any) -> None:
    """The body sent is byte for byte Finding(...).to_json() for the same content."""
    result = run_inspector(returning(content), ATTR, report_id="r")
    expected = Finding(report_id="r", author="fixed", attribute=ATTR,
                       type=content.content_type.value, content=content).to_json()
    assert result.sink.bodies(FINDING) == [expected]


@pytest.mark.parametrize("value", [
    ContentHost(country=["JP"]),
    [ContentHost(country=["JP"])],
    (ContentHost(country=["JP"]),),
    TaskResult(contents=[ContentHost(country=["JP"])]),
])
def test_shorthand_returns_equal_a_task_result(value: Any) -> None:
    """A single content, or a list or tuple of contents, is read as a TaskResult."""
    assert run_inspector(returning(value), ATTR).contents == [ContentHost(country=["JP"])]


def test_list_mixing_contents_and_attributes_splits_them() -> None:
    """In a returned list, contents become findings and Attributes new attributes."""
    new = Attribute(type="domain", key="ptr", value="host.example")
    result = run_inspector(returning([ContentHost(country=["JP"]), new]), ATTR)
    assert len(result.findings) == 1
    assert [a.value for a in result.new_attributes] == ["host.example"]


@pytest.mark.parametrize("value", [None, [], TaskResult()])
def test_nothing_found_sends_nothing(value: Any) -> None:
    """None, an empty list or an empty TaskResult sends no message."""
    result = run_inspector(returning(value), ATTR)
    assert result.findings == []
    assert result.report_attribute is None
    assert result.sink.requests == 0


def test_new_attributes_become_one_report_attribute_per_task() -> None:
    """New attributes go in one ReportAttribute carrying the task attribute as origin_attr."""
    news = [Attribute(type="domain", key="ptr", value="a.example"),
            Attribute(type="domain", key="ptr", value="b.example")]
    result = run_inspector(returning(TaskResult(new_attributes=news)), ATTR)
    report = result.report_attribute
    assert report is not None
    assert (report.report_id, report.author, report.origin_attr) == (
        "00000000-0000-4000-8000-000000000000", "fixed", ATTR)
    assert [a.value for a in result.new_attributes] == ["a.example", "b.example"]
    assert len(result.sink.bodies(ATTRIBUTE)) == 1


def test_new_attribute_without_timestamp_gets_the_task_attributes() -> None:
    """A new attribute without timestamp takes the task attribute's; one with keeps its own."""
    news = [Attribute(type="domain", value="a.example"),
            Attribute(type="domain", value="b.example", timestamp="2021-05-05T05:05:05Z")]
    result = run_inspector(returning(TaskResult(new_attributes=news)), ATTR)
    assert [a.timestamp for a in result.new_attributes] == [
        "2020-01-01T09:00:00+09:00", "2021-05-05T05:05:05Z"]


def test_new_attribute_without_timestamp_stays_so_when_the_task_has_none() -> None:
    """When the task attribute has no timestamp either, none is made up."""
    attr = ATTR.model_copy(update={"timestamp": None})
    result = run_inspector(returning([Attribute(type="domain", value="a")]), attr)
    assert result.new_attributes[0].timestamp is None
    assert '"timestamp"' not in result.sink.bodies(ATTRIBUTE)[0]


def test_filtered_attribute_is_skipped_without_calling_the_function() -> None:
    """An attribute the filters reject is not inspected and sends nothing."""
    calls: list[Attribute] = []

    @inspector(author="a", types=["domain"])
    def only_domains(attr: Attribute) -> None:
        calls.append(attr)

    result = run_inspector(only_domains, ATTR)
    assert (calls, result.skipped, result.findings) == ([], True, [])


def test_context_gives_report_id_author_attribute_and_time_left() -> None:
    """The InspectionContext carries the report ID, author, attribute and Lambda deadline."""
    seen: list[tuple[str, str, Attribute, int | None]] = []

    @inspector(author="ctx")
    def look(attr: Attribute, ctx: InspectionContext) -> None:
        seen.append((ctx.report_id, ctx.author, ctx.attribute, ctx.remaining_ms()))

    run_inspector(look, ATTR, report_id="r-1")
    (report_id, author, attribute, left), = seen
    assert (report_id, author, attribute) == ("r-1", "ctx", ATTR)
    assert left is not None
    assert 0 < left <= 30_000


@pytest.mark.parametrize(("mutate", "expected"), [
    # Assignments are validated; writing into __dict__ bypasses that, as a model built
    # with model_construct or changed in place would.
    (lambda c: c.__dict__.__setitem__("country", "JP"), "country"),
    (lambda c: c.__dict__.__setitem__("related_domains", [{"name": 3}]), "related_domains"),
])
def test_content_go_could_not_decode_fails_the_record_and_sends_nothing(
        mutate: Any, expected: str, sink: MemorySink) -> None:
    """A content that would not decode into its Go struct fails its record; nothing is sent."""
    content = ContentHost(ipaddr=["192.0.2.1"])
    mutate(content)

    @inspector(author="broken")
    def broken(attr: Attribute) -> list[Any]:
        return [ContentHost(country=["JP"]), content]

    event = sqs_sns_event(make_task())
    response = broken.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                             attribute_queue_url=ATTRIBUTE)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[0]}]}
    assert sink.requests == 0


def test_content_error_names_author_attribute_and_field() -> None:
    """The ContentError says which inspector, which attribute and which field."""
    content = ContentHost()
    content.__dict__["country"] = "JP"  # bypasses the validated assignment
    with pytest.raises(ContentError, match=r"(?s)'broken'.*ipaddr 'src'='192\.0\.2\.1'.*country"):
        run_inspector(inspector(author="broken")(lambda attr: content), ATTR)


@pytest.mark.parametrize("value", [{"country": ["JP"]}, "found", [ContentHost(), 3]])
def test_return_value_of_another_kind_fails_with_what_to_return(value: Any) -> None:
    """A dict, a string or a list with other items is refused with the accepted shapes."""
    with pytest.raises(ContentError, match="return a TaskResult"):
        run_inspector(returning(value), ATTR)


def test_new_attribute_of_another_kind_fails() -> None:
    """new_attributes must be Attributes."""
    result = TaskResult()
    result.new_attributes.append({"type": "domain"})  # type: ignore[arg-type]
    with pytest.raises(ContentError, match="use Attribute"):
        run_inspector(returning(result), ATTR)


def test_finding_over_the_size_ceiling_fails_naming_author_attribute_and_size(
        sink: MemorySink) -> None:
    """A finding larger than max_message_bytes fails its record and nothing is sent."""
    big = ContentHost(hostname=["x" * 2000])
    handler = returning(big, max_message_bytes=1024)
    event = sqs_sns_event(make_task("192.0.2.1"))
    response = handler.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                              attribute_queue_url=ATTRIBUTE)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[0]}]}
    assert sink.requests == 0
    with pytest.raises(ContentError, match=r"'fixed'.*'192\.0\.2\.1'.* is 2\d{3} bytes"):
        run_inspector(handler, ATTR)


def test_ceiling_can_be_raised_to_the_sqs_maximum() -> None:
    """max_message_bytes up to 1 MiB lets a large finding through."""
    big = ContentHost(hostname=["x" * 300_000])
    result = run_inspector(returning(big, max_message_bytes=1_048_576), ATTR)
    assert len(result.findings) == 1


def test_character_sqs_refuses_fails_the_record() -> None:
    """U+FFFF, which Go leaves unescaped but SQS refuses, fails before sending."""
    with pytest.raises(ContentError, match="U\\+FFFF"):
        run_inspector(returning(ContentHost(owner=["a\uffff"])), ATTR)


def test_inspector_exception_propagates_from_run_inspector() -> None:
    """run_inspector raises what the inspector raised, as Lambda would see it for SNS."""
    def boom(attr: Attribute) -> None:
        raise LookupError("no such host")

    with pytest.raises(LookupError, match="no such host"):
        run_inspector(inspector(author="a")(boom), ATTR)


def test_report_id_of_the_task_is_carried() -> None:
    """Every message carries the task's report ID."""
    result = run_inspector(returning([ContentHost(), Attribute(type="domain")]), ATTR,
                           report_id=REPORT_ID)
    assert result.findings[0].report_id == REPORT_ID
    assert result.report_attribute is not None
    assert result.report_attribute.report_id == REPORT_ID
