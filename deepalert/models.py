"""DeepAlert's typed vocabulary: alerts, attributes, reports, findings and their contents.

Field names are the Go JSON names and fields come in Go struct order, which is the order of
keys on the wire. Every wire type reads and writes exactly the bytes the Go core does::

    alert = Alert.from_json(raw)          # bytes or str, as Go reads them
    raw == alert.to_json()                # for anything the Go core wrote

Building models in Python takes enum members or plain strings, and ``datetime`` or RFC 3339
text for times (a naive ``datetime`` is UTC). Strings the core does not restrict (attribute
types and contexts, severities, statuses) are kept as read, known or not.
"""

import functools
import operator
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
)
from pydantic_core import PydanticSerializationError, core_schema

from deepalert import _wire
from deepalert._enums import AttrContext, AttrType, ContentType, ReportStatus, Severity
from deepalert._wire import GoTime
from deepalert.errors import InvalidAlertError, WireError

if TYPE_CHECKING:
    from typing import TypeAlias

    # Created on first use (deepalert._findings, loaded by __getattr__ below); type checkers
    # see them here, and __all__ exports them.
    from deepalert._findings import (
        CONTENT_TYPES as CONTENT_TYPES,  # the core reads it from here
    )
    from deepalert._findings import (
        Content,
        ContentBinary,
        ContentHost,
        ContentUser,
        EntityActivity,
        EntityDomain,
        EntityMalware,
        EntityMalwareScan,
        EntitySoftware,
        EntityURL,
        Finding,
        ReportAttribute,
        Section,
        Task,
        TaskResult,
    )

__all__ = [
    "Alert",
    "AttrContext",
    "AttrType",
    "Attribute",
    "Content",
    "ContentBinary",
    "ContentHost",
    "ContentType",
    "ContentUser",
    "EntityActivity",
    "EntityDomain",
    "EntityMalware",
    "EntityMalwareScan",
    "EntitySoftware",
    "EntityURL",
    "Finding",
    "GoTime",
    "Report",
    "ReportAttribute",
    "ReportResult",
    "ReportStatus",
    "Section",
    "Severity",
    "Task",
    "TaskResult",
    "WireModel",
]


# ---------------------------------------------------------------------------------------------
# Field types


Time = GoTime
"""A Go ``time.Time`` field: always written; JSON ``null`` reads as the zero time (the rules
are :class:`GoTime`'s own pydantic schema)."""
TimeInput = Union[GoTime, datetime, str]
"""What a time field takes when building a model: a GoTime, a datetime (naive = UTC), or text."""

# omitempty: a nil or empty slice or pointer is left out. operator.not_ is exact for the
# list | None and GoTime | None fields it guards (a GoTime is never ""), and, being C, cheap.
_empty = operator.not_
# omitempty on an interface{} drops only a nil interface, not an empty value inside one.
_is_none = functools.partial(operator.is_, None)


def _omitempty(**kwargs: Any) -> Any:
    """A Go ``omitempty`` field: ``None`` or ``[]`` is left out of the JSON."""
    return Field(default=None, exclude_if=_empty, **kwargs)


# ---------------------------------------------------------------------------------------------
# The wire base


_M = TypeVar("_M", bound="WireModel")


