"""The egress guard: nothing internal leaves for a third-party API."""

from __future__ import annotations

import pytest

from deepalert import Attribute
from deepalert.lookup import EgressGuard


@pytest.mark.parametrize(("type_", "value", "why"), [
    ("ipaddr", "10.0.0.1", "private"),
    ("ipaddr", "192.168.1.1", "private"),
    ("ipaddr", "172.16.5.4", "private"),
    ("ipaddr", "127.0.0.1", "loopback"),
    ("ipaddr", "169.254.169.254", "link-local"),
    ("ipaddr", "100.64.1.1", "CGNAT"),
    ("ipaddr", "224.0.0.251", "multicast"),
    ("ipaddr", "240.0.0.1", "reserved"),
    ("ipaddr", "0.0.0.0", "unspecified"),
    ("ipaddr", "::1", "loopback"),
    ("ipaddr", "fe80::1", "link-local"),
    ("ipaddr", "fd00::1", "private"),
    ("ipaddr", "::ffff:10.1.1.1", "private"),
    ("ipaddr", "192.0.2.1", "private"),  # TEST-NET-1: Python's special-purpose table
    ("ipaddr", "not-an-ip", "not an IP address"),
    ("domain", "db.prod.internal", ".internal"),
    ("domain", "printer.local.", ".local"),
    ("domain", "FILES.CORP", ".corp"),
    ("domain", "intranet", "single-label"),
    ("domain", "10.2.3.4", "private"),
    ("url", "http://169.254.169.254/latest/meta-data", "link-local"),
    ("url", "https://wiki.corp/page?x=1", ".corp"),
    ("url", "/relative/path", "no host"),
])
def test_internal_values_are_refused_with_a_reason(type_, value, why):
    reason = EgressGuard().refusal(Attribute(type=type_, value=value))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(("type_", "value"), [
    ("ipaddr", "8.8.8.8"), ("ipaddr", "2001:4860:4860::8888"), ("domain", "example.com"),
    ("url", "https://example.com/a?b=c"), ("filehashvalue", "44d88612fea8a8f36de82e1278abb02f"),
])
def test_public_values_pass(type_, value):
    assert EgressGuard().refusal(Attribute(type=type_, value=value)) is None


def test_the_local_context_is_refused_whatever_the_value():
    attr = Attribute(type="filehashvalue", value="44d88612fea8a8f36de82e1278abb02f",
                     context=["local"])
    assert EgressGuard().refusal(attr) == "the attribute has the 'local' context"
    assert EgressGuard(allow_local_context=True).refusal(attr) is None


def test_suffixes_come_from_the_argument_and_the_environment(monkeypatch):
    guard = EgressGuard(internal_suffixes=["corp.example.com"])
    assert guard.refusal(Attribute(type="domain", value="db.prod.internal")) is None
    assert guard.refusal(Attribute(type="domain", value="vpn.corp.example.com")) is not None
    monkeypatch.setenv("DEEPALERT_INTERNAL_DOMAINS", ".acme.net, acme.io")
    assert guard.refusal(Attribute(type="domain", value="git.acme.io")) is not None
    assert guard.refusal(Attribute(type="domain", value="acme.net")) is not None
    assert guard.refusal(Attribute(type="domain", value="notacme.net")) is None


def test_one_string_is_not_taken_as_a_list_of_letters():
    with pytest.raises(TypeError, match="list"):
        EgressGuard(internal_suffixes=".corp")
