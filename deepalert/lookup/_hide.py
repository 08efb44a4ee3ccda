"""Keeping secret URLs (webhooks) out of urllib3's debug logs.

urllib3 logs each request's path at DEBUG (``"POST /services/T0/B0/XYZ HTTP/1.1" 200``), and a
webhook's path is its secret. :func:`hide_in_logs` registers a secret; a filter on urllib3's
loggers replaces it with ``***`` in every record they write.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

__all__ = ["hide_in_logs"]

_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


class _HideSecrets(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot format is left to the handler to report
            return True
        if any(secret in message for secret in secrets):
            for secret in sorted(secrets, key=len, reverse=True):
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


_filter = _HideSecrets()
_installed = False


def hide_in_logs(secret: str) -> None:
    """Mask ``secret`` (and, for a URL, its path and query) in urllib3's log records."""
    global _installed
    parts = {secret}
    try:
        split = urlsplit(secret)
    except ValueError:
        split = None
    if split is not None and split.scheme and split.path not in ("", "/"):
        parts.add(split.path + (f"?{split.query}" if split.query else ""))
    with _filter.lock:
        _filter.secrets |= {p for p in parts if len(p) >= 8}
        if not _installed:
            for name in _LOGGERS:
                logging.getLogger(name).addFilter(_filter)
            _installed = True
