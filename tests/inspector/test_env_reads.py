"""The cheap environment reads the handlers make at every invocation answer as os.environ."""

from __future__ import annotations

import os

import pytest

from deepalert._lambda import _env
from deepalert._lambda._env import getenv


@pytest.mark.parametrize("value", ["on", "", " DEBUG ", "h\u00e9llo", "\u65e5\u672c", "a\udc80b"])
def test_a_set_variable_reads_as_os_environ_reads_it(value: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPALERT_TEST_ENV", value)
    assert getenv("DEEPALERT_TEST_ENV") == os.environ.get("DEEPALERT_TEST_ENV") == value


def test_changes_take_effect_at_the_next_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPALERT_TEST_ENV", raising=False)
    assert getenv("DEEPALERT_TEST_ENV") is None
    monkeypatch.setenv("DEEPALERT_TEST_ENV", "1")
    assert getenv("DEEPALERT_TEST_ENV") == "1"
    monkeypatch.delenv("DEEPALERT_TEST_ENV")
    assert getenv("DEEPALERT_TEST_ENV") is None


def test_a_replaced_environ_is_read_through_its_get(monkeypatch: pytest.MonkeyPatch) -> None:
    """When os.environ is another object (a test's dict), that object answers."""
    monkeypatch.setattr(os, "environ", {"DEEPALERT_TEST_ENV": "replaced"})
    assert getenv("DEEPALERT_TEST_ENV") == "replaced"
    assert getenv("DEEPALERT_TEST_OTHER") is None


def test_without_the_direct_read_os_environ_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_env, "_DIRECT", False)
    monkeypatch.setenv("DEEPALERT_TEST_ENV", "x")
    assert getenv("DEEPALERT_TEST_ENV") == "x"
    assert getenv("DEEPALERT_TEST_OTHER") is None


def test_the_direct_read_is_taken_on_posix() -> None:
    """Guards the speed-up itself: on CPython under POSIX the dict is read directly."""
    if os.name != "posix":
        pytest.skip("POSIX only")
    assert _env._DIRECT
