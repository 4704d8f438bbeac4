"""Postgres stops under a running bot: /readyz says 503, the admins get one alert (not one per entry),
entries keep being acknowledged, and when Postgres returns the backlog drains and "resolved" follows once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from core.sql.store import SqlStore, make_engine
from tests.fakes.slack_requests import slash_command_body
from tests.scenario.conftest import RunningBot, wait_until
from tests.support.servers import PrivatePostgres

ADMINS = ("U0ADMIN01", "U0ADMIN02")
CREW = ("U0CREW001", "U0CREW002", "U0CREW003", "U0CREW004", "U0CREW005")


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().start()
    engine = make_engine(server.url)
    SqlStore(engine).migrate()
    engine.dispose()
    yield server
    server.close()


def alerts_to(bot: RunningBot, admin: str) -> list[str]:
    channel = bot.slack.dm_channel(admin)
    return [
        str(call["params"]["text"])
        for call in bot.slack.calls("chat.postMessage")
        if call["params"].get("channel") == channel
    ]


def readyz(bot: RunningBot) -> tuple[int, dict[str, object], float]:
    started = time.monotonic()
    response = bot.get("/readyz")
    return response.status, json.loads(response.body), time.monotonic() - started


def test_postgres_down_fails_readyz_and_alerts_each_admin_once(
    start_bot: Callable[..., RunningBot], postgres: PrivatePostgres
) -> None:
    bot = start_bot(
        database_url=postgres.url,
        admin_user_ids=frozenset(ADMINS),
        alert_pending_age_s=0.5,
        alert_check_interval_s=0.1,
        sync_max_attempts=1000,  # the outage must not turn into dead letters
    )
    assert readyz(bot)[0] == 200

    postgres.stop()
    _, answer, elapsed = wait_until(lambda: (r := readyz(bot))[0] == 503 and r, what="/readyz 503")
    assert elapsed < 3
    assert answer["status"] == "not ready"
    assert any(c["name"] == "database" and not c["ok"] for c in answer["checks"])  # type: ignore[union-attr]

    for user in CREW[:3]:
        assert bot.post(slash_command_body(text="7-3:30 job 1042", user_id=user)).status == 200
    wait_until(lambda: all(alerts_to(bot, a) for a in ADMINS), timeout=10, what="the alert DMs")
    time.sleep(1.5)  # fifteen more checks, and more entries joining the same incident
    for user in CREW[3:]:
        assert bot.post(slash_command_body(text="7-3:30 job 1042", user_id=user)).status == 200
    time.sleep(1.0)

    for admin in ADMINS:
        [alert] = alerts_to(bot, admin)
        assert "not reaching the permanent record" in alert
    assert bot.services.hot.counts() == (5, 0)  # acknowledged, pending, none dead

    postgres.start()
    bot.settle(timeout=15)
    wait_until(lambda: readyz(bot)[0] == 200, what="/readyz 200 again")
    wait_until(lambda: all(len(alerts_to(bot, a)) == 2 for a in ADMINS), timeout=10, what="the resolved DMs")
    time.sleep(0.5)
    for admin in ADMINS:
        alert, resolved = alerts_to(bot, admin)
        assert "moving again" in resolved
    assert SqlStore(make_engine(postgres.url)).count_entries() == 5
