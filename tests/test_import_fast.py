"""Import cost (issue 13): what ``import deepalert`` leaves for first use."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

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


def test_sending_is_loaded_on_first_use() -> None:
    """``import deepalert`` loads neither the sender nor the Lambda event and SQS modules;
    ``deepalert.send`` and its result types still resolve, listed in ``dir`` and ``__all__``."""
    loaded = loaded_by("deepalert", ["deepalert"])
    assert [m for m in loaded if m == "deepalert._send" or m.startswith("deepalert._lambda")] == []
    assert {"send", "SendResult", "SentAlert", "FailedAlert"} <= set(dir(deepalert))
    from deepalert import FailedAlert, SendResult, SentAlert, _send, send

    assert (send, SendResult, SentAlert, FailedAlert) == (
        _send.send, _send.SendResult, _send.SentAlert, _send.FailedAlert)
    assert deepalert.send is send
    assert "send" in vars(deepalert)  # cached: the module __getattr__ runs once per name


def test_unknown_names_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Sendd'"):
        deepalert.Sendd  # noqa: B018
    with pytest.raises(ImportError):
        from deepalert import Sendd  # noqa: F401


def test_wire_patterns_are_compiled_on_first_use() -> None:
    """Importing deepalert compiles none of the wire module's patterns; the first use
    compiles one and leaves the compiled pattern in the module for the next calls."""
    code = ("import re, deepalert\n"
            "from deepalert import _wire\n"
            "names = [n for n, v in vars(_wire).items() if isinstance(v, _wire._LazyPattern)]\n"
            "compiled = [n for n, v in vars(_wire).items() if isinstance(v, re.Pattern)]\n"
            "print(sorted(names), compiled)\n"
            "assert _wire.GoTime.parse('2024-01-02T03:04:05.5+01:00').nanosecond == 500000000\n"
            "assert _wire.has_negative_zero(b'[-0]') and not _wire.has_negative_zero('[-01]')\n"
            "print(sorted(n for n, v in vars(_wire).items() if isinstance(v, re.Pattern)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    lazy, after = result.stdout.splitlines()
    assert lazy == ("['_CANONICAL_TIME', '_NEGATIVE_ZERO_BYTES', '_NEGATIVE_ZERO_TEXT', "
                    "'_NUMBER', '_RFC3339', '_SPACE', '_SURROGATE'] []")
    assert after == "['_CANONICAL_TIME', '_NEGATIVE_ZERO_BYTES', '_NEGATIVE_ZERO_TEXT', '_RFC3339']"


def test_any_fields_need_no_decorator_module() -> None:
    """``Alert.body`` and ``Finding.content`` get their Go rules from the schema, built on first
    use, so importing deepalert loads no ``pydantic.functional_serializers``; the rules hold."""
    assert loaded_by("deepalert", ["pydantic.functional_serializers"]) == []
    alert = deepalert.Alert.from_json('{"body":{"b":1.0,"a":[2,1e21]}}')
    assert alert.to_json().endswith('"body":{"a":[2,1e+21],"b":1}}')  # sorted, Go's floats
    finding = deepalert.Finding.from_json('{"type":"host","content":{"b":1.0,"a":-0}}')
    assert finding.to_json().endswith('"content":{"b":1,"a":-0}}')  # key order kept, -0 kept
    with pytest.raises(ValidationError, match=r"content\.x: a JSON number must be finite"):
        deepalert.Finding(content={"x": float("nan")})
    with pytest.raises(ValidationError, match=r"(?s)^1 validation error for Alert\nbody\n"):
        deepalert.Alert(body={"x": float("inf")})


def test_import_loads_no_json_or_hashlib() -> None:
    """The standard library's ``json`` and ``hashlib`` are loaded where they are used."""
    assert loaded_by("deepalert", ["json", "hashlib"]) == []
