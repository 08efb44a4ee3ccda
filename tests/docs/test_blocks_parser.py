"""The documentation test's own rules: how blocks, markers and commands are read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.docs import _blocks
from tests.docs._blocks import Block, blocks, commands, expected_output, load_yaml, problems


def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> list[Block]:
    monkeypatch.setattr(_blocks, "ROOT", tmp_path)
    path = tmp_path / "docs" / "page.md"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return blocks(path)


def test_blocks_markers_and_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = page(tmp_path, monkeypatch, (
        "# Title\n\n```python\nx = 1\n```\n\n<!-- partial -->\n```python\ny: int\n```\n\n"
        "<!-- no-run: needs AWS -->\n```console\n$ aws s3 ls\n```\n\n````text\n```\n````\n"))
    assert [(b.lang, b.line, b.marker, b.reason) for b in found] == [
        ("python", 4, None, ""), ("python", 9, "partial", ""),
        ("console", 14, "no-run", "needs AWS"), ("text", 18, None, "")]
    assert found[0].where == "docs/page.md:4"
    assert found[3].code == "```\n"  # a longer fence holds a shorter one
    assert [problems(b) for b in found] == [[], [], [], []]


@pytest.mark.parametrize(("text", "words"), [
    ("```\nplain\n```\n", "without a language"),
    ("```rust\nfn main() {}\n```\n", "unknown language 'rust'"),
    ("<!-- skip -->\n```python\nx = 1\n```\n", "unknown marker <!-- skip -->"),
    ("<!-- no-run -->\n```console\n$ ls\n```\n", "needs a reason"),
    ("<!-- partial -->\n```console\n$ ls\n```\n", "<!-- partial --> is for Python blocks"),
    ("<!-- no-run: x -->\n```json\n{}\n```\n", "never run"),
])
def test_bad_blocks_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                              words: str) -> None:
    [block] = page(tmp_path, monkeypatch, text)
    [problem] = problems(block)
    assert problem.startswith("docs/page.md:")
    assert words in problem


def test_an_unclosed_fence_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="never closed"):
        page(tmp_path, monkeypatch, "```python\nx = 1\n")


def test_commands_with_prompts_continuations_and_output() -> None:
    block = Block(page="p.md", line=10, lang="console", code=(
        "$ deepalert run a \\\n    --quiet\n$ echo hi   # says hi\nhi\n"))
    first, second = commands(block)
    assert (first.text, first.line, first.output) == ("deepalert run a  --quiet", 10, [])
    assert (second.text, second.line, second.output) == ("echo hi   # says hi", 12, ["hi"])
    assert expected_output(first) is None
    pattern = expected_output(second)
    assert pattern is not None
    assert pattern.fullmatch("hi")


def test_commands_without_prompts_are_one_a_line() -> None:
    block = Block(page="p.md", line=1, lang="console", code="ls\n\npwd\n")
    assert [c.text for c in commands(block)] == ["ls", "pwd"]


def test_an_ellipsis_in_shown_output_matches_any_text() -> None:
    block = Block(page="p.md", line=1, lang="console",
                  code='$ cmd\n{"id": "…", "n": 3}\n…\n')
    [command] = commands(block)
    pattern = expected_output(command)
    assert pattern is not None
    assert pattern.fullmatch('{"id": "abc", "n": 3}\nmore\nlines')
    assert not pattern.fullmatch('{"id": "abc", "n": 4}\nmore')


def test_yaml_blocks_may_use_cloudformation_tags_and_nothing_else() -> None:
    [doc] = load_yaml("Fn:\n  Role: !GetAtt Role.Arn\n  Url: !Ref Queue\n"
                      "  Name: !Sub [\"${A}-x\", {A: !Ref B}]\n")
    assert doc == {"Fn": {"Role": {"GetAtt": "Role.Arn"}, "Url": {"Ref": "Queue"},
                          "Name": {"Sub": ["${A}-x", {"A": {"Ref": "B"}}]}}}
    with pytest.raises(yaml.YAMLError, match="!Reff"):
        load_yaml("Url: !Reff Queue\n")
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [1, 2\n")
