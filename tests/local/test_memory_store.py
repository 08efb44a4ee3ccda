"""MemoryStore keeps equal values once: what a long local run holds grows with what is
different, not with how many findings repeat the same attribute, content or expiry."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from deepalert.core import StoredFinding
from deepalert.local import MemoryStore

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
TTL = timedelta(hours=3)


def _text(value: str) -> str:
    """An equal string that is a distinct object (as each message's decoding makes)."""
    return "".join(list(value))


def test_findings_about_one_attribute_share_its_hash_and_json() -> None:
    store = MemoryStore()
    attr = '{"type":"ipaddr","key":"src","value":"10.0.0.1","context":null}'
    for content in ('{"country":["JP"]}', '{"owner":["corp"]}', '{"country":["JP"]}'):
        store.save_finding("r1", StoredFinding(_text("h1"), _text(attr), "host", _text(content)))

    first, second, third = store.findings("r1")
    assert (first.attr_hash, first.attribute) == ("h1", attr)
    for later in (second, third):
        assert later.attr_hash is first.attr_hash
        assert later.attribute is first.attribute
    assert third.content is first.content  # equal contents are kept once too
    assert [f.content for f in (first, second, third)] == [
        '{"country":["JP"]}', '{"owner":["corp"]}', '{"country":["JP"]}']


def test_a_finding_whose_content_is_kept_already_is_kept_as_a_copy_alone() -> None:
    store = MemoryStore()
    store.save_finding("r1", StoredFinding("h1", "{}", "host", _text('{"country":["JP"]}')))
    original = StoredFinding("h2", "{}", "host", _text('{"country":["JP"]}'))
    store.save_finding("r2", original)

    (kept,) = store.findings("r2")
    assert kept == original
    assert kept is not original  # rebuilt around the content kept already...
    assert sys.getrefcount(original) == 2  # ...and the original is not held anywhere
    # (CPython's count: the local name and getrefcount's own argument)


def test_a_finding_with_another_attribute_json_under_the_same_hash_keeps_its_own() -> None:
    store = MemoryStore()
    store.save_finding("r1", StoredFinding("h1", '{"a":1}', "host", "{}"))
    store.save_finding("r1", StoredFinding("h1", '{"a":2}', "host", "{}"))

    assert [f.attribute for f in store.findings("r1")] == ['{"a":1}', '{"a":2}']


def test_attributes_put_at_one_instant_share_their_expiry() -> None:
    store = MemoryStore()
    assert store.put_attribute("r1", "h1", "{}", NOW, TTL)
    assert store.put_attribute("r2", "h2", "{}", NOW, TTL)
    assert store.put_attribute("r2", "h3", "{}", NOW + timedelta(seconds=1), TTL)

    # The expiry decides when an attribute is seen again: same rules with shared values.
    assert not store.put_attribute("r1", "h1", "{}", NOW + TTL, TTL)
    assert store.put_attribute("r1", "h1", "{}", NOW + TTL + timedelta(microseconds=1), TTL)
    assert not store.put_attribute("r2", "h3", "{}", NOW + TTL + timedelta(seconds=1), TTL)
