"""Scenario 4: three bot processes share Redis and Postgres; Zoho fails for a while, then recovers.

The fake Zoho refuses its first calls in every way it knows (token grants failing, 500s,
429s with Retry-After, a connection closed before anything is applied, a connection closed
*after* the logs were applied — the case that makes naive retries double-book — and a reply
slower than the client's timeout, also applied). Entries are spread over the three
processes, so any of them may push any entry. In the end each entry has exactly one Zoho
log (matched by the ``crewclock:<id>`` key the sink writes in the description), Postgres
has each entry once, and the weekly DM reached each crew member once although all three
processes ran the weekly job.

The weekly job's first check is brought forward from a minute to a few seconds after start
(``tests/reliability/launch.py``); everything else is the product as shipped.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.domain.clock import today_in
from tests.fakes.slack_api import FakeSlack
from tests.reliability.harness import (
    Ack,
    Stack,
    introduce_users,
    logged,
    marker_of,
    pg_truth,
    quick_entry_body,
    send_quick_entry,
    user_of,
    wait_until,
    zoho_logs_per_entry,
)
from tests.reliability.results import ScenarioResult
from tests.reliability.scale import scaled

TAG = "s4"
USERS = scaled(15, 50)
DAYS = 8  # today and the 7 days before: one entry a day per user, so none overlap
MANAGER = "U0S4MGR01"
CHICAGO = "America/Chicago"  # FakeSlack's users live there; so does the bot's default
WEEKLY_FIRST_CHECK_S = float(scaled(9, 40))  # after start; the entries are all in by then


def zoho_outage(zoho: object) -> dict[str, int]:
    """Queue the faults each Zoho endpoint answers with before it recovers; returns counts."""
    faults = {
        ("token", "500"): 2,
        ("addupdatetimelogs", "500"): 3,
        ("addupdatetimelogs", "429"): 2,
        ("addupdatetimelogs", "drop_before"): 2,
        ("addupdatetimelogs", "drop"): 2,
        ("addupdatetimelogs", "slow"): 1,
        ("gettimelogs", "500"): 1,
        ("gettimelogs", "drop_before"): 1,
    }
    for (endpoint, kind), times in faults.items():
        retry_after = "1" if kind == "429" else None
        zoho.fail_next(endpoint, kind, times=times, retry_after=retry_after, delay_s=2.0)  # type: ignore[attr-defined]
    return {f"{endpoint} {kind}": times for (endpoint, kind), times in faults.items()}


def weekly_dms(slack: FakeSlack) -> Counter[str]:
    """Weekly summaries and digests posted, per recipient."""
    sent: Counter[str] = Counter()
    for call in slack.calls("chat.postMessage"):
        text = str(call["params"].get("text") or "")
        if text.startswith(("Your week", "Crew hours")) and call["status"] == 200 and call["response"].get("ok"):
            sent[str(call["params"]["channel"])] += 1
    return sent


def test_three_processes_and_a_zoho_outage_give_one_zoho_log_per_entry_and_one_weekly_dm_per_user(
    make_stack: Callable[..., Stack], record_result: Callable[[ScenarioResult], None]
) -> None:
    deployment = make_stack(zoho=True)
    zoho = deployment.zoho
    assert zoho is not None
    users = [user_of(TAG, u) for u in range(USERS)]
    for user in users:
        deployment.slack.set_user(user, tz=CHICAGO, email=f"{user.lower()}@crew.example")
    bots = deployment.start_bots(
        3,
        weekly_first_check_s=WEEKLY_FIRST_CHECK_S,
        TIMEZONE=CHICAGO,
        WEEKLY_SUMMARY_DAY="monday",  # due from Monday 00:00 in each user's zone: due now
        WEEKLY_SUMMARY_TIME="00:00",
        MANAGER_USER_IDS=MANAGER,
        SYNC_BATCH_SIZE="25",
    )
    started = time.monotonic()
    introduce_users(deployment, users)
    faults = zoho_outage(zoho)

    today = today_in(ZoneInfo(CHICAGO))
    plan = [(u, d) for d in range(DAYS) for u in range(USERS)]

    def send(item: tuple[int, int]) -> Ack:
        u, d = item
        i = d * USERS + u
        bot = bots[i % len(bots)]
        day = (today - timedelta(days=d)).isoformat()
        marker = marker_of(TAG, i)
        body = quick_entry_body(deployment.slack, f"{day} 7-3:30 job 1042 -- {marker}", users[u])
        response = bot.post(body)
        text = str(response.json().get("text") or "") if response.body else ""
        return Ack(marker, users[u], response.status, text, 0.0)

    with ThreadPoolExecutor(max_workers=6) as pool:
        acks = list(pool.map(send, plan))
    submitted_in = time.monotonic() - started
    acked = [a.marker for a in acks if a.acknowledged]

    def settled() -> bool:
        truth = pg_truth(deployment.engine, TAG)
        if truth.missing(acked) or deployment.pending():
            return False
        per_entry, _ = zoho_logs_per_entry(deployment.engine, zoho)
        return all(per_entry[ids[0]] >= 1 for ids in truth.ids_by_marker.values())

    wait_until(settled, timeout=60, what="every entry in Postgres and in Zoho", interval=0.2)
    expected_dms = {user: 1 for user in users} | {MANAGER: 1}
    try:
        wait_until(lambda: weekly_dms(deployment.slack) == expected_dms, timeout=60, what="DMs", interval=0.2)
    except TimeoutError:
        sent = weekly_dms(deployment.slack)
        raise AssertionError(f"weekly DMs after 60 s: {sum(sent.values())} of {len(expected_dms)}: {sent}") from None
    time.sleep(2)  # the other processes' weekly runs finish too: a late duplicate would show now

    truth = pg_truth(deployment.engine, TAG)
    per_entry, stray = zoho_logs_per_entry(deployment.engine, zoho)
    ours = {m: per_entry[ids[0]] for m, ids in truth.ids_by_marker.items()}
    dms = weekly_dms(deployment.slack)
    record_result(
        ScenarioResult(
            row="4",
            scenario="3 bot processes, Zoho failing (500, 429, dropped before/after applying, slow) then recovering",
            submitted=len(plan),
            acknowledged=len(acked),
            refused=sum(a.refused_not_saved for a in acks),
            in_postgres=sum(m in truth.ids_by_marker for m in acked),
            in_zoho=sum(1 for m in acked if ours.get(m, 0) >= 1),
            duplicates=truth.duplicates() + sum(n - 1 for n in ours.values() if n > 1) + max(stray, 0),
            lost=len(truth.missing(acked)),
            notes=(
                f"{sum(faults.values())} Zoho faults injected; {sum(zoho.calls.values())} Zoho calls; "
                f"weekly DMs: {sum(dms[u] for u in users)} for {USERS} crew members, {dms[MANAGER]} digest "
                f"for 1 manager (3 processes ran the job)"
            ),
            extra={
                "faults": faults,
                "zoho_calls": dict(zoho.calls),
                "weekly_dms": dict(dms),
                "submitted_in_s": round(submitted_in, 1),
            },
        )
    )

    assert submitted_in < WEEKLY_FIRST_CHECK_S - 2, "entries were still arriving when the weekly job ran"
    assert len(acked) == len(plan), [a for a in acks if not a.acknowledged][:5]
    assert truth.missing(acked) == [] and truth.duplicates() == 0
    assert {m: n for m, n in ours.items() if n != 1} == {}, "each entry has exactly one Zoho log"
    assert stray == 0, "Zoho logs of no entry"
    assert deployment.dead_letters() == []
    assert dms == expected_dms
    assert all(zoho.calls[endpoint.split()[0]] > 0 for endpoint in faults)
    assert [line for bot in bots for line in logged(bot.log_text(), "ERROR")] == []


def test_a_new_crew_members_first_quick_entry_reaches_zoho(make_stack: Callable[..., Stack]) -> None:
    deployment = make_stack(zoho=True)
    zoho = deployment.zoho
    assert zoho is not None
    bot = deployment.start_bot()

    ack = send_quick_entry(bot, deployment.slack, marker_of("s4new", 0), "US4NEW001")

    assert ack.acknowledged, ack
    wait_until(lambda: deployment.pending() == 0, timeout=20, what="nothing pending")
    assert deployment.dead_letters() == []
    [entry_id] = pg_truth(deployment.engine, "s4new").ids_by_marker[marker_of("s4new", 0)]
    assert len(zoho.logs_of(entry_id)) == 1
