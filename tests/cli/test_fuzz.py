"""Mutated input never makes the CLI answer with a traceback, nor lets a secret through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepalert import cli
from deepalert._redact import redact

GOOD = json.dumps({"detector": "ids", "rule_id": "r", "alert_key": "k",
                   "attributes": [{"type": "ipaddr", "key": "src", "value": "192.0.2.1"}]})

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        if out:
            out[position % len(out)] = value
    return bytes(out)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
       layout=st.sampled_from(["lines", "array", "gzip"]))
def test_mutated_files_give_one_line_errors_and_keep_good_records(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], edits: list[tuple[int, int]],
        layout: str) -> None:
    """Whatever bytes are flipped, validate answers 0 or 1, one line per problem."""
    import gzip

    good = (GOOD + "\n").encode()
    data = b"[" + b",".join([good.strip()] * 3) + b"]" if layout == "array" else good * 3
    data = mutate(data, edits)
    if layout == "gzip":
        data = mutate(gzip.compress(good * 3), edits[:1])
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    code = cli.main(["validate", str(path)])
    _, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in err
    assert "\x1b" not in err
    if not edits:
        assert code == 0


SECRET_VALUE = st.text(alphabet="abcdefghijkLMNOPQRS0123456789/+", min_size=8, max_size=30)


@settings(max_examples=150, deadline=None)
@given(secret=SECRET_VALUE, key=st.sampled_from(
           ["password", "db_password", "client_secret", "aws_secret_access_key", "api_key",
            "SecretAccessKey", "x-api-key", "SessionToken", "auth_token"]),
       shape=st.sampled_from(["{k}={v}", "{k}: {v}", '"{k}": "{v}"', "'{k}': '{v}'",
                              "{k} = {v}"]),
       before=st.text(alphabet="xyzé -:=.!?\t", max_size=20),
       after=st.text(alphabet=" ,;)}\n", max_size=5))
def test_a_secret_value_never_survives_its_key(secret: str, key: str, shape: str, before: str,
                                               after: str) -> None:
    """A secret-ish key's value is masked whatever surrounds it."""
    text = before + " " + shape.format(k=key, v=secret) + after
    assert secret not in redact(text)
