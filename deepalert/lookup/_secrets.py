"""Secrets read at run time from Secrets Manager or SSM Parameter Store, cached with a TTL.

boto3 is imported on the first read, not with the package. Values never appear in a repr, a
log line or an error message.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from deepalert._lambda._aws import describe_failure
from deepalert.lookup._errors import SecretError

__all__ = ["Secret", "SecretSource", "clear_secret_cache"]

SecretSource = Literal["auto", "secretsmanager", "ssm"]
"""Where a secret lives: ``auto`` tells from the ARN or name (SSM for ``arn:aws:ssm:`` and
names starting with ``/``, Secrets Manager otherwise)."""

ClientFactory = Callable[[str, "str | None"], Any]
"""``(service, region) -> client``: makes the boto3 client for ``secretsmanager`` or ``ssm``."""


def _boto3_client(service: str, region: str | None) -> Any:
    import boto3

    return boto3.client(service, region_name=region) if region else boto3.client(service)


_factory: ClientFactory = _boto3_client
_clients: dict[tuple[str, str | None], Any] = {}
_values: dict[tuple[str, str], tuple[float, str]] = {}
_lock = threading.Lock()


def clear_secret_cache() -> None:
    """Forget every cached secret value and client (the next read goes to the store)."""
    with _lock:
        _values.clear()
        _clients.clear()


def _set_client_factory(factory: ClientFactory | None) -> ClientFactory:
    """Use ``factory`` to make store clients from now on (``None``: boto3); return the old one.

    For :class:`deepalert.testing.FakeSecretStore`; clears the cache.
    """
    global _factory
    with _lock:
        old = _factory
        _factory = factory if factory is not None else _boto3_client
        _values.clear()
        _clients.clear()
    return old


class Secret:
    """A secret read at run time, cached for ``ttl`` seconds and shared by every ``Secret``
    that names the same store entry, so a warm Lambda reads it once per TTL.

    The entry is named directly (``name=``) or by an environment variable read at the first
    :meth:`get` (``env=``), so nothing is read at import. A JSON secret (the Secrets Manager
    console's key/value form) is read as an object and ``key`` picks one value out of it.

    Example:
        >>> from deepalert.lookup import Secret
        >>> api_key = Secret(env="SECRET_ARN", key="virustotal_token")
        >>> api_key
        Secret(env='SECRET_ARN', key='virustotal_token')

    Args:
        name: the secret's ARN or name, or the SSM parameter's name or ARN.
        env: the environment variable holding that ARN or name, when ``name`` is not given.
        key: the key to read from a JSON object secret; ``None`` uses the whole value.
        source: ``"secretsmanager"``, ``"ssm"`` (SecureString parameters are decrypted), or
            ``"auto"``.
        ttl: seconds a value read is kept before it is read again (rotation takes effect
            within this time).
        client: a boto3 ``secretsmanager`` or ``ssm`` client (or a fake) to read with; by
            default one is made on first use, in the ARN's region when an ARN is given.
    """

    def __init__(self, name: str | None = None, *, env: str | None = None,
                 key: str | None = None, source: SecretSource = "auto", ttl: float = 300.0,
                 client: Any = None) -> None:
        if (name is None) == (env is None):
            raise ValueError("Secret needs exactly one of name= (an ARN or name) and env= "
                             "(the environment variable that holds it)")
        if source not in ("auto", "secretsmanager", "ssm"):
            raise ValueError(
                f"Secret(source=) must be 'auto', 'secretsmanager' or 'ssm', got {source!r}")
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl < 0:
            raise ValueError(f"Secret(ttl=) must be a number of seconds >= 0, got {ttl!r}")
        self.name = name
        self.env = env
        self.key = key
        self.source: SecretSource = source
        self.ttl = float(ttl)
        self._client = client

    def __repr__(self) -> str:
        where = f"name={self.name!r}" if self.name is not None else f"env={self.env!r}"
        key = f", key={self.key!r}" if self.key is not None else ""
        return f"Secret({where}{key})"

    def describe(self) -> str:
        """Where the secret comes from, for messages: the name, or the variable and its value."""
        if self.name is not None:
            where = self.name
        else:
            where = f"{self.env}={os.environ.get(self.env or '', '')!r}"
        return f"{where} key {self.key!r}" if self.key is not None else where

    def get(self) -> str:
        """The secret's value, from the cache when read less than ``ttl`` seconds ago.

        Raises:
            SecretError: the variable is unset, the store refused or has no such entry, the
                value is not a JSON object when ``key`` is given, or has no such key.
        """
        name = self._resolve_name()
        source = self._source_for(name)
        raw = self._raw(source, name)
        if self.key is None:
            return raw
        try:
            document = json.loads(raw)
        except ValueError:
            raise SecretError(f"secret {self.describe()}: the value is not a JSON object, "
                              "so no key can be read from it") from None
        if not isinstance(document, dict) or self.key not in document:
            raise SecretError(f"secret {self.describe()}: the JSON object has no such key")
        value = document[self.key]
        if not isinstance(value, str) or not value:
            raise SecretError(f"secret {self.describe()}: the value under the key is not a "
                              "non-empty string")
        return value

    # -----------------------------------------------------------------------------------------

    def _resolve_name(self) -> str:
        if self.name is not None:
            return self.name
        assert self.env is not None
        value = os.environ.get(self.env, "").strip()
        if not value:
            raise SecretError(f"secret not configured: set {self.env} to the secret's ARN or "
                              "name in the Lambda environment")
        return value

    def _source_for(self, name: str) -> str:
        if self.source != "auto":
            return self.source
        if name.startswith("arn:") and name.split(":")[2:3] == ["ssm"]:
            return "ssm"
        return "ssm" if name.startswith("/") else "secretsmanager"

    def _raw(self, source: str, name: str) -> str:
        now = time.monotonic()
        with _lock:
            cached = _values.get((source, name))
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        value = self._read(source, name)
        with _lock:
            _values[(source, name)] = (now, value)
        return value

    def _read(self, source: str, name: str) -> str:
        client = self._client if self._client is not None else _client_for(source, name)
        try:
            if source == "ssm":
                answer = client.get_parameter(Name=name, WithDecryption=True)
                value = answer["Parameter"]["Value"]
            else:
                answer = client.get_secret_value(SecretId=name)
                value = answer.get("SecretString")
                if value is None and answer.get("SecretBinary") is not None:
                    value = bytes(answer["SecretBinary"]).decode("utf-8")
        except Exception as exc:  # botocore ClientError and friends: name the code, not the text
            code = describe_failure(exc)
            raise SecretError(f"secret {self.describe()} could not be read from {source}: "
                              f"{code}") from None
        if not isinstance(value, str):
            raise SecretError(f"secret {self.describe()} in {source} holds no string value")
        return value


def _client_for(source: str, name: str) -> Any:
    parts = name.split(":")
    region = parts[3] if name.startswith("arn:") and len(parts) > 3 and parts[3] else None
    with _lock:
        client = _clients.get((source, region))
        if client is None:
            client = _factory(source, region)
            _clients[(source, region)] = client
    return client
