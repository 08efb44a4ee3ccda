"""docs/integrations.md's Inspectors section stays true to the code: every ready inspector
has a table row and a section, every SAM snippet parses, names a ready handler that imports,
and sets only variables the handlers read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deepalert.integrations._inspectors import InspectorEnvHandler
from deepalert.lookup import CACHE_TABLE_ENV, INTERNAL_DOMAINS_ENV, RATE_LIMIT_TABLE_ENV
from tests.lookup.test_package import INSPECTOR_MODULES
from tests.reviewer.test_example import load_template

DOC = Path(__file__).resolve().parents[3] / "docs" / "integrations.md"
READ = {"FINDING_QUEUE_URL", "ATTRIBUTE_QUEUE_URL", "SECRET_ARN", CACHE_TABLE_ENV,
        RATE_LIMIT_TABLE_ENV, INTERNAL_DOMAINS_ENV}


@pytest.fixture(scope="module")
def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("\n## Inspectors\n", 1)[1].split("\n## ", 1)[0]


def test_every_ready_inspector_has_a_row_and_a_handler_in_the_docs(section: str) -> None:
    for module in INSPECTOR_MODULES:
        assert f"| `{module}` |" in section, module
        assert f"deepalert.integrations.{module}.handler" in section or (
            f".{module}.handler" in section), module


def test_every_sam_snippet_parses_and_names_a_ready_handler(section: str, tmp_path: Path
                                                            ) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) >= 9
    handlers = 0
    for i, block in enumerate(blocks):
        path = tmp_path / f"snippet{i}.yaml"
        path.write_text(block, encoding="utf-8")
        resources = load_template(path)
        for name, resource in resources.items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            handlers += 1
            props = resource["Properties"]
            module, _, attribute = props["Handler"].rpartition(".")
            loaded = __import__(module, fromlist=[attribute])
            assert isinstance(getattr(loaded, attribute), InspectorEnvHandler), name
            variables = set(props["Environment"]["Variables"])
            assert variables <= READ, (name, variables - READ)
            assert {"FINDING_QUEUE_URL", "ATTRIBUTE_QUEUE_URL"} <= variables, name
    assert handlers == len(blocks) - 1  # all but the tables' snippet
