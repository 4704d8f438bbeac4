"""ZohoPeopleSink against the fake Zoho over real HTTP on loopback.

Each test asserts what the fake Zoho holds (its time logs, token grants, call counts)
and what the sink returned, never how the sink got there.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from core.domain.entry import TimeEntry
from core.sync.ports import Outcome, PushRequest, PushResult
from core.zoho import ZohoConfig, build_sink
from core.zoho.people_sink import ZohoPeopleSink
from tests.fakes.zoho_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    FakeZoho,
    InMemoryZohoRefs,
    make_entry,
)

JOBS = {"job-1": "ZJ-100", "job-2": "ZJ-200", "job-x": None}

SinkFactory = Callable[..., ZohoPeopleSink]


@pytest.fixture
def fake() -> Iterator[FakeZoho]:
    with FakeZoho() as server:
        yield server


@pytest.fixture
def refs() -> InMemoryZohoRefs:
    return InMemoryZohoRefs(JOBS)


@pytest.fixture
def make_sink(fake: FakeZoho, refs: InMemoryZohoRefs) -> Iterator[SinkFactory]:
    """Build sinks as separate processes would: each has its own client, token and memory."""
    built: list[ZohoPeopleSink] = []

    def make(**overrides: Any) -> ZohoPeopleSink:
        settings: dict[str, Any] = {
            "mode": "people",
            "accounts_url": fake.url,
            "api_url": fake.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "connect_timeout_s": 1.0,
            "read_timeout_s": 0.5,
            "requests_per_minute": 10_000,
            "requests_per_day": 100_000,
            "max_rate_wait_s": 0.0,
        }
        settings.update(overrides)
        sink = build_sink(ZohoConfig(**settings), **refs.callables())
        assert isinstance(sink, ZohoPeopleSink)
        built.append(sink)
        return sink

    yield make
    for sink in built:
        sink.close()


@pytest.fixture
def sink(make_sink: SinkFactory) -> ZohoPeopleSink:
    return make_sink()


def push(sink: ZohoPeopleSink, *entries: TimeEntry, uncertain: bool = False) -> list[PushResult]:
    return sink.push([PushRequest(entry, uncertain) for entry in entries])


def outcomes(results: Sequence[PushResult]) -> list[Outcome]:
    return [result.outcome for result in results]


# -- creating, editing, deleting ------------------------------------------------------------


def test_an_entry_becomes_one_time_log_with_its_id_recorded(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    entry = make_entry("e1", total_hours="8.0", notes="framing")
    assert outcomes(push(sink, entry)) == [Outcome.OK]
    [log] = fake.logs.values()
    assert (log.user, log.job_id, log.work_date, log.hours) == ("ana@crew.test", "ZJ-100", date(2026, 11, 2), "08:00")
    assert log.description.startswith("crewclock:e1 ") and "framing" in log.description
    assert refs.ids == {"e1": log.timelog_id}


def test_pushing_a_version_zoho_holds_changes_nothing(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    entry = make_entry("e1")
    push(sink, entry)
    before = {k: (v.hours, v.description, v.work_date) for k, v in fake.logs.items()}
    for _ in range(3):
        assert outcomes(push(sink, entry)) == [Outcome.OK]
        assert outcomes(push(sink, entry, uncertain=True)) == [Outcome.OK]
    assert {k: (v.hours, v.description, v.work_date) for k, v in fake.logs.items()} == before
    assert len(fake.logs) == 1 and len(refs.ids) == 1


def test_an_edit_updates_the_same_log(sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs) -> None:
    push(sink, make_entry("e1", total_hours="8.0"))
    [log_id] = fake.logs
    edited = make_entry("e1", version=2, total_hours="9.5", end="17:00", job_id="job-2", notes="overtime")
    assert outcomes(push(sink, edited)) == [Outcome.OK]
    assert list(fake.logs) == [log_id]
    log = fake.logs[log_id]
    assert (log.hours, log.job_id, log.edits) == ("09:30", "ZJ-200", 1)
    assert "overtime" in log.description and "07:00-17:00" in log.description
    assert refs.ids == {"e1": log_id}


def test_a_delete_removes_the_log_and_forgets_its_id(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    push(sink, make_entry("e1"), make_entry("e2"))
    assert outcomes(push(sink, make_entry("e1", version=2, deleted=True))) == [Outcome.OK]
    assert fake.logs_of("e1") == [] and len(fake.logs_of("e2")) == 1
    assert "e1" not in refs.ids and refs.saves[-1] == ("e1", None)
    # Deleting again (a retry after a lost reply) is fine too.
    refs.ids["e1"] = "4915000000999999"
    assert outcomes(push(sink, make_entry("e1", version=2, deleted=True))) == [Outcome.OK]
    assert "e1" not in refs.ids


def test_deleting_an_entry_zoho_never_had_is_ok(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    assert outcomes(push(sink, make_entry("e1", deleted=True))) == [Outcome.OK]
    assert fake.api_calls() == 0  # a first version never pushed: nothing to look for
    assert outcomes(push(sink, make_entry("e2", version=3, deleted=True))) == [Outcome.OK]
    assert fake.calls["addupdatetimelogs"] == 0 and fake.calls["deletetimelog"] == 0
    # No Zoho user at all: nothing can have been sent, so nothing to look for either.
    calls = fake.api_calls()
    assert outcomes(push(sink, make_entry("e3", version=2, deleted=True, email=""))) == [Outcome.OK]
    assert fake.api_calls() == calls


def test_an_edit_of_a_log_removed_in_zoho_is_a_dead_letter(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    push(sink, make_entry("e1"))
    fake.logs.clear()  # an admin deleted it in Zoho; recreating it would undo their choice
    [result] = push(sink, make_entry("e1", version=2, total_hours="6.0"))
    assert result.outcome is Outcome.PERMANENT and "7049" in result.error
    assert fake.logs == {}


def test_many_deletes_go_in_one_call(sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs) -> None:
    entries = [make_entry(f"e{n}") for n in range(5)]
    push(sink, *entries)
    results = push(sink, *(make_entry(f"e{n}", version=2, deleted=True) for n in range(5)))
    assert outcomes(results) == [Outcome.OK] * 5
    assert fake.logs == {} and refs.ids == {}
    assert fake.calls["deletetimelog"] == 1


def test_bulk_calls_hold_at_most_100_logs_within_31_days(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    start = date(2026, 1, 1)
    entries = [make_entry(f"e{n:03d}", work_date=start + timedelta(days=n % 3)) for n in range(150)]
    entries += [make_entry(f"late{n}", work_date=start + timedelta(days=45)) for n in range(5)]
    results = sink.push([PushRequest(entry) for entry in entries[:100]]) + sink.push(
        [PushRequest(entry) for entry in entries[100:]]
    )
    assert set(outcomes(results)) == {Outcome.OK}
    assert sorted(fake.bulk_sizes) == [5, 50, 100]
    for entry in entries:
        [log] = fake.logs_of(entry.id)
        assert refs.ids[entry.id] == log.timelog_id  # every id belongs to its own entry


# -- failures: what is retried, what is dead-lettered --------------------------------------


def test_partial_bulk_failure_records_the_good_logs_and_fails_only_the_bad(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    fake.reject_entry("e2", 7052, "Missing mandatory field values")
    fake.reject_entry("e4", 6001, "Temporary problem")  # a code we do not know: retried
    entries = [make_entry(f"e{n}", total_hours=f"{n}.0") for n in range(1, 6)]
    results = push(sink, *entries)
    assert outcomes(results) == [Outcome.OK, Outcome.PERMANENT, Outcome.OK, Outcome.RETRY, Outcome.OK]
    assert "7052" in results[1].error and "Missing mandatory" in results[1].error
    assert sorted(refs.ids) == ["e1", "e3", "e5"]
    for entry_id in ("e1", "e3", "e5"):
        [log] = fake.logs_of(entry_id)
        assert refs.ids[entry_id] == log.timelog_id
    assert fake.logs_of("e2") == [] and fake.logs_of("e4") == []
    # The transient one goes through on retry (the core passes uncertain after a RETRY).
    fake.accept_entry("e4")
    assert outcomes(push(sink, entries[3], uncertain=True)) == [Outcome.OK]
    assert len(fake.logs_of("e4")) == 1 and len(fake.logs) == 4


def test_unknown_zoho_user_is_a_dead_letter_with_zohos_message(make_sink: SinkFactory, fake: FakeZoho) -> None:
    fake.known_users = {"ana@crew.test"}
    results = push(make_sink(), make_entry("e1"), make_entry("e2", email="ghost@crew.test"))
    assert outcomes(results) == [Outcome.OK, Outcome.PERMANENT]
    assert "7048" in results[1].error and "Invalid user" in results[1].error
    assert len(fake.logs) == 1


def test_missing_mappings_are_clear_errors_without_calling_zoho(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    results = push(sink, make_entry("e1", job_id="job-x"), make_entry("e2", email="", slack_user_id="U9"))
    # A job with no Zoho id needs an admin; a missing email is retried: Slack gives it moments later.
    assert outcomes(results) == [Outcome.PERMANENT, Outcome.RETRY]
    assert "has no Zoho job id" in results[0].error and "job-x" in results[0].error
    assert "U9" in results[1].error and "email" in results[1].error
    assert fake.api_calls() == 0 and fake.grants == 0


def test_user_map_sends_the_mapped_zoho_user(make_sink: SinkFactory, fake: FakeZoho) -> None:
    sink = make_sink(user_map={"Ana@Crew.test": "EMP-0042", "U9": "bo@zoho.test"})
    results = push(sink, make_entry("e1"), make_entry("e2", email="", slack_user_id="U9"))
    assert outcomes(results) == [Outcome.OK, Outcome.OK]
    assert fake.logs_of("e1")[0].user == "EMP-0042" and fake.logs_of("e2")[0].user == "bo@zoho.test"


@pytest.mark.parametrize(("retry_after", "expected"), [("7", 7.0), (None, 42.0)])
def test_429_is_retried_after_what_zoho_asked(
    make_sink: SinkFactory, fake: FakeZoho, retry_after: str | None, expected: float
) -> None:
    sink = make_sink(rate_limit_lock_s=42.0)
    fake.fail_next("addupdatetimelogs", "429", retry_after=retry_after)
    results = push(sink, make_entry("e1"), make_entry("e2", job_id="job-2"))
    assert outcomes(results) == [Outcome.RETRY, Outcome.RETRY]
    assert [result.retry_after_s for result in results] == [expected, expected]
    assert fake.logs == {}
    # Our limiter now holds everyone back instead of hammering into more 429s.
    calls = fake.api_calls()
    again = push(sink, make_entry("e1"))
    assert outcomes(again) == [Outcome.RETRY] and fake.api_calls() == calls
    assert again[0].retry_after_s is not None and again[0].retry_after_s > expected - 2


def test_500_is_retried_and_the_retry_lands_once(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    fake.fail_next("addupdatetimelogs", "500")
    assert outcomes(push(sink, make_entry("e1"))) == [Outcome.RETRY]
    assert outcomes(push(sink, make_entry("e1"), uncertain=True)) == [Outcome.OK]
    assert len(fake.logs) == 1


def test_a_whole_call_rejection_is_narrowed_to_single_logs(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    fake.fail_next("addupdatetimelogs", "400")
    results = push(sink, make_entry("e1"), make_entry("e2"), make_entry("e3"))
    assert outcomes(results) == [Outcome.OK] * 3
    assert fake.bulk_sizes == [1, 1, 1]  # the failed call of 3 was answered before it was parsed
    assert len(fake.logs) == 3


def test_after_one_transient_failure_the_push_stops_calling(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    push(sink, make_entry("old"))
    fake.fail_next("addupdatetimelogs", "500")
    calls = fake.api_calls()
    results = push(sink, make_entry("e1"), make_entry("old", version=2, deleted=True))
    assert outcomes(results) == [Outcome.RETRY, Outcome.RETRY]
    assert fake.api_calls() == calls + 1  # the delete waited for the core's backoff
    assert len(fake.logs_of("old")) == 1


# -- exactly once: timeouts, dropped connections, crashes, concurrent workers ---------------


def test_a_reply_lost_to_a_timeout_is_reconciled_not_created_again(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    fake.fail_next("addupdatetimelogs", "slow", delay_s=1.0)  # applied, reply after our 0.5 s
    [first] = push(sink, make_entry("e1"))
    assert first.outcome is Outcome.RETRY and "ReadTimeout" in first.error
    assert len(fake.logs_of("e1")) == 1 and "e1" not in refs.ids
    assert outcomes(push(sink, make_entry("e1"), uncertain=True)) == [Outcome.OK]
    [log] = fake.logs_of("e1")
    assert refs.ids == {"e1": log.timelog_id}
    assert len(fake.logs) == 1 and fake.calls["gettimelogs"] == 1


def test_a_dropped_connection_is_reconciled_by_another_process(
    make_sink: SinkFactory, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    worker_a, worker_b = make_sink(), make_sink()
    fake.fail_next("addupdatetimelogs", "drop")  # Zoho applied it, the reply never came
    assert outcomes(push(worker_a, make_entry("e1"), make_entry("e2"))) == [Outcome.RETRY, Outcome.RETRY]
    assert len(fake.logs) == 2 and refs.ids == {}
    # Worker A "crashed"; B picks the entries up, flagged uncertain by the core.
    assert outcomes(push(worker_b, make_entry("e1"), make_entry("e2"), uncertain=True)) == [Outcome.OK] * 2
    assert len(fake.logs) == 2 and fake.calls["addupdatetimelogs"] == 1
    assert refs.ids == {e: fake.logs_of(e)[0].timelog_id for e in ("e1", "e2")}


def test_the_same_process_remembers_its_doubt_without_the_flag(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    fake.fail_next("addupdatetimelogs", "drop")
    push(sink, make_entry("e1"))
    assert outcomes(push(sink, make_entry("e1"))) == [Outcome.OK]
    assert len(fake.logs_of("e1")) == 1


def test_a_connection_dropped_before_zoho_applied_it_creates_after_checking(
    sink: ZohoPeopleSink, fake: FakeZoho
) -> None:
    fake.fail_next("addupdatetimelogs", "drop_before")
    assert outcomes(push(sink, make_entry("e1"))) == [Outcome.RETRY]
    assert fake.logs == {}
    assert outcomes(push(sink, make_entry("e1"), uncertain=True)) == [Outcome.OK]
    assert len(fake.logs_of("e1")) == 1


def test_an_edit_after_an_unrecorded_create_edits_that_log(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    fake.fail_next("addupdatetimelogs", "drop")
    push(sink, make_entry("e1", total_hours="8.0"))
    # The user edits before the retry; another process pushes version 2 (no flag: new version).
    other = ZohoPeopleSink(
        client=sink.client, load_zoho_ids=sink.load_zoho_ids, save_zoho_id=sink.save_zoho_id,
        job_zoho_id=sink.job_zoho_id,
    )  # fmt: skip
    assert outcomes(push(other, make_entry("e1", version=2, total_hours="6.0"))) == [Outcome.OK]
    [log] = fake.logs_of("e1")
    assert log.hours == "06:00" and log.edits == 1


def test_a_log_whose_id_could_not_be_stored_is_found_again(
    sink: ZohoPeopleSink, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    refs.fail_saves = 1  # Postgres blinks right after Zoho accepted the log
    [first] = push(sink, make_entry("e1"))
    assert first.outcome is Outcome.RETRY and "storing its id failed" in first.error
    assert outcomes(push(sink, make_entry("e1"), uncertain=True)) == [Outcome.OK]
    assert len(fake.logs_of("e1")) == 1 and refs.ids["e1"] == fake.logs_of("e1")[0].timelog_id


class CoreLikeLeases:
    """What the sync engine does around a push, in miniature.

    One worker at a time per entry (the Redis lease), ``inflight`` noted before the push
    and kept until OK or PERMANENT is recorded, so the next attempt is ``uncertain``.
    A "crash" pushes and records nothing.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._leases: dict[str, threading.Lock] = {}
        self.inflight: dict[str, int] = {}
        self.done: dict[str, PushResult] = {}

    def attempt(self, sink: ZohoPeopleSink, entries: Sequence[TimeEntry], *, crash: bool = False) -> None:
        with self._guard:
            leases = {e.id: self._leases.setdefault(e.id, threading.Lock()) for e in entries}
        claimed = [e for e in entries if leases[e.id].acquire(blocking=False)]
        try:
            todo = [e for e in claimed if e.id not in self.done]
            if not todo:
                return
            requests = [PushRequest(e, uncertain=self.inflight.get(e.id) == e.version) for e in todo]
            for entry in todo:
                self.inflight[entry.id] = entry.version
            results = sink.push(requests)
            if crash:
                return
            for result in results:
                if result.outcome is not Outcome.RETRY:
                    self.inflight.pop(result.entry_id, None)
                    self.done[result.entry_id] = result
        finally:
            for entry in claimed:
                leases[entry.id].release()