class WireModel(BaseModel):
    """Base of every DeepAlert wire type: Go-exact ``from_json`` and ``to_json``."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=False,
        defer_build=True,
        validate_default=False,
        validate_assignment=True,
        frozen=False,
    )

    _sorted_any_fields: ClassVar[frozenset[str]] = frozenset()
    """``interface{}`` fields whose object keys Go writes sorted."""

    @classmethod
    def from_json(cls: type[_M], data: str | bytes | bytearray | memoryview) -> _M:
        """Read a message as the Go core reads it.

        Raises:
            WireError: the data is not JSON, or Go would fail to decode it into this type;
                the error names the type, the field path and what was expected.
        """
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        try:
            return cls.model_validate_json(data, context={_RAW: data})
        except ValidationError:
            return _decode_go(cls, data)  # the lenient decoder decides, and names the error

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Read a message that was already decoded from JSON (a Lambda event, say).

        The same rules as :meth:`from_json`: exact input is validated directly, anything else
        is read with Go's lenient rules.

        Raises:
            WireError: Go would fail to decode this message into this type.
        """
        try:
            return cls.model_validate(data)
        except ValidationError:
            import json

            try:
                try:
                    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
                except RecursionError:  # nested beyond Python's limit, not Go's
                    text = _wire.write_value(data, sort_keys=False)
            except (TypeError, ValueError) as exc:
                raise WireError(cls.__name__, "", "a JSON object", str(exc)) from None
            return _decode_go(cls, text)

    def to_json(self) -> str:
        """Write this message exactly as Go's ``json.Marshal`` would.

        Raises:
            WireError: a field holds a value Go could not read into its type (a field assigned
                after construction, a list changed in place); the error names the field.
        """
        tokens: dict[str, str] = {}
        try:
            # The serializer itself (model_dump_json adds a dozen keyword arguments' cost);
            # warnings="error": a value of the wrong type is refused, not written.
            text = self.__pydantic_serializer__.to_json(
                self, context={_FLOAT_TOKENS: tokens}, warnings="error").decode()
        except PydanticSerializationError as exc:
            if "UnicodeEncodeError" not in str(exc):
                raise self._write_error() from None
            # A str holding a lone surrogate (bytes that were not UTF-8, decoded in Python
            # with surrogateescape) cannot be UTF-8 encoded; write it as Go writes an
            # invalid byte, through the standard library writer.
            tokens.clear()
            try:
                value = self.model_dump(mode="json", warnings="error",
                                        context={_FLOAT_TOKENS: tokens, _ALL_FLOATS: True})
            except PydanticSerializationError:
                raise self._write_error() from None
            return _wire.write_prepared(value, tokens)
        if tokens:
            text = _wire.restore_floats(text, tokens)
        return _wire.go_escape(text)

    def _write_error(self) -> WireError:
        """The field at fault when this message cannot be written as Go would read it."""
        try:
            type(self).model_validate(self.model_dump(warnings=False))
        except ValidationError as exc:
            return _from_validation_error(type(self).__name__, exc)
        except Exception as exc:
            return WireError(type(self).__name__, "", "values of the field types",
                             type(exc).__name__)
        return WireError(type(self).__name__, "", "values of the field types",
                         "a value the writer refused")

    def to_bytes(self) -> bytes:
        """:meth:`to_json` as UTF-8 bytes, ready for a queue or a file."""
        return self.to_json().encode("utf-8")


_FLOAT_TOKENS = "deepalert.float_tokens"
_ALL_FLOATS = "deepalert.all_floats"
_RAW = "deepalert.raw"
_NEGATIVE_ZERO = "deepalert.negative_zero"


def _normalize_any(value: Any, info: core_schema.ValidationInfo, *, sort_keys: bool) -> Any:
    context = info.context
    if isinstance(context, dict) and _RAW in context:
        # Read by pydantic-core from JSON text, where it has already refused what JSON cannot
        # hold, except NaN and infinities (floats, checked below) and a -0 whose sign it lost.
        negative_zero = context.get(_NEGATIVE_ZERO)
        if negative_zero is None:
            negative_zero = context[_NEGATIVE_ZERO] = _wire.has_negative_zero(context[_RAW])
        if negative_zero:
            raise ValueError("-0 is read by the lenient reader")
        if not _wire.needs_number_work(value):
            return value  # nothing float64 would change; keys are sorted when written
    if isinstance(value, WireModel):
        value = value.model_dump(mode="json")
    return _wire.normalize_json_value(value, sort_keys=sort_keys, path=info.field_name or "")


