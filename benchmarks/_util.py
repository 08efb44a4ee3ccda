"""Shared helpers for the benchmark scripts: repeat, take the median, print a table row."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])


def per_call(func: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Median seconds per call over ``repeat`` rounds of ``number`` calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def interleaved(funcs: dict[str, Callable[[], object]], *, number: int,
                repeat: int = 9) -> dict[str, float]:
    """Median seconds per call of each function, rounds interleaved so drift hits all alike."""
    rounds: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            for _ in range(number):
                func()
            rounds[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(values) for name, values in rounds.items()}


def startup(codes: dict[str, str], *, runs: int = 21) -> dict[str, float]:
    """Median wall seconds of ``python -c CODE``, every module's bytecode cached.

    A deployed package has its ``.pyc`` files (pip writes them), and so does pydantic in
    site-packages. Where ``PYTHONDONTWRITEBYTECODE`` is set, a package run from a source tree
    would be compiled on every start instead, so the caches go to a temporary prefix (for
    every module alike) and a first run fills them. Commands run as ``python -S`` with this
    source tree and the interpreter's site-packages on ``PYTHONPATH``: the same modules, but
    no ``.pth`` file runs code at start-up (see ``bench_wire.py``: a sandbox's hook did, in
    every process, and shrank every ratio).
    """
    import site

    with tempfile.TemporaryDirectory() as prefix:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = prefix
        env["PYTHONPATH"] = os.pathsep.join([ROOT, *site.getsitepackages()])
        argv = [sys.executable, "-S", "-c"]
        times: dict[str, list[float]] = {name: [] for name in codes}
        for code in codes.values():
            subprocess.run([*argv, code], check=True, env=env)
        for _ in range(runs):
            for name, code in codes.items():
                start = time.perf_counter()
                subprocess.run([*argv, code], check=True, env=env)
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