def test_two_workers_under_faults_leave_exactly_one_log_per_entry(
    make_sink: SinkFactory, fake: FakeZoho, refs: InMemoryZohoRefs
) -> None:
    entries = [make_entry(f"e{n:02d}", job_id=("job-1", "job-2")[n % 2]) for n in range(40)]
    core = CoreLikeLeases()
    workers = [make_sink(), make_sink()]  # two processes
    fake.fail_next("addupdatetimelogs", "drop", times=2)
    fake.fail_next("addupdatetimelogs", "500")
    fake.fail_next("addupdatetimelogs", "slow", delay_s=0.8)
    fake.fail_next("gettimelogs", "drop")
    core.attempt(workers[0], entries[:10], crash=True)  # a process dies mid-push
    deadline = time.monotonic() + 15

    def run(sink: ZohoPeopleSink, seed: int) -> None:
        rng = random.Random(seed)
        while len(core.done) < len(entries) and time.monotonic() < deadline:
            batch = rng.sample(entries, k=rng.randint(1, 15))
            core.attempt(sink, batch)

    threads = [threading.Thread(target=run, args=(workers[n % 2], n)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {result.outcome for result in core.done.values()} == {Outcome.OK}
    assert len(core.done) == len(entries)
    for entry in entries:
        [log] = fake.logs_of(entry.id)
        assert refs.ids[entry.id] == log.timelog_id
    assert len(fake.logs) == len(entries)


# -- OAuth ---------------------------------------------------------------------------------


def test_one_token_serves_many_pushes(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    for n in range(25):
        push(sink, make_entry(f"e{n}"))
    assert fake.grants == 1 and fake.rejected_tokens == 0


def test_token_is_refreshed_once_per_expiry_not_per_call(make_sink: SinkFactory, fake: FakeZoho) -> None:
    fake.token_ttl_s = 1.0  # we refresh at half the lifetime when it is this short
    sink = make_sink()
    for n in range(5):
        push(sink, make_entry(f"a{n}"))
    assert fake.grants == 1
    time.sleep(0.6)
    for n in range(5):
        push(sink, make_entry(f"b{n}"))
    assert fake.grants == 2 and fake.rejected_tokens == 0
    assert len(fake.logs) == 10


def test_401_refreshes_once_and_retries_once(sink: ZohoPeopleSink, fake: FakeZoho) -> None:
    push(sink, make_entry("e1"))
    fake.expire_tokens()  # revoked or expired early
    assert outcomes(push(sink, make_entry("e2"))) == [Outcome.OK]
    assert fake.grants == 2 and fake.rejected_tokens == 1
    assert fake.calls["addupdatetimelogs"] == 3 and len(fake.logs) == 2


def test_a_fresh_token_rejected_again_is_a_retry_not_a_loop(make_sink: SinkFactory, fake: FakeZoho) -> None:
    fake.token_ttl_s = 0  # every token is dead on arrival
    [result] = push(make_sink(), make_entry("e1"))
    assert result.outcome is Outcome.RETRY and "401" in result.error
    assert fake.grants == 2 and fake.calls["addupdatetimelogs"] == 2
    assert fake.logs == {}


def test_a_refused_refresh_token_keeps_entries_pending_with_a_clear_error(
    make_sink: SinkFactory, fake: FakeZoho
) -> None:
    [result] = push(make_sink(refresh_token="1000.revoked"), make_entry("e1"))
    assert result.outcome is Outcome.RETRY and "invalid_code" in result.error
    assert fake.api_calls() == 0


def test_secrets_and_tokens_never_reach_the_logs(
    sink: ZohoPeopleSink, fake: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    push(sink, make_entry("e1"))
    fake.expire_tokens()
    fake.fail_next("addupdatetimelogs", "drop")
    push(sink, make_entry("e2"))
    push(sink, make_entry("e2"))
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "zoho" in text.lower()  # the logs did capture our activity
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, *fake.issued_tokens):
        assert secret not in text


# -- rate limiting -------------------------------------------------------------------------


def test_the_rate_limiter_keeps_us_under_zohos_threshold(make_sink: SinkFactory, fake: FakeZoho) -> None:
    fake.threshold_per_minute = 5  # Zoho would answer 429 past this
    sink = make_sink(requests_per_minute=5, max_rate_wait_s=0.0)
    results = [push(sink, make_entry(f"e{n}"))[0] for n in range(8)]
    assert outcomes(results) == [Outcome.OK] * 5 + [Outcome.RETRY] * 3
    assert all(r.retry_after_s and 0 < r.retry_after_s <= 12 for r in results[5:])
    assert fake.api_calls() == 5  # nothing was sent that Zoho would have refused
    assert len(fake.logs) == 5
