"""Scenario 2: the bot is SIGKILLed while it drains a backlog into Postgres and Zoho, then restarted.

The backlog is made the way it happens in production: entries acknowledged while Postgres
is down. Postgres comes back, the bot starts draining (small batches, so the drain takes
a while), and the whole process group gets SIGKILL as soon as Postgres holds part of the
backlog: no shutdown hook, leases left behind, Zoho pushes possibly applied but not
recorded. The same bot is started again; in the end Postgres has each acknowledged entry
once and Zoho one log per entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.reliability.harness import (
    Stack,
    introduce_users,
    pg_truth,
    submit_entries,
    user_of,
    wait_until,
    warm_up,
    zoho_logs_per_entry,
)
from tests.reliability.results import ScenarioResult
from tests.reliability.scale import scaled

ENTRIES = scaled(400, 2000)
TAG = "s2"
KILL_AT = ENTRIES // 10


def test_sigkill_in_the_middle_of_a_drain_loses_and_duplicates_nothing(
    make_stack: Callable[..., Stack], record_result: Callable[[ScenarioResult], None]
) -> None:
    deployment = make_stack(zoho=True)
    assert deployment.zoho is not None
    # Small batches and few workers: the drain of the backlog takes long enough to be cut.
    bot = deployment.start_bot(SYNC_BATCH_SIZE="10", SYNC_WORKERS="2")
    introduce_users(deployment, [user_of(TAG, i) for i in range(ENTRIES)] + [user_of("s2warm", 0)])
    warm_up(deployment, bot, "s2warm")

    deployment.pg.stop()
    acks = submit_entries([bot], deployment.slack, tag=TAG, count=ENTRIES)
    acked = [a.marker for a in acks if a.acknowledged]
    deployment.pg.start()
    deployment.dispose_engine()

    # Kill once a tenth of the backlog is in Postgres: well inside the drain.
    deadline = time.monotonic() + 20
    while pg_truth(deployment.engine, TAG).rows < KILL_AT and time.monotonic() < deadline:
        time.sleep(0.005)
    bot.kill()
    at_kill = pg_truth(deployment.engine, TAG).rows
    zoho_at_kill = len(deployment.zoho.logs)
    pending_at_kill = deployment.pending()

    deployment.restart_bot(bot)
    wait_until(
        lambda: not pg_truth(deployment.engine, TAG).missing(acked) and deployment.pending() == 0,
        timeout=90,
        what="the backlog drained after the restart",
    )
    truth = pg_truth(deployment.engine, TAG)
    per_entry, stray = zoho_logs_per_entry(deployment.engine, deployment.zoho)
    zoho_logs = {m: per_entry[ids[0]] for m, ids in truth.ids_by_marker.items()}
    in_zoho = sum(1 for m in acked if zoho_logs.get(m, 0) >= 1)
    duplicates = truth.duplicates() + sum(n - 1 for n in zoho_logs.values() if n > 1) + max(stray, 0)
    record_result(
        ScenarioResult(
            row="2",
            scenario="SIGKILL of the bot in the middle of draining a backlog (Postgres + Zoho), then restart",
            submitted=ENTRIES,
            acknowledged=len(acked),
            refused=sum(a.refused_not_saved for a in acks),
            in_postgres=sum(m in truth.ids_by_marker for m in acked),
            in_zoho=in_zoho,
            duplicates=duplicates,
            lost=len(truth.missing(acked)),
            notes=(
                f"killed with {at_kill} in Postgres, {zoho_at_kill} in Zoho, {pending_at_kill} pending; "
                "batches of 10, lease 5 s"
            ),
            extra={"pg_at_kill": at_kill, "zoho_at_kill": zoho_at_kill, "pending_at_kill": pending_at_kill},
        )
    )

    assert len(acked) == ENTRIES, [a for a in acks if not a.acknowledged][:5]
    assert 0 < at_kill < ENTRIES, f"the kill did not land mid-drain ({at_kill} of {ENTRIES} already in Postgres)"
    assert truth.missing(acked) == [] and truth.duplicates() == 0 and truth.rows == ENTRIES
    doubled = {m: deployment.zoho.logs_of(truth.ids_by_marker[m][0]) for m, n in zoho_logs.items() if n != 1}
    assert doubled == {}, "every entry has exactly one Zoho log"
    assert stray == 0, "Zoho logs of no entry"
    assert deployment.dead_letters() == []
