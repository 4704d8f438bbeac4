"""GET /metrics and /readyz on the bot's real HTTP endpoint, after signed Slack requests."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.views.common import LOG_HOURS_ACTION
from tests.fakes.slack_requests import (
    app_home_opened_event,
    block_actions_body,
    block_suggestion_body,
    event_body,
    slash_command_body,
)
from tests.scenario.conftest import RunningBot, view_for_payload_home, wait_until


def scrape(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = bot.get("/metrics")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def metric(scraped: dict[Any, float], name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_quick_entry_shows_in_ack_latency_entries_and_postgres_syncs(bot: RunningBot) -> None:
    assert bot.post(slash_command_body(text="7-3:30 job 1042")).status == 200
    assert bot.post(slash_command_body(text="help")).status == 200
    bot.slack.wait_for("chat.postMessage")
    bot.settle()

    wait_until(
        lambda: metric(scrape(bot), "crewclock_sync_outcomes_total", sink="postgres", outcome="ok"),
        what="the sync counted",
    )
    scraped = scrape(bot)
    assert metric(scraped, "crewclock_ack_seconds_count", kind="command") == 2
    assert 0 < metric(scraped, "crewclock_ack_seconds_sum", kind="command") < 2
    assert metric(scraped, "crewclock_ack_seconds_bucket", kind="command", le="1.0") == 2
    assert metric(scraped, "crewclock_entries_recorded_total", change="created") == 1
    assert metric(scraped, "crewclock_pending_entries") == 0
    assert metric(scraped, "crewclock_dead_letters") == 0
    assert metric(scraped, "crewclock_redis_used_memory_bytes") > 0
    assert metric(scraped, "crewclock_sync_last_success_timestamp_seconds", sink="postgres") > 0


def test_each_kind_of_request_is_timed_under_its_own_label(bot: RunningBot) -> None:
    assert bot.post(block_suggestion_body("job_select", value="smi")).status == 200
    assert bot.post(event_body(app_home_opened_event(tab="messages"))).status == 200
    assert bot.post(block_actions_body(LOG_HOURS_ACTION, view=view_for_payload_home())).status == 200

    scraped = scrape(bot)
    assert metric(scraped, "crewclock_ack_seconds_count", kind="options") == 1
    assert metric(scraped, "crewclock_ack_seconds_count", kind="event") == 1
    assert metric(scraped, "crewclock_ack_seconds_count", kind="block_actions") == 1


def test_an_unsigned_request_is_timed_as_other_not_as_a_command(bot: RunningBot) -> None:
    body = slash_command_body(text="help")
    assert bot.post(body, headers={"Content-Type": "application/x-www-form-urlencoded"}).status == 401

    scraped = scrape(bot)
    assert metric(scraped, "crewclock_ack_seconds_count", kind="other") == 1
    assert metric(scraped, "crewclock_ack_seconds_count", kind="command") == 0


def test_slack_api_errors_are_counted(bot: RunningBot) -> None:
    bot.slack.fail_next("views.open", "expired_trigger_id")
    assert bot.post(slash_command_body(text="")).status == 200  # /hours alone opens the form

    wait_until(
        lambda: metric(
            scrape(bot), "crewclock_slack_api_errors_total", method="views.open", error="expired_trigger_id"
        ),
        what="the views.open error counted",
    )


def test_readyz_is_200_with_each_check_when_redis_postgres_and_schema_are_fine(bot: RunningBot) -> None:
    response = bot.get("/readyz")

    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["status"] == "ready"
    checks = {c["name"]: c for c in answer["checks"]}
    assert checks["redis"]["ok"] and checks["database"]["ok"] and checks["schema"]["ok"]
    assert checks["redis persistence"].get("warning_only") is True  # the test Redis has no AOF: a warning only
