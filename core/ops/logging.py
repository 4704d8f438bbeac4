"""The one place logging is configured: JSON lines off a terminal, plain text on one, never a secret.

* Fields: a line about an entry carries ``entry_id`` and ``slack_user_id`` (and ``team_id``,
  ``request_kind`` on requests) as fields of their own. They come from ``extra=`` on the call
  or from :func:`log_context`, which the Slack edge sets around each request.
* Redaction: every formatted line passes through :class:`Redactor` — Slack tokens (``xoxb-``,
  ``xoxp-``, ``xapp-``, …), Authorization headers, Zoho OAuth tokens and secrets in URLs or form
  bodies, passwords in connection URLs, and the literal secrets from the settings.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any

from core.settings import Settings

FIELDS = ("entry_id", "slack_user_id", "team_id", "request_kind")
MASK = "[redacted]"
NOISY_LOGGERS = ("alembic", "apscheduler", "httpx", "httpcore", "uvicorn.error")

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("crewclock_log_fields", default=_NO_FIELDS)


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Add ``fields`` (entry_id, slack_user_id, …) to every log line inside the block."""
    token = bind_log_context(**fields)
    try:
        yield
    finally:
        _context.reset(token)


def bind_log_context(**fields: str | None) -> contextvars.Token[Mapping[str, str]]:
    """Add ``fields`` to the current context; undo with ``_context.reset(token)`` (as :func:`log_context` does)."""
    merged = {**_context.get(), **{name: str(value) for name, value in fields.items() if value}}
    return _context.set(merged)


class ContextFilter(logging.Filter):
    """Copies the context's fields onto each record (``extra=`` given on the call wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


_SLACK_TOKEN = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{4,}")
_AUTH_HEADER = re.compile(
    r"(?i)(\bauthorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic|zoho-oauthtoken)\s+)?[^\s'\",}]+"
)
_ZOHO_TOKEN = re.compile(r"\b1000\.[0-9a-f]{32}\.[0-9a-f]{32}\b")
_SECRET_PARAM = re.compile(
    r"(?i)(\b(?:refresh_token|access_token|client_secret|signing_secret|password|token)['\"]?\s*[=:]\s*['\"]?)"
    r"[^\s&'\",}]+"
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@")
MIN_LITERAL = 6  # shorter "secrets" would mask ordinary words


class Redactor:
    """Masks secrets in text: known token shapes, and the literal secret values given."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literals = sorted({s for s in secrets if s and len(s) >= MIN_LITERAL}, key=len, reverse=True)
        self._literals = re.compile("|".join(re.escape(s) for s in literals)) if literals else None

    @classmethod
    def for_settings(cls, settings: Settings) -> Redactor:
        return cls(
            [
                settings.slack_bot_token,
                settings.slack_signing_secret,
                settings.slack_app_token,
                settings.zoho_client_secret,
                settings.zoho_refresh_token,
                settings.zoho_webhook_secret,
            ]
        )

    def redact(self, text: str) -> str:
        if self._literals is not None:
            text = self._literals.sub(MASK, text)
        text = _SLACK_TOKEN.sub(MASK, text)
        text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
        text = _ZOHO_TOKEN.sub(MASK, text)
        text = _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, text)
        return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, pid, the entry/user fields, exc."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": self.redactor.redact(record.getMessage()),
            "pid": record.process or os.getpid(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value:
                line[name] = self.redactor.redact(str(value))
        if record.exc_info:
            line["exc"] = self.redactor.redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = self.redactor.redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """For a person at a terminal: the usual line, then the fields in brackets."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None)]
        if fields:
            first, newline, rest = text.partition("\n")
            text = f"{first} [{' '.join(fields)}]{newline}{rest}"
        return self.redactor.redact(text)


_HANDLER_MARK = "_crewclock_handler"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap and close it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def configure_logging(settings: Settings, *, stream: IO[str] | None = None, json_lines: bool | None = None) -> None:
    """Send every log line to ``stream`` (stderr): JSON unless it is a terminal; replaces an earlier call's handler.

    Args:
        settings: LOG_LEVEL, and the secrets to keep out of the log.
        stream: where lines go (default: stderr).
        json_lines: force JSON (True) or plain text (False); default: JSON unless ``stream`` is a TTY.
    """
    target = stream if stream is not None else sys.stderr
    if json_lines is None:
        json_lines = not (hasattr(target, "isatty") and target.isatty())
    redactor = Redactor.for_settings(settings)
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter(redactor) if json_lines else PlainFormatter(redactor))
    handler.addFilter(ContextFilter())
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    level = getattr(logging, settings.log_level, logging.INFO)
    root.setLevel(level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))
