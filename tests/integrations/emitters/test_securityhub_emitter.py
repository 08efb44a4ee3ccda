"""The Security Hub emitter, on botocore's Stubber (moto has no BatchUpdateFindings).

The Stubber checks each request against the securityhub service model; responses are shaped
as https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
documents them (``ProcessedFindings``, ``UnprocessedFindings`` with ``ErrorCode`` and
``ErrorMessage``). The finding is the AWS CLI documentation's sample
(tests/sources/samples/awscli-securityhub-get-findings.json) read through deepalert.sources.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deepalert import Report
from deepalert.errors import ConfigurationError
from deepalert.integrations.securityhub import (
    finding_identifiers,
    handler,
    securityhub_emitter,
)
from deepalert.lookup import AuthenticationError, LookupFailedError, RateLimitedError, ServiceError
from deepalert.sources import asff
from deepalert.testing import FakeLambdaContext, make_alert, make_report, run_emitter, sqs_sns_event

boto3 = pytest.importorskip("boto3")
stub = pytest.importorskip("botocore.stub")

SAMPLE = Path(__file__).parents[2] / "sources" / "samples" / "awscli-securityhub-get-findings.json"
# The sample is a passed, archived control check; make it an active failed one, as the
# findings worth alerting on are (the converter skips closed findings).
FINDING = dict(json.loads(SAMPLE.read_text(encoding="utf-8"))["Findings"][0],
               Compliance={"Status": "FAILED"}, RecordState="ACTIVE")
IDENTIFIER = {"Id": FINDING["Id"], "ProductArn": FINDING["ProductArn"]}
REPORT_ID = "6c1f0b1e-3f5e-4b8e-9a8e-2b7e0d4f9c11"


def report_from_hub(severity: str = "safe", reason: str = "a test function") -> Report:
    """A published report whose alert came from the sample Security Hub finding."""
    return make_report(*asff.to_alerts(FINDING), status="published", severity=severity,
                       reason=reason, id=REPORT_ID)


@pytest.fixture
def hub() -> Iterator[tuple[Any, Any]]:
    client = boto3.client("securityhub", region_name="us-west-1")
    with stub.Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def processed(*identifiers: dict[str, str]) -> dict[str, Any]:
    return {"ProcessedFindings": list(identifiers), "UnprocessedFindings": []}


def expected(status: str, text: str, *identifiers: dict[str, str]) -> dict[str, Any]:
    return {"FindingIdentifiers": list(identifiers) or [IDENTIFIER],
            "Workflow": {"Status": status}, "Note": {"Text": text, "UpdatedBy": "deepalert"}}


def _emitter(client: Any, store: object, **options: Any) -> Any:
    regions: list[str] = []

    def factory(region: str) -> Any:
        regions.append(region)
        return client

    emitter = securityhub_emitter(store=store, client_factory=factory, **options)
    emitter.regions = regions
    return emitter


def test_the_origin_finding_is_found_in_the_alert_body() -> None:
    """An alert converted from ASFF keeps the finding's Id and ProductArn."""
    assert finding_identifiers(report_from_hub()) == [IDENTIFIER]
    assert finding_identifiers(make_report(make_alert(body={"Id": "x"}))) == []


def test_safe_resolves_the_finding_with_a_note(hub, store) -> None:
    """A safe verdict sets RESOLVED and a note with the reason and report ID."""
    client, stubber = hub
    text = f"DeepAlert: safe. a test function (DeepAlert report {REPORT_ID})"
    stubber.add_response("batch_update_findings", processed(IDENTIFIER),
                         expected("RESOLVED", text))
    emitter = _emitter(client, store)
    assert not run_emitter(emitter, report_from_hub(), via="sqs").failed
    assert emitter.regions == ["us-west-1"]  # the ProductArn's region


def test_urgent_notifies(hub, store) -> None:
    """An urgent verdict sets NOTIFIED."""
    client, stubber = hub
    stubber.add_response("batch_update_findings", processed(IDENTIFIER),
                         expected("NOTIFIED", f"DeepAlert: urgent. bad (DeepAlert report "
                                              f"{REPORT_ID})"))
    assert not run_emitter(_emitter(client, store), report_from_hub("urgent", "bad")).failed


