"""DeepAlert's enumerations, in a module without pydantic.

``deepalert.models`` and ``deepalert`` re-export every name here: ``deepalert.Severity``,
``deepalert.models.Severity`` and this module's ``Severity`` are one class.
"""

from enum import Enum

__all__ = ["AttrContext", "AttrType", "ContentType", "ReportStatus", "Severity"]


class _StrEnum(str, Enum):
    """A string enumeration whose members compare equal to, and print as, their values."""

    def __str__(self) -> str:
        return str(self.value)


class AttrType(_StrEnum):
    """Documented attribute types (``Attribute.type``); other strings are kept as read."""

    IPADDR = "ipaddr"
    DOMAIN = "domain"
    USERNAME = "username"
    FILEHASHVALUE = "filehashvalue"
    JSON = "json"
    URL = "url"


class AttrContext(_StrEnum):
    """Documented attribute contexts (``Attribute.context``); other strings are kept as read."""

    REMOTE = "remote"
    LOCAL = "local"
    SUBJECT = "subject"
    OBJECT = "object"
    CLIENT = "client"
    SERVER = "server"
    FILE = "file"
    ADDITIONAL = "additional"


class Severity(_StrEnum):
    """A reviewer's verdict. The core turns an empty severity into ``unclassified``."""

    SAFE = "safe"
    UNCLASSIFIED = "unclassified"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Order for comparisons: safe < unclassified < urgent."""
        return _SEVERITY_RANK[self.value]


_SEVERITY_RANK: dict[str, int] = {"safe": 0, "unclassified": 1, "urgent": 2}


class ReportStatus(_StrEnum):
    """Where a report is: ``new`` (first alert), ``more`` (later alerts), ``published``."""

    NEW = "new"
    MORE = "more"
    PUBLISHED = "published"


class ContentType(_StrEnum):
    """The ``Finding.type`` that says which content struct a finding carries."""

    USER = "user"
    HOST = "host"
    BINARY = "binary"
