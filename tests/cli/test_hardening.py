"""The CLI never answers with a traceback, and tells what went wrong (issues 10 and 11).

One class of bad input per test: nesting deeper than Python's JSON reader goes, unusable
--db files, roles that cannot be loaded or sit in the wrong slot, control characters in
reports and events, JSON lines holding U+2028, files larger than memory should hold, secrets
in failures.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from deepalert import cli
from deepalert.errors import HandlerDefinitionError
from deepalert.local import LocalPipeline
from tests.cli import roles

ROLES = "tests.cli.roles"


def alert(key: str = "a", ip: str = "192.0.2.1", **extra: object) -> str:
    return json.dumps({"detector": "ids", "rule_id": "r", "alert_key": key,
                       "attributes": [{"type": "ipaddr", "key": "src", "value": ip,
                                       "context": ["remote"]}], **extra})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    if "--verbose" not in argv:
        assert "Traceback" not in err
    return code, out, err


# --- deep nesting ---------------------------------------------------------------------------


@pytest.fixture
def deep_lines(tmp_path: Path) -> Path:
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join([
        alert("a"),
        nested(20_000),
        '{"detector": "ids", "rule_id": "r", "alert_key": "deep", "extra": ' + nested(9_000)
        + "}",
        '{"detector": "ids", "rule_id": "r", "extra": ' + nested(30_000) + "}",
        alert("b", "198.51.100.7")]) + "\n")
    return path


@pytest.mark.parametrize("command", ["run", "validate", "convert"])
def test_deeply_nested_lines_are_read_as_go_reads_them(
        capsys: pytest.CaptureFixture[str], deep_lines: Path, command: str) -> None:
    """9,000 levels (Go reads up to 10,000) are read; 20,000 and 30,000 are one named error
    line each; the other lines go on."""
    code, out, err = run(capsys, command, str(deep_lines), *(
        ["--output", "json", "--quiet"] if command == "run" else []))
    assert code == 1
    assert f"{deep_lines} line 2" in err
    assert f"{deep_lines} line 4" in err
    assert f"{deep_lines} line 3" not in err
    assert "nests deeper than" in err
    if command == "validate":
        assert "3 valid, 2 invalid" in err
    else:
        assert len(out.splitlines()) == 3


def test_a_deeply_nested_json_array_file_keeps_the_items_before(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """In a JSON array, the items before the deep one are read; the deep one is named."""
    path = tmp_path / "deep.json"
    path.write_text("[" + alert("a") + "," + nested(20_000) + "]")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 1
    assert f"{path} item 2" in err
    assert "1 valid, 1 invalid" in err


def test_review_of_a_deeply_nested_report_is_one_line(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    """review names the file; no traceback."""
    path = tmp_path / "report.json"
    path.write_text('{"id": "r1", "alerts": ' + nested(20_000) + "}")
    code, out, err = run(capsys, "review", "--reviewer", f"{ROLES}:review", str(path))
    assert (code, out) == (1, "")
    assert str(path) in err
    assert len(err.strip().splitlines()) == 1


# --- --db ------------------------------------------------------------------------------------


def db_cases(tmp_path: Path) -> dict[str, Path]:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is no SQLite database, only text" * 100)
    folder = tmp_path / "folder.db"
    folder.mkdir()
    return {"corrupt": corrupt, "directory": folder,
            "missing folder": tmp_path / "no" / "such" / "r.db"}


@pytest.mark.parametrize("case", ["corrupt", "directory", "missing folder"])
def test_an_unusable_db_is_a_usage_error_naming_the_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    """Exit status 2 and one line naming the --db file."""
    path = db_cases(tmp_path)[case]
    alerts = tmp_path / "a.jsonl"
    alerts.write_text(alert() + "\n")
    code, out, err = run(capsys, "run", str(alerts), "--db", str(path))
    assert (code, out) == (2, "")
    assert f"--db {path}" in err
    assert len(err.strip().splitlines()) == 1


def test_a_read_only_db_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A --db file that cannot be written is refused before anything runs."""
    path = tmp_path / "r.db"
    alerts = tmp_path / "a.jsonl"
    alerts.write_text(alert() + "\n")
    run(capsys, "run", str(alerts), "--db", str(path), "--quiet")
    path.chmod(0o444)
    if os.geteuid() == 0:  # root writes read-only files: answer as the kernel would for a user
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == path
                            and mode & os.W_OK else real(p, mode, **kw))
    code, _, err = run(capsys, "run", str(alerts), "--db", str(path))
    assert code == 2
    assert f"--db {path}: cannot be read and written" in err


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "spec", "message"), [
    ("--inspector", "os:path", "`os:path` is a module, not an @inspector"),
    ("--inspector", f"{ROLES}:review", f"`{ROLES}:review` is a @reviewer, not an @inspector"),
    ("--reviewer", f"{ROLES}:geo", f"`{ROLES}:geo` is an @inspector, not a @reviewer"),
    ("--emitter", f"{ROLES}:review", f"`{ROLES}:review` is a @reviewer, not an @emitter"),
    ("--reviewer", f"{ROLES}:remember", f"`{ROLES}:remember` is an @emitter, not a @reviewer"),
    ("--reviewer", "os:sep", "`os:sep` is a str, not a @reviewer"),
])
def test_a_role_in_the_wrong_slot_is_refused_at_once(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, spec: str,
        message: str) -> None:
    """Exit status 2 with "X is a @reviewer, not an @inspector", not an AttributeError."""
    alerts = tmp_path / "a.jsonl"
    alerts.write_text(alert() + "\n")
    code, out, err = run(capsys, "run", str(alerts), option, spec)
    assert (code, out) == (2, "")
    assert message in err