def test_redelivery_updates_once(hub, store) -> None:
    """The same publication delivered twice makes one BatchUpdateFindings call."""
    client, stubber = hub
    stubber.add_response("batch_update_findings", processed(IDENTIFIER))
    emitter = _emitter(client, store)
    event = sqs_sns_event(report_from_hub())
    assert emitter(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert emitter(event, FakeLambdaContext()) == {"batchItemFailures": []}


def test_a_severity_mapped_to_none_is_left_alone(hub, store) -> None:
    """workflow={"unclassified": None} makes no call for unclassified reports."""
    client, _ = hub
    emitter = _emitter(client, store, workflow={"unclassified": None, "safe": "RESOLVED"})
    assert not run_emitter(emitter, report_from_hub("unclassified")).failed


def test_reports_not_from_security_hub_make_no_call(hub, store) -> None:
    """A report whose alerts carry no ASFF finding is not sent anywhere."""
    client, _ = hub
    assert not run_emitter(_emitter(client, store),
                           make_report(status="published", severity="safe")).failed


def test_unprocessed_findings_fail_the_record(hub, store) -> None:
    """A finding Security Hub did not update fails the record, naming its error code."""
    client, stubber = hub
    stubber.add_response("batch_update_findings", {
        "ProcessedFindings": [],
        "UnprocessedFindings": [{"FindingIdentifier": IDENTIFIER,
                                 "ErrorCode": "FindingNotFound",
                                 "ErrorMessage": "Finding Not Found"}]})
    with pytest.raises(ServiceError, match="FindingNotFound"):
        _emitter(client, store).emit(report_from_hub(), FakeLambdaContext())


@pytest.mark.parametrize(("code", "status", "kind"), [
    ("AccessDeniedException", 403, AuthenticationError),
    ("ThrottlingException", 429, RateLimitedError),
    ("InvalidInputException", 400, ServiceError),
    ("InternalException", 500, ServiceError),
])
def test_client_errors_name_the_code(hub, store, code, status, kind) -> None:
    """API errors fail the record as the matching lookup error, naming the code only."""
    client, stubber = hub
    stubber.add_client_error("batch_update_findings", service_error_code=code,
                             service_message="details", http_status_code=status)
    with pytest.raises(LookupFailedError) as caught:
        _emitter(client, store).emit(report_from_hub(), FakeLambdaContext())
    assert isinstance(caught.value, kind)
    assert code in str(caught.value)


def test_more_than_100_findings_are_sent_in_batches(hub, store) -> None:
    """250 findings are updated in three calls of at most 100."""
    client, stubber = hub
    alerts = []
    ids = []
    for i in range(250):
        finding = dict(FINDING, Id=f"{FINDING['Id']}-{i}")
        alerts.extend(asff.to_alerts(finding))
        ids.append({"Id": finding["Id"], "ProductArn": FINDING["ProductArn"]})
    for start in (0, 100, 200):
        stubber.add_response("batch_update_findings", processed(*ids[start:start + 100]))
    report = make_report(*alerts, status="published", severity="safe", id=REPORT_ID)
    assert not run_emitter(_emitter(client, store), report).failed


def test_the_note_is_at_most_512_characters(hub, store) -> None:
    """A long reason is cut so the note stays within Security Hub's limit."""
    from deepalert.integrations.securityhub import SecurityHubUpdater

    note = SecurityHubUpdater().note(report_from_hub(reason="x" * 2000))
    assert len(note) <= 512
    assert note.endswith(f"(DeepAlert report {REPORT_ID})")


def test_bad_workflow_status_is_refused() -> None:
    """A workflow status Security Hub does not know is a configuration error."""
    with pytest.raises(ConfigurationError, match="workflow statuses"):
        securityhub_emitter(workflow={"safe": "CLOSED"})


def test_env_handler_reads_the_workflow(monkeypatch) -> None:
    """WORKFLOW_SAFE=SUPPRESSED and WORKFLOW_URGENT=none configure the ready handler."""
    monkeypatch.setenv("WORKFLOW_SAFE", "suppressed")
    monkeypatch.setenv("WORKFLOW_URGENT", "none")
    handler.reset()
    try:
        emitter = handler.emitter
        assert emitter.accepts(report_from_hub())
        from deepalert.integrations import securityhub

        built = securityhub._workflow_from_env()
        assert built == {"urgent": None, "unclassified": "NOTIFIED", "safe": "SUPPRESSED"}
    finally:
        handler.reset()


GUARDDUTY_EVENT = json.loads((SAMPLE.parent / "aws-samples-guardduty_ec2_event.json")
                             .read_text(encoding="utf-8"))
GUARDDUTY_ID = {"Id": GUARDDUTY_EVENT["arn"],
                "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty"}


def test_guardduty_findings_count_only_when_asked() -> None:
    """A finding read from GuardDuty is identified by its ARN under the GuardDuty product,
    and only with guardduty=True."""
    from deepalert.sources import guardduty

    report = make_report(*guardduty.to_alerts(GUARDDUTY_EVENT), status="published",
                         severity="safe", id=REPORT_ID)
    assert finding_identifiers(report) == []
    assert finding_identifiers(report, guardduty=True) == [GUARDDUTY_ID]
    envelope = {"detail-type": "GuardDuty Finding", "detail": GUARDDUTY_EVENT}
    wrapped = make_report(make_alert(body=envelope), status="published", severity="safe")
    assert finding_identifiers(wrapped, guardduty=True) == [GUARDDUTY_ID]


def test_guardduty_finding_is_resolved_in_its_region(store) -> None:
    """The update goes to the finding's region with the GuardDuty product ARN."""
    from deepalert.sources import guardduty

    client = boto3.client("securityhub", region_name="us-east-1")
    with stub.Stubber(client) as stubber:
        stubber.add_response("batch_update_findings", processed(GUARDDUTY_ID), {
            "FindingIdentifiers": [GUARDDUTY_ID], "Workflow": {"Status": "RESOLVED"},
            "Note": {"Text": f"DeepAlert: safe. ok (DeepAlert report {REPORT_ID})",
                     "UpdatedBy": "deepalert"}})
        emitter = _emitter(client, store, guardduty=True)
        report = make_report(*guardduty.to_alerts(GUARDDUTY_EVENT), status="published",
                             severity="safe", reason="ok", id=REPORT_ID)
        assert not run_emitter(emitter, report).failed
        stubber.assert_no_pending_responses()
    assert emitter.regions == ["us-east-1"]
