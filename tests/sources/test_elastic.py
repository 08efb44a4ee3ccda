"""Elastic Security alerts."""

from __future__ import annotations

import copy

from deepalert.sources import SourcePolicy, convert, elastic

from ._fixtures import attrs, check, load

ENDPOINT = load("ecs-example-alert.json")
THRESHOLD = load("elastic-threshold-alert.json")


def test_promoted_endpoint_alert_uses_the_ecs_rule() -> None:
    """A promoted external (Endpoint) alert names its module and its own ECS rule id, keyed
    on the host, timed at the original event."""
    [alert] = check(elastic.to_alerts(ENDPOINT))
    assert (alert.detector, alert.rule_id) == ("endpoint",
                                               "0524c24c-e45e-4220-b21a-abdba0c46c4d")
    assert alert.rule_name == ("Malicious Behavior Prevention Alert: Regsvr32 Scriptlet "
                               "Execution")
    assert alert.alert_key == "My-PC"
    assert alert.timestamp == "2022-08-12T14:40:22.07Z"
    assert alert.description.startswith("malware, intrusion_detection event with process")


def test_endpoint_attributes_without_loopback() -> None:
    """Host IPs except loopback and link-local, the user and the process hashes."""
    [alert] = elastic.to_alerts(ENDPOINT)
    assert attrs(alert) == {
        ("ipaddr", "instance_ip", "10.128.0.78", ("local", "object")),
        ("username", "user", "random-user", ("subject",)),
        ("filehashvalue", "sha256",
         "9f68f5fc21270a06bb934b5f3fa5aee2068a56a1260d4e7e4b48f2dca501b8c9", ("file",)),
        ("filehashvalue", "sha1", "855a676f3018e78a37a9fb4aaa159584ec21c85c", ("file",)),
        ("filehashvalue", "md5", "266aedbec51e35277729294996a213dd", ("file",)),
    }


def test_rule_parameters_stay_out_of_the_body() -> None:
    """kibana.alert.rule.parameters is dropped from the body; the rest is kept."""
    [alert] = elastic.to_alerts(ENDPOINT)
    assert "kibana.alert.rule.parameters" not in alert.body
    assert alert.body["kibana.alert.rule.uuid"] == "499a4611-1a4b-11ed-bb53-ad8c26f4d942"


def test_threshold_alert_keys_on_its_terms() -> None:
    """A threshold alert folds on its group-by values; inbound makes the source remote."""
    [alert] = check(elastic.to_alerts(THRESHOLD))
    assert (alert.detector, alert.rule_id, alert.alert_key) == (
        "elastic.security", "tds-ssh-many-failures", "198.51.100.23")
    assert attrs(alert) == {("ipaddr", "src_ip", "198.51.100.23", ("remote",))}


def test_building_blocks_and_closed_alerts_are_skipped() -> None:
    """Building-block and closed alerts give nothing unless the policy keeps them."""
    block = copy.deepcopy(THRESHOLD)
    block["kibana.alert.building_block_type"] = "default"
    assert convert(block) == []
    assert len(convert(block, policy=SourcePolicy(keep_internal=True))) == 1
    closed = copy.deepcopy(THRESHOLD)
    closed["kibana.alert.workflow_status"] = "closed"
    assert convert(closed) == []


def test_nested_and_fields_api_shapes_read_alike() -> None:
    """Nested objects and the fields API's one-element arrays read like flat dotted keys."""
    nested = {"@timestamp": "2026-11-03T11:00:05.120Z",
              "kibana": {"alert": {"rule": {"rule_id": ["tds-ssh-many-failures"],
                                            "name": ["Many SSH failures"]},
                                   "original_time": ["2026-11-03T10:59:58.000Z"]}},
              "host": {"name": ["bastion-1"]}}
    [alert] = check(convert(nested))
    assert (alert.rule_id, alert.alert_key, alert.timestamp) == (
        "tds-ssh-many-failures", "bastion-1", "2026-11-03T10:59:58Z")


def test_query_rule_over_external_alerts_keeps_its_own_identity() -> None:
    """A custom rule matching external alerts (no name override) is its own rule, under
    elastic.security, not the promoted alert's."""
    doc = copy.deepcopy(ENDPOINT)
    del doc["kibana.alert.rule.rule_name_override"]
    [alert] = elastic.to_alerts(doc)
    assert (alert.detector, alert.rule_id) == ("elastic.security",
                                               "9a1a2dae-0b5f-4c3d-8305-a268d404c306")
