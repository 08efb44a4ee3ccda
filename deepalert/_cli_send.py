"""``deepalert send``: send alerts to a DeepAlert core on AWS.

::

    deepalert send ALERTS... (--queue-url URL | --topic-arn ARN) [--source NAME] [--quiet]

``ALERTS`` are read as ``deepalert run`` reads them (files, folders, ``-`` for standard input;
DeepAlert alerts or raw events of a known source), so ``deepalert convert ... | deepalert send -
--queue-url URL`` works. Alerts are checked against the core's limits and sent with batch
requests; every alert that could not be read or sent is printed on stderr with where it came
from. Exit status 1 when any alert was not sent.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser"]

_CHUNK = 500  # alerts read before a send, so a long stream is sent as it is read


def add_parser(sub: Any) -> None:
    """Register ``send`` on the ``deepalert`` command's subparsers."""
    send = sub.add_parser(
        "send", help="send alerts to a DeepAlert core's alert queue or topic",
        description="Validate alerts against the core's limits and send them with "
                    "SendMessageBatch (--queue-url) or SNS PublishBatch (--topic-arn).")
    send.add_argument("alerts", nargs="+", metavar="ALERTS",
                      help="alert files or folders (JSON, JSON array, JSON lines; - is stdin)")
    where = send.add_mutually_exclusive_group(required=True)
    where.add_argument("--queue-url", metavar="URL", help="the core's alert queue URL "
                                                          "(AlertQueueUrl output)")
    where.add_argument("--topic-arn", metavar="ARN",
                       help="an SNS topic subscribed to the alert queue")
    send.add_argument("--source", default="auto", metavar="NAME",
                      help="the format of the input (default: auto)")
    send.add_argument("--quiet", action="store_true", help="no summary on stderr")
    send.set_defaults(handler=_cmd_send)


def _cmd_send(args: argparse.Namespace) -> int:
    from deepalert._send import SendResult, send
    from deepalert.cli import _read_alerts
    from deepalert.errors import ConfigurationError

    sent = failed = 0
    requests = 0
    chunk: list[tuple[str, Any]] = []

    def flush() -> None:
        nonlocal sent, failed, requests
        if not chunk:
            return
        result: SendResult = send([a for _, a in chunk], queue_url=args.queue_url,
                                  topic_arn=args.topic_arn)
        requests += result.requests
        sent += len(result.sent)
        for failure in result.failed:
            print(f"{chunk[failure.index][0]}: not sent: {failure.reason}", file=sys.stderr)
        failed += len(result.failed)
        chunk.clear()

    try:
        for where, alert, error in _read_alerts(args.alerts, args.source):
            if error is not None:
                print(f"{where}: {error}", file=sys.stderr)
                failed += 1
                continue
            chunk.append((where, alert))
            if len(chunk) >= _CHUNK:
                flush()
        flush()
    except ConfigurationError as exc:
        print(f"deepalert send: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"deepalert send: {sent} sent, {failed} failed ({requests} requests)",
              file=sys.stderr)
    return 1 if failed else 0
