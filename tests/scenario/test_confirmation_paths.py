"""The confirmation DM's paths, through the real endpoint: the DM channel the process remembers, "saved"
from the start, "pending" at once while Postgres is known down, and every listener talking to Slack over
the app's kept connections."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

import core.sync.engine
from bot import confirmations
from bot.confirmations import dm_key
from core.domain.entry import SinkState, SyncStatus, TimeEntry
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import (
    USER_ID,
    app_home_opened_event,
    block_actions_body,
    event_body,
    slash_command_body,
)
from tests.scenario.conftest import RunningBot, entries_of, open_modal, wait_until
from tests.support.builders import ScriptedSink

MANAGER = "U0MANAGER"
SAVED = "✅ saved"
PENDING = "⏳ pending"


def quick(bot: RunningBot, text: str, user_id: str = USER_ID) -> str:
    """``/hours text`` through the endpoint; returns the ephemeral answer."""
    response = bot.post(slash_command_body(text=text, user_id=user_id))
    assert response.status == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def entry_of_job(bot: RunningBot, job_id: str) -> TimeEntry:
    [entry] = [e for e in entries_of(bot) if e.job_id == job_id]
    return entry


def dm_texts(bot: RunningBot) -> list[str]:
    """What the user reads in their DM with the app, oldest first (each message as last updated)."""
    return [str(m["text"]) for m in bot.slack.messages(bot.slack.dm_channel(USER_ID))]


# -- the DM channel -------------------------------------------------------------------


def test_the_dm_is_opened_once_then_the_process_remembers_its_channel(bot: RunningBot) -> None:
    dm = bot.slack.dm_channel(USER_ID)

    quick(bot, "7-3:30 job 1042")
    bot.slack.wait_for("chat.postMessage")
    assert bot.services.redis.get(dm_key(USER_ID)) == dm.encode()  # shared with the other processes
    # Redis loses its copy (a restart, an eviction): this process still knows the channel.
    bot.services.redis.delete(dm_key(USER_ID))
    quick(bot, "yesterday 6-10 job 2001")
    posts = bot.slack.wait_for("chat.postMessage", 2)

    assert len(bot.slack.calls("conversations.open")) == 1
    assert [(p["params"]["channel"], p["response"]["ok"]) for p in posts] == [(dm, True), (dm, True)]
    first, second = dm_texts(bot)
    assert first.startswith("Logged 8.5 h · Smith Residence · ")
    assert second.startswith("Logged 4.0 h · Sun Valley Clinic · ")


def test_a_dm_channel_slack_no_longer_knows_is_opened_again_and_the_confirmation_arrives(bot: RunningBot) -> None:
    dm = bot.slack.dm_channel(USER_ID)
    quick(bot, "7-3:30 job 1042")
    bot.slack.wait_for("chat.postMessage")
    bot.slack.fail_next("chat.postMessage", "channel_not_found")

    quick(bot, "yesterday 6-10 job 2001")
    posts = bot.slack.wait_for("chat.postMessage", 3)

    assert [p["response"].get("error") for p in posts] == [None, "channel_not_found", None]
    dm_calls = [m for m in bot.slack.methods() if m in ("conversations.open", "chat.postMessage")]
    opened_again = ["chat.postMessage", "conversations.open", "chat.postMessage"]  # the second entry's follow-up
    assert dm_calls == ["conversations.open", "chat.postMessage", *opened_again]
    assert posts[2]["params"]["channel"] == bot.slack.calls("conversations.open")[1]["response"]["channel"]["id"]
    assert len(dm_texts(bot)) == 2
    assert dm_texts(bot)[1].startswith("Logged 4.0 h · Sun Valley Clinic · ")
    assert bot.slack.calls("chat.postEphemeral") == []  # it reached the DM: no fallback was needed
    assert bot.services.redis.get(dm_key(USER_ID)) == dm.encode()


# -- what the first post shows --------------------------------------------------------


def test_a_healthy_entrys_dm_says_saved_from_the_start_and_is_never_edited(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The post waits for this process's sync, up to SAVE_WAIT_S; a longer cap keeps a slow,
    # loaded test machine from turning this into "pending, then updated". The sync wakes it.
    monkeypatch.setattr(confirmations, "SAVE_WAIT_S", 5.0)

    answer = quick(bot, "7-3:30 job 1042")
    [post] = bot.slack.wait_for("chat.postMessage", timeout=15)
    bot.settle()
    entry = entry_of_job(bot, "1042")
    bot.stop()
    bot.services.stop()  # the sync pool, then the queue of confirmation updates, drained

    assert answer.startswith("Logged 8.5 h · Smith Residence · ")  # the ack, before any sync
    assert post["params"]["channel"] == bot.slack.dm_channel(USER_ID)
    assert post["params"]["text"].startswith("Logged 8.5 h · Smith Residence · ")
    assert post["params"]["text"].endswith(SAVED)
    assert bot.slack.calls("chat.update") == []
    [message] = bot.slack.messages(bot.slack.dm_channel(USER_ID))
    assert "edited" not in message
    assert SAVED in message["blocks"][0]["text"]["text"]
    saved = bot.services.sql.get(entry.id)
    assert saved is not None and saved.version == entry.version == 1


def test_while_postgres_is_known_down_a_new_entrys_dm_says_pending_and_is_updated_once_saved(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.sync.engine, "FIRST_SINK_BREAKER_S", 600.0)  # open for the whole test once tripped
    postgres = bot.services.sync.sinks[0]
    down = ScriptedSink("postgres", outcome="retry", error="connection refused")
    bot.services.sync.sinks[0] = down

    quick(bot, "7-3:30 job 1042")  # its push fails: the engine now knows Postgres is down
    bot.slack.wait_for("chat.postMessage")
    wait_until(lambda: bot.services.sync.first_sink_down, what="the breaker open")
    # A post that waited for a sync now would not arrive before wait_for gives up: no sync comes
    # while the breaker is open, so only a post that does not wait gets through.
    monkeypatch.setattr(confirmations, "SAVE_WAIT_S", 60.0)
    quick(bot, "yesterday 6-10 job 2001")
    second = bot.slack.wait_for("chat.postMessage", 2)[1]

    assert second["params"]["text"].startswith("Logged 4.0 h · Sun Valley Clinic · ")
    assert second["params"]["text"].endswith(PENDING)
    pending = entry_of_job(bot, "2001")
    assert (pending.is_saved, pending.postgres.attempts) == (False, 0)
    assert [r.entry.id for batch in down.calls for r in batch] == [entry_of_job(bot, "1042").id]  # not pushed
    assert bot.services.sql.get(pending.id) is None

    bot.services.sync.sinks[0] = postgres  # Postgres is back; the sweeper saves both
    bot.settle()

    wait_until(lambda: [t.endswith(SAVED) for t in dm_texts(bot)] == [True, True], what="both DMs updated")
    assert len(bot.slack.calls("chat.postMessage")) == 2  # updated in place, not posted again
    assert all(bot.services.sql.get(e.id) is not None for e in entries_of(bot))


# -- one client, kept connections -------------------------------------------------------


def track_connections(fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(Web API method, TCP connection number) of each request FakeSlack serves, in arrival order.

    ``http.server`` uses one handler object per accepted connection, for every request sent on it.
    """
    served: list[tuple[str, int]] = []
    numbers = itertools.count(1)
    lock = threading.Lock()
    serve: Callable[[BaseHTTPRequestHandler], None] = fake._serve

    def tracking(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            if not hasattr(handler, "connection_number"):
                handler.connection_number = next(numbers)  # type: ignore[attr-defined]
            method = urlsplit(handler.path).path.removeprefix("/api/")
            served.append((method, handler.connection_number))  # type: ignore[attr-defined]
        serve(handler)

    monkeypatch.setattr(fake, "_serve", tracking)
    return served


def test_every_listener_calls_slack_over_the_apps_kept_connections(
    start_bot: Callable[..., RunningBot], fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = track_connections(fake_slack, monkeypatch)
    bot = start_bot(manager_user_ids=frozenset({MANAGER}))

    # A quick entry: its follow-up looks the user up, opens the DM and posts the confirmation.
    quick(bot, "7-3:30 job 1042")
    [post] = bot.slack.wait_for("chat.postMessage")
    quick_entry = [s for s in served if s[0] in ("users.info", "conversations.open", "chat.postMessage")]
    # /hours with no text: the modal.
    open_modal(bot)
    # The manager clicks Edit on the crew member's confirmation: a lazy listener looks the
    # manager up (never seen before) and opens the modal with the client Bolt hands it.
    before = len(served)
    click = block_actions_body(
        "entry_edit",
        value=entry_of_job(bot, "1042").id,
        user_id=MANAGER,
        channel_id=post["response"]["channel"],
        message_ts=post["response"]["ts"],
    )
    assert bot.post(click).status == 200
    bot.slack.wait_for("views.open", 2)
    edit = [s for s in served[before:] if s[0] in ("users.info", "views.open")]
    # The manager opens the Home tab: another lazy listener.
    assert bot.post(event_body(app_home_opened_event(MANAGER))).status == 200
    bot.slack.wait_for("views.publish")

    calls = bot.slack.calls()
    made = {c["method"] for c in calls}
    assert made >= {"users.info", "conversations.open", "chat.postMessage", "views.open", "views.publish"}
    # Not one request asked Slack to close its connection after answering (urllib's default).
    assert [c["method"] for c in calls if c["headers"].get("connection", "").lower() == "close"] == []
    # Calls made one after another by one listener share one connection.
    assert [m for m, _ in quick_entry] == ["users.info", "conversations.open", "chat.postMessage"]
    assert len({n for _, n in quick_entry}) == 1
    assert [m for m, _ in edit] == ["users.info", "views.open"]
    assert len({n for _, n in edit}) == 1
    assert len({n for _, n in served}) < len(served)


def test_a_confirmation_posted_late_says_what_redis_holds_without_waiting_for_a_past_sync(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a burst, follow-ups queue up: by the time one posts, its entry was saved long ago and nobody
    was listening. It must post what Redis holds at once, not wait for a sync that will not come again."""
    quick(bot, "7-3:30 job 1042")
    bot.settle()
    bot.slack.wait_for("chat.postMessage")
    saved = entry_of_job(bot, "1042")
    assert saved.is_saved
    # As the ack wrote it, ten minutes ago: pending.
    written = saved.updated_at - timedelta(minutes=10)
    as_acked = replace(saved, postgres=SinkState(SyncStatus.PENDING), created_at=written, updated_at=written)
    monkeypatch.setattr(confirmations, "SAVE_WAIT_S", 60.0)  # a post that waits would outlast the join below

    late = threading.Thread(
        target=bot.app.ctx.confirmations.post, args=(saved.id,), kwargs={"user_id": USER_ID, "recorded": as_acked}
    )
    late.start()
    late.join(timeout=20)

    assert not late.is_alive(), "the late post waited for a sync that had already happened"
    second = bot.slack.calls("chat.postMessage")[1]
    assert second["params"]["text"].startswith("Logged 8.5 h · Smith Residence · ")
    assert second["params"]["text"].endswith(SAVED)
