"""Whatever a source sends, conversion gives valid alerts or a SourceError, never a crash."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepalert.sources import SourceError, convert

from ._fixtures import check, lines, load

EVENTS: list[Any] = [
    load("guardduty-ipv6-eventbridge.json"),
    load("guardduty-ipv6-asff-eventbridge.json"),
    load("guardduty-ipv6-ocsf-eventbridge.json"),
    *lines("suricata-eve.jsonl"),
    *lines("falco-events.jsonl"),
    load("awsdocs-cloudtrail-console-signin.json"),
    load("ecs-example-alert.json"),
    load("elastic-threshold-alert.json"),
    *load("chainsaw-hunt.json"),
    *lines("hayabusa-timeline.jsonl"),
    *load("zircolite-detected.json"),
    *lines("ocsf-findings.jsonl"),
]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["<" * 3000, "é" * 2000, "::ffff:10.0.0.1",
                                              "2001:0DB8::1", "2022-02-22 22:00:00 +09:00"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(EVENTS))), st.data(), JSON)
def test_any_field_replaced_by_any_value(index: int, data: st.DataObject, value: Any) -> None:
    """Replacing any field of a real event with any JSON value gives alerts the core accepts,
    or a SourceError."""
    event = copy.deepcopy(EVENTS[index])
    path = data.draw(st.sampled_from(_paths(event)))
    event = _replace(event, path, value)
    try:
        alerts = convert(event)
    except SourceError:
        return
    check(alerts)
