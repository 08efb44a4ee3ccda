"""Golden files: what every fixture converts to with the default policy, byte for byte.

After an intended change, rewrite them with
``DEEPALERT_UPDATE_GOLDEN=1 python -m pytest tests/sources/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os

import pytest

from deepalert.sources import convert_file

from ._fixtures import AUTHORED, HERE, SAMPLES, check

GOLDEN = HERE / "golden"
UPDATE = os.environ.get("DEEPALERT_UPDATE_GOLDEN") == "1"  # read before clean_environ runs
# Panther's rule tests are lists of {Name, Log} cases, read by test_cloudtrail/test_guardduty.
FIXTURES = sorted(p for p in [*SAMPLES.iterdir(), *AUTHORED.iterdir()]
                  if p.suffix in (".json", ".jsonl") and not p.name.startswith("panther-"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.name for p in FIXTURES])
def test_fixture_converts_to_its_golden_alerts(fixture: os.PathLike[str]) -> None:
    """The fixture's alerts, as Go would write them, equal the golden file."""
    items = list(convert_file(fixture))
    assert [i.error for i in items if i.error] == []
    alerts = check([a for i in items for a in i.alerts])
    text = "".join(a.to_json() + "\n" for a in alerts)
    golden = GOLDEN / (os.path.basename(fixture).rsplit(".", 1)[0] + ".alerts.jsonl")
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == text
