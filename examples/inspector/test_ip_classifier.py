"""Tests of the example inspector. Run ``python -m pytest examples/inspector``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepalert import Attribute, ContentHost, Finding
from deepalert.testing import MemorySink, message_ids, run_inspector, sns_event
from examples.inspector.ip_classifier import ip_classifier

EVENTS = Path(__file__).parent / "events"


@pytest.mark.parametrize(("value", "kind"), [
    ("10.1.2.3", "private network (not routed on the internet)"),
    ("127.0.0.1", "loopback address"),
    ("169.254.169.254", "link-local address"),
    ("192.0.2.80", "documentation range (RFC 5737, RFC 3849)"),
    ("2001:db8::1", "documentation range (RFC 5737, RFC 3849)"),
    ("8.8.8.8", "global address"),
])
def test_each_address_is_classified(value: str, kind: str) -> None:
    """The finding names the address and its kind."""
    result = run_inspector(ip_classifier, Attribute(type="ipaddr", key="src", value=value))
    assert result.contents == [ContentHost(ipaddr=[value], owner=[kind])]


def test_reverse_dns_name_is_fed_back_with_the_task_timestamp() -> None:
    """The reverse-DNS name comes back as a new domain attribute, timestamped like the task."""
    attr = Attribute(type="ipaddr", key="src", value="10.1.2.3", context=["local"],
                     timestamp="2026-01-02T03:04:05Z")
    new, = run_inspector(ip_classifier, attr).new_attributes
    assert (new.type, new.value, new.context, new.timestamp) == (
        "domain", "3.2.1.10.in-addr.arpa", ["additional"], "2026-01-02T03:04:05Z")


def test_ipv4_mapped_address_is_fed_back_as_plain_ipv4() -> None:
    """::ffff:192.0.2.1 is reported as 192.0.2.1, and fed back as such."""
    result = run_inspector(ip_classifier, Attribute(type="ipaddr", value="::ffff:192.0.2.1"))
    assert [a.value for a in result.new_attributes] == ["1.2.0.192.in-addr.arpa", "192.0.2.1"]
    assert result.contents[0] == ContentHost(
        ipaddr=["192.0.2.1"], owner=["documentation range (RFC 5737, RFC 3849)"])


def test_a_value_that_is_not_an_address_gives_nothing() -> None:
    """A malformed ipaddr attribute yields no finding and no failure."""
    result = run_inspector(ip_classifier, Attribute(type="ipaddr", value="not-an-ip"))
    assert (result.findings, result.new_attributes) == ([], [])


def test_other_attribute_types_are_not_inspected() -> None:
    """Only ipaddr attributes are inspected."""
    assert run_inspector(ip_classifier, Attribute(type="domain", value="example.com")).skipped


def test_recorded_queue_event_is_handled_end_to_end() -> None:
    """The recorded SQS event: two findings, two ReportAttributes, no failed record."""
    event = json.loads((EVENTS / "sqs-sns-task.json").read_text())
    sink = MemorySink()
    response = ip_classifier.invoke(event, sqs_client=sink,
                                    finding_queue_url=sink.finding_queue_url,
                                    attribute_queue_url=sink.attribute_queue_url)
    assert response == {"batchItemFailures": []}
    assert [f.attribute.value for f in sink.findings()] == ["10.1.2.3", "192.0.2.80"]
    assert len(sink.report_attributes()) == 2
    assert len(message_ids(event)) == 3


def test_recorded_task_finding_echoes_the_task_attribute() -> None:
    """A finding for the recorded task carries its attribute exactly as the core wrote it."""
    task = (EVENTS / "task.json").read_text().strip()
    sink = MemorySink()
    ip_classifier.invoke(sns_event(task), sqs_client=sink,
                         finding_queue_url=sink.finding_queue_url,
                         attribute_queue_url=sink.attribute_queue_url)
    attribute = task[task.index('"attribute":') + len('"attribute":'):-1]
    body, = sink.bodies(sink.finding_queue_url)
    assert f'"attribute":{attribute},' in body
    assert Finding.from_json(body).author == "ip-classifier"


def test_sam_template_subscribes_through_a_queue_with_partial_batch_failures() -> None:
    """template.yaml: SNS to SQS to the handler, ReportBatchItemFailures on, queue URLs set."""
    yaml = pytest.importorskip("yaml")

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
        return {suffix: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
                else None}

    Loader.add_multi_constructor("!", tag)
    template = yaml.load((Path(__file__).parent / "template.yaml").read_text(), Loader=Loader)
    resources = template["Resources"]
    function = resources["IpClassifierFunction"]["Properties"]
    module, name = function["Handler"].split(".")
    assert (module, getattr(__import__(f"examples.inspector.{module}", fromlist=[name]), name)
            ) == ("ip_classifier", ip_classifier)
    event = function["Events"]["Tasks"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert set(function["Environment"]["Variables"]) == {"FINDING_QUEUE_URL",
                                                         "ATTRIBUTE_QUEUE_URL"}
    subscription = resources["TaskSubscription"]["Properties"]
    assert (subscription["Protocol"], subscription["RawMessageDelivery"]) == ("sqs", False)
