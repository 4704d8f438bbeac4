"""Where every failure of a Slack request ends up: the user is told plainly, the log gets the trace.

Two paths reach here:

* the ack path (what answers Slack's HTTP request): Bolt hands the exception to the one
  ``@app.error`` handler, whose response is what the user sees — an ephemeral line for a
  slash command, an error under the top input for a modal, a quiet 200 otherwise;
* lazy listeners (the Web API work after the ack): Bolt would only log their exceptions,
  so each one is wrapped by :func:`lazy`, which tells the user by DM (or ephemeral).

Expected refusals (someone else's entry, an entry already gone, Redis refusing a write)
get their own wording; anything else gets a reference the admin can find in the log.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from redis.exceptions import RedisError
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views.confirmation import notice_message
from core.hot.store import EntryNotFound, PermissionDenied, StorageUnavailable
from core.ops.logging import log_context

log = logging.getLogger(__name__)

NOT_YOURS = "You can only change your own entries. If this one needs fixing, ask a manager."
GONE = "That entry no longer exists (it may have been deleted already)."
NOT_SAVED = "⚠️ *Not saved:* crewclock could not reach its store just now. Please try again in a minute."
# After the ack, whatever was confirmed is already saved: a store error then only stopped the follow-up.
FOLLOW_UP_FAILED = (
    "⚠️ crewclock could not finish that just now (its store is busy). "
    "Anything it already confirmed is saved; please try again in a minute."
)
EXPECTED = (PermissionDenied, EntryNotFound, StorageUnavailable, RedisError)


def new_reference() -> str:
    """A short id that ties what the user was told to the traceback in the log."""
    return uuid.uuid4().hex[:8]


def user_message(error: BaseException, reference: str) -> str:
    """What to tell the user about ``error``: plain words, never a stack trace."""
    if isinstance(error, PermissionDenied):
        return NOT_YOURS
    if isinstance(error, EntryNotFound):
        return GONE
    if isinstance(error, StorageUnavailable | RedisError):  # Redis away: nothing was saved
        return NOT_SAVED
    if isinstance(error, SlackApiError):
        return f"Slack did not accept a request from crewclock ({error.response.get('error')}). Please try again."
    return (
        f"Sorry, something went wrong on crewclock's side (ref `{reference}`). "
        "Please try again; if it keeps happening, tell your admin that reference."
    )


def _log(error: BaseException, reference: str, body: Mapping[str, Any]) -> None:
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    if isinstance(error, EXPECTED):
        log.info("refused %s (ref %s): %r", kind, reference, error)
    else:
        log.error("failed %s (ref %s)", kind, reference, exc_info=error)


def requester(body: Mapping[str, Any]) -> tuple[str, str]:
    """(user id, channel id or "") of whoever sent this request, whatever its kind."""
    if "user_id" in body:  # slash command
        return str(body["user_id"]), str(body.get("channel_id") or "")
    event = body.get("event") or {}
    if event:
        return str(event.get("user") or ""), str(event.get("channel") or "")
    user = str((body.get("user") or {}).get("id") or "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    if not channel and body.get("view"):
        try:
            channel = json.loads(body["view"].get("private_metadata") or "{}").get("channel", "")
        except ValueError:
            channel = ""
    return user, str(channel)


def _json(payload: Mapping[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})


def error_response(error: BaseException, body: Mapping[str, Any], reference: str) -> BoltResponse:
    """The HTTP answer to a request whose ack path failed."""
    text = user_message(error, reference)
    if "command" in body:
        return _json({"response_type": "ephemeral", "text": text})
    if body.get("type") == "view_submission":
        inputs = [b["block_id"] for b in body.get("view", {}).get("blocks", []) if b.get("type") == "input"]
        if inputs:  # the modal stays open, with what was typed, and says why
            return _json({"response_action": "errors", "errors": {inputs[0]: text}})
    if body.get("type") == "block_suggestion":
        return _json({"options": []})
    # Events and button clicks: Slack only needs a 200 (a 500 would make it retry).
    return BoltResponse(status=200, body="")


def notify(client: WebClient, user_id: str, channel_id: str, text: str) -> None:
    """Tell one user something outside a request: ephemeral where they acted, else (or if that fails) by DM."""
    message = notice_message(text)
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=message.text, blocks=message.blocks)
            return
        except SlackApiError as exc:  # e.g. a private channel the bot is not in
            log.info("ephemeral to %s in %s failed (%s); sending a DM", user_id, channel_id, exc.response.get("error"))
    dm = client.conversations_open(users=user_id)["channel"]["id"]
    client.chat_postMessage(channel=dm, text=message.text, blocks=message.blocks)


def report_lazy_error(error: BaseException, body: Mapping[str, Any], client: WebClient) -> None:
    """A lazy listener failed after the ack: log it and tell the user who asked."""
    reference = new_reference()
    _log(error, reference, body)
    user, channel = requester(body)
    if not user:
        return
    if isinstance(error, StorageUnavailable | RedisError):
        text = FOLLOW_UP_FAILED
    else:
        text = user_message(error, reference)
    try:
        notify(client, user, channel, text)
    except SlackApiError as exc:
        # Slack itself refuses: nobody left to tell but the log, which has the trace above.
        log.error("could not tell %s about ref %s: %s", user, reference, exc.response.get("error"))


def lazy(function: Callable[..., None]) -> Callable[..., None]:
    """Wrap a lazy listener so its failures reach the user (Bolt would only log them).

    The listener must take ``body`` and ``client``; Bolt injects arguments by the
    wrapped function's parameter names (it unwraps ``functools.wraps``).
    """
    names = inspect.signature(function).parameters
    if "body" not in names or "client" not in names:
        raise TypeError(f"lazy listener {function.__name__} must take body and client")

    @functools.wraps(function)
    def run(**kwargs: Any) -> None:
        # Lazy listeners run on Bolt's pool, outside the request's context: name the user again.
        with log_context(slack_user_id=requester(kwargs["body"])[0]):
            try:
                function(**kwargs)
            except Exception as error:
                report_lazy_error(error, kwargs["body"], kwargs["client"])

    return run


def register_error_handler(app: App) -> None:
    """The one ``@app.error`` handler for failures on the ack path."""

    @app.error
    def handle_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        return failure_response(error, body or {})


def failure_response(error: BaseException, body: Mapping[str, Any]) -> BoltResponse:
    """Log a failure of the ack path with a new reference; the answer that tells the user."""
    reference = new_reference()
    _log(error, reference, body)
    return error_response(error, body, reference)
