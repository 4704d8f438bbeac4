"""Metrics on embedded storage: what each counter counts, the Redis gauges at scrape time, Slack API errors,
and multiprocess mode adding up forked workers."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import fakeredis
import pytest
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.observability import count_api_errors, slack_metrics
from core.bootstrap import Services, build_services
from core.ops.metrics import MULTIPROC_ENV, Metrics, enable_multiprocess
from core.settings import Settings
from tests.fakes.slack_api import FakeSlack
from tests.support.builders import ScriptedSink, actor, draft


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@pytest.fixture
def services(tmp_path: Path, server: fakeredis.FakeServer) -> Iterator[Services]:
    settings = replace(Settings(), database_url=f"sqlite:///{tmp_path}/crewclock.db", sync_max_attempts=2)
    built = build_services(settings, redis_override=fakeredis.FakeRedis(server=server))
    built.sync.submit = lambda entry_id: False  # type: ignore[method-assign]  # the tests push, not the pool
    yield built
    built.stop()
    built.sql.engine.dispose()


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return samples(metrics)[(name, tuple(sorted(labels.items())))]


def test_entries_are_counted_by_change_once_per_intent(services: Services) -> None:
    entries, me = services.entries, actor("U1")
    first = entries.record_entry(draft("U1"), actor=me, intent_key="trigger-1").entry
    entries.record_entry(draft("U1"), actor=me, intent_key="trigger-1")  # Slack's retry: same entry
    entries.edit_entry(first.id, replace(draft("U1"), notes="primed"), actor=me)
    entries.delete_entry(first.id, actor=me)

    metrics = services.metrics
    assert value(metrics, "crewclock_entries_recorded_total", change="created") == 1
    assert value(metrics, "crewclock_entries_recorded_total", change="edited") == 1
    assert value(metrics, "crewclock_entries_recorded_total", change="deleted") == 1


def test_sync_outcomes_per_sink_and_the_backlog_read_from_redis(services: Services) -> None:
    services.sync.sinks = [ScriptedSink("postgres", "retry", "Postgres down")]
    services.entries.clock = lambda: time.time() - 600  # recorded ten minutes ago
    entry = services.entries.record_entry(draft("U1"), actor=actor("U1")).entry
    services.sync.process(services.hot.claim_ids([entry.id], token=services.sync.token, lease_s=30, now=time.time()))

    metrics = services.metrics
    assert value(metrics, "crewclock_sync_outcomes_total", sink="postgres", outcome="retry") >= 1
    assert value(metrics, "crewclock_pending_entries") == 1
    assert value(metrics, "crewclock_dead_letters") == 0
    assert 595 <= value(metrics, "crewclock_pending_oldest_age_seconds") <= 700
    assert value(metrics, "crewclock_pending_oldest_age_exact") == 1
    assert value(metrics, "crewclock_redis_up") == 1
    assert ("crewclock_redis_used_memory_bytes", ()) not in samples(metrics)  # fakeredis has no INFO


def test_dead_letters_and_the_last_success_of_each_sink(services: Services) -> None:
    services.sync.sinks = [ScriptedSink("postgres", "ok")]
    ok = services.entries.record_entry(draft("U1"), actor=actor("U1")).entry
    services.sync.process(services.hot.claim_ids([ok.id], token=services.sync.token, lease_s=30, now=time.time()))
    services.sync.sinks = [ScriptedSink("postgres", "permanent", "bad row")]
    dead = services.entries.record_entry(draft("U2"), actor=actor("U2")).entry
    services.sync.process(services.hot.claim_ids([dead.id], token=services.sync.token, lease_s=30, now=time.time()))

    metrics = services.metrics
    assert value(metrics, "crewclock_sync_outcomes_total", sink="postgres", outcome="ok") >= 1
    assert value(metrics, "crewclock_sync_outcomes_total", sink="postgres", outcome="dead") >= 1
    assert value(metrics, "crewclock_dead_letters") == 1
    assert abs(value(metrics, "crewclock_sync_last_success_timestamp_seconds", sink="postgres") - time.time()) < 60


def test_hot_read_hit_ratio_counts_reads_redis_answered_alone(services: Services) -> None:
    services.hot.mark_watermark(0)
    me, today = actor("U1"), date.today()
    services.entries.list_user_entries(actor=me, team_id=me.team_id, user_id="U1", first=today, last=today)
    services.entries.list_user_entries(actor=me, team_id=me.team_id, user_id="U1", first=today, last=today)
    old = today - timedelta(days=90)
    services.entries.list_user_entries(actor=me, team_id=me.team_id, user_id="U1", first=old, last=today)

    metrics = services.metrics
    assert value(metrics, "crewclock_history_reads_total", answered_by="redis") == 2
    assert value(metrics, "crewclock_history_reads_total", answered_by="postgres") == 1
    assert value(metrics, "crewclock_hot_read_hit_ratio") == pytest.approx(2 / 3)


def test_a_dead_redis_shows_as_redis_up_0_and_the_scrape_still_answers(
    services: Services, server: fakeredis.FakeServer
) -> None:
    server.connected = False

    scraped = samples(services.metrics)

    assert scraped[("crewclock_redis_up", ())] == 0
    assert ("crewclock_pending_entries", ()) not in scraped


def test_slack_api_errors_and_429s_are_counted_by_method() -> None:
    metrics = Metrics()
    edge = slack_metrics(metrics)
    with FakeSlack() as slack:
        client = count_api_errors(WebClient(token="xoxb-test", base_url=slack.base_url), edge)
        from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        slack.rate_limit_next("chat.postMessage", retry_after=0)
        client.chat_postMessage(channel="C1", text="hi")  # 429, then the retry goes through
        slack.fail_next("views.open", "expired_trigger_id")
        with pytest.raises(SlackApiError):
            client.views_open(trigger_id="t", view={"type": "modal"})

    assert value(metrics, "crewclock_slack_api_rate_limited_total", method="chat.postMessage") == 1
    assert value(metrics, "crewclock_slack_api_errors_total", method="views.open", error="expired_trigger_id") == 1


def _worker(directory: str, count: int) -> None:
    metrics = Metrics(multiprocess_dir=directory)
    for _ in range(count):
        metrics.on_write("create", None)  # type: ignore[arg-type]
        slack_metrics(metrics).ack_seconds.labels("command").observe(0.001)


def test_multiprocess_mode_adds_up_the_counts_of_every_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = values.ValueClass
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    try:
        enable_multiprocess(str(tmp_path))
        forked = multiprocessing.get_context("fork")
        workers = [forked.Process(target=_worker, args=(str(tmp_path), n)) for n in (3, 4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10)
        scraper = Metrics(multiprocess_dir=str(tmp_path))  # any process reads every worker's files

        assert value(scraper, "crewclock_entries_recorded_total", change="created") == 7
        assert value(scraper, "crewclock_ack_seconds_count", kind="command") == 7
    finally:
        monkeypatch.delenv(MULTIPROC_ENV, raising=False)
        values.ValueClass = before
