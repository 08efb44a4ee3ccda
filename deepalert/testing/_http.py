"""Canned HTTP responses served from 127.0.0.1, and a fake secret store: integration tests
that need no network and no AWS account."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:  # http.server is imported when a server starts, not with deepalert.testing
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["CannedHttpServer", "CannedResponse", "FakeSecretStore", "RecordedRequest"]


@dataclass(frozen=True)
class CannedResponse:
    """One response the server gives.

    Args:
        status: the HTTP status.
        json: a body sent as JSON (``Content-Type: application/json``).
        body: a raw body (``bytes`` or text), used when ``json`` is ``None``: malformed JSON,
            HTML error pages.
        headers: response headers, such as ``{"Retry-After": "2"}``.
        delay: seconds to wait before answering (longer than the client's timeout forces a
            timeout).
    """

    status: int = 200
    json: Any = None
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def payload(self) -> tuple[bytes, dict[str, str]]:
        """The body bytes and headers to send."""
        headers = dict(self.headers)
        if self.json is not None:
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.json).encode(), headers
        body = self.body.encode() if isinstance(self.body, str) else self.body
        return body, headers


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received.

    Attributes:
        method: ``"GET"``, ``"POST"``, ...
        path: the path without the query string.
        query: the query parameters, each with its list of values.
        headers: the request headers, names in lower case.
        body: the raw body.
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as a URL-encoded form (first value of each field)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class CannedHttpServer:
    """An HTTP server on 127.0.0.1 that answers from a table of routes and records every
    request: point an integration's ``base_url`` at :attr:`url`.

    A route is ``"METHOD /path"`` or ``"/path"`` (any method), matched against the path
    without its query. Its value is one :class:`CannedResponse`, or a list served in order
    (the last one repeats), to script a ``429`` then a ``200``. A request that matches no
    route gets ``501`` with a body naming it, so a missing route fails loudly.

    Example:
        >>> from deepalert.testing import CannedHttpServer, CannedResponse
        >>> from deepalert.lookup import HttpClient
        >>> with CannedHttpServer({"GET /ip/192.0.2.1": CannedResponse(json={"ok": True})}
        ...                       ) as server:
        ...     client = HttpClient("example", base_url=server.url)
        ...     client.get_json("/ip/192.0.2.1"), server.requests[0].path
        ({'ok': True}, '/ip/192.0.2.1')

    Args:
        routes: the route table; add more with :meth:`route`.
    """

    def __init__(self, routes: Mapping[str, CannedResponse | Sequence[CannedResponse]]
                 | None = None) -> None:
        self._routes: dict[str, list[CannedResponse]] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        """Every request received, in order."""
        for key, responses in (routes or {}).items():
            self.route(key, responses)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, key: str, responses: CannedResponse | Sequence[CannedResponse]) -> None:
        """Answer ``key`` (``"GET /path"`` or ``"/path"``) with ``responses`` from now on."""
        listed = [responses] if isinstance(responses, CannedResponse) else list(responses)
        if not listed:
            raise ValueError(f"route {key!r} needs at least one CannedResponse")
        with self._lock:
            self._routes[key] = listed
            self._served[key] = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, the base URL to give the client (starts the server)."""
        server = self.start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    def start(self) -> ThreadingHTTPServer:
        """Start serving on a free port of 127.0.0.1 (done by ``with`` and :attr:`url`)."""
        if self._server is None:
            from http.server import ThreadingHTTPServer

            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                                      name="deepalert-canned-http")
            thread.start()
            self._server, self._thread = server, thread
        return self._server

    def close(self) -> None:
        """Stop the server and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> CannedHttpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _answer(self, request: RecordedRequest) -> CannedResponse:
        with self._lock:
            self.requests.append(request)
            for key in (f"{request.method} {request.path}", request.path):
                listed = self._routes.get(key)
                if listed is not None:
                    index = min(self._served[key], len(listed) - 1)
                    self._served[key] += 1
                    return listed[index]
        return CannedResponse(status=501,
                              body=f"no canned response for {request.method} {request.path}")


def _handler_for(owner: CannedHttpServer) -> type[BaseHTTPRequestHandler]:
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse can be observed

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command, path=parts.path, query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()}, body=body)
            canned = owner._answer(request)
            if canned.delay:
                time.sleep(canned.delay)
            payload, headers = canned.payload()
            try:
                self.send_response(canned.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a forced timeout): nothing to answer
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests stay quiet; the requests are in owner.requests

    return Handler


class _NotFound(Exception):
    """What a boto3 client raises for a missing entry, reduced to what the SDK reads."""

    def __init__(self, operation: str, name: str) -> None:
        self.response = {"Error": {"Code": "ResourceNotFoundException"
                                   if operation == "GetSecretValue" else "ParameterNotFound"}}
        super().__init__(f"{operation}: no entry {name!r}")


class FakeSecretStore:
    """Secrets Manager and SSM Parameter Store in memory, for :class:`deepalert.lookup.Secret`.

    Answers ``get_secret_value`` and ``get_parameter`` like the boto3 clients (a missing
    entry raises an error whose ``response`` carries the same error code) and records every
    read, so a test can check the cache. Pass it as ``Secret(client=...)``, or use
    :meth:`install` to make every ``Secret`` without a client read from it.

    Example:
        >>> from deepalert.testing import FakeSecretStore
        >>> from deepalert.lookup import Secret
        >>> store = FakeSecretStore({"vt": {"virustotal_token": "k-123"}})
        >>> with store.install():
        ...     Secret(name="vt", key="virustotal_token").get()
        'k-123'

    Args:
        secrets: Secrets Manager entries by ARN or name; a mapping is stored as its JSON.
        parameters: Parameter Store entries by name or ARN.
    """

    def __init__(self, secrets: Mapping[str, str | Mapping[str, str]] | None = None,
                 parameters: Mapping[str, str] | None = None) -> None:
        self.secrets: dict[str, str] = {}
        self.parameters: dict[str, str] = dict(parameters or {})
        self.reads: list[str] = []
        """The names read from the store, in order (cache hits are not reads)."""
        for name, value in (secrets or {}).items():
            self.put_secret(name, value)

    def __repr__(self) -> str:
        return (f"FakeSecretStore(secrets={sorted(self.secrets)}, "
                f"parameters={sorted(self.parameters)})")

    def put_secret(self, name: str, value: str | Mapping[str, str]) -> None:
        """Store (or rotate) a Secrets Manager entry."""
        self.secrets[name] = value if isinstance(value, str) else json.dumps(dict(value))

    def put_parameter(self, name: str, value: str) -> None:
        """Store (or rotate) a Parameter Store entry."""
        self.parameters[name] = value

    def get_secret_value(self, *, SecretId: str, **_: Any) -> dict[str, Any]:
        """What ``secretsmanager.get_secret_value`` returns."""
        self.reads.append(SecretId)
        if SecretId not in self.secrets:
            raise _NotFound("GetSecretValue", SecretId)
        return {"Name": SecretId, "SecretString": self.secrets[SecretId]}

    def get_parameter(self, *, Name: str, WithDecryption: bool = False,
                      **_: Any) -> dict[str, Any]:
        """What ``ssm.get_parameter`` returns."""
        self.reads.append(Name)
        if Name not in self.parameters:
            raise _NotFound("GetParameter", Name)
        return {"Parameter": {"Name": Name, "Type": "SecureString",
                              "Value": self.parameters[Name]}}

    @contextmanager
    def install(self) -> Iterator[FakeSecretStore]:
        """Within the block, every ``Secret`` without its own client reads from this store
        (the secret cache is cleared on the way in and out)."""
        from deepalert.lookup._secrets import _set_client_factory

        old = _set_client_factory(lambda _service, _region: self)
        try:
            yield self
        finally:
            _set_client_factory(old)
