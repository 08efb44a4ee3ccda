"""A Slack-compatible webhook receiver on 127.0.0.1, started by the tests that use it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SECRET_PATH = "/services/T0000/B0000/not-a-real-token-5ecret"
"""The webhook path: a stand-in for the secret part of a real webhook URL."""


@dataclass
class Receiver:
    """What the webhook received, and what it answers."""

    url: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    status: int = 200
    location: str | None = None


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1; SLACK_WEBHOOK_URL points at it, and no proxy is used."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            receiver.paths.append(self.path)
            receiver.messages.append(json.loads(self.rfile.read(length)))
            self.send_response(receiver.status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if receiver.status == 200 else b"error")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the request line (the secret path) out of the test output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", receiver.url)
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
