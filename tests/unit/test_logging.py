"""Structured logs: JSON off a terminal, entry and user fields, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest

from core.ops.logging import Redactor, configure_logging, log_context
from core.settings import Settings

# Test values shaped like the real thing; none is a credential.
BOT_TOKEN = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
APP_TOKEN = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef"
USER_TOKEN = "xoxp-1111111111-2222222222-3333333333-0123456789abcdef"
SIGNING_SECRET = "8f3e2b1c0d9a7f6e5d4c3b2a19081726"
ZOHO_CLIENT_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5"
ZOHO_REFRESH = "1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210"
ZOHO_ACCESS = "1000.aaaabbbbccccddddeeeeffff00001111.22223333444455556666777788889999"
WEBHOOK_SECRET = "whsec-crewclock-test-0001"
SECRETS = (
    BOT_TOKEN, APP_TOKEN, USER_TOKEN, SIGNING_SECRET, ZOHO_CLIENT_SECRET, ZOHO_REFRESH, ZOHO_ACCESS, WEBHOOK_SECRET,
)  # fmt: skip


@pytest.fixture
def settings() -> Settings:
    return replace(
        Settings(),
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        zoho_client_secret=ZOHO_CLIENT_SECRET,
        zoho_refresh_token=ZOHO_REFRESH,
        zoho_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def captured(settings: Settings) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    configure_logging(settings, stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
    root.setLevel(before[1])


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_off_a_terminal_each_line_is_json_with_level_logger_and_message(captured: io.StringIO) -> None:
    logging.getLogger("crewclock.test").warning("sync of %s failed", "x")

    [line] = lines(captured)
    assert line["level"] == "WARNING"
    assert line["logger"] == "crewclock.test"
    assert line["msg"] == "sync of x failed"
    assert "ts" in line and "pid" in line


def test_entry_and_user_ids_are_fields_from_extra_or_the_context(captured: io.StringIO) -> None:
    log = logging.getLogger("crewclock.test")
    log.info("pushed", extra={"entry_id": "e-1", "slack_user_id": "U1"})
    with log_context(slack_user_id="U2", entry_id="e-2"):
        log.info("inside")
        log.info("own id wins", extra={"entry_id": "e-3"})
    log.info("outside")

    first, inside, own, outside = lines(captured)
    assert (first["entry_id"], first["slack_user_id"]) == ("e-1", "U1")
    assert (inside["entry_id"], inside["slack_user_id"]) == ("e-2", "U2")
    assert (own["entry_id"], own["slack_user_id"]) == ("e-3", "U2")
    assert "entry_id" not in outside and "slack_user_id" not in outside


def test_no_secret_reaches_the_log_in_messages_arguments_or_tracebacks(captured: io.StringIO) -> None:
    log = logging.getLogger("crewclock.test")
    log.info("settings dump: %s", " ".join(SECRETS))
    log.warning("calling Slack with headers {'Authorization': 'Bearer %s'}", BOT_TOKEN)
    log.warning("zoho said 401 to Authorization: Zoho-oauthtoken %s", ZOHO_ACCESS)
    log.info("POST https://accounts.zoho.com/oauth/v2/token?refresh_token=%s&client_secret=%s", ZOHO_REFRESH, "s3x!")
    log.info("connecting to postgresql://crewclock:hunter2pass@db.internal/crewclock")
    log.info("a secret as extra", extra={"entry_id": SIGNING_SECRET})
    try:
        raise RuntimeError(f"Slack refused token {USER_TOKEN} and signing secret {SIGNING_SECRET}")
    except RuntimeError:
        log.exception("request failed")

    written = captured.getvalue()
    for secret in (*SECRETS, "hunter2pass", "s3x!"):
        assert secret not in written, secret
    assert written.count("[redacted]") >= 12
    assert "RuntimeError" in written  # the traceback is there, minus the secrets


def test_a_terminal_gets_plain_lines_with_the_fields_and_no_secret(settings: Settings) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        configure_logging(settings, stream=stream)
        logging.getLogger("crewclock.test").warning("token %s", BOT_TOKEN, extra={"entry_id": "e-9"})
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
    text = stream.getvalue()
    assert "WARNING crewclock.test: token [redacted] [entry_id=e-9]" in text
    assert not text.startswith("{")


def test_the_redactor_leaves_ordinary_text_alone() -> None:
    redactor = Redactor(["short", "a-long-secret-value"])
    text = "entry 3f2a saved for U123 on job 1042 (short notes) at 07:00"
    assert redactor.redact(text) == text
    assert redactor.redact("x a-long-secret-value y") == "x [redacted] y"


def test_the_default_handler_writes_to_whatever_stderr_is_now(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    first, second = io.StringIO(), io.StringIO()
    try:
        monkeypatch.setattr(sys, "stderr", first)
        configure_logging(settings)
        monkeypatch.setattr(sys, "stderr", second)
        first.close()  # a test runner closes the stream it captured with
        logging.getLogger("crewclock.test").warning("after the swap")
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
    assert json.loads(second.getvalue())["msg"] == "after the swap"
