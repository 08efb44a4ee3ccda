"""Take credentials out of text before it leaves the SDK (logs, errors, the CLI's stderr).

:func:`redact` is the one place that decides what a secret looks like. It masks, with ``***``:

- values of secret-ish keys, whatever the notation: ``aws_secret_access_key=…``,
  ``client_secret=…``, ``"password": "…"``, ``{'SecretAccessKey': '…'}``,
  ``Authorization: Basic …``, ``X-Api-Key: …`` (the key names hold ``password``, ``passwd``,
  ``passphrase``, ``pwd``, ``secret``, ``token``, ``credential``, ``signature``, ``cookie``,
  ``authorization``, ``session_id`` or ``api``/``access``/``private``/``secret``/``signing``/
  ``encryption``/``master``/``account`` + ``key``; ``_``, ``-``, ``.`` and camelCase all count);
  a ``:`` counts as a separator when a space or a quote follows it, so ARNs
  (``arn:aws:secretsmanager:…:secret:name``) stay readable;
- URLs' user information, path, query and fragment: a URL keeps its scheme and host
  (``https://hooks.slack.com/…``, ``postgres://***@db.example.com/…``), because webhook URLs
  carry their secret in the path and passwords may hold ``/``;
- credentials recognisable by their shape: AWS access key IDs (``AKIA``/``ASIA``), AWS secret
  access keys (exactly 40 base64 characters mixing upper and lower case and digits), AWS
  session tokens, JWTs, PEM private key blocks, GitHub (``ghp_``, ``gho_``, ``ghu_``,
  ``ghs_``, ``ghr_``, ``github_pat_``), GitLab (``glpat-``), Slack (``xoxb-``, ``xoxp-``,
  ``xapp-`` ...), Stripe, Google API keys, npm and PyPI tokens, ``Bearer …`` tokens.

What stays readable, on purpose: ordinary words (``token expired``, ``wrong password``), IP
addresses, hostnames, ARNs, UUIDs, report IDs, and hex digests (MD5, SHA-1, SHA-256: the
hashes of findings are evidence, not secrets). The rules prefer masking too much over too
little: ``max_tokens=5`` becomes ``max_tokens=***``.

The patterns are compiled on the first call, not at import.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

__all__ = ["RedactingFilter", "escape_control", "escape_json_line", "redact", "safe_traceback"]

MASK = "***"

# A key whose value is a secret: the secret-ish word may sit anywhere in an identifier
# (aws_secret_access_key, SecretAccessKey, x-api-key, DB_PASSWORD).
_KEY_WORDS = (r"pass(?:word|wd|phrase)|pwd|secret|token|credentials?|signature|cookie"
              r"|authori[sz]ation|session[_-]?id"
              r"|(?:api|access|private|secret|signing|encryption|master|account)[_.-]?key")
_IDENT = r"[A-Za-z0-9_.-]"
# A value: a quoted string (JSON escapes allowed), or an optional auth scheme and a bare word.
_VALUE = (r"(?P<scheme>(?:bearer|basic|digest|token|negotiate)\s+)?"
          r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[^\s,;&'\"{}()\[\]]+)")


@functools.cache
def _rules() -> tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...]:
    return (
        # PEM private keys, also when escaped inside JSON ("\n") or cut short.
        (re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
                    r"(?:.*?-----END [A-Z0-9 ]*-----|.*)", re.S),
         lambda m: f"-----BEGIN {m[1]}-----{MASK}-----END {m[1]}-----"),
        # URLs: keep the scheme and host; user information, path, query and fragment go.
        (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)"
                    r"((?:[^\s/?#@:'\"]*:[^\s@?#'\"]*|[^\s/?#@:'\"]*)@)?"
                    r"([^/\s?#'\"@]+)([/?#][^\s'\"]*)?"),
         _url),
        # key=value, key: value, "key": "value", 'Key': 'value' with a secret-ish key.
        (re.compile(rf"(?i)(?P<key>(?<!{_IDENT})([\"']?){_IDENT}*(?:{_KEY_WORDS}){_IDENT}*\2"
                    rf"(?:\s*=\s*|:(?=[\s\"'])\s*))(?!\*\*\*){_VALUE}"),
         _pair),
        # Shapes credentials take on their own.
        (re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"), MASK),
        (re.compile(r"(?<![A-Za-z0-9/+=])(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9/+=]{20,}"),
         MASK),
        (re.compile(r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
                    r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), MASK),
        (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
        (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
                    r"|glpat-[A-Za-z0-9_-]{20,})"), MASK),
        (re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}"), MASK),
        (re.compile(r"\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[A-Za-z0-9_-]{35}"
                    r"|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_-]{40,})"), MASK),
        (re.compile(r"(?i)\bbearer\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{6,}"), f"Bearer {MASK}"),
    )


def _url(m: re.Match[str]) -> str:
    userinfo = f"{MASK}@" if m[2] else ""
    path = "/…" if m[4] and m[4] != "/" else (m[4] or "")
    return f"{m[1]}{userinfo}{m[3]}{path}"


def _pair(m: re.Match[str]) -> str:
    value = m["value"]
    quote = value[0] if value[0] in "'\"" else ""
    return f"{m['key']}{m['scheme'] or ''}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """``text`` with credentials masked (see the module's documentation for what counts).

    Example:
        >>> redact("POST https://hooks.slack.com/services/T0/B0/XYZ failed: client_secret=abc")
        'POST https://hooks.slack.com/… failed: client_secret=***'
    """
    for pattern, replacement in _rules():
        text = pattern.sub(replacement, text)
    return text


@functools.cache
def _escapes(keep_newlines: bool) -> dict[int, str]:
    table = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
    table.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})
    # Line separators and the bidirectional overrides that reorder what a terminal shows.
    for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[c] = f"\\u{c:04x}"
    if keep_newlines:
        del table[0x0A]
    return table


def escape_control(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``, ``\\u2028``).

    What a terminal or a log reader would act on (a newline that forges a line, ANSI escape
    sequences, bidirectional overrides) is shown instead. Printable text, accents and
    scripts other than Latin stay as they are.

    Example:
        >>> escape_control("rule\\n\\x1b[31mred")
        'rule\\\\n\\\\x1b[31mred'
    """
    return text.translate(_escapes(keep_newlines))


@functools.cache
def _json_escapes() -> dict[int, str]:
    return {c: f"\\u{c:04x}" for c in _escapes(False) if c >= 0x7F}


def escape_json_line(line: str) -> str:
    """A JSON text with the characters JSON leaves raw but terminals act on escaped as ``\\uXXXX``.

    ``json.dumps(..., ensure_ascii=False)`` escapes the C0 controls but writes DEL, the C1
    controls (``\\x9b`` starts an ANSI sequence on some terminals), U+2028/U+2029 and the
    bidirectional overrides as they are; outside strings a JSON text holds none of them, so the
    result is the same JSON value.
    """
    return line.translate(_json_escapes())


_TRACEBACK = "Traceback (most recent call last):"
_CHAINS = ("The above exception was the direct cause of the following exception:",
           "During handling of the above exception, another exception occurred:")


def safe_traceback(text: str) -> str:
    """A formatted traceback, redacted, whose only line breaks are the traceback's own.

    A newline inside an exception's message is written ``\\n`` (so the message cannot forge a
    log line), and control characters are escaped; frames, chained exceptions and their
    headers keep their lines.
    """
    lines = redact(text).split("\n")
    out: list[str] = []
    in_message = False
    for i, line in enumerate(lines):
        chain = line == "" and i + 1 < len(lines) and lines[i + 1] in _CHAINS
        structural = (chain or line in _CHAINS or line == _TRACEBACK
                      or (line == "" and i > 0 and lines[i - 1] in _CHAINS))
        if in_message and not structural and out:
            out[-1] += "\\n" + line
            continue
        in_message = not structural and not line.startswith(" ") and line != ""
        out.append(line)
    return escape_control("\n".join(out), keep_newlines=True)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message and traceback before any handler.

    Control characters are escaped too (:func:`escape_control`), so that a report ID or an
    exception text cannot forge a log line.

    The traceback is formatted here, redacted, and kept as ``exc_text`` (which the standard
    formatter writes) and as the ``exception`` and ``exception_name`` attributes (which
    Powertools' JSON formatter writes as keys); ``exc_info`` is cleared so that no formatter
    can write the unredacted exception again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        record.msg = escape_control(redact(record.getMessage()))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = safe_traceback(text)
            # Structured formatters that read only ``exc_info`` (Powertools Logger's) write
            # extra attributes as keys: they get the redacted traceback and the type this way.
            record.exception = record.exc_text
            record.exception_name = type(record.exc_info[1]).__name__
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = safe_traceback(record.exc_text)
        return True
