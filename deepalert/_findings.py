"""The models ``import deepalert`` does not create: findings and what they hold.

Section, the contents and entities an inspector reports, and the Finding, Task,
ReportAttribute and TaskResult messages live here, and are created the first time anything
asks for one of them: importing ``deepalert`` (for ``Alert``, ``Report``, ``Attribute``)
skips 14 pydantic class creations (about 1.7 M instructions each, even with
``defer_build``). Their public home is :mod:`deepalert.models`, whose module ``__getattr__``
loads this module; ``Report.sections`` names ``Section`` through ``deepalert.models._Deferred``,
which loads it when Report's schema is first built. Each class says it comes from
``deepalert.models`` (its ``__module__``), so reprs and pickles name the public module.
"""

import typing
from typing import TYPE_CHECKING, ClassVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deepalert import _wire
from deepalert._enums import ContentType
from deepalert.models import (
    AnyJSON,
    Attribute,
    Time,
    WireModel,
    _decode_value,
    _omitempty,
)

if TYPE_CHECKING:
    from deepalert.models import TimeInput

__all__ = [
    "CONTENT_TYPES",
    "Content",
    "ContentBinary",
    "ContentHost",
    "ContentUser",
    "EntityActivity",
    "EntityDomain",
    "EntityMalware",
    "EntityMalwareScan",
    "EntitySoftware",
    "EntityURL",
    "Finding",
    "ReportAttribute",
    "Section",
    "Task",
    "TaskResult",
]


# ---------------------------------------------------------------------------------------------
# Entities and contents


class EntityActivity(WireModel):
    """Something an entity did, such as a login."""

    if TYPE_CHECKING:
        def __init__(self, *, service_name: str = "", remote_addr: str = "",
                     principal: str = "", action: str = "", target: str = "",
                     last_seen: TimeInput | None = None) -> None: ...

    service_name: str = ""
    """The service the activity happened in, such as ``sshd`` or ``AWS console``."""
    remote_addr: str = ""
    """The address the activity came from."""
    principal: str = ""
    """Who acted: a user or role name."""
    action: str = ""
    """What was done, such as ``login``."""
    target: str = ""
    """What it was done to."""
    last_seen: Time = _wire.ZERO_TIME
    """When it was last seen; always written (Go's zero time when unset)."""


class EntityMalwareScan(WireModel):
    """One scanner's verdict on a sample."""

    vendor: str = ""
    """The scanner's vendor."""
    name: str = ""
    """The name the scanner gives the sample."""
    positive: bool = Field(default=False, strict=True)
    """Whether the scanner flags the sample as malicious (a JSON bool, never a string)."""
    source: str = ""
    """Where the verdict came from, such as a threat intelligence service."""


class EntityMalware(WireModel):
    """A malware sample related to an entity."""

    if TYPE_CHECKING:
        def __init__(self, *, sha256: str = "", timestamp: TimeInput | None = None,
                     scans: list[EntityMalwareScan] | None = None, relation: str = "") -> None: ...

    sha256: str = ""
    """The sample's SHA-256, in hex."""
    timestamp: Time = _wire.ZERO_TIME
    """When the relation was seen; always written (Go's zero time when unset)."""
    scans: list[EntityMalwareScan] | None = None
    """Scanners' verdicts; ``None`` is written ``null`` (no omitempty)."""
    relation: str = ""
    """How the sample relates to the entity, such as ``communicated`` or ``downloaded``."""


class EntityDomain(WireModel):
    """A domain related to an entity."""

    if TYPE_CHECKING:
        def __init__(self, *, name: str = "", timestamp: TimeInput | None = None,
                     source: str = "") -> None: ...

    name: str = ""
    """The domain name."""
    timestamp: Time = _wire.ZERO_TIME
    """When the relation was seen; always written."""
    source: str = ""
    """Where the relation came from."""


class EntityURL(WireModel):
    """A URL related to an entity."""

    if TYPE_CHECKING:
        def __init__(self, *, url: str = "", reference: str = "",
                     timestamp: TimeInput | None = None, source: str = "") -> None: ...

    url: str = ""
    """The URL."""
    reference: str = ""
    """A URL with more about it, such as a threat report."""
    timestamp: Time = _wire.ZERO_TIME
    """When the relation was seen; always written."""
    source: str = ""
    """Where the relation came from."""


class EntitySoftware(WireModel):
    """Software installed on a host."""

    if TYPE_CHECKING:
        def __init__(self, *, name: str = "", location: str = "",
                     last_seen: TimeInput | None = None) -> None: ...

    name: str = ""
    """The software's name."""
    location: str = ""
    """Where it is installed (a path)."""
    last_seen: Time = _wire.ZERO_TIME
    """When it was last seen; always written."""


class ContentUser(WireModel):
    """What an inspector found about a user (Finding type ``user``)."""

    content_type: ClassVar[ContentType] = ContentType.USER
    """The Finding ``type`` of this content (``user``); not a JSON field."""

    activities: list[EntityActivity] | None = None
    """Written ``null`` when ``None`` (Go has no omitempty here)."""


