"""Ready emitters in the local pipeline: the core publishes a report several times (and
redelivers), yet each service sees one action per publication."""

from __future__ import annotations

from deepalert import Report, ReportResult, Severity
from deepalert.integrations import MemoryIdempotencyStore
from deepalert.integrations.pagerduty import pagerduty_emitter
from deepalert.integrations.slack import slack_emitter
from deepalert.local import LocalPipeline
from deepalert.reviewer import reviewer
from deepalert.testing import CannedHttpServer, CannedResponse, make_alert, make_attribute


@reviewer
def urgent(report: Report) -> ReportResult:
    return ReportResult.of(Severity.URGENT, "test policy")


def test_three_alerts_one_report_one_post_one_page() -> None:
    """Three alerts of one AlertID make new/more/more/published publications: Slack gets one
    post and PagerDuty one trigger, for the published report only."""
    routes = {"POST /hook": CannedResponse(body="ok"),
              "POST /v2/enqueue": CannedResponse(status=202, json={
                  "status": "success", "message": "Event processed", "dedup_key": "k"})}
    with CannedHttpServer(routes) as server:
        store = MemoryIdempotencyStore()
        notify = slack_emitter(webhook_url=server.url + "/hook", store=store)
        page = pagerduty_emitter("routing-key", events_url=server.url, store=store)
        pipeline = LocalPipeline(reviewer=urgent, emitters=[notify, page])
        ip = make_attribute("ipaddr", "198.51.100.7", "remote")
        for _ in range(3):
            pipeline.submit(make_alert(ip, rule_id="ssh-bruteforce", alert_key="host-1"))
        pipeline.run()
        [report] = pipeline.published()
        paths = sorted(r.path for r in server.requests)
        assert paths == ["/hook", "/v2/enqueue"]
        event = next(r for r in server.requests if r.path == "/v2/enqueue").json()
        assert event["dedup_key"] == f"deepalert:{report.id}"
