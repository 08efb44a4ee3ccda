"""An example reviewer with a real policy, its cases beside it.

The policy, first match wins:

1. **urgent**: a remote IP address that an inspector ties to malware with a positive scan.
2. **urgent**: a file whose hash an inspector ties to malware with a positive scan.
3. **urgent**: any alert of a rule we always want a human to see (root credentials used).
4. **safe**: every remote IP address belongs to a host our organisation owns (our own
   scanner, say). Owners come from ``ORGANISATION_OWNERS`` (comma-separated; default
   ``Example Corp``), read on every review, never at import.
5. otherwise **unclassified**, saying so.

Every alert is looked at: a report can mix rules, and one unknown rule is no reason to stop
(the Go example reviewer returns at the first alert of another rule).

Run its cases with ``python -m pytest`` in this folder, or ``deepalert cases
examples.reviewer.policy:review`` from the repository root. Deploy with ``template.yaml``;
the Lambda handler is ``policy.review``.
"""

from __future__ import annotations

import os

from deepalert import (
    Alert,
    AttrContext,
    AttrType,
    EntityMalware,
    Report,
    ReportResult,
    Severity,
)
from deepalert.reviewer import Case, reviewer

ALWAYS_URGENT_RULES = ("Policy:IAMUser/RootCredentialUsage",)
"""Rule IDs that are urgent whatever the findings say."""

DEFAULT_OWNERS = "Example Corp"


def owners() -> set[str]:
    """The organisation's names as inspectors report them in ``ContentHost.owner``."""
    names = os.environ.get("ORGANISATION_OWNERS", DEFAULT_OWNERS)
    return {name.strip().casefold() for name in names.split(",") if name.strip()}


def detection(malware: list[EntityMalware] | None) -> str | None:
    """``"<sha256 prefix> (<vendor>: <name>)"`` for the first positively scanned sample."""
    for sample in malware or ():
        for scan in sample.scans or ():
            if scan.positive:
                return f"{sample.sha256[:12]} ({scan.vendor}: {scan.name})"
    return None


@reviewer(cases=[
    Case("remote address serving malware", fixture="cases/malware-remote-ip.json",
         expect=Severity.URGENT),
    Case("downloaded file detected by a scanner", fixture="cases/malware-file.json",
         expect=Severity.URGENT),
    Case("root credentials, mixed with another rule", fixture="cases/root-credentials.json",
         expect=Severity.URGENT),
    Case("scan from our own scanner", fixture="cases/own-scanner.json",
         expect=Severity.SAFE),
    Case("malware related but no positive scan", fixture="cases/negative-scan.json",
         expect=Severity.UNCLASSIFIED),
    Case("alert without findings", report=Report(alerts=[Alert(detector="ids",
                                                                rule_id="ssh-bruteforce")]),
         expect=Severity.UNCLASSIFIED),
])
def review(report: Report) -> ReportResult:
    """Decide a report's severity with the policy in the module docstring."""
    for attr, host in report.hosts(AttrType.IPADDR, AttrContext.REMOTE):
        found = detection(host.related_malware)
        if found:
            return ReportResult.of(Severity.URGENT,
                                   f"remote address {attr.value} is related to malware {found}")
    for attr, binary in report.binaries(AttrType.FILEHASHVALUE):
        found = detection(binary.related_malware)
        if found:
            return ReportResult.of(Severity.URGENT, f"file {attr.value[:12]} is malware {found}")
    for alert in report.alerts_by_rule(*ALWAYS_URGENT_RULES):
        return ReportResult.of(Severity.URGENT, f"{alert.rule_id} is always urgent")

    remote = {a.value for a in report.find_attributes(AttrType.IPADDR, AttrContext.REMOTE)}
    ours = owners()
    owned = {attr.value for attr, host in report.hosts(AttrType.IPADDR, AttrContext.REMOTE)
             if ours.intersection(o.casefold() for o in host.owner or ())}
    if remote and remote <= owned:
        return ReportResult.of(Severity.SAFE,
                               f"every remote address is ours ({', '.join(sorted(remote))})")
    return ReportResult.of(Severity.UNCLASSIFIED, "no rule of the policy matched")