class ContentBinary(WireModel):
    """What an inspector found about a file (Finding type ``binary``)."""

    content_type: ClassVar[ContentType] = ContentType.BINARY
    """The Finding ``type`` of this content (``binary``); not a JSON field."""

    related_malware: list[EntityMalware] | None = _omitempty()
    """Malware samples the file is, or is related to (omitempty)."""
    software: list[str] | None = _omitempty()
    """Names of the software the file belongs to, as strings (omitempty)."""
    os: list[str] | None = _omitempty()
    """Operating systems the file runs on (omitempty)."""
    activities: list[EntityActivity] | None = _omitempty()
    """What the file did (omitempty)."""


class ContentHost(WireModel):
    """What an inspector found about a host or IP address (Finding type ``host``)."""

    content_type: ClassVar[ContentType] = ContentType.HOST
    """The Finding ``type`` of this content (``host``); not a JSON field."""

    ipaddr: list[str] | None = _omitempty()
    """IP addresses of the host (omitempty, like every field of this type)."""
    country: list[str] | None = _omitempty()
    """Countries the host is in, as the inspector names them (say ISO 3166 codes)."""
    as_owner: list[str] | None = _omitempty()
    """Owners of the autonomous system the address belongs to."""
    related_domains: list[EntityDomain] | None = _omitempty()
    """Domains related to the host, such as reverse-DNS names or resolutions."""
    related_urls: list[EntityURL] | None = _omitempty()
    """URLs related to the host."""
    related_malware: list[EntityMalware] | None = _omitempty()
    """Malware samples related to the host, such as ones that contacted it."""
    activities: list[EntityActivity] | None = _omitempty()
    """What the host did, such as logins from it."""
    username: list[str] | None = _omitempty()
    """Users of the host."""
    owner: list[str] | None = _omitempty()
    """Who owns the host: a team, an organisation, a cloud account."""
    os: list[str] | None = _omitempty()
    """Operating systems the host runs."""
    macaddr: list[str] | None = _omitempty()
    """MAC addresses of the host."""
    hostname: list[str] | None = _omitempty()
    """Host names of the host."""
    software: list[EntitySoftware] | None = _omitempty()
    """Objects here, where ``ContentBinary.software`` holds strings."""


Content = Union[ContentHost, ContentUser, ContentBinary]
"""Any of the three content types an inspector can report."""

CONTENT_TYPES: dict[str, type[WireModel]] = {
    "host": ContentHost, "user": ContentUser, "binary": ContentBinary,
}


# ---------------------------------------------------------------------------------------------
# Sections, findings, tasks


class Section(WireModel):
    """Every finding about one attribute, from every inspector."""

    attr: Attribute = Field(default_factory=Attribute)
    """The attribute these findings are about (always written as an object)."""
    users: list[ContentUser] | None = _omitempty()
    """User findings about the attribute (omitempty)."""
    hosts: list[ContentHost] | None = _omitempty()
    """Host findings about the attribute (omitempty)."""
    binaries: list[ContentBinary] | None = _omitempty()
    """Binary findings about the attribute (omitempty)."""


class Finding(WireModel):
    """One content an inspector found about one task attribute (finding queue message)."""

    report_id: str = ""
    """The report the task belonged to."""
    author: str = ""
    """The inspector's name."""
    attribute: Attribute = Field(default_factory=Attribute)
    """The task's attribute, echoed exactly as it arrived."""
    type: str = ""
    """A :class:`ContentType`: ``user``, ``host`` or ``binary``."""
    content: AnyJSON = None
    """Any JSON value, read by the core according to ``type``."""

    def parsed_content(self) -> Content | None:
        """The content decoded as the core decodes it, or ``None`` for an unknown type.

        Raises:
            WireError: the content does not fit the struct its ``type`` names.
        """
        model = CONTENT_TYPES.get(self.type)
        if model is None:
            return None
        if isinstance(self.content, dict):
            try:  # exact keys and types: pydantic-core alone decides, as Go would
                return typing.cast("Content", model.model_validate(self.content))
            except ValidationError:
                pass  # Go's lenient rules (case-folded keys, nulls), or a precise error
        return typing.cast("Content", _decode_value(model, self.content, "Finding.content"))


class Task(WireModel):
    """One attribute of one report, sent to every inspector (task topic message)."""

    report_id: str = ""
    """The report this attribute belongs to; echo it in findings."""
    attribute: Attribute | None = None
    """The attribute to inspect; the core never sends ``null``."""


class ReportAttribute(WireModel):
    """New attributes an inspector found (attribute queue message)."""

    report_id: str = ""
    """The report the task belonged to."""
    author: str = ""
    """The inspector's name."""
    origin_attr: Attribute = Field(default_factory=Attribute)
    """The task attribute that led to these, echoed exactly as it arrived."""
    attributes: list[Attribute] | None = None
    """The new attributes; the core sends a task for each one it has not seen."""


class TaskResult(BaseModel):
    """What an inspector returns for one task: contents and newly found attributes.

    Not a wire type: the SDK turns it into Finding and ReportAttribute messages.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    contents: list[Content] = Field(default_factory=list)
    """What was found: each content becomes one Finding message."""
    new_attributes: list[Attribute] = Field(default_factory=list)
    """Attributes discovered, sent in one ReportAttribute message."""


for _model in (EntityActivity, EntityMalwareScan, EntityMalware, EntityDomain, EntityURL,
               EntitySoftware, ContentUser, ContentBinary, ContentHost, Section, Finding, Task,
               ReportAttribute, TaskResult):
    _model.__module__ = "deepalert.models"  # the public home (reprs, pickles)
del _model
