"""Write the case fixtures in ``cases/``: compiled reports, as the review machine hands them.

Run ``python make_cases.py`` in this folder after changing a report below. The files are
written with the wire codec, so they are byte for byte what the Go core would send.
"""

from __future__ import annotations

from pathlib import Path

from deepalert import ContentBinary, ContentHost, Report
from deepalert.testing import make_alert, make_attribute, make_malware, make_report

HERE = Path(__file__).parent
LAPTOP = make_attribute("ipaddr", "10.2.3.4", "local", "client", key="laptop address")
SERVER = make_attribute("ipaddr", "198.51.100.23", "remote", "server", key="remote server")
OUR_LAPTOP = ContentHost(hostname=["laptop-0042"], owner=["Example Corp"])


def malware_remote_ip() -> Report:
    return make_report(
        make_alert(LAPTOP, SERVER, detector="example-ids", rule_id="suspicious-outbound",
                   rule_name="Outbound connection to a rare host",
                   description="A laptop connected to a host seen for the first time"),
        findings=[
            (SERVER, ContentHost(country=["NL"], related_malware=[
                make_malware("9f" * 32, vendor="HybridAnalysis", name="AgentTesla")])),
            (LAPTOP, OUR_LAPTOP),
        ],
        id="8d0f5c1e-0a51-4a8e-9c53-5b1f0f1d2a01")


def malware_file() -> Report:
    sample = make_attribute("filehashvalue", "e3" * 32, "file", key="sha256")
    return make_report(
        make_alert(LAPTOP, sample, detector="your-anti-virus", rule_id="detect-malware-by-av",
                   rule_name="detected malware", description="Malware was quarantined"),
        findings=[(sample, ContentBinary(related_malware=[
            make_malware("e3" * 32, vendor="ExampleAV", name="EICAR-Test-File",
                         relation="itself")])), (LAPTOP, OUR_LAPTOP)],
        id="8d0f5c1e-0a51-4a8e-9c53-5b1f0f1d2a02")


def root_credentials() -> Report:
    user = make_attribute("username", "root", "subject", key="principal")
    probe = make_attribute("ipaddr", "203.0.113.50", "remote", "client", key="remote ip")
    return make_report(
        make_alert(probe, detector="guardduty", rule_id="Recon:EC2/PortProbeUnprotectedPort",
                   description="Unprotected port probed"),
        make_alert(user, detector="guardduty", rule_id="Policy:IAMUser/RootCredentialUsage",
                   description="The root user's credentials were used"),
        status="more", id="8d0f5c1e-0a51-4a8e-9c53-5b1f0f1d2a03")


def own_scanner() -> Report:
    scanner = make_attribute("ipaddr", "192.0.2.10", "remote", "client", key="source")
    target = make_attribute("ipaddr", "10.0.5.20", "local", "server", key="target")
    return make_report(
        make_alert(scanner, target, detector="example-ids", rule_id="port-scan",
                   rule_name="Port scan", description="Many ports probed from one address"),
        findings=[(scanner, ContentHost(hostname=["vuln-scanner-1"],
                                        owner=["Example Corp"])),
                  (target, ContentHost(hostname=["web-1"]))],
        id="8d0f5c1e-0a51-4a8e-9c53-5b1f0f1d2a04")


def negative_scan() -> Report:
    return make_report(
        make_alert(LAPTOP, SERVER, detector="example-ids", rule_id="suspicious-outbound"),
        findings=[(SERVER, ContentHost(related_malware=[
            make_malware("7a" * 32, positive=False, name="")]))],
        id="8d0f5c1e-0a51-4a8e-9c53-5b1f0f1d2a05")


CASES = {
    "malware-remote-ip.json": malware_remote_ip,
    "malware-file.json": malware_file,
    "root-credentials.json": root_credentials,
    "own-scanner.json": own_scanner,
    "negative-scan.json": negative_scan,
}


def main() -> None:
    """Write every fixture."""
    (HERE / "cases").mkdir(exist_ok=True)
    for name, build in CASES.items():
        (HERE / "cases" / name).write_text(build().to_json() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
