"""Shared helpers for the benchmark scripts: repeat, take the median, print a table row."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable


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
    """Median wall seconds of ``python -c CODE`` for each code, runs interleaved."""
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
