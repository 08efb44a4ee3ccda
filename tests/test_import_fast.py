"""Import cost (issue 13): what ``import deepalert`` leaves for first use."""

from __future__ import annotations

import ast
from pathlib import Path

import deepalert
import deepalert._enums as enums
import deepalert.models as models
from tests.imports import loaded_by

_ROOT = Path(deepalert.__file__).parent


def test_enumerations_live_in_a_module_without_pydantic() -> None:
    """``deepalert._enums`` imports only the standard library's enum."""
    tree = ast.parse((_ROOT / "_enums.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"enum"}


def test_enumerations_keep_their_names() -> None:
    """``deepalert.X``, ``deepalert.models.X`` and ``deepalert._enums.X`` are one class."""
    for name in enums.__all__:
        assert getattr(deepalert, name) is getattr(models, name) is getattr(enums, name)
    assert deepalert.Severity.URGENT.rank == 2
    assert str(deepalert.AttrType.IPADDR) == "ipaddr"


def test_internal_report_peek_is_built_on_first_use() -> None:
    """Importing deepalert does not define the internal report models; the old names work."""
    assert "deepalert._peek" not in loaded_by("deepalert", ["deepalert"])
    head = models.peek_report('{"id":"r","status":"new","result":{"severity":"urgent"}}')
    assert head is not None
    assert head.result.severity == "urgent"
    assert models.ReportHead is type(head)
