"""AWS requests per alert: the Python core on moto, counted, against the Go core, read from source.

Run: ``python benchmarks/bench_aws_requests.py [--alerts 20] [--json]``.

The workload of issue 9: each alert opens a new report and has 5 attributes; 2 inspectors
return 1 finding each per attribute (10 findings per alert), no new attributes; the core's
``dummy_reviewer`` reviews. The stack is the core's SAM template deployed on moto by
``deepalert.testing.AwsCore``, which counts every boto3 call each function makes (by service
and operation), every Lambda invocation and every state entered by the state machines.

The Go core's figures are not measured: they are derived from cookpad/deepalert at
``961337c`` (see ``GO_CORE`` below, each line citing the file that makes the request), for
the same workload. docs/performance.md records both, and what they cost at list prices.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from typing import Any

# (service, operation) -> requests per alert in the Go core, for a new report with 5
# attributes, 2 inspectors and 1 finding each. Files are cookpad/deepalert at 961337c.
GO_CORE: dict[tuple[str, str], tuple[float, str]] = {
    ("dynamodb", "PutItem"): (19, "receptAlert: alertmap (repository.go TakeReport), alert "
                              "cache, report (usecase/alert.go HandleAlert) = 3; "
                              "dispatchInspection: 1 per attribute = 5 (PutAttributeCache); "
                              "submitFinding: 1 per finding = 10 (SaveFinding); "
                              "submitReport: 1 (PutReport)"),
    ("dynamodb", "GetItem"): (3, "GetReport reads report/<id> with GetItem (guregu/dynamo "
                              "One() on both keys): publishReport x2 (new, published) + "
                              "compileReport x1 (service/repository.go GetReport)"),
    ("dynamodb", "Query"): (9, "GetReport queries content/, alert/, attribute/ (3 Query "
                            "each): publishReport x2 + compileReport x1"),
    ("sns", "Publish"): (7, "dispatchInspection: 1 Publish per task = 5 (service/sns.go); "
                         "publishReport: 1 per report write = 2"),
    ("stepfunctions", "StartExecution"): (2, "receptAlert: inspection + review machines "
                                          "(service/sfn.go Exec, usecase/alert.go)"),
}
GO_INSPECTOR_SQS = (10, "Go inspector SDK: one SendMessage per finding (inspector/sqs.go)")
GO_LAMBDA_INVOCATIONS = (
    0.1 + 1 + 1 + 1 + 1 + 1 + 19,
    "receptAlert (batches of 10 alerts, as measured here), dispatchInspection, "
    "submitFinding (a batch of 10 findings), compileReport, dummyReviewer, submitReport; "
    "publishReport runs once per table write (batch size 1, no filter, "
    "cdk/deepalert-stack.ts): 19 writes")
GO_STATES = (6, "InspectionMachine: Wait, dispatch (2); ReviewMachine: Wait, compile, "
                "reviewer, submit (4) (cdk/deepalert-stack.ts)")

# us-east-1 list prices in USD, as published on the AWS pricing pages (see
# docs/performance.md for the date they were taken).
PRICES = {
    "dynamodb_write": 0.625 / 1e6,    # on-demand, per write request unit
    "dynamodb_read": 0.125 / 1e6,     # on-demand, per read request unit
    "sns": 0.50 / 1e6,                # per request (64 KiB chunk)
    "sqs": 0.40 / 1e6,                # standard queue, per request
    "states": 25.0 / 1e6,             # Standard workflows, per state transition
    "lambda": 0.20 / 1e6,             # per invocation (duration not counted here)
}


def run(alerts: int) -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from moto import mock_aws

    from deepalert import Alert, Attribute, ContentHost
    from deepalert.inspector import inspector
    from deepalert.testing import AwsCore

    @inspector(author="geo")
    def geo(attr: Attribute) -> ContentHost:
        return ContentHost(country=["JP"])

    @inspector(author="owner")
    def owner(attr: Attribute) -> ContentHost:
        return ContentHost(owner=["corp"])

    with mock_aws():
        core = AwsCore(inspectors=[geo, owner])
        batch = [Alert(detector="bench", rule_id="r", alert_key=f"k{i}",
                       timestamp="2026-01-01T00:00:00Z",
                       attributes=[Attribute(type="ipaddr", key=f"a{j}",
                                             value=f"198.51.100.{j}", context=["remote"])
                                   for j in range(5)])
                 for i in range(alerts)]
        core.send(batch)
        core.run()
        assert core.errors == [], core.errors
        published = core.published()
        assert len(published) == alerts
        assert all(len(r.sections or ()) == 5 for r in published)
        core_fns = {f for f in core.functions if f.endswith("Function")}
        by_op: Counter[tuple[str, str]] = Counter()
        inspector_requests: Counter[tuple[str, str]] = Counter()
        for (function, service, operation), n in core.requests.items():
            (by_op if function in core_fns else inspector_requests)[(service, operation)] += n
        invocations = sum(f.invocations for name, f in core.functions.items()
                          if name in core_fns)
        states = sum(len(e.states) for e in core.executions)
    return {"alerts": alerts, "core": dict(by_op), "inspectors": dict(inspector_requests),
            "invocations": invocations, "states": states}


def _cost(counts: dict[tuple[str, str], float], invocations: float, states: float,
          sqs: float) -> float:
    total = 0.0
    for (service, operation), n in counts.items():
        if service == "dynamodb":
            write = operation in {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
                                  "TransactWriteItems"}
            total += n * PRICES["dynamodb_write" if write else "dynamodb_read"]
        elif service == "sns":
            total += n * PRICES["sns"]
        elif service == "sqs":
            total += n * PRICES["sqs"]
        elif service == "stepfunctions":
            pass  # StartExecution is not billed; the state transitions are
    return (total + invocations * PRICES["lambda"] + states * PRICES["states"]
            + sqs * PRICES["sqs"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.alerts)
    n = result["alerts"]
    py = {k: v / n for k, v in result["core"].items()}
    go = {k: v for k, (v, _why) in GO_CORE.items()}
    if args.json:
        print(json.dumps({"python": {f"{s}:{o}": v for (s, o), v in py.items()},
                          "go": {f"{s}:{o}": v for (s, o), v in go.items()},
                          "python_inspectors": {f"{s}:{o}": v / n for (s, o), v in
                                                result["inspectors"].items()},
                          "python_invocations": result["invocations"] / n,
                          "python_states": result["states"] / n}, indent=1))
        return
    print(f"AWS requests per alert ({n} alerts, 5 attributes, 2 inspectors x 1 finding)")
    print(f"{'service:operation':34} {'python':>8} {'go':>8}")
    for key in sorted(set(py) | set(go)):
        print(f"{key[0] + ':' + key[1]:34} {py.get(key, 0):8.2f} {go.get(key, 0):8.2f}")
    print(f"{'requests by the core':34} {sum(py.values()):8.2f} {sum(go.values()):8.2f}")
    insp = sum(result["inspectors"].values()) / n
    print(f"{'inspectors SQS requests':34} {insp:8.2f} {GO_INSPECTOR_SQS[0]:8.2f}")
    inv = result["invocations"] / n
    print(f"{'Lambda invocations (core)':34} {inv:8.2f} {GO_LAMBDA_INVOCATIONS[0]:8.2f}")
    states = result["states"] / n
    print(f"{'state transitions':34} {states:8.2f} {GO_STATES[0]:8.2f}")
    py_cost = _cost(py, inv, states, insp) * 1e6
    go_cost = _cost(go, GO_LAMBDA_INVOCATIONS[0], GO_STATES[0], GO_INSPECTOR_SQS[0]) * 1e6
    print(f"USD per million alerts (requests, invocations, transitions; us-east-1): "
          f"python {py_cost:,.2f}, go {go_cost:,.2f}")


if __name__ == "__main__":
    main()
