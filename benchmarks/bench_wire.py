"""Wire codec speed and import cost, as ratios to plain pydantic in the same process.

Run: ``python benchmarks/bench_wire.py``. Figures are kept in ``docs/performance.md``.

* ``Report.to_json`` / ``Report.from_json`` on a report with 10 alerts (5 attributes each,
  a small body) and 50 sections (a host content each), against ``model_dump_json`` /
  ``model_validate_json`` of plain pydantic models of the same shape (stdlib ``datetime``
  fields, no Go rules). Target: at most 2x.
* ``python -c "from deepalert import Alert, Report"`` (and, for issue 13, ``from deepalert
  import Alert, Report, Attribute, Severity``) against
  ``python -c "from pydantic import BaseModel"`` (the floor of any pydantic-based package), and
  against a script that defines one trivial pydantic model (the floor of any package that
  defines models at all), built at once or, as deepalert's are, on first use
  (``defer_build``: no schema, no plugin look-up at import). Target: at most 1.3x the first.
  Each round runs the commands in a new random order (a fixed order favours a command that
  follows one reading the same files); wall and CPU time are both reported.
  ``--before=DIR`` also times the same import from another source tree (a directory holding
  a ``deepalert`` package: ``git archive main deepalert | tar -x -C DIR``). With ``--instructions``
  (needs valgrind), also the instructions each command executes, which, unlike wall time, a
  busy machine does not change (same within 0.1% run to run).

  Every command runs as ``python -S`` with the interpreter's site-packages on ``PYTHONPATH``:
  the same modules, but no ``.pth`` file runs code at start-up (a sandbox's certificate hook
  that imports ``certifi``, ``re``, ``typing`` and ``pathlib`` for every process was seen to
  add 110 M instructions to every command here, and take 0.1x off every ratio). The ratio
  also depends on the versions of pydantic's own dependencies; ``--python=PATH`` runs the
  commands with another interpreter, such as a fresh virtual environment with only pydantic
  installed (``python -m venv /tmp/v && /tmp/v/bin/pip install pydantic``), which is what
  ``pip install deepalert`` gives a user.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent))
from _util import interleaved

from deepalert import Report


class PAttribute(BaseModel):
    type: str
    key: str
    value: str
    context: list[str] | None = None
    timestamp: datetime | None = None


class PAlert(BaseModel):
    detector: str
    rule_name: str
    rule_id: str
    alert_key: str
    description: str
    timestamp: datetime
    attributes: list[PAttribute] | None = None
    body: Any = None


class PActivity(BaseModel):
    service_name: str
    remote_addr: str
    principal: str
    action: str
    target: str
    last_seen: datetime


class PHost(BaseModel):
    ipaddr: list[str] | None = None
    country: list[str] | None = None
    owner: list[str] | None = None
    activities: list[PActivity] | None = None


class PSection(BaseModel):
    attr: PAttribute
    hosts: list[PHost] | None = None


class PResult(BaseModel):
    severity: str
    reason: str


class PReport(BaseModel):
    id: str
    alerts: list[PAlert] | None
    attributes: list[PAttribute] | None
    sections: list[PSection] | None
    result: PResult
    status: str
    created_at: datetime


def attribute(i: int) -> dict[str, Any]:
    return {"type": "ipaddr", "key": "src", "value": f"10.0.{i // 256}.{i % 256}",
            "context": ["client", "remote"], "timestamp": "2020-01-02T03:04:05.123456789Z"}


def report_json() -> str:
    report = {
        "id": "5c8e0ba3-3a8e-4b5e-9d43-8f5d0e7c0a11",
        "alerts": [{
            "detector": "guardduty", "rule_name": "SSH brute force", "rule_id": f"rule-{i}",
            "alert_key": f"k{i}", "description": "Many failed SSH logins <from> a host & more",
            "timestamp": "2021-03-04T05:06:07.5Z",
            "attributes": [attribute(i * 5 + j) for j in range(5)],
            "body": {"count": 120, "port": 22, "severity": 5.5, "tags": ["ssh", "bruteforce"]},
        } for i in range(10)],
        "attributes": [attribute(i) for i in range(50)],
        "sections": [{
            "attr": attribute(i),
            "hosts": [{"ipaddr": [f"10.0.0.{i}"], "country": ["JP"], "owner": ["corp"],
                       "activities": [{"service_name": "ssh", "remote_addr": "192.0.2.1",
                                       "principal": "alice", "action": "login",
                                       "target": "bastion",
                                       "last_seen": "2020-05-06T07:08:09Z"}]}],
        } for i in range(50)],
        "result": {"severity": "", "reason": ""},
        "status": "new",
        "created_at": "2021-03-04T05:06:07Z",
    }
    return Report.model_validate(report).to_json()


_ROOT = str(Path(__file__).resolve().parents[1])
Command = tuple[str, str]  # (python -c code, PYTHONPATH)
_PYTHON = sys.executable  # --python=PATH
_SITE: list[str] = []  # that interpreter's site-packages, filled in main()


def _site_packages(python: str) -> list[str]:
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    run = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    found: list[str] = json.loads(run.stdout)
    return found


def _argv(code: str) -> list[str]:
    return [_PYTHON, "-S", "-c", code]  # -S: no site module, so no .pth file runs code


def _env(prefix: str, path: str) -> dict[str, str]:
    # Bytecode cached for every module alike, in a temporary prefix (as _util.startup does);
    # run from that directory so that the source tree comes from PYTHONPATH alone.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",
                                                             "PYTHONPATH")}
    env.update(PYTHONPYCACHEPREFIX=prefix, PYTHONPATH=os.pathsep.join([path, *_SITE]),
               PYTHONHASHSEED="0")
    return env


def import_times(commands: dict[str, Command], *, runs: int = 21
                 ) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each ``python -c CODE``, rounds in random order."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as prefix:
        for code, path in commands.values():  # fill the bytecode caches
            subprocess.run(_argv(code), check=True, env=_env(prefix, path), cwd=prefix)
        for _ in range(runs):
            order = list(commands.items())
            random.shuffle(order)
            for name, (code, path) in order:
                start = time.perf_counter()
                child = subprocess.Popen(_argv(code), env=_env(prefix, path), cwd=prefix)
                _, status, usage = os.wait4(child.pid, 0)
                walls[name].append(time.perf_counter() - start)
                cpus[name].append(usage.ru_utime + usage.ru_stime)
                assert status == 0, name
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]))
            for name in commands}


def instructions(commands: dict[str, Command]) -> dict[str, int]:
    """Instructions executed by each ``python -c CODE`` (valgrind's callgrind)."""
    with tempfile.TemporaryDirectory() as prefix:
        counts = {}
        for name, (code, path) in commands.items():
            env = _env(prefix, path)
            subprocess.run(_argv(code), check=True, env=env, cwd=prefix)
            run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                  *_argv(code)], env=env, check=True, cwd=prefix,
                                 capture_output=True, text=True)
            found = re.search(r"Collected : (\d+)", run.stderr)
            assert found is not None, run.stderr
            counts[name] = int(found.group(1))
    return counts