def _serialize_any(value: Any, info: core_schema.SerializationInfo, sort_keys: bool) -> Any:
    if value is None:
        return None
    if info.mode_is_json():
        context = info.context
        tokens = context.get(_FLOAT_TOKENS) if isinstance(context, dict) else None
        if tokens is not None and isinstance(context, dict):
            return _wire.protect_floats(value, tokens, sort_keys,
                                        all_floats=bool(context.get(_ALL_FLOATS)))
        return _wire.normalize_json_value(value, sort_keys=sort_keys)
    return value


class _AnyJsonAnnotation:
    """pydantic glue for an ``interface{}`` field (``Alert.body``, ``Finding.content``).

    The after-validator and plain serializer a ``field_validator``/``field_serializer`` pair
    would add, built with the model's schema on first use instead of by decorators (and the
    pydantic module that defines them) at import.
    """

    __slots__ = ("_sort_keys",)

    def __init__(self, *, sort_keys: bool) -> None:
        self._sort_keys = sort_keys

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(
            functools.partial(_normalize_any, sort_keys=self._sort_keys),
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(
                functools.partial(_serialize_any, sort_keys=self._sort_keys), info_arg=True),
        )


AnyJSON = Annotated[Any, _AnyJsonAnnotation(sort_keys=False)]
"""A Go ``interface{}`` field: any JSON value, numbers as float64 holds them, keys in order."""
SortedAnyJSON = Annotated[Any, _AnyJsonAnnotation(sort_keys=True)]
"""A Go ``interface{}`` field whose objects Go writes with sorted keys (it holds a map)."""


class _Deferred:
    """pydantic glue for a field whose type names classes of :mod:`deepalert._findings`.

    ``import deepalert`` does not create those classes (see that module). A field typed
    ``Annotated[Any, _Deferred("list[Section] | None", lambda: list[Section] | None)]``
    loads them when its model's schema is built, by whatever builds it first (the model's
    first use, a TypeAdapter, a model holding it), and is validated and written exactly as
    the type the function returns. Type checkers see the real type (a ``TypeAlias``).
    """

    __slots__ = ("_resolve", "_text")

    def __init__(self, text: str, resolve: Callable[[], Any]) -> None:
        self._text = text
        self._resolve = resolve

    def __repr__(self) -> str:
        return f"deferred({self._text})"

    def resolve(self) -> Any:
        """The field's real type (loads :mod:`deepalert._findings` first)."""
        _load_findings()
        return self._resolve()

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return handler(self.resolve())


def _load_findings() -> None:
    """Create the classes of :mod:`deepalert._findings` and make them names of this module."""
    if "Section" not in globals():
        from deepalert import _findings

        globals().update({name: getattr(_findings, name) for name in _findings.__all__})


# ---------------------------------------------------------------------------------------------
# Alerts and attributes


class Attribute(WireModel):
    """Something in an alert worth investigating: an IP address, a domain, a user, a hash."""

    if TYPE_CHECKING:
        def __init__(self, *, type: str = "", key: str = "", value: str = "",
                     context: list[str] | None = None,
                     timestamp: TimeInput | None = None) -> None: ...

    type: str = ""
    """The kind of value, an :class:`AttrType` such as ``ipaddr``; other strings are kept."""
    key: str = ""
    """What the value is in the alert, such as ``"source address"`` (at most 1024 bytes)."""
    value: str = ""
    """The value itself (at most 1024 bytes)."""
    context: list[str] | None = None
    """:class:`AttrContext` values; ``None`` is written ``null`` and ``[]`` as ``[]``."""
    timestamp: Time | None = _omitempty()
    """When the value was seen; left out of the JSON when ``None``."""

    def hash(self, *, legacy_escapes: bool = False) -> str:
        """The Go core's ``Attribute.Hash()``: SHA-256 over the JSON with sorted context.

        Args:
            legacy_escapes: hash as a core built with Go before 1.22 does (``\\b`` and
                ``\\f`` written ``\\u0008``/``\\u000c``).
        """
        text = self._hash_text()
        if legacy_escapes:
            text = _wire.legacy_escapes(text)
        return _wire.hash_hex(text)

    def _hash_text(self) -> str:
        context = self.context
        if context is None or context == sorted(context):
            return self.to_json()
        return self.model_copy(update={"context": sorted(context)}).to_json()

    def has_context(self, *contexts: str) -> bool:
        """True when every one of ``contexts`` is in this attribute's context."""
        have = self.context or ()
        return all(c in have for c in contexts)

    def match(self, type: str | None = None, *contexts: str) -> bool:
        """True when the type matches (if given) and every context is present."""
        return (type is None or self.type == type) and self.has_context(*contexts)