def test_wrong_slots_are_refused_by_the_local_pipeline_too() -> None:
    """LocalPipeline(inspectors=[an emitter]) fails when made, naming both kinds."""
    with pytest.raises(HandlerDefinitionError, match="is an @emitter, not an @inspector"):
        LocalPipeline(inspectors=[roles.remember])  # type: ignore[list-item]
    with pytest.raises(HandlerDefinitionError, match="is an @inspector, not a @reviewer"):
        LocalPipeline(reviewer=roles.geo)
    with pytest.raises(HandlerDefinitionError, match="is a @reviewer, not an @emitter"):
        LocalPipeline(emitters=[roles.review])
    LocalPipeline(inspectors=[roles.geo], reviewer=roles.review, emitters=[roles.remember])


@pytest.mark.parametrize("via", ["file", "module"])
def test_a_module_with_a_syntax_error_is_one_line_naming_file_and_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        via: str) -> None:
    """A role module that does not compile: exit status 2, the file and line named."""
    module = tmp_path / "broken_role_mod.py"
    module.write_text("from deepalert.inspector import inspector\n\ndef oops(:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = f"{module}:oops" if via == "file" else "broken_role_mod:oops"
    code, _, err = run(capsys, "inspect", "--inspector", spec, "--attr", "ipaddr:192.0.2.1")
    assert code == 2
    assert "syntax error" in err
    assert "broken_role_mod.py, line 3" in err
    assert len(err.strip().splitlines()) == 1


def test_a_module_that_raises_when_imported_is_a_usage_error(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the user's module raises at import is one line, exit status 2."""
    (tmp_path / "raising_role_mod.py").write_text("raise KeyError('SETTINGS')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = run(capsys, "cases", "raising_role_mod:x")
    assert code == 2
    assert "raised KeyError" in err


# --- what failed, and why --------------------------------------------------------------------


def test_run_shows_each_failed_records_message(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    """An inspector's failure says what the exception said, not only its type."""
    path = tmp_path / "a.jsonl"
    path.write_text(alert("a", "203.0.113.66") + "\n")
    code, _, err = run(capsys, "run", str(path), "--inspector", f"{ROLES}:flaky", "--quiet")
    assert code == 1
    assert "RuntimeError: lookup failed for this one" in err
    assert "in flaky" in err  # the frame where it failed


@pytest.mark.parametrize(("option", "role"), [
    ("--inspector", "leaky"), ("--reviewer", "leaky_review"), ("--emitter", "leaky_emit")])
def test_run_masks_secrets_in_errors_and_verbose_tracebacks(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, role: str) -> None:
    """stderr of run has the failure's message with the secret masked, with and without
    --verbose (which adds the traceback)."""
    path = tmp_path / "a.jsonl"
    path.write_text(alert() + "\n")
    code, _, err = run(capsys, "run", str(path), option, f"{ROLES}:{role}", "--quiet")
    assert code == 1
    assert roles.SECRET not in err
    assert "RuntimeError" in err
    assert "***" in err or "/…" in err
    code, _, verbose = run(capsys, "run", str(path), option, f"{ROLES}:{role}", "--quiet",
                           "--verbose")
    assert roles.SECRET not in verbose
    if option != "--inspector":  # the inspector's handler keeps its traceback in its log
        assert 'File "' in verbose
        assert "roles.py" in verbose


def test_inspect_and_review_mask_secrets(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    """The one-role commands redact what the role's exception said."""
    code, _, err = run(capsys, "inspect", "--inspector", f"{ROLES}:leaky", "--attr",
                       "ipaddr:192.0.2.1", "--verbose")
    assert code == 1
    assert roles.SECRET not in err
    assert "client_secret=***" in err
    path = tmp_path / "report.json"
    path.write_text('{"id": "r1"}')
    code, _, err = run(capsys, "review", "--reviewer", f"{ROLES}:leaky_review", str(path),
                       "--verbose")
    assert code == 1
    assert roles.SECRET not in err
    assert "db_password=***" in err
    assert 'File "' in err


def test_pipeline_errors_are_free_of_secrets() -> None:
    """LocalPipeline.errors is documented as free of secrets: it is, whatever the role said."""
    from deepalert import Alert

    pipeline = LocalPipeline(inspectors=[roles.leaky], reviewer=roles.leaky_review,
                             emitters=[roles.leaky_emit])
    pipeline.submit(Alert.from_json(alert()))
    pipeline.run()
    # The failed review still publishes the report (unclassified), so the emitter runs too.
    assert {e.stage for e in pipeline.errors} == {"inspector", "reviewer", "emitter"}
    for error in pipeline.errors:
        assert roles.SECRET not in str(error)
        assert roles.SECRET not in (error.traceback or "")


def test_validate_names_the_missing_field_of_a_hand_written_alert(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An object with detector but no rule_id is an alert missing rule_id, not "no converter
    recognises it"; an unrecognised object lists the plain DeepAlert alert among the forms."""
    path = tmp_path / "hand.jsonl"
    path.write_text('{"detector": "ids"}\n{"rule_id": "r", "attributes": []}\n'
                    '{"something": "else"}\n')
    code, _, err = run(capsys, "validate", str(path))
    assert code == 1
    line1, line2, line3 = (x for x in err.splitlines() if " line " in x)
    assert "rule_id" in line1
    assert "required" in line1
    assert "detector" in line2
    assert "required" in line2
    assert "DeepAlert alert" in line3
    assert "deepalert," in line3


def test_inspect_says_when_the_filter_skipped_the_attribute(
        capsys: pytest.CaptureFixture[str]) -> None:
    """types=/contexts= filters: the inspector did not run, and the message says which."""
    code, out, err = run(capsys, "inspect", "--inspector", f"{ROLES}:geo", "--attr",
                         "domain:example.com")
    assert (code, out) == (0, "")
    assert "skipped" in err
    assert "types= filter (ipaddr)" in err
    assert "'domain'" in err
    code, out, err = run(capsys, "inspect", "--inspector", f"{ROLES}:remote_only", "--attr",
                         "ipaddr:192.0.2.1", "--context", "local")
    assert (code, out) == (0, "")
    assert "contexts= filter (remote)" in err
    assert "(local;" in err


# --- control characters ----------------------------------------------------------------------


def test_text_output_cannot_be_forged_by_report_fields(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    """A newline in rule_name or reason cannot start a line; ANSI escapes are shown, not sent."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({
        "detector": "ids\x1b[31m", "rule_id": "r",
        "rule_name": "ssh\nReport forged [published] SAFE: all good",
        "description": "x\x1b]0;title\x07", "alert_key": "k\r\n",
        "attributes": [{"type": "ipaddr", "key": "src\u2028", "value": "192.0.2.1\x9b2J",
                        "context": ["remote\n"]}]}) + "\n")
    code, out, _ = run(capsys, "run", str(path), "--reviewer", f"{ROLES}:forger", "--quiet")
    assert code == 0
    assert [x for x in out.splitlines() if x.startswith("Report ")] == [
        x for x in out.splitlines() if x.startswith("Report ") and "forged" not in x.split(
            "]")[0]]
    assert sum(x.startswith("Report ") for x in out.splitlines()) == 1
    for char in ("\x1b", "\x07", "\x9b", "\u2028", "\r"):
        assert char not in out
    assert "ssh\\nReport forged" in out
    assert "fine\\nReport forged [published] SAFE\\x1b[2J" in out


def test_error_lines_escape_the_keys_of_unrecognised_events(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An event's keys are quoted in the error; they cannot add lines or colour the terminal."""
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps({"\x1b[2Jevil\nforged line": 1}) + "\n")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 1
    assert "\x1b" not in err
    assert err.count("\n") == 2  # the error line and the summary
    assert "\\x1b[2Jevil\\nforged line" in err


# --- JSON lines and streaming ----------------------------------------------------------------


def test_json_lines_are_split_on_newline_only(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    """U+2028, U+2029 and U+0085 are valid inside JSON strings: the lines stay whole."""
    path = tmp_path / "seps.jsonl"
    text = "\n".join([alert("a", description="one\u2028two"),
                      alert("b", description="three\u2029four\x85five"),
                      alert("c")]) + "\n"
    path.write_bytes(text.encode("utf-8").replace(b"\\u2028", "\u2028".encode())
                     .replace(b"\\u2029", "\u2029".encode()).replace(b"\\u0085", "\x85".encode()))
    assert "\u2028".encode() in path.read_bytes()
    code, out, err = run(capsys, "convert", str(path))
    assert code == 0, err
    assert [json.loads(x)["description"] for x in out.split("\n") if x][:2] == [
        "one\u2028two", "three\u2029four\x85five"]


def test_a_gzip_bomb_stops_at_the_cap_after_the_records_before_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Decompression has a size cap: past it the file fails with one line, exit status 1,
    and what came before it was processed."""
    from deepalert.sources import _reading

    monkeypatch.setattr(_reading, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress((alert() + "\n").encode() + b" " * (16 << 20) + b"\n"))
    assert path.stat().st_size < 100_000
    code, _, err = run(capsys, "validate", str(path))
    assert code == 1
    assert f"{path}: cannot read: the gzip content is larger than the 1,048,576-byte cap" in err
    assert "1 valid, 1 invalid" in err


def test_files_are_streamed_not_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first events come out after reading a chunk or two, however long the input."""
    import io
    import sys

    from deepalert.sources import convert_file

    class Endless(io.RawIOBase):
        reads = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            Endless.reads += 1
            if Endless.reads > 20:  # long enough that reading it whole shows
                return 0
            line = (alert() + "\n").encode()
            data = line * (len(buffer) // len(line))
            buffer[:len(data)] = data
            return len(data)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    items = convert_file("-")
    for _ in range(3):
        assert next(items).alerts
    assert Endless.reads <= 3


def test_a_folder_that_cannot_be_listed_is_one_line_and_other_inputs_go_on(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreadable folder is reported by name; the files given next are still read."""
    folder = tmp_path / "locked"
    folder.mkdir()
    good = tmp_path / "a.jsonl"
    good.write_text(alert() + "\n")

    def refuse(self: Path, pattern: str) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "rglob", refuse)
    code, _, err = run(capsys, "validate", str(folder), str(good))
    assert code == 1
    assert f"{folder}: cannot list the folder: Permission denied" in err
    assert "1 valid, 1 invalid" in err


def test_a_store_failing_during_the_run_is_one_line(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A --db file that fails mid-run (disk full, locked) stops the run with one line naming
    it, status 1."""
    import sqlite3

    def full(self: LocalPipeline) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(LocalPipeline, "run", full)
    alerts = tmp_path / "a.jsonl"
    alerts.write_text(alert() + "\n")
    db = tmp_path / "r.db"
    code, _, err = run(capsys, "run", str(alerts), "--db", str(db))
    assert code == 1
    assert f"--db {db}: database or disk is full; the run stopped" in err
    assert len(err.strip().splitlines()) == 1


def test_a_report_the_fast_read_declines_is_still_published(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An alert body with a "status" key makes peek_report decline the report; the pipeline
    reads it whole instead of failing on an assertion (as Suricata EVE http events did)."""
    path = tmp_path / "a.jsonl"
    path.write_text(alert("a", body={"http": {"status": 200}, "status": "x"}) + "\n")
    code, out, err = run(capsys, "run", str(path), "--output", "json", "--emitter",
                         f"{ROLES}:remember")
    assert code == 0, err
    assert len(out.splitlines()) == 1
