"""What a failed AWS call is reported as: its error code, never its text."""

from __future__ import annotations

from typing import Any

import pytest

from deepalert._lambda._aws import describe_failure, error_code


class FakeClientError(Exception):
    """The shape of botocore's ClientError: the service's answer in ``response``."""

    def __init__(self, response: Any) -> None:
        super().__init__("An error occurred: the table key was sk=secret-value")
        self.response = response


@pytest.mark.parametrize(("exc", "code", "described"), [
    (FakeClientError({"Error": {"Code": "ConditionalCheckFailedException"}}),
     "ConditionalCheckFailedException", "ConditionalCheckFailedException"),
    (FakeClientError({"Error": {"Code": ""}}), None, "FakeClientError"),
    (FakeClientError({"Error": "Throttling"}), None, "FakeClientError"),
    (FakeClientError(None), None, "FakeClientError"),
    (TimeoutError("read timed out"), None, "TimeoutError"),
])
def test_the_code_or_the_class_is_named_and_the_text_never(exc: BaseException, code: str | None,
                                                            described: str) -> None:
    assert error_code(exc) == code
    assert describe_failure(exc) == described
    assert "secret-value" not in described
