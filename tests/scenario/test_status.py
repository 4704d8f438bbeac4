"""`/crewclock status` through the real HTTP endpoint: refusal, the report, Retry and Discard.

Dead letters are made the way production makes them: a sink answers with a permanent error
and the engine gives up. Answers go to the request's response_url, pointed into FakeSlack.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode

from bot.views.status import DISCARD_ACTION, REFRESH_ACTION, RETRY_ACTION
from core.domain.entry import Actor, SyncStatus
from core.hot.store import DEAD_KEY, DISCARDED_KEY, PENDING_KEY, key_id
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_requests import USER_ID, block_actions_body, slash_command_body
from tests.scenario.conftest import RunningBot, texts_in, wait_until
from tests.support.builders import ScriptedSink, draft

ADMIN = "U0ADMIN01"
_tags = itertools.count(1)


def new_response_url(bot: RunningBot) -> tuple[str, str]:
    method = f"response_url.status{next(_tags)}"
    return bot.slack.base_url + method, method


def answer(bot: RunningBot, method: str) -> dict[str, Any]:
    [call] = bot.slack.wait_for(method)
    return dict(call["params"])


def status(bot: RunningBot, user_id: str = ADMIN) -> dict[str, Any]:
    url, method = new_response_url(bot)
    response = bot.post(slash_command_body("/crewclock", text="status", user_id=user_id, response_url=url))
    assert response.status == 200
    assert response.json() is None  # the report follows on the response_url
    return answer(bot, method)


def click(bot: RunningBot, button: dict[str, Any], user_id: str = ADMIN) -> dict[str, Any]:
    url, method = new_response_url(bot)
    body = block_actions_body(
        button["action_id"],
        value=button.get("value"),
        user_id=user_id,
        channel_id="C0CREW001",
        message_ts="1700000000.000300",
        is_ephemeral=True,
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["response_url"] = url
    assert bot.post(urlencode({"payload": json.dumps(payload)})).status == 200
    return answer(bot, method)


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message["blocks"]
    return list(json.loads(blocks) if isinstance(blocks, str) else blocks)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in blocks_of(message) if b["type"] == "actions" for e in b["elements"]]


def record(bot: RunningBot, user: str = USER_ID, day: date | None = None) -> str:
    entry_draft = replace(draft(user, day=day), slack_team_id=TEAM_ID)
    actor = Actor(TEAM_ID, user)
    return bot.services.entries.record_entry(entry_draft, actor=actor).entry.id


def dead_letter(bot: RunningBot, error: str, sink: str = "postgres") -> str:
    """Record an entry that ``sink`` refuses for good; returns its id once it is dead-lettered."""
    engine = bot.services.sync
    real = list(engine.sinks)
    engine.sinks = [ScriptedSink(sink, "permanent", error) if s.name == sink else s for s in real]
    if sink == "zoho" and not any(s.name == "zoho" for s in real):
        engine.sinks.append(ScriptedSink("zoho", "permanent", error))
    try:
        entry_id = record(bot)
        wait_until(lambda: bot.services.redis.zscore(DEAD_KEY, key_id(entry_id)) is not None, what="dead letter")
    finally:
        engine.sinks = real
    return entry_id


def test_a_crew_member_is_politely_refused(start_bot: Any) -> None:
    bot = start_bot(admin_user_ids=frozenset({ADMIN}))

    message = status(bot, user_id=USER_ID)

    assert "for crewclock's admins" in message["text"]
    assert message["response_type"] == "ephemeral"


def test_status_shows_backlog_sinks_memory_and_each_dead_letter_with_its_error(start_bot: Any) -> None:
    bot = start_bot(admin_user_ids=frozenset({ADMIN}))
    record(bot, user="U0SAVED01")
    bot.settle()
    entry_id = dead_letter(bot, "value too long for type character varying(64)")

    message = status(bot)

    shown = texts_in(blocks_of(message))
    assert "nothing pending · 1 failed (dead-lettered)" in shown
    assert "*Postgres*: last success" in shown and "never" not in shown.split("*Postgres*")[1].split("\n")[0]
    assert "*Zoho*: off" in shown
    assert "*Redis memory:*" in shown
    assert f"`{entry_id}`" in shown
    assert "❌ Postgres gave up after 1 attempts: `value too long for type character varying(64)`" in shown
    assert "⚠️ Postgres does not hold this version." in shown
    retry, discard, refresh = buttons(message)
    assert (retry["action_id"], retry["value"]) == (RETRY_ACTION, entry_id)
    assert (discard["action_id"], discard["value"]) == (DISCARD_ACTION, entry_id)
    assert "Postgres does NOT hold this entry" in discard["confirm"]["text"]["text"]
    assert "Nothing is deleted" in discard["confirm"]["text"]["text"]
    assert refresh["action_id"] == REFRESH_ACTION


def test_discard_keeps_an_entry_postgres_lacks_in_redis_without_a_ttl(start_bot: Any) -> None:
    bot = start_bot(admin_user_ids=frozenset({ADMIN}))
    entry_id = dead_letter(bot, "refused")
    discard = buttons(status(bot))[1]

    message = click(bot, discard)

    shown = texts_in(blocks_of(message))
    assert "Discarded *Smith Residence*" in shown and "Postgres does not hold it" in shown
    assert "no failed syncs" in shown
    redis = bot.services.redis
    member = key_id(entry_id)
    assert redis.zscore(DEAD_KEY, member) is None
    assert redis.zscore(DISCARDED_KEY, member) is not None
    assert redis.ttl(f"e:{member}") == -1  # kept, never expires
    assert bot.services.hot.get(entry_id) is not None
    assert bot.services.sql.get(entry_id) is None


def test_discard_of_a_zoho_failure_keeps_the_postgres_row_and_lets_redis_expire_it(start_bot: Any) -> None:
    bot = start_bot(admin_user_ids=frozenset({ADMIN}))
    bot.services.entries.zoho_enabled = True  # Zoho on for new entries; its sink refuses them
    entry_id = dead_letter(bot, "Zoho: job not found", sink="zoho")
    wait_until(lambda: bot.services.sql.get(entry_id) is not None, what="Postgres row")
    discard = buttons(status(bot))[1]
    assert "Postgres holds this entry (version 1)" in discard["confirm"]["text"]["text"]

    message = click(bot, discard)

    assert "Postgres keeps it" in texts_in(blocks_of(message))
    assert bot.services.sql.get(entry_id) is not None
    assert bot.services.redis.ttl(f"e:{key_id(entry_id)}") > 0  # saved: the normal cache TTL


def test_retry_sends_the_entry_again_and_it_lands(start_bot: Any) -> None:
    bot = start_bot(admin_user_ids=frozenset({ADMIN}))
    entry_id = dead_letter(bot, "Postgres refused")
    retry = buttons(status(bot))[0]

    message = click(bot, retry)

    assert "is being retried" in texts_in(blocks_of(message))
    wait_until(lambda: bot.services.sql.get(entry_id) is not None, what="the retried entry in Postgres")
    bot.settle()
    entry = bot.services.hot.get(entry_id)
    assert entry is not None and entry.postgres.status is SyncStatus.SYNCED
    assert bot.services.redis.zcard(PENDING_KEY) == 0


def test_buttons_refuse_a_crew_member(start_bot: Any) -> None:
    bot = start_bot(admin_user_ids=frozenset({ADMIN}))
    entry_id = dead_letter(bot, "refused")
    discard = buttons(status(bot))[1]

    message = click(bot, discard, user_id=USER_ID)

    assert "for crewclock's admins" in message["text"]
    assert bot.services.redis.zscore(DEAD_KEY, key_id(entry_id)) is not None
