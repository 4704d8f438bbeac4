"""Scenario 5: Redis at a small ``maxmemory``, once per eviction policy.

The bot runs a little first (its connection pools grown, the job cache warm), then
``maxmemory`` is set a few hundred KB above what Redis uses (a little over 2 MB in all), and
other data (ballast, no TTL) fills it up to the last 100 KB; for the ``volatile-*``
policies that last room is filled too, with data carrying a TTL (what those policies may
evict). Postgres is down while entries are
submitted, so every acknowledged entry is pending (no TTL, only in Redis) when Redis runs
out of room. Then Postgres comes back and the truth is counted.

What each policy must show:

* ``noeviction`` and ``volatile-*``: pending entries carry no TTL, so Redis never evicts
  them; when it has no room left it refuses the write and the user is told "Not saved".
  Every acknowledged entry reaches Postgres, once; nobody told "Not saved" has an entry.
* ``allkeys-*``: Redis may evict anything, pending entries and the indexes included. The
  product does not promise to survive that; it promises to say so (README, ``crewclock
  doctor``, the startup log). The test asserts the warnings were given and records how
  many acknowledged entries were lost, for docs/reliability.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from tests.reliability.harness import (
    Stack,
    logged,
    marker_of,
    pg_truth,
    send_quick_entry,
    submit_entries,
    told,
    user_of,
    wait_until,
    warm_up,
)
from tests.reliability.results import ScenarioResult
from tests.reliability.scale import EVICTION_POLICIES, SAFE_POLICIES, scaled

ENTRIES = scaled(400, 2000)
PRELOAD = 40  # entries with Postgres up first: the bot's Redis connections are all open
HEADROOM_BYTES = 300_000  # maxmemory above what Redis uses once the bot runs
ROOM_BYTES = 80_000  # of which free for entries (an entry and its user cost ~0.5-1.6 KB)
BALLAST_VALUE = b"x" * 1000


def fill_with_ballast(client: redis.Redis, up_to: int, *, with_ttl: bool, first: int = 0) -> int:
    """Other data until Redis uses ``up_to`` bytes; returns the keys written."""
    written = 0
    while int(client.info("memory")["used_memory"]) < up_to:
        pipe = client.pipeline(transaction=False)
        for _ in range(10):
            key = first + written
            pipe.set(f"ballast:{key}", BALLAST_VALUE, ex=86400 + key if with_ttl else None)
            written += 1
        pipe.execute()
    return written


def settled_memory(client: redis.Redis, timeout_s: float = 8.0) -> int:
    """``used_memory`` once the clients' buffers have shrunk back after a burst.

    Redis frees an idle client's query buffer a few seconds after its last request; measured
    one second after the preload, the clients' share still swung by ~0.3 MB between runs (the
    test's whole headroom), and with it whether the test's entries could fill Redis at all.
    """
    deadline = time.monotonic() + timeout_s
    lowest, since = int(client.info("memory")["mem_clients_normal"]), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < 2.0:
        time.sleep(0.25)
        clients = int(client.info("memory")["mem_clients_normal"])
        if clients < lowest:
            lowest, since = clients, time.monotonic()
    return int(client.info("memory")["used_memory"])


def told_not_saved(deployment: Stack, users: set[str]) -> list[str]:
    """Messages to these users (DM or ephemeral) that say something was *not* saved."""
    return [f"{u}: {text[:80]}" for u in sorted(users) for text in told(deployment.slack, u) if "Not saved" in text]


@pytest.mark.parametrize("policy", EVICTION_POLICIES)
def test_a_full_redis_never_drops_a_pending_entry_silently(
    policy: str, make_stack: Callable[..., Stack], record_result: Callable[[ScenarioResult], None]
) -> None:
    safe = policy in SAFE_POLICIES
    deployment = make_stack("--maxmemory-policy", policy)
    bot = deployment.start_bot()
    doctor = deployment.run_cli("doctor")
    warm_up(deployment, bot, f"s5{policy}warm")
    submit_entries([bot], deployment.slack, tag=f"s5{policy}pre", count=PRELOAD)
    client = deployment.redis()
    used = settled_memory(client)  # what Redis keeps once the preload's request buffers are freed
    client.config_set("maxmemory", used + HEADROOM_BYTES)
    ballast = fill_with_ballast(client, used + HEADROOM_BYTES - ROOM_BYTES, with_ttl=False)
    if policy.startswith("volatile"):  # and data these policies may evict, in the room left
        ballast += fill_with_ballast(client, used + HEADROOM_BYTES - 10_000, with_ttl=True, first=ballast)
    tag = "s5" + policy.replace("-", "")

    deployment.pg.stop()
    acks = submit_entries([bot], deployment.slack, tag=tag, count=ENTRIES)
    stats = client.info("stats")
    deployment.pg.start()
    deployment.dispose_engine()

    acked = [a.marker for a in acks if a.acknowledged]
    refused = [a.marker for a in acks if a.refused_not_saved]
    unclear = [a for a in acks if not (a.acknowledged or a.refused_not_saved)]
    if safe:
        drained_while_full = _drained(deployment, tag, acked, timeout=15)
        if not drained_while_full:
            client.config_set("maxmemory", 0)  # an operator gives Redis room, as the refusals ask
            _drained(deployment, tag, acked, timeout=30)
    else:  # lost entries never arrive: wait for the backlog to empty instead
        drained_while_full = _quiet(deployment, timeout=15)
    truth = pg_truth(deployment.engine, tag)
    lost = truth.missing(acked)
    contradicted = told_not_saved(deployment, {user_of(tag, i) for i, a in enumerate(acks) if a.acknowledged})
    startup_warned = bool(logged(bot.log_text(), "WARNING", f"redis eviction: maxmemory-policy {policy} can evict"))
    doctor_warned = f"[warn] redis eviction: maxmemory-policy {policy}" in doctor.stdout
    # These servers run without persistence, which both must call out too.
    persistence_warned = "[warn] redis persistence: AOF is off" in doctor.stdout and bool(
        logged(bot.log_text(), "WARNING", "redis persistence: AOF is off")
    )
    record_result(
        ScenarioResult(
            row=f"5-{policy}",
            scenario=f"Redis maxmemory ~{(used + HEADROOM_BYTES) / 2**20:.1f} MB, {policy}, Postgres down meanwhile",
            submitted=ENTRIES,
            acknowledged=len(acked),
            refused=len(refused),
            in_postgres=sum(m in truth.ids_by_marker for m in acked),
            duplicates=truth.duplicates() + (truth.rows - truth.distinct_ids),
            lost=len(lost),
            notes=_notes(refused, lost, unclear, drained_while_full, doctor_warned, startup_warned, contradicted),
            extra={
                "maxmemory": used + HEADROOM_BYTES,
                "ballast_keys": ballast,
                "evicted_keys": int(stats["evicted_keys"]),
                "unclear_answers": len(unclear),
                "drained_while_full": drained_while_full,
                "doctor_warned": doctor_warned,
                "startup_warned": startup_warned,
                "not_saved_messages_after_ack": len(contradicted),
            },
        )
    )
    client.close()

    assert [a for a in acks if a.status != 200] == []
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr  # warnings, not failures
    assert persistence_warned, doctor.stdout
    assert [m for m in refused if m in truth.ids_by_marker] == [], "told 'Not saved' but stored"
    assert truth.duplicates() == 0
    if safe:
        assert refused, "Redis never refused a write: the test proved nothing"
        assert unclear == []
        assert lost == [], f"{len(lost)} acknowledged entries evicted under {policy}"
        assert not startup_warned and not doctor_warned
    else:
        assert doctor_warned and startup_warned, "an unsafe policy must be called out before it loses entries"


def _drained(deployment: Stack, tag: str, acked: list[str], *, timeout: float) -> bool:
    try:
        wait_until(
            lambda: not pg_truth(deployment.engine, tag).missing(acked) and deployment.pending() == 0,
            timeout=timeout,
            what="the backlog in Postgres",
            interval=0.2,
        )
    except TimeoutError:
        return False
    return True


def _quiet(deployment: Stack, *, timeout: float) -> bool:
    try:
        wait_until(lambda: deployment.pending() == 0, timeout=timeout, what="an empty pending index", interval=0.2)
    except TimeoutError:
        return False
    return True


def _notes(
    refused: list[str],
    lost: list[str],
    unclear: list[object],
    drained_while_full: bool,
    doctor_warned: bool,
    startup_warned: bool,
    contradicted: list[str],
) -> str:
    parts = [f"{len(refused)} told 'Not saved' when Redis refused"]
    if lost:
        parts.append(f"**{len(lost)} acknowledged entries evicted: lost**")
    if unclear:
        parts.append(f"{len(unclear)} got the generic error (job cache evicted, Postgres down)")
    if lost:
        parts.append("nothing left pending: an evicted entry leaves nothing to retry")
    else:
        parts.append("backlog drained while Redis was full" if drained_while_full else "backlog waited for room")
    if doctor_warned and startup_warned:
        parts.append("doctor and startup log warned")
    if contradicted:
        parts.append(f"{len(contradicted)} acknowledged users later told 'Not saved'")
    return "; ".join(parts)


# -- two defects the first runs exposed (since fixed), reproduced deterministically --------------


def _full_redis_after_one_entry(make_stack: Callable[..., Stack], tag: str) -> tuple[Stack, str, redis.Redis]:
    deployment = make_stack("--maxmemory-policy", "noeviction")
    bot = deployment.start_bot()
    warm_up(deployment, bot, f"{tag}warm")
    deployment.slack.set_latency(1.0, "users.info")  # the lazy follow-up starts after Redis is full
    deployment.pg.stop()
    ack = send_quick_entry(bot, deployment.slack, marker_of(tag, 0), user_of(tag, 0))
    assert ack.acknowledged, ack
    client = deployment.redis()
    client.config_set("maxmemory", 1)  # full: every write that may grow memory is refused
    return deployment, ack.user_id, client


def test_an_acknowledged_entry_is_never_followed_by_a_not_saved_dm(make_stack: Callable[..., Stack]) -> None:
    deployment, user, client = _full_redis_after_one_entry(make_stack, "s5dm")

    deployment.slack.wait_for("users.info", 2, timeout=10)  # the warm-up user's, then this user's
    time.sleep(2)  # the follow-up (confirmation DM, profile cache) has run into the full Redis by now
    client.config_set("maxmemory", 0)

    assert told_not_saved(deployment, {user}) == []
    assert logged(deployment.bots[0].log_text(), "WARNING"), "the full Redis was never met"


def test_a_full_redis_still_drains_its_backlog_to_postgres(make_stack: Callable[..., Stack]) -> None:
    deployment, _user, client = _full_redis_after_one_entry(make_stack, "s5full")
    deployment.pg.start()
    deployment.dispose_engine()

    drained = _drained(deployment, "s5full", [marker_of("s5full", 0)], timeout=10)
    client.config_set("maxmemory", 0)

    assert drained