class Alert(WireModel):
    """An alert from a detector, the unit the core groups into reports."""

    if TYPE_CHECKING:
        def __init__(self, *, detector: str = "", rule_name: str = "", rule_id: str = "",
                     alert_key: str = "", description: str = "",
                     timestamp: TimeInput | None = None,
                     attributes: list[Attribute] | None = None, body: Any = None) -> None: ...

    _sorted_any_fields: ClassVar[frozenset[str]] = frozenset({"body"})

    detector: str = ""
    """Who raised the alert, such as ``guardduty`` (required, at most 1024 bytes)."""
    rule_name: str = ""
    """Human-readable rule name (at most 1024 bytes; not part of the AlertID)."""
    rule_id: str = ""
    """Rule identifier (required, at most 1024 bytes; part of the AlertID)."""
    alert_key: str = ""
    """Groups alerts of one rule into one report (at most 1024 bytes; part of the AlertID)."""
    description: str = ""
    """Free text (at most 4096 bytes)."""
    timestamp: Time = _wire.ZERO_TIME
    """When the alert happened; Go's zero time when the sender gave none."""
    attributes: list[Attribute] | None = None
    """What to investigate (at most 100); ``None`` is written ``null``."""
    body: SortedAnyJSON = Field(default=None, exclude_if=_is_none)
    """Any JSON value (at most 64 KiB as Go writes it); numbers are float64, keys sorted."""

    def alert_id(self) -> str:
        """The Go core's ``AlertID()``: ``alert:`` + sha256 of detector, rule_id and alert_key."""
        import base64

        def b64(text: str) -> str:
            return base64.b64encode(text.encode("utf-8")).decode("ascii")

        joined = f"{b64(self.detector)}:{b64(self.rule_id)}:{b64(self.alert_key)}"
        return "alert:" + _wire.hash_hex(joined)

    def validate_limits(self) -> None:
        """Check the limits of the Go core's ``Alert.Validate()``, counted in bytes.

        Raises:
            InvalidAlertError: naming the field and the limit it broke.
        """
        for name in ("detector", "rule_id"):
            if not getattr(self, name):
                raise InvalidAlertError(name, "required", f"alert {name} is required (empty)")
        for name, limit in (("detector", 1024), ("rule_id", 1024), ("rule_name", 1024),
                            ("alert_key", 1024), ("description", 4096)):
            _check_bytes(name, getattr(self, name), limit)
        attributes = self.attributes or []
        if len(attributes) > 100:
            raise InvalidAlertError("attributes", "100 entries",
                                    f"alert has {len(attributes)} attributes, more than 100")
        for i, attr in enumerate(attributes):
            _check_bytes(f"attributes[{i}].key", attr.key, 1024)
            _check_bytes(f"attributes[{i}].value", attr.value, 1024)
        if self.body is not None:
            size = len(_wire.go_dumps(self.body).encode("utf-8"))
            if size > 65536:
                raise InvalidAlertError(
                    "body", "65536 bytes",
                    f"alert body is {size} bytes as Go writes it, more than 65536")


def _check_bytes(name: str, value: str, limit: int) -> None:
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InvalidAlertError(name, f"{limit} bytes",
                                f"alert {name} is {size} bytes, more than {limit}")


# ---------------------------------------------------------------------------------------------
# Reports, findings, tasks


