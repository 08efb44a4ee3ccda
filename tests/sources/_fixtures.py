"""Loading the source fixtures, and the checks every converted alert must pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deepalert import Alert

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
"""Vendored public samples (see ATTRIBUTION.md)."""
AUTHORED = HERE / "authored"
"""Fixtures written for this project, modelled on the documented shapes."""


def load(name: str) -> Any:
    """A fixture as parsed JSON, from samples/ or authored/."""
    path = SAMPLES / name if (SAMPLES / name).exists() else AUTHORED / name
    return json.loads(path.read_text(encoding="utf-8"))


def lines(name: str) -> list[Any]:
    """The events of a JSON-lines fixture."""
    path = SAMPLES / name if (SAMPLES / name).exists() else AUTHORED / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def path(name: str) -> Path:
    """Where a fixture lives."""
    return SAMPLES / name if (SAMPLES / name).exists() else AUTHORED / name


def check(alerts: list[Alert]) -> list[Alert]:
    """Assert what every converted alert promises: the core accepts it, it survives the wire
    unchanged, and no attribute carries a timestamp."""
    for alert in alerts:
        alert.validate_limits()
        assert Alert.from_json(alert.to_json()) == alert
        for attribute in alert.attributes or []:
            assert attribute.timestamp is None, attribute
    return alerts


def attrs(alert: Alert) -> set[tuple[str, str, str, tuple[str, ...]]]:
    """An alert's attributes as (type, key, value, sorted context) tuples."""
    return {(a.type, a.key, a.value, tuple(sorted(a.context or ())))
            for a in alert.attributes or []}
