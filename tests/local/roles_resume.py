"""Roles the interrupted-run tests load in a subprocess: every publication is appended to the
file named by DEEPALERT_TEST_LOG, so that it survives the process being killed."""

from __future__ import annotations

import os

from deepalert import Attribute, ContentHost, Report
from deepalert.emitter import emitter
from deepalert.inspector import inspector


@inspector(author="geo", types=["ipaddr"])
def geo(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"])


@emitter(statuses=["new", "more", "published"])
def log(report: Report) -> None:
    with open(os.environ["DEEPALERT_TEST_LOG"], "a", encoding="utf-8") as out:
        out.write(f"{report.id} {report.status} {len(report.alerts or [])}\n")
        out.flush()