class ReportResult(WireModel):
    """A reviewer's decision: a severity and the reason for it."""

    severity: str = ""
    """A :class:`Severity`; ``""`` means no decision (the core publishes ``unclassified``)."""
    reason: str = ""
    """Why, in words, for the people reading the report."""

    @classmethod
    def of(cls, severity: Severity | str, reason: str = "") -> "ReportResult":
        """Shorthand for ``ReportResult(severity=..., reason=...)``."""
        return cls(severity=severity, reason=reason)


if TYPE_CHECKING:
    _Sections: TypeAlias = "list[Section] | None"
else:  # Section and what it holds are created when Report's schema is built
    _Sections = Annotated[Any, _Deferred("list[Section] | None", lambda: list[Section] | None)]


class Report(WireModel):
    """The alerts of one AlertID within three hours, their attributes and findings."""

    if TYPE_CHECKING:
        def __init__(self, *, id: str = "", alerts: list[Alert] | None = None,
                     attributes: list[Attribute] | None = None,
                     sections: list[Section] | None = None,
                     result: ReportResult = ..., status: str = "",
                     created_at: TimeInput | None = None) -> None: ...

    id: str = ""
    """The report ID, a UUID chosen by the core."""
    alerts: list[Alert] | None = None
    """The alerts folded into the report, in no particular order; ``None`` is written ``null``."""
    attributes: list[Attribute] | None = None
    """Alert attributes and inspector-found attributes, each once."""
    sections: _Sections = None
    """Findings grouped by attribute, sorted by attribute hash."""
    result: ReportResult = Field(default_factory=ReportResult)
    """The reviewer's result; empty until the report is reviewed (always an object)."""
    status: str = ""
    """A :class:`ReportStatus`: ``new``, ``more`` or ``published``."""
    created_at: Time = _wire.ZERO_TIME
    """When the report was opened (the core writes whole seconds)."""

    def iter_contents(self) -> "Iterator[tuple[Attribute, Content]]":
        """Every (attribute, content) pair across all sections."""
        for section in self.sections or ():
            for content in [*(section.hosts or ()), *(section.users or ()),
                            *(section.binaries or ())]:
                yield section.attr, content

    # Reading helpers for reviewers and emitters. ``type`` and ``contexts`` filter the
    # attribute as :meth:`Attribute.match` does (no filter: every attribute).

    def hosts(self, type: str | None = None, *contexts: str
              ) -> "Iterator[tuple[Attribute, ContentHost]]":
        """Every host content with the attribute it is about, such as ``("ipaddr", "remote")``.

        Example::

            for attr, host in report.hosts(AttrType.IPADDR, AttrContext.REMOTE):
                ...
        """
        for section in self.sections or ():
            if section.attr.match(type, *contexts):
                yield from ((section.attr, host) for host in section.hosts or ())

    def users(self, type: str | None = None, *contexts: str
              ) -> "Iterator[tuple[Attribute, ContentUser]]":
        """Every user content with the attribute it is about (filtered like :meth:`hosts`)."""
        for section in self.sections or ():
            if section.attr.match(type, *contexts):
                yield from ((section.attr, user) for user in section.users or ())

    def binaries(self, type: str | None = None, *contexts: str
                 ) -> "Iterator[tuple[Attribute, ContentBinary]]":
        """Every binary content with the attribute it is about (filtered like :meth:`hosts`)."""
        for section in self.sections or ():
            if section.attr.match(type, *contexts):
                yield from ((section.attr, binary) for binary in section.binaries or ())

    def find_attributes(self, type: str | None = None, *contexts: str) -> list[Attribute]:
        """The report's and its alerts' attributes of this type with every one of these contexts.

        Each attribute comes once (same type, key, value and context), report attributes first.
        """
        found: dict[tuple[str, str, str, tuple[str, ...]], Attribute] = {}
        for attr in [*(self.attributes or ()),
                     *(a for alert in self.alerts or () for a in alert.attributes or ())]:
            if attr.match(type, *contexts):
                found.setdefault((attr.type, attr.key, attr.value,
                                  tuple(sorted(attr.context or ()))), attr)
        return list(found.values())

    def alerts_by_rule(self, *rule_ids: str) -> list[Alert]:
        """The alerts with one of these rule IDs, in report order; the others are skipped.

        A report can mix rules: pick the alerts a policy knows rather than giving up at the
        first one it does not (the Go example reviewer's mistake).
        """
        return [alert for alert in self.alerts or () if alert.rule_id in rule_ids]


