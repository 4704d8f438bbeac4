"""Scenario 6: Slack delivers the same request three times, and a modal is submitted twice: one entry each.

Two bot processes share Redis and Postgres, as behind a load balancer: Slack's retries
(``X-Slack-Retry-Num: 1`` and ``2``, the same body and trigger id) go to whichever process,
and here they are sent at the same moment as the first delivery, to both processes, so the
"retry" can win the race. A modal's Save is clicked twice (the same view id), both
submissions in flight together. Each intent must give one entry in Postgres and one
confirmation DM; every delivery is answered 200 with the same entry.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.fakes.slack_requests import new_trigger_id
from tests.reliability.harness import (
    BotProcess,
    Stack,
    marker_of,
    pg_truth,
    quick_entry_body,
    user_of,
    wait_until,
)
from tests.reliability.results import ScenarioResult
from tests.reliability.scale import scaled
from tests.scenario.conftest import modal_values, submission

COMMANDS = scaled(30, 200)
MODALS = scaled(30, 200)
TAG = "s6"


def answer_text(response: Any) -> str:
    if not response.body:
        return ""
    return str(response.json().get("text") or "")


def open_modals(deployment: Stack, bot: BotProcess, users: list[str]) -> dict[str, dict[str, Any]]:
    """``/hours`` with no text for each user; returns each user's modal as views.open got it."""
    triggers = {}
    for user in users:
        trigger = new_trigger_id()
        triggers[trigger] = user
        assert bot.post(quick_entry_body(deployment.slack, "", user, trigger_id=trigger)).status == 200
    calls = deployment.slack.wait_for("views.open", len(users), timeout=30)
    return {triggers[c["params"]["trigger_id"]]: dict(c["response"]["view"]) for c in calls}


def confirmation_dms(deployment: Stack, users: list[str]) -> Counter[str]:
    """Confirmation DMs ("Logged ...") per user."""
    by_channel = {deployment.slack.dm_channel(u): u for u in users}
    sent: Counter[str] = Counter()
    for call in deployment.slack.calls("chat.postMessage"):
        user = by_channel.get(str(call["params"].get("channel")))
        if user and str(call["params"].get("text") or "").startswith("Logged "):
            sent[user] += 1
    return sent


def test_redelivered_commands_and_double_submitted_modals_make_one_entry_each(
    make_stack: Callable[..., Stack], record_result: Callable[[ScenarioResult], None]
) -> None:
    deployment = make_stack()
    bots = deployment.start_bots(2)
    command_users = [user_of(TAG + "c", i) for i in range(COMMANDS)]
    modal_users = [user_of(TAG + "m", i) for i in range(MODALS)]

    # Three deliveries of each command (first, retry 1, retry 2), all at once, over both processes.
    deliveries = []
    for i, user in enumerate(command_users):
        body = quick_entry_body(deployment.slack, f"7-3:30 job 1042 -- {marker_of(TAG, i)}", user)
        deliveries += [(bots[(i + n) % 2], body, n or None) for n in range(3)]
    with ThreadPoolExecutor(max_workers=9) as pool:
        command_answers = list(pool.map(lambda d: d[0].post(d[1], retry_num=d[2]), deliveries))

    # Each modal opened once and saved twice, both submissions in flight together.
    views = open_modals(deployment, bots[0], modal_users)
    submissions = []
    for i, user in enumerate(modal_users):
        view = views[user]
        day = next(b for b in view["blocks"] if b.get("block_id") == "work_date")["element"]["initial_date"]
        body = submission(view, modal_values(work_date=day, notes=marker_of(TAG, COMMANDS + i)), user_id=user)
        submissions += [(bots[n], body) for n in range(2)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        modal_answers = list(pool.map(lambda s: s[0].post(s[1]), submissions))

    intents = [marker_of(TAG, i) for i in range(COMMANDS + MODALS)]
    wait_until(
        lambda: not pg_truth(deployment.engine, TAG).missing(intents) and deployment.pending() == 0,
        timeout=30,
        what="every entry in Postgres",
    )
    wait_until(
        lambda: len(confirmation_dms(deployment, command_users + modal_users)) == COMMANDS + MODALS,
        timeout=20,
        what="a confirmation DM per entry",
    )
    truth = pg_truth(deployment.engine, TAG)
    dms = confirmation_dms(deployment, command_users + modal_users)
    command_texts = [answer_text(r) for r in command_answers]
    record_result(
        ScenarioResult(
            row="6",
            scenario="each command delivered 3x (retry headers, concurrently, 2 processes); each modal saved 2x",
            submitted=len(intents),
            acknowledged=sum(t.startswith("Logged ") for t in command_texts[::3])
            + sum(r.status == 200 and not r.body for r in modal_answers[::2]),
            in_postgres=sum(m in truth.ids_by_marker for m in intents),
            duplicates=truth.duplicates() + sum(n - 1 for n in dms.values()),
            lost=len(truth.missing(intents)),
            notes=(
                f"{len(deliveries)} command deliveries for {COMMANDS} commands, "
                f"{len(submissions)} submissions for {MODALS} modals; confirmation DMs: {sum(dms.values())}"
            ),
        )
    )

    assert [r.status for r in command_answers + modal_answers] == [200] * (len(deliveries) + len(submissions))
    assert all(t.startswith("Logged ") for t in command_texts), Counter(command_texts).most_common(3)
    # A modal closes on every submission: an empty 200 (no errors to show).
    assert [r.body for r in modal_answers if r.body] == [], [json.loads(r.body) for r in modal_answers if r.body][:3]
    assert truth.missing(intents) == []
    assert truth.duplicates() == 0 and truth.rows == len(intents)
    assert set(dms.values()) == {1}
