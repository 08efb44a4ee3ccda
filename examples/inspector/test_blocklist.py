"""The blocklist example inspector, tested with the SDK's harness."""

from __future__ import annotations

from deepalert import Attribute, ContentBinary, ContentHost
from deepalert.testing import run_inspector

from .blocklist import EICAR, blocklist


def test_a_listed_address_reports_its_malware_with_a_positive_scan() -> None:
    """A blocklisted IP gets a host content tying it to the listed sample."""
    result = run_inspector(blocklist, Attribute(type="ipaddr", value="198.51.100.23",
                                                context=["remote"]))
    (content,) = result.contents
    assert isinstance(content, ContentHost)
    (malware,) = content.related_malware or []
    assert malware.sha256 == EICAR
    assert [s.positive for s in malware.scans or []] == [True]


def test_a_listed_file_hash_reports_a_binary() -> None:
    """A blocklisted hash gets a binary content."""
    result = run_inspector(blocklist, Attribute(type="filehashvalue", value=EICAR.upper()))
    assert [type(c) for c in result.contents] == [ContentBinary]


def test_unlisted_values_and_other_types_report_nothing() -> None:
    """Nothing found means no finding at all; user names are not even inspected."""
    assert run_inspector(blocklist, Attribute(type="ipaddr", value="192.0.2.1")).findings == []
    assert run_inspector(blocklist, Attribute(type="username", value="bad.example")).skipped
