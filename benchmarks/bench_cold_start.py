"""Cold start: a fresh process to the first handled SQS record, from three Lambda bundles.

Run: ``python benchmarks/bench_cold_start.py [RUNS] [--moto]`` (default 21 runs). Figures are
kept in ``docs/performance.md``. With ``--moto`` both handlers send with a real boto3 client
(made on the first send, as in Lambda) over HTTP to a moto server on 127.0.0.1, so the cold
start includes importing boto3, creating the client and one real request.

Three bundles are built in a temporary folder, each holding only what Lambda would unpack:

* ``deepalert package``: an inspector module, deepalert and pydantic, all with unchecked-hash
  ``.pyc`` files;
* the same files without any ``.pyc``: what ``sam build`` produces, so every start compiles;
* the baseline a user would write by hand: an aws-lambda-powertools ``BatchProcessor`` with a
  parser model (``SqsRecordModel`` whose body is ``Json`` of powertools'
  ``SnsNotificationModel`` whose Message is ``Json`` of a Task model), a Finding model dumped
  with ``model_dump_json``, one ``send_message``, measured both as ``sam build`` gives it (no
  ``.pyc``) and as ``deepalert package`` would give it (with ``.pyc``).

Each run starts ``python -I -S -B`` (no site-packages: only the bundle, the standard library and
a folder standing in for ``/var/runtime`` with boto3, as in Lambda; ``-B``: no bytecode written,
as on Lambda's read-only code folder), puts the bundle first on ``sys.path``, imports the
handler module, hands it one SQS event of one record (an SNS envelope holding a Task) and prints
the wall clock once the response is back. Wall time is from just before the process is spawned
to that print; CPU time is the child's user + system time (whole process, exit included), which
is steadier on a shared machine. Both handlers send to the same
in-process stand-in for the SQS client (boto3 is provided by the runtime and costs both the
same; its cold client creation is shown on its own). Runs are interleaved; medians are taken.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deepalert import Attribute, Task
from deepalert._package import build_bundle
from deepalert.testing import sqs_sns_event

OURS = '''\
from deepalert import Attribute, AttrType, ContentHost
from deepalert.inspector import inspector


@inspector(author="bench", types=[AttrType.IPADDR])
def handler(attr: Attribute) -> ContentHost:
    return ContentHost(country=["JP"])
'''

POWERTOOLS = '''\
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel, SqsRecordModel
from pydantic import BaseModel, Json

FINDING = "https://sqs.us-east-1.amazonaws.com/123456789012/finding"


class PAttribute(BaseModel):
    type: str
    key: str
    value: str
    context: list[str] | None = None
    timestamp: str | None = None


class PTask(BaseModel):
    report_id: str
    attribute: PAttribute


class PTaskNotification(SnsNotificationModel):
    Message: Json[PTask]


class PTaskRecord(SqsRecordModel):
    body: Json[PTaskNotification]


class PHost(BaseModel):
    country: list[str] | None = None


class PFinding(BaseModel):
    report_id: str
    author: str
    attribute: PAttribute
    type: str
    content: PHost


processor = BatchProcessor(event_type=EventType.SQS, model=PTaskRecord)
client: Any = None


def record_handler(record: PTaskRecord) -> None:
    task = record.body.Message
    finding = PFinding(report_id=task.report_id, author="bench", attribute=task.attribute,
                       type="host", content=PHost(country=["JP"]))
    client.send_message(QueueUrl=FINDING, MessageBody=finding.model_dump_json(exclude_none=True))


def handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
'''

# The Lambda runtime's part, the same for every bundle: import the handler module, build the
# event it was handed, call the handler, report the time.
DRIVER = '''\
import sys, time
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[4])  # /var/runtime: boto3 and what it needs
import json


class Client:
    def send_message(self, **kwargs):
        return {"MessageId": "1"}

    def send_message_batch(self, *, QueueUrl, Entries):
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


class Context:
    function_name = "bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self):
        return 30_000


import app
event = json.loads(sys.argv[2])
real = sys.argv[5] == "moto"  # a real boto3 client, over HTTP to a moto server
if sys.argv[3] == "ours":
    # With no client given, the inspector makes its boto3 client on first send, as in Lambda.
    answer = app.handler.invoke(
        event, Context(), sqs_client=None if real else Client(),
        finding_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/finding",
        attribute_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/attribute")
else:
    if real:
        import boto3
        app.client = boto3.client("sqs", region_name="us-east-1")
    else:
        app.client = Client()
    answer = app.handler(event, Context())
assert answer == {"batchItemFailures": []}, answer
print(time.time_ns())
'''


def runtime(folder: Path) -> Path:
    """What the Lambda runtime provides beside the bundle (boto3 and its dependencies)."""
    target = folder / "runtime"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target),
                    "boto3"], check=True)
    return target


def build(folder: Path) -> dict[str, Path]:
    """The bundles, by name."""
    bundles: dict[str, Path] = {}
    for name, code, requirements in (
            ("ours", OURS, ""),
            ("powertools", POWERTOOLS, "aws-lambda-powertools[parser]\n")):
        project = folder / f"{name}-project"
        project.mkdir()
        (project / "app.py").write_text(code)
        (project / "requirements.txt").write_text(requirements)
        compiled = folder / f"{name}-pyc"
        build_bundle(project, folder=compiled)
        plain = folder / f"{name}-plain"
        shutil.copytree(compiled, plain, ignore=shutil.ignore_patterns("__pycache__"))
        bundles[f"{name}, .pyc (deepalert package)"] = compiled
        bundles[f"{name}, no .pyc (sam build)"] = plain
    return bundles


def cold_start(bundle: Path, kind: str, event: str, provided: Path,
               endpoint: str | None = None) -> tuple[float, float]:
    """Wall seconds from spawning a fresh interpreter to the first handled record, and the
    child's CPU seconds. With ``endpoint``, the handlers send with a real boto3 client to the
    moto server there, instead of an in-process stand-in."""
    env = {"PATH": os.environ.get("PATH", "")}
    if endpoint is not None:
        env.update(AWS_ENDPOINT_URL_SQS=endpoint, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time_ns()
    done = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", DRIVER, str(bundle), event, kind,
                           str(provided), "moto" if endpoint else "memory"],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (int(done.stdout.strip()) - start) / 1e9, cpu


def bare_start(code: str, *, site: bool = False) -> float:
    env = {"PATH": os.environ.get("PATH", "")}
    flags = ["-I", "-B"] if site else ["-I", "-S", "-B"]
    start = time.time_ns()
    done = subprocess.run([sys.executable, *flags, "-c", f"{code}\nimport time\n"
                           "print(time.time_ns())"], capture_output=True, text=True,
                          env=env, check=True)
    return (int(done.stdout.strip()) - start) / 1e9


def main(runs: int, moto: bool = False) -> None:
    task = Task(report_id="report-1", attribute=Attribute(
        type="ipaddr", key="src", value="192.0.2.1", context=["remote"],
        timestamp="2026-01-02T03:04:05.123456789Z"))
    event = json.dumps(sqs_sns_event(task))
    server = None
    endpoint = None
    if moto:  # real HTTP: a moto server on 127.0.0.1 with the finding and attribute queues
        import boto3
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        admin = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in ("finding", "attribute"):
            admin.create_queue(QueueName=name)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-cold-start-") as tmp:
            bundles = build(Path(tmp))
            provided = runtime(Path(tmp))
            times: dict[str, list[float]] = {name: [] for name in bundles}
            cpus: dict[str, list[float]] = {name: [] for name in bundles}
            floor: list[float] = []
            boto: list[float] = []
            for name, path in bundles.items():  # one warm-up each: the page cache, not bytecode
                cold_start(path, name.split(",")[0], event, provided, endpoint)
            for _ in range(runs):
                floor.append(bare_start("pass"))
                boto.append(bare_start("import boto3\nboto3.client('sqs', region_name='us-east-1')",
                                       site=True) - bare_start("pass", site=True))
                for name, path in bundles.items():
                    wall, cpu = cold_start(path, name.split(",")[0], event, provided, endpoint)
                    times[name].append(wall)
                    cpus[name].append(cpu)
    finally:
        if server is not None:
            server.stop()
    sending = "a real boto3 client to a moto server on 127.0.0.1" if moto else \
        "an in-process stand-in for the SQS client"
    print(f"Python {sys.version.split()[0]}, {runs} interleaved runs, medians, sending with "
          f"{sending}; ratios to the powertools bundle with .pyc / without")
    for label, series in (("wall", times), ("CPU", cpus)):
        medians = {name: statistics.median(values) for name, values in series.items()}
        base = medians["powertools, .pyc (deepalert package)"]
        base_plain = medians["powertools, no .pyc (sam build)"]
        print(f"{label + ' time, bundle':44} {'ms':>8} {'vs pt .pyc':>11} {'vs pt plain':>12}")
        for name, value in medians.items():
            print(f"{name:44} {value * 1e3:8.1f} {value / base:10.2f}x "
                  f"{value / base_plain:11.2f}x")
    print(f"{'python -I -S -c pass (the floor)':44} {statistics.median(floor) * 1e3:8.1f}")
    print(f"{'import boto3 + SQS client (both pay it)':44} {statistics.median(boto) * 1e3:8.1f}")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--moto"]
    main(int(arguments[0]) if arguments else 21, moto="--moto" in sys.argv[1:])