# The names of deepalert._findings (public here), created on first use.
_FINDINGS = frozenset({
    "CONTENT_TYPES", "Content", "ContentBinary", "ContentHost", "ContentUser", "EntityActivity",
    "EntityDomain", "EntityMalware", "EntityMalwareScan", "EntitySoftware", "EntityURL",
    "Finding", "ReportAttribute", "Section", "Task", "TaskResult",
})


def __dir__() -> list[str]:
    return sorted(set(globals()) | _FINDINGS)


# ReportHead and peek_report (internal models) live in deepalert/_peek.py, loaded on first use.
if TYPE_CHECKING:
    from deepalert._peek import ReportHead as ReportHead
    from deepalert._peek import peek_report as peek_report


def __getattr__(name: str) -> Any:
    if name in _FINDINGS:
        _load_findings()
        return globals()[name]
    if name in ("ReportHead", "peek_report"):
        from deepalert import _peek

        return getattr(_peek, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# The lenient decoder: Go's field matching, zero values and errors

_Kind = tuple[str, Any]
_SPECS: dict[type[WireModel], dict[str, tuple[str, _Kind]]] = {}


def _kind_of(annotation: Any) -> _Kind:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        deferred = [m for m in annotation.__metadata__ if isinstance(m, _Deferred)]
        return _kind_of(deferred[0].resolve() if deferred else args[0])
    if annotation is str:
        return ("str", None)
    if annotation is bool:
        return ("bool", None)
    if annotation is GoTime:
        return ("time", None)
    if annotation is Any:
        return ("any", None)
    if isinstance(annotation, type) and issubclass(annotation, WireModel):
        return ("model", annotation)
    if origin in (Union, getattr(__import__("types"), "UnionType", Union)):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            kind = _kind_of(inner[0])
            if kind[0] == "time":
                return ("opt_time", None)
            if kind[0] == "model":
                return ("opt_model", kind[1])
            return kind
    if origin is list:
        return ("list", _kind_of(args[0]))
    raise TypeError(f"no Go kind for {annotation!r}")  # pragma: no cover - a bug in models


def _spec(model: type[WireModel]) -> dict[str, tuple[str, _Kind]]:
    """Folded JSON name -> (field name, kind), built once per model."""
    spec = _SPECS.get(model)
    if spec is None:
        hints = typing.get_type_hints(model, include_extras=True)
        spec = {_wire.fold_name(name): (name, _kind_of(hints[name]))
                for name in model.model_fields}
        _SPECS[model] = spec
    return spec


_TIME_EXPECTED = "an RFC 3339 time such as 2006-01-02T15:04:05Z"


def _describe(value: Any) -> str:
    if isinstance(value, (_wire.Pairs, dict)):
        return "object"
    return {str: "string", bool: "boolean", int: "number", float: "number", list: "array",
            type(None): "null", _wire.OutOfRange: "number"}.get(type(value), type(value).__name__)


def _decode_value(model: type[WireModel], value: Any, type_name: str) -> WireModel:
    fields = _conform_object(model, value, type_name, "")
    try:
        return model.model_validate(fields)
    except ValidationError as exc:  # pragma: no cover - conform checks every field
        raise _from_validation_error(type_name, exc) from None


def _decode_go(model: type[_M], data: str | bytes) -> _M:
    type_name = model.__name__
    try:
        value = _wire.go_loads(data, pairs=True)
    except ValueError as exc:
        raise WireError(type_name, "", "valid JSON", str(exc)) from None
    if value is None:
        return model()  # Go: unmarshalling null into a struct leaves it unchanged
    fields = _conform_object(model, value, type_name, "")
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise _from_validation_error(type_name, exc) from None


def _conform_object(model: type[WireModel], value: Any, type_name: str, path: str,
                    into: dict[str, Any] | None = None) -> dict[str, Any]:
    if isinstance(value, _wire.Pairs):
        pairs: list[tuple[str, Any]] = value
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise WireError(type_name, path, "an object", _describe(value))
    spec = _spec(model)
    out: dict[str, Any] = {} if into is None else into
    for key, item in pairs:
        entry = spec.get(_wire.fold_name(key))
        if entry is None:
            continue  # Go ignores unknown keys
        name, kind = entry
        sub = f"{path}.{name}" if path else name
        out[name] = _conform(kind, item, out.get(name), type_name, sub, model, name)
    return out


def _conform(kind: _Kind, value: Any, previous: Any, type_name: str, path: str,
             model: type[WireModel] | None = None, field: str | None = None) -> Any:
    tag, arg = kind
    if value is None:
        if tag in ("str", "bool", "model"):
            return previous if previous is not None else _zero(tag, arg)
        if tag == "time":  # time.Time.UnmarshalJSON ignores null
            return previous if previous is not None else _wire.ZERO_TIME
        return None
    if tag == "str":
        if not isinstance(value, str):
            raise WireError(type_name, path, "a string", _describe(value))
        return value
    if tag == "bool":
        if not isinstance(value, bool):
            raise WireError(type_name, path, "true or false", _describe(value))
        return value
    if tag in ("time", "opt_time"):
        if not isinstance(value, str):
            raise WireError(type_name, path, _TIME_EXPECTED, _describe(value))
        try:
            return GoTime.parse(value)
        except ValueError as exc:
            raise WireError(type_name, path, _TIME_EXPECTED, f"{_time_text(value)} ({exc})"
                            ) from None
    if tag in ("model", "opt_model"):
        base = previous if isinstance(previous, dict) else None
        return _conform_object(arg, value, type_name, path, into=base)
    if tag == "list":
        if not isinstance(value, list) or isinstance(value, _wire.Pairs):
            raise WireError(type_name, path, f"an array ({_element_name(arg)})",
                            _describe(value))
        # Go decodes a repeated key's array into the slice it already filled: element i
        # of a struct slice merges into the earlier element i.
        old = previous if isinstance(previous, list) else ()
        return [
            _conform(arg, item, old[i] if i < len(old) else None, type_name, f"{path}[{i}]")
            for i, item in enumerate(value)
        ]
    if tag == "any":
        sort_keys = model is not None and field in model._sorted_any_fields
        try:
            return _wire.normalize_json_value(value, sort_keys=sort_keys)
        except ValueError as exc:
            raise WireError(type_name, path, "a JSON value", str(exc)) from None
    raise AssertionError(tag)  # pragma: no cover


_TIME_LIKE = r"[0-9TZtz:.,+\- ]{0,40}"  # compiled on first use (re's cache), not at import


def _time_text(value: str) -> str:
    """The text of a time Go refused, quoted only when it can hold nothing but a time (an
    error text must not carry a secret someone put where a time belongs)."""
    if re.fullmatch(_TIME_LIKE, value):
        return repr(value)
    return f"a string of {len(value)} characters"


def _element_name(kind: _Kind) -> str:
    tag, arg = kind
    if tag == "model":
        return f"of {arg.__name__} objects"
    return {"str": "of strings", "time": "of times"}.get(tag, "")


def _zero(tag: str, arg: Any) -> Any:
    if tag == "str":
        return ""
    if tag == "bool":
        return False
    return {}  # a zero struct: every field takes its default


def _from_validation_error(type_name: str, exc: ValidationError) -> WireError:
    error = exc.errors(include_url=False)[0]
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    message = error["msg"]
    return WireError(type_name, path, message.removeprefix("Input should be "))

