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


_FINDINGS = ["Content", "ContentBinary", "ContentHost", "ContentUser", "EntityActivity",
             "EntityDomain", "EntityMalware", "EntityMalwareScan", "EntitySoftware",
             "EntityURL", "Finding", "ReportAttribute", "Section", "Task", "TaskResult"]


def _fresh(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_models_of_findings_are_created_on_first_use() -> None:
    """``from deepalert import Alert, Report, Attribute, Severity`` creates neither Section nor
    the contents, entities and messages of findings; asking for any of them creates them."""
    assert "deepalert._findings" not in loaded_by(
        "deepalert", ["deepalert"])
    out = _fresh("import sys\n"
                 "from deepalert import Alert, Report, Attribute, Severity\n"
                 "print('deepalert._findings' in sys.modules)\n"
                 "from deepalert import Finding\n"
                 "print('deepalert._findings' in sys.modules, Finding.__module__)\n")
    assert out.split() == ["False", "True", "deepalert.models"]


@pytest.mark.parametrize("first_use", [
    "Report.from_json(TEXT)",
    "Report.model_validate_json(TEXT)",
    "TypeAdapter(list[Report]).validate_json('[' + TEXT + ']')[0]",
    "type('Holder', (BaseModel,), {'__annotations__': {'r': Report}})"
    ".model_validate({'r': json.loads(TEXT)}).r",
])
def test_a_report_is_read_whole_whatever_builds_its_schema_first(first_use: str) -> None:
    """Report's sections are typed Sections however Report's schema is first built (its own
    first use, a TypeAdapter, a model that holds a Report), in a fresh interpreter."""
    text = ('{"id":"r","sections":[{"attr":{"type":"ipaddr","key":"k","value":"v",'
            '"context":null},"hosts":[{"country":["JP"]}]}],"status":"new"}')
    out = _fresh("import json\n"
                 "from pydantic import BaseModel, TypeAdapter\n"
                 "from deepalert import Report\n"
                 f"TEXT = {text!r}\n"
                 f"report = {first_use}\n"
                 "section = report.sections[0]\n"
                 "print(type(section).__name__, type(section.hosts[0]).__name__,"
                 " section.hosts[0].country)\n")
    assert out == "Section ContentHost ['JP']"


def test_every_name_of_findings_is_public_where_it_was() -> None:
    """``deepalert.X`` and ``deepalert.models.X`` are one object, listed by ``dir`` and
    ``__all__``, named after the public module (reprs, pickles)."""
    import pickle

    from deepalert import _findings

    assert models._FINDINGS == {*_findings.__all__} == {*_FINDINGS, "CONTENT_TYPES"}
    for name in _FINDINGS:
        assert getattr(deepalert, name) is getattr(models, name)
        assert name in dir(deepalert)
        assert name in dir(models)
        assert name in models.__all__
    assert repr(models.Section) == "<class 'deepalert.models.Section'>"
    section = models.Section(hosts=[models.ContentHost(country=["JP"])])
    assert pickle.loads(pickle.dumps(section)) == section
    assert models.Report.model_json_schema()["$defs"]["Section"]["title"] == "Section"
    with pytest.raises(AttributeError, match="no attribute 'Sectionn'"):
        models.Sectionn  # noqa: B018


def test_a_pickled_finding_loads_in_a_fresh_interpreter() -> None:
    """A pickle names ``deepalert.models.Finding``: loading it creates the class on demand."""
    import base64
    import pickle

    data = base64.b64encode(pickle.dumps(models.Finding(report_id="r", type="host"))).decode()
    out = _fresh("import base64, pickle\n"
                 f"finding = pickle.loads(base64.b64decode({data!r}))\n"
                 "print(type(finding).__module__, type(finding).__name__, finding.report_id)\n")
    assert out == "deepalert.models Finding r"


def test_json_schemas_write_the_zero_time_default() -> None:
    """A time field's default (Go's zero time) is written into JSON schemas, without a
    warning (the suite turns warnings into errors), and a GoTime stands alone in a
    TypeAdapter."""
    from pydantic import TypeAdapter

    schema = models.Report.model_json_schema()
    assert schema["properties"]["created_at"] == {
        "default": "0001-01-01T00:00:00Z", "format": "date-time", "title": "Created At",
        "type": "string"}
    adapter = TypeAdapter(deepalert.GoTime)
    assert adapter.validate_python("2020-01-01T09:00:00.500+09:00") == (
        "2020-01-01T09:00:00.5+09:00")
    assert adapter.json_schema() == {"type": "string", "format": "date-time"}
