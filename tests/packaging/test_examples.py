"""The examples' SAM templates build through ``deepalert package`` (BuildMethod: makefile):
no package-index lookup of deepalert, bytecode compiled, for the template's runtime."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deepalert import Attribute, Task
from deepalert._package import template_defaults
from deepalert.testing import sqs_sns_event
from tests.packaging.conftest import ROOT, clean_env
from tests.reviewer.test_example import load_template

EXAMPLES = {"inspector": "IpClassifierFunction", "reviewer": "ReviewerFunction",
            "emitter": "EmitterFunction"}
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def makefile_defaults(folder: Path) -> dict[str, str]:
    text = (folder / "Makefile").read_text()
    return dict(re.findall(r"^(\w+) \?= ?(.*)$", text, re.MULTILINE))


@pytest.mark.parametrize(("role", "function"), EXAMPLES.items())
def test_each_template_builds_its_function_with_deepalert_package(role: str,
                                                                  function: str) -> None:
    """The function has BuildMethod makefile; its Makefile target runs deepalert package for
    the template's Python and architecture; requirements.txt does not name deepalert."""
    folder = ROOT / "examples" / role
    template: Any = load_template(folder / "template.yaml")
    resource = template["Resources"][function]
    props = {**template.get("Globals", {}).get("Function", {}), **resource["Properties"]}
    assert resource["Metadata"]["BuildMethod"] == "makefile"
    code = folder / props["CodeUri"]
    makefile = (code / "Makefile").read_text()
    assert re.search(rf"^build-{function}:\n\tdeepalert package \. --python \$\(PYTHON_VERSION\) "
                     r"--arch \$\(ARCH\) --out \"\$\(ARTIFACTS_DIR\)\"", makefile, re.MULTILINE)
    defaults = makefile_defaults(code)
    assert f"python{defaults['PYTHON_VERSION']}" == props["Runtime"]
    assert [defaults["ARCH"]] == props["Architectures"]
    assert template_defaults(code) == (defaults["PYTHON_VERSION"], defaults["ARCH"])
    names = [line.split()[0] for line in (code / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert "deepalert" not in names


def test_the_example_templates_pass_cfn_lint() -> None:
    """cfn-lint (with the SAM translator) finds nothing in the three templates."""
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"),
                           *(str(ROOT / "examples" / role / "template.yaml") for role in EXAMPLES)],
                          capture_output=True, text=True,
                          env={**clean_env(), "AWS_DEFAULT_REGION": "us-east-1"})
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.packaging
def test_the_inspector_example_builds_as_sam_would_and_handles_a_task(
        offline_wheels: Path, tmp_path: Path) -> None:
    """``make build-IpClassifierFunction`` in a copy of the folder (what sam build does), for
    this Python, offline: the artifacts hold the handler, deepalert and .pyc, and handle an SQS
    record with no site-packages."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "examples" / "inspector", source,
                    ignore=shutil.ignore_patterns("__pycache__"))
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {**clean_env(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                  f"{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["make", "build-IpClassifierFunction", f"ARTIFACTS_DIR={artifacts}",
         f"PYTHON_VERSION={RUNNING}", "ARCH=x86_64",
         f"PACKAGE_OPTIONS=--no-index --find-links {offline_wheels}"],
        cwd=source, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (artifacts / "ip_classifier.py").is_file()
    assert (artifacts / "__pycache__" / f"ip_classifier.{sys.implementation.cache_tag}.pyc"
            ).is_file()
    assert not (artifacts / "test_ip_classifier.py").exists()
    assert not (artifacts / "boto3").exists()
    task = Task(report_id="r-1", attribute=Attribute(type="ipaddr", value="192.0.2.1"))
    run = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import ip_classifier\n"
        "sent = []\n"
        "class Queue:\n"
        "    def send_message_batch(self, *, QueueUrl, Entries):\n"
        "        sent.extend(e['MessageBody'] for e in Entries)\n"
        "        return {'Successful': [{'Id': e['Id']} for e in Entries]}\n"
        "answer = ip_classifier.ip_classifier.invoke(json.loads(sys.argv[2]), "
        "sqs_client=Queue(), finding_queue_url='https://sqs.us-east-1.amazonaws.com/1/f', "
        "attribute_queue_url='https://sqs.us-east-1.amazonaws.com/1/a')\n"
        "print(json.dumps(answer))\n"
        "print(sent[0])\n")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", run, str(artifacts),
                          json.dumps(sqs_sns_event(task))],
                         capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    answer, finding = out.stdout.splitlines()
    assert answer == '{"batchItemFailures": []}'
    assert json.loads(finding)["content"]["owner"] == ["documentation range (RFC 5737, RFC 3849)"]