def main() -> None:
    global _PYTHON
    for arg in sys.argv[1:]:
        if arg.startswith("--python="):
            _PYTHON = arg.removeprefix("--python=")
    _SITE[:] = _site_packages(_PYTHON)
    text = report_json()
    data = text.encode()
    ours = Report.from_json(data)
    theirs = PReport.model_validate_json(data)
    assert ours.to_json() == text
    codec = interleaved({
        "from_json": lambda: Report.from_json(data),
        "model_validate_json": lambda: PReport.model_validate_json(data),
        "to_json": ours.to_json,
        "model_dump_json": theirs.model_dump_json,
    }, number=200)
    print(f"report: {len(data):,} bytes, 10 alerts, 50 sections")
    print(f"from_json  {codec['from_json'] * 1e6:8.0f} us   pydantic "
          f"{codec['model_validate_json'] * 1e6:8.0f} us   ratio "
          f"{codec['from_json'] / codec['model_validate_json']:.2f}x")
    print(f"to_json    {codec['to_json'] * 1e6:8.0f} us   pydantic "
          f"{codec['model_dump_json'] * 1e6:8.0f} us   ratio "
          f"{codec['to_json'] / codec['model_dump_json']:.2f}x")

    names = "from deepalert import Alert, Report, Attribute, Severity"
    commands: dict[str, Command] = {
        "pydantic": ("from pydantic import BaseModel", _ROOT),
        "one model": ("from pydantic import BaseModel\nclass M(BaseModel):\n    x: int = 0", _ROOT),
        "deferred": ("from pydantic import BaseModel, ConfigDict\nclass M(BaseModel):\n"
                     "    model_config = ConfigDict(defer_build=True)\n    x: int = 0", _ROOT),
        "deepalert": ("from deepalert import Alert, Report", _ROOT),
        "names": (names, _ROOT),
    }
    for arg in sys.argv[1:]:
        if arg.startswith("--before="):
            commands["before"] = (names, str(Path(arg.removeprefix("--before=")).resolve()))
    starts = import_times(commands)
    wall, cpu = starts["pydantic"]
    for name, (seconds, cpu_seconds) in starts.items():
        print(f"import {name:10s} {seconds * 1000:6.0f} ms   ratio {seconds / wall:.2f}x   "
              f"CPU {cpu_seconds * 1000:6.0f} ms   ratio {cpu_seconds / cpu:.2f}x")
    if "--instructions" in sys.argv[1:]:
        if shutil.which("valgrind") is None:
            sys.exit("--instructions needs valgrind")
        counts = instructions(commands)
        for name, count in counts.items():
            print(f"import {name:10s} {count / 1e6:6.0f} M instructions   ratio "
                  f"{count / counts['pydantic']:.3f}x")


if __name__ == "__main__":
    main()
