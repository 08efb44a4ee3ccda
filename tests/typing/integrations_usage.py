"""What users of the ready integrations and the harness see, checked by mypy
(tests/typing/test_mypy.py); never run."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from deepalert import Report
from deepalert.integrations import slack
from deepalert.local import LocalPipeline
from deepalert.testing import EmitRun, ReviewRun, run_emitter, run_reviewer


def harness(report: Report) -> None:
    # A ready emitter's environment-configured handler fits the harness and the pipeline.
    assert_type(run_emitter(slack.handler, report), EmitRun)
    assert_type(run_emitter(slack.slack_emitter(webhook_url="https://example.com/h"), report),
                EmitRun)
    LocalPipeline(emitters=[slack.handler])

    # Any reviewer Lambda handler fits run_reviewer.
    def review(event: Any, context: Any) -> dict[str, str]:
        return {"severity": "safe", "reason": "test"}

    assert_type(run_reviewer(review, report), ReviewRun)


def factories() -> None:
    # Every ready lookup inspector takes the shared keywords (LookupOptions) and its own.
    from deepalert.inspector import Inspector
    from deepalert.integrations.abuseipdb import abuseipdb_inspector
    from deepalert.integrations.greynoise import greynoise_inspector
    from deepalert.integrations.malwarebazaar import malwarebazaar_inspector
    from deepalert.integrations.otx import otx_inspector
    from deepalert.integrations.shodan import shodan_internetdb_inspector
    from deepalert.integrations.threatfox import threatfox_inspector
    from deepalert.integrations.urlhaus import urlhaus_inspector
    from deepalert.integrations.virustotal import virustotal_inspector
    from deepalert.lookup import EgressGuard, MemoryCache, RetryPolicy, Secret, TokenBucket

    assert_type(virustotal_inspector(api_key=Secret(env="SECRET_ARN", key="vt"),
                                     types=["ipaddr"], author="vt", base_url="http://x",
                                     cache=MemoryCache(10), limiter=TokenBucket(4, 60),
                                     rate=(4, 60.0), ttl=1.0, not_found_ttl=2.0,
                                     guard=EgressGuard(), timeout=3.0, retry=RetryPolicy(),
                                     max_workers=4, contexts=["remote"]),
                Inspector[Any])
    abuseipdb_inspector(api_key="k", max_age_days=30, rate=True, guard=False)
    greynoise_inspector(anonymous=True, ttl=60.0)
    shodan_internetdb_inspector(types=["ipaddr"], timeout=2.0, rate=None)
    otx_inspector(author="otx-2", deadline_margin_ms=500)
    for factory in (threatfox_inspector, urlhaus_inspector, malwarebazaar_inspector):
        factory(api_key="k", base_url="http://127.0.0.1:1", not_found_ttl=5.0)


def aws_factories() -> None:
    # The inspectors inside the account take the InspectorOptions and their own keywords.
    from deepalert.integrations.aws_ec2 import ec2_inspector
    from deepalert.integrations.aws_iam import iam_inspector

    ec2_inspector(region="us-east-1", types=["ipaddr"], author="ec2", max_workers=2)
    iam_inspector(ttl=60.0, contexts=["local"], deadline_margin_ms=200)
