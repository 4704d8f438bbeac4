"""The Zoho People sink wired by bootstrap into the real sync engine (real Redis and Postgres, fake Zoho).

What these prove beyond the sink's own tests: the core's leases, inflight marks and
backoff carry a dropped reply through to exactly one Zoho log, the log id lands in
Postgres, and edits and deletes made in crewclock reach the same Zoho log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import time as clock

import pytest

from core.bootstrap import Services
from core.domain.entry import SyncStatus, TimeEntry
from core.domain.jobs import Job
from core.zoho.people_sink import ZohoPeopleSink
from tests.fakes.zoho_api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho
from tests.support.builders import actor, days_ago, draft


@pytest.fixture
def fake() -> Iterator[FakeZoho]:
    with FakeZoho() as server:
        yield server


@pytest.fixture
def services(make_services: Callable[..., Services], fake: FakeZoho) -> Iterator[Services]:
    built = make_services(
        zoho_mode="people",
        zoho_accounts_url=fake.url,
        zoho_api_url=fake.url,
        zoho_client_id=CLIENT_ID,
        zoho_client_secret=CLIENT_SECRET,
        zoho_refresh_token=REFRESH_TOKEN,
        zoho_timeout_s=0.5,
        zoho_rate_per_minute=10_000,
    )
    built.sql.upsert_jobs([Job("1042", "Smith Residence", True, "ZJ-1042"), Job("2001", "Harbor Office", True, None)])
    yield built
    for sink in built.sync.sinks:
        if isinstance(sink, ZohoPeopleSink):
            sink.close()  # Services.stop() does not know the Zoho client's pool


def zoho_state(services: Services, entry_id: str) -> TimeEntry:
    held = services.hot.get(entry_id)
    assert held is not None
    return held


def settle(services: Services, done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Sweep as the scheduler would until ``done`` (backoff here is tens of milliseconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        services.sync.sweep()
        time.sleep(0.03)
    raise AssertionError("sync did not settle in time")


def zoho_id(services: Services, entry_id: str) -> str | None:
    return services.sql.load_zoho_ids([entry_id]).get(entry_id)


def test_a_dropped_reply_still_gives_one_zoho_log_and_its_id_in_postgres(services: Services, fake: FakeZoho) -> None:
    fake.fail_next("addupdatetimelogs", "drop")  # Zoho applies the first push; its reply is lost
    entry = services.entries.record_entry(draft("U1", day=days_ago(1)), actor=actor("U1")).entry
    settle(services, lambda: zoho_state(services, entry.id).zoho.status is SyncStatus.SYNCED)
    [log] = fake.logs_of(entry.id)
    assert zoho_id(services, entry.id) == log.timelog_id
    assert (log.user, log.job_id, log.hours) == ("u1@example.com", "ZJ-1042", "08:00")
    assert fake.calls["addupdatetimelogs"] == 1 and fake.calls["gettimelogs"] == 1  # reconciled, not re-sent


def test_edits_and_deletes_reach_the_same_zoho_log(services: Services, fake: FakeZoho) -> None:
    entry = services.entries.record_entry(draft("U1", day=days_ago(1)), actor=actor("U1")).entry
    settle(services, lambda: zoho_id(services, entry.id) is not None)
    [log] = fake.logs_of(entry.id)

    services.entries.edit_entry(entry.id, draft("U1", day=days_ago(1), end=clock(17, 0)), actor=actor("U1"))
    settle(services, lambda: fake.logs[log.timelog_id].hours == "09:30")
    assert len(fake.logs) == 1 and fake.logs[log.timelog_id].edits == 1

    services.entries.delete_entry(entry.id, actor=actor("U1"))
    settle(services, lambda: not fake.logs)
    settle(services, lambda: zoho_id(services, entry.id) is None)


def test_an_unmapped_job_is_a_dead_letter_with_a_clear_message(services: Services, fake: FakeZoho) -> None:
    entry = services.entries.record_entry(
        draft("U1", day=days_ago(1), job_id="2001", job_name="Harbor Office"), actor=actor("U1")
    ).entry
    settle(services, lambda: zoho_state(services, entry.id).zoho.status is SyncStatus.DEAD)
    held = zoho_state(services, entry.id)
    assert "no Zoho job id" in held.zoho.last_error
    assert held.is_saved  # Postgres has it: the user sees "saved"; Zoho's state is separate
    assert fake.logs == {}
