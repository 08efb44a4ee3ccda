"""From what an inspector returns to the messages the core reads.

Each content becomes one Finding, checked against the Go struct it must decode into before
anything is sent; new attributes become one ReportAttribute. Every message is written by the
wire codec, and the task attribute is the parsed one, re-emitted byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from deepalert.errors import ContentError, WireError
from deepalert.models import (
    Attribute,
    ContentBinary,
    ContentHost,
    ContentUser,
    Finding,
    ReportAttribute,
    TaskResult,
    WireModel,
)

__all__ = [
    "InspectorOutput",
    "describe_attribute",
    "finding_body",
    "normalize_output",
    "report_attribute_body",
]

InspectorOutput = Union[
    TaskResult,
    ContentHost,
    ContentUser,
    ContentBinary,
    Sequence[Union[ContentHost, ContentUser, ContentBinary, Attribute]],
    None,
]
"""What an inspector may return: a TaskResult, one content, a list of contents and new
attributes, or ``None`` (nothing found)."""

_CONTENTS = (ContentHost, ContentUser, ContentBinary)
_Content = Union[ContentHost, ContentUser, ContentBinary]
_RETURN_HINT = ("return a TaskResult, one content (ContentHost, ContentUser, ContentBinary), "
                "a list of contents and new Attributes, or None")
# Characters SQS refuses in a message body that Go's JSON writer leaves unescaped.
_SQS_FORBIDDEN = ("\ufffe", "\uffff")


def describe_attribute(attr: Attribute) -> str:
    """A short description of an attribute for error messages: ``ipaddr 'src'='10.0.0.1'``."""
    value = attr.value if len(attr.value) <= 80 else attr.value[:80] + "…"
    key = attr.key if len(attr.key) <= 80 else attr.key[:80] + "…"
    return f"{attr.type} {key!r}={value!r}"


def normalize_output(value: object, author: str
                     ) -> tuple[Sequence[_Content], Sequence[Attribute]]:
    """Split an inspector's return value into (contents, new attributes).

    Raises:
        ContentError: the value is of none of the accepted shapes.
    """
    if value is None:
        return (), ()
    if isinstance(value, TaskResult):
        return value.contents, value.new_attributes
    if isinstance(value, _CONTENTS):
        return (value,), ()
    if isinstance(value, (list, tuple)):
        contents: list[_Content] = []
        attributes: list[Attribute] = []
        for i, item in enumerate(value):
            if isinstance(item, _CONTENTS):
                contents.append(item)
            elif isinstance(item, Attribute):
                attributes.append(item)
            else:
                raise ContentError(
                    f"inspector {author!r} returned a list whose item {i} is a "
                    f"{type(item).__name__}; {_RETURN_HINT}")
        return contents, attributes
    raise ContentError(f"inspector {author!r} returned a {type(value).__name__}; {_RETURN_HINT}")


def _check_size(text: str, what: str, author: str, attr: Attribute, limit: int) -> None:
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    if size > limit:
        raise ContentError(
            f"{what} from inspector {author!r} for attribute {describe_attribute(attr)} is "
            f"{size} bytes, over the {limit}-byte message limit; return less, or raise "
            "max_message_bytes= (SQS allows up to 1048576)")
    for char in _SQS_FORBIDDEN:
        if char in text:
            raise ContentError(
                f"{what} from inspector {author!r} for attribute {describe_attribute(attr)} "
                f"contains U+{ord(char):04X}, which SQS refuses in a message")


_Typed = tuple[type[WireModel], type[BaseModel], str]
_typed_models: dict[type[WireModel], _Typed] = {}


def _build_typed_models() -> None:
    """Define the private models the first time a finding is written, not at import.

    The Finding with its content typed, so pydantic-core writes it natively
    (``Finding.content`` is Go's ``interface{}`` and is walked in Python): same fields, same
    order, same codec (``WireModel.to_json``), identical bytes. And read-back checks that
    decode only the content into its struct, as the core's compileReport will.
    """

    def typed(content: type[WireModel]) -> _Typed:
        finding = create_model(
            f"_{content.__name__}Finding", __base__=WireModel,
            report_id=(str, ""), author=(str, ""),
            attribute=(Attribute, Field(default_factory=Attribute)), type=(str, ""),
            content=(content, Field(default_factory=content)))
        check = create_model(f"_{content.__name__}Check",
                             __config__=ConfigDict(extra="ignore"), content=(content, ...))
        return finding, check, content.content_type.value  # type: ignore[attr-defined]

    _typed_models.update({model: typed(model) for model in (ContentHost, ContentUser,
                                                             ContentBinary)})


def _typed_for(content: object) -> _Typed | None:
    if not _typed_models:
        _build_typed_models()
    typed = _typed_models.get(type(content))  # type: ignore[arg-type]
    if typed is None:
        for model, entry in _typed_models.items():
            if isinstance(content, model):
                return entry
    return typed


def finding_body(report_id: str, author: str, attr: Attribute, content: object, index: int,
                 max_bytes: int) -> str:
    """The Finding message for one content, checked as the core will decode it.

    Raises:
        ContentError: the content is not a content type, would not decode into its Go
            struct, or the message is over ``max_bytes``.
    """
    typed = _typed_for(content)
    if typed is None:
        raise ContentError(
            f"content {index} from inspector {author!r} for attribute "
            f"{describe_attribute(attr)} is a {type(content).__name__}; use ContentHost, "
            "ContentUser or ContentBinary")
    finding_model, check_model, content_type = typed
    assert isinstance(content, WireModel)
    try:
        # Validated, not constructed: the instances pass through as they are, and it is faster.
        finding: WireModel = finding_model.__pydantic_validator__.validate_python({
            "report_id": report_id, "author": author, "attribute": attr,
            "type": content_type, "content": content})
        body = finding.to_json()
    except Exception as exc:  # a field assigned a value of the wrong type
        raise _content_error(author, attr, content, index, exc) from None
    try:
        # pydantic-core reads the content back as its struct; when it refuses, the lenient
        # decoder, which follows Go exactly, has the last word and names the field.
        check_model.model_validate_json(body)
    except ValidationError:
        try:
            Finding.from_json(body).parsed_content()
        except WireError as exc:
            raise _content_error(author, attr, content, index, exc) from None
    size = len(body) if body.isascii() else len(body.encode("utf-8"))
    if size > max_bytes or "\ufffe" in body or "\uffff" in body:
        _check_size(body, "a finding", author, attr, max_bytes)
    return body


def _content_error(author: str, attr: Attribute, content: WireModel, index: int,
                   exc: Exception) -> ContentError:
    name = type(content).__name__
    detail = str(exc) if isinstance(exc, WireError) else f"{type(exc).__name__}: {exc}"
    return ContentError(
        f"content {index} from inspector {author!r} for attribute {describe_attribute(attr)} "
        f"would not decode into Go's {name}: {detail}")


def report_attribute_body(report_id: str, author: str, attr: Attribute,
                          new_attributes: Sequence[Attribute], max_bytes: int) -> str:
    """The ReportAttribute message for the new attributes of one task.

    A new attribute without a timestamp gets the task attribute's timestamp.

    Raises:
        ContentError: an item is not an Attribute, the message would not decode, or it is
            over ``max_bytes``.
    """
    filled: list[Attribute] = []
    for i, new in enumerate(new_attributes):
        if not isinstance(new, Attribute):
            raise ContentError(
                f"new attribute {i} from inspector {author!r} for attribute "
                f"{describe_attribute(attr)} is a {type(new).__name__}; use Attribute")
        if new.timestamp is None and attr.timestamp is not None:
            new = new.model_copy(update={"timestamp": attr.timestamp})
        filled.append(new)
    message = ReportAttribute.model_construct(
        report_id=report_id, author=author, origin_attr=attr, attributes=filled)
    try:
        body = message.to_json()
        ReportAttribute.from_json(body)
    except Exception as exc:
        raise ContentError(
            f"new attributes from inspector {author!r} for attribute "
            f"{describe_attribute(attr)} cannot be written as Go's ReportAttribute: "
            f"{type(exc).__name__}: {exc}") from None
    _check_size(body, "new attributes", author, attr, max_bytes)
    return body
