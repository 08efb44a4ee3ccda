"""Attribute.hash() and Alert.alert_id() give exactly the Go core's Hash() and AlertID()."""

from __future__ import annotations

import base64
import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from deepalert import Alert, Attribute

# Vectors from the protocol notes (§1.4 and §1.5), computed by the Go core's code.
HASH_1 = "ecbe61397df7e2ac48ab0aac51c90828742bb321dec667734b080758e8bb546c"
HASH_NIL_CONTEXT = "b8739c871b1dbf1f709ad37e9d017ffd6203d7ed4585b0e6bb63173af425944c"
HASH_EMPTY_CONTEXT = "98fb4fcef6e129006f09c3507698c1218ca57e9a20d4b1e3fcdb1a4eb013a32e"
HASH_OFFSET = "003234ae90be75ba64efb19dd43c9549bb609a95c0d0fa74cc4953d990e13188"
HASH_UTC = "a25b2526ff0cb485433d2f12a69e1b95c5a0c3322275f544480e0953ecccfae9"
HASH_ESCAPES = "eae0551f4283dc78be2cbca93b883675ae7a88272b716e6c7b7556c1c25ca491"
HASH_ESCAPES_GO_BEFORE_122 = "223f569275f4c424c7da250dc265a013b3c43bd18369518c0e4ea24b3b9865a4"


def test_hash_sorts_context_before_hashing() -> None:
    """The hash is taken over the JSON with the context sorted, whatever order it came in."""
    attr = Attribute(type="ipaddr", key="k", value="v", context=["remote", "client"])
    assert attr.hash() == HASH_1
    assert attr.context == ["remote", "client"], "hashing must not reorder the caller's list"


def test_hash_tells_null_context_from_empty_context() -> None:
    """A nil context hashes as null and an empty one as [], so the two hashes differ."""
    assert Attribute(type="ipaddr", key="k", value="v").hash() == HASH_NIL_CONTEXT
    assert Attribute(type="ipaddr", key="k", value="v", context=[]).hash() == HASH_EMPTY_CONTEXT


def test_hash_depends_on_how_the_offset_is_written() -> None:
    """+09:00 is kept and hashes differently from the same instant written Z; +00:00 is Z."""
    base = {"type": "ipaddr", "key": "k", "value": "v", "context": ["remote"]}
    assert Attribute(**base, timestamp="2020-01-01T09:00:00+09:00").hash() == HASH_OFFSET
    assert Attribute(**base, timestamp="2020-01-01T00:00:00Z").hash() == HASH_UTC
    assert Attribute(**base, timestamp="2020-01-01T00:00:00+00:00").hash() == HASH_UTC


def test_hash_applies_go_escaping() -> None:
    """HTML characters, U+2028 and backspace are escaped as Go 1.22 escapes them."""
    attr = Attribute(type="url", key="<a&b>\b", value="x\u2028y é",
                     context=["remote", "additional"], timestamp="2020-01-01T09:00:00.500+09:00")
    assert attr.hash() == HASH_ESCAPES
    assert attr.hash(legacy_escapes=True) == HASH_ESCAPES_GO_BEFORE_122


def test_legacy_escapes_leave_an_escaped_backslash_alone() -> None:
    """A literal backslash followed by b is not a backspace and hashes the same either way."""
    attr = Attribute(type="url", key="a\\b", value="v")
    assert attr.hash(legacy_escapes=True) == attr.hash()


def _recipe(attr: Attribute) -> str:
    """The protocol notes' Python recipe for Go's bytes, written independently of the SDK."""
    obj: dict[str, object] = {"type": attr.type, "key": attr.key, "value": attr.value,
                              "context": None if attr.context is None else sorted(attr.context)}
    if attr.timestamp is not None:
        obj["timestamp"] = str(attr.timestamp)
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                     ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, esc)
    return hashlib.sha256(text.encode()).hexdigest()


_texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@given(type_=_texts, key=_texts, value=_texts,
       context=st.none() | st.lists(_texts, max_size=4),
       stamp=st.none() | st.sampled_from(["2020-01-01T09:00:00+09:00", "2021-03-04T05:06:07.5Z",
                                          "0001-01-01T00:00:00Z"]))
def test_hash_matches_the_documented_recipe(type_: str, key: str, value: str,
                                            context: list[str] | None, stamp: str | None) -> None:
    """For any attribute, the hash equals SHA-256 over the bytes the Go recipe produces."""
    attr = Attribute(type=type_, key=key, value=value, context=context, timestamp=stamp)
    assert attr.hash() == _recipe(attr)


@given(context=st.lists(_texts, max_size=5), data=st.data())
def test_hash_is_independent_of_context_order(context: list[str], data: st.DataObject) -> None:
    """Two attributes whose contexts differ only in order hash the same."""
    shuffled = data.draw(st.permutations(context))
    first = Attribute(type="ipaddr", key="k", value="v", context=context)
    second = Attribute(type="ipaddr", key="k", value="v", context=list(shuffled))
    assert first.hash() == second.hash()


def test_alert_id_vectors() -> None:
    """AlertID is alert: + sha256 of base64 detector, rule_id and alert_key."""
    alert = Alert(detector="your-anti-virus", rule_id="detect-malware-by-av",
                  alert_key="xxxxxxxx")
    assert alert.alert_id() == (
        "alert:b10fb1ed43252be7cabd4e6a582c60be0d260d1ef9164057221a6f801e6fbbbc"
    )
    assert Alert(detector="d", rule_id="r").alert_id() == (
        "alert:d560c1927174049a377ae32b2f5bc3cf2c59f62119573b373bdd98ec50614063"
    )


@given(detector=_texts, rule_id=_texts, key=_texts, name=_texts, other=_texts)
def test_alert_id_ignores_rule_name(detector: str, rule_id: str, key: str, name: str,
                                    other: str) -> None:
    """rule_name is not part of the ID; the ID is the documented base64/sha256 construction."""
    first = Alert(detector=detector, rule_id=rule_id, alert_key=key, rule_name=name)
    second = Alert(detector=detector, rule_id=rule_id, alert_key=key, rule_name=other)
    b64 = [base64.b64encode(s.encode()).decode() for s in (detector, rule_id, key)]
    expected = "alert:" + hashlib.sha256(":".join(b64).encode()).hexdigest()
    assert first.alert_id() == second.alert_id() == expected
