"""A ready inspector in an SQS batch: a lookup that fails (quota spent, API down) fails its
own record only, so SQS retries just that task, and it is never reported as "nothing found"."""

from __future__ import annotations

import pytest

from deepalert import Task
from deepalert.integrations import virustotal
from deepalert.lookup import TokenBucket
from deepalert.testing import (
    CannedResponse,
    FakeLambdaContext,
    MemorySink,
    make_attribute,
    message_ids,
    sqs_sns_event,
)

from .test_virustotal import IP_REPORT


def test_the_record_over_quota_fails_alone_and_the_others_report(api, secrets, retry):
    limiter = TokenBucket(2, 3600, clock=lambda: 0.0)
    inspector = virustotal.virustotal_inspector(base_url=api.url, retry=retry, limiter=limiter)
    ips = ["185.220.101.1", "185.220.101.2", "185.220.101.3"]
    for ip in ips:
        api.route(f"GET /ip_addresses/{ip}", CannedResponse(json=IP_REPORT))
    event = sqs_sns_event(*(Task(report_id="r-1", attribute=make_attribute("ipaddr", ip))
                            for ip in ips))
    sink = MemorySink()
    response = inspector.invoke(event, FakeLambdaContext(), sqs_client=sink,
                                finding_queue_url=sink.finding_queue_url,
                                attribute_queue_url=sink.attribute_queue_url)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[2]}]}
    assert len(sink.findings()) == 2
    assert len(api.requests) == 2


def test_an_api_outage_fails_every_record_and_sends_no_empty_findings(api, secrets, retry):
    inspector = virustotal.virustotal_inspector(base_url=api.url, retry=retry, rate=None)
    api.route("/ip_addresses/185.220.101.4", CannedResponse(status=503))
    event = sqs_sns_event(Task(report_id="r-1", attribute=make_attribute("ipaddr",
                                                                          "185.220.101.4")))
    sink = MemorySink()
    response = inspector.invoke(event, FakeLambdaContext(), sqs_client=sink,
                                finding_queue_url=sink.finding_queue_url,
                                attribute_queue_url=sink.attribute_queue_url)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[0]}]}
    assert sink.findings() == []


def test_the_shared_keywords_reach_the_inspector_and_a_misspelt_one_is_refused() -> None:
    """LookupOptions / InspectorOptions: author, types and @inspector options are applied;
    a keyword no inspector takes (or a lookup keyword on an AWS one) is a TypeError."""
    from deepalert.integrations.aws_iam import iam_inspector
    from deepalert.integrations.shodan import shodan_internetdb_inspector
    from deepalert.integrations.virustotal import virustotal_inspector

    vt = virustotal_inspector(api_key="k", author="vt-2", types=["domain"], max_workers=3)
    assert (vt.author, vt.types) == ("vt-2", frozenset({"domain"}))
    assert iam_inspector(author="iam-2").author == "iam-2"
    with pytest.raises(TypeError, match="ttl_seconds"):
        shodan_internetdb_inspector(ttl_seconds=60.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="base_url"):
        iam_inspector(base_url="http://127.0.0.1:1")  # type: ignore[call-arg]
