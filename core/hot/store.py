"""The Redis hot tier: every acknowledged entry, the pending and dead-letter indexes.

Key layout (see README, "Redis layout"):
  e:{id}             the entry, compact JSON array; no TTL until every sink holds it
  u:{team}:{user}    the user's date index, score = work date as a day number
  q:pending          ids some sink still owes, score = when the next attempt is due
  q:dead             ids a sink gave up on, score = when; admins list and retry them
  q:lost             pending ids whose entry Redis no longer had (evicted: see README)
  q:discarded        dead letters an admin discarded, score = when (kept for reconcile to report)
  l:{id}             the lease of the worker pushing that entry now
  i:{intent}         a request's idempotency key -> the entry id it created
  hot:since          the first day this Redis has seen every entry of (day number)
  w:{team}:{user}    the user's approved weeks: first day (day number) -> approver; record.lua
                     refuses writes into them (Postgres's week_approvals is the source of truth)
  w:loaded           set once the approvals are loaded from Postgres (absent: a fresh Redis)
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import redis

from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.rules import day_number
from core.hot import codec

PENDING_KEY = "q:pending"
DEAD_KEY = "q:dead"
LOST_KEY = "q:lost"
DISCARDED_KEY = "q:discarded"
WATERMARK_KEY = "hot:since"
INTENT_TTL_S = 24 * 3600


class StorageUnavailable(RuntimeError):
    """Redis did not take the write: the entry is NOT saved and the user must be told."""


class EntryNotFound(LookupError):
    pass


class PermissionDenied(PermissionError):
    pass


class WeekLocked(ValueError):
    """The write touches a week a manager approved; ``approver`` may reopen it."""

    def __init__(self, approver: str, week_start_day: int) -> None:
        super().__init__(f"week {week_start_day} approved by {approver}")
        self.approver = approver
        self.week_start_day = week_start_day


class OverlapError(ValueError):
    def __init__(self, other: TimeEntry) -> None:
        super().__init__(f"overlaps entry {other.id}")
        self.other = other


@dataclass(frozen=True, slots=True)
class WriteResult:
    entry: TimeEntry
    created: bool  # False: this intent was recorded before; nothing new was written


# Redis 7 script flags. The sync scripts may run when Redis is at maxmemory: they free
# memory (TTLs, index clean-up), so a full Redis still drains its backlog to Postgres,
# while record.lua (no flag) is refused and the user is told the entry was not saved.
# Read scripts are marked no-writes, which Redis also allows at maxmemory.
SCRIPT_FLAGS = {
    "claim": "allow-oom",
    "mark_inflight": "allow-oom",
    "settle": "allow-oom",
    "retry_dead": "allow-oom",
    "read_index": "no-writes",
    "get_entries": "no-writes",
}


def _load_script(client: redis.Redis, name: str, *, flags: bool) -> Any:
    lua = resources.files("core.hot").joinpath("lua")
    # Redis scripts cannot import one another: each gets the shared helpers prepended.
    source = "".join(lua.joinpath(part).read_text(encoding="utf-8") for part in ("_lib.lua", f"{name}.lua"))
    if flags and name in SCRIPT_FLAGS:
        source = f"#!lua flags={SCRIPT_FLAGS[name]}\n{source}"
    return client.register_script(source)


def key_id(entry_id: str) -> str:
    """The id as Redis holds it: the UUID's 16 bytes in URL-safe base64 (22 characters, not 36).

    Every key and index member carries an id, so this saves ~30 bytes an entry.
    """
    return base64.urlsafe_b64encode(uuid.UUID(entry_id).bytes).decode()[:22]


def entry_id_of(key: bytes | str) -> str:
    """The canonical UUID string back from ``key_id``."""
    text = key.decode() if isinstance(key, bytes) else key
    return str(uuid.UUID(bytes=base64.urlsafe_b64decode(text + "==")))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _triples(flat: Sequence[Any]) -> list[TimeEntry]:
    """Entries from the scripts' flat replies of (id, record, email)."""
    return [codec.decode(entry_id_of(flat[i]), flat[i + 1], _text(flat[i + 2])) for i in range(0, len(flat), 3)]


def user_index_key(team_id: str, user_id: str) -> str:
    return f"u:{team_id}:{user_id}"


def week_locks_key(team_id: str, user_id: str) -> str:
    return f"w:{team_id}:{user_id}"


APPROVALS_LOADED_KEY = "w:loaded"


class HotStore:
    """Every Redis operation crewclock makes; each public method is one round trip."""

    def __init__(self, client: redis.Redis, *, script_flags: bool | None = None) -> None:
        """``script_flags``: use Redis 7 script flags (default: unless the client is fakeredis)."""
        self.redis = client
        embedded = type(client).__module__.startswith("fakeredis")
        if script_flags is None:
            script_flags = not embedded
        self._record = _load_script(client, "record", flags=script_flags)
        self._claim = _load_script(client, "claim", flags=script_flags)
        self._mark_inflight = _load_script(client, "mark_inflight", flags=script_flags)
        self._settle = _load_script(client, "settle", flags=script_flags)
        self._read_index = _load_script(client, "read_index", flags=script_flags)
        self._retry_dead = _load_script(client, "retry_dead", flags=script_flags)
        self._get_entries = _load_script(client, "get_entries", flags=script_flags)
        # A real Redis: each thread writes on a connection of its own (see _writer).
        self._own_connections = not embedded
        self._writers = threading.local()

    def _writer(self) -> redis.Redis:
        """This thread's client for :meth:`write`, holding one connection of the shared pool.

        The ack is one such round trip plus parsing; checking a connection out of the pool and back
        in for it (a pid check and a poll of the socket, each a system call) was about a tenth of
        the ack's CPU (docs/benchmarks.md, issue 3). A thread that ends gives its connection back
        (the client's ``__del__`` releases it to the pool).
        """
        if not self._own_connections:
            return self.redis
        client: redis.Redis | None = getattr(self._writers, "client", None)
        if client is None:
            client = redis.Redis(connection_pool=self.redis.connection_pool, single_connection_client=True)
            self._writers.client = client
        return client

    def _run_record(self, args: list[Any]) -> Any:
        """record.lua, as EVALSHA written and read on this thread's own connection.

        redis-py's command path around that (the Script wrapper, the retry wrapper, its timing
        and telemetry hooks) cost 6–10 % of the whole ack (docs/benchmarks.md, issue 3).
        What is not the plain case goes that usual way: a script Redis does not have loaded (it
        loads it) and a broken connection (it reconnects and retries, as it would have anyway).
        """
        client = self._writer()
        conn = client.connection  # None unless _writer gave this thread a connection of its own
        if conn is None:
            return self._record(args=args, client=client)
        try:
            conn.send_packed_command(conn.pack_command("EVALSHA", self._record.sha, 0, *args), check_health=False)
            return conn.read_response()
        except (redis.exceptions.NoScriptError, redis.ConnectionError, redis.TimeoutError):
            return self._record(args=args, client=client)

    # -- writes on the request path ------------------------------------------------

    def write(
        self,
        mode: str,
        entry: TimeEntry,
        *,
        actor_team: str,
        actor_user: str,
        privileged: bool,
        intent: str | None,
        now: float | None = None,
        week_start: int = 0,
    ) -> WriteResult:
        """Create, edit or delete ``entry`` atomically (week lock, overlap check, indexes, idempotency).

        ``week_start`` (0 = Monday) tells the script which week a work date falls in.

        Raises:
            StorageUnavailable: Redis refused or could not be reached; nothing was saved.
            EntryNotFound, PermissionDenied, OverlapError, WeekLocked: the write was refused.
        """
        args = [
            mode,
            key_id(entry.id),
            codec.encode(entry),
            actor_team,
            actor_user,
            "1" if privileged else "0",
            intent or "",
            INTENT_TTL_S,
            time.time() if now is None else now,
            entry.user_email,
            week_start,
        ]
        try:
            reply = self._run_record(args)
        except redis.RedisError as exc:
            raise StorageUnavailable(str(exc)) from exc
        status = _text(reply[0])
        if status == "ok":
            email = _text(reply[2])
            if mode == "create" and codec.round_trips(entry):
                # record.lua stored the create as sent (encode already blanks the email): decoding
                # it back cost about 5 % of the ack (docs/benchmarks.md, issue 3).
                stored = entry if entry.user_email == email else replace(entry, user_email=email)
                return WriteResult(stored, created=True)
            return WriteResult(codec.decode(entry.id, reply[1], email), created=True)
        if status == "dup":
            entry_id = entry_id_of(reply[1])
            if not reply[2]:
                raise EntryNotFound(entry_id)
            return WriteResult(codec.decode(entry_id, reply[2], _text(reply[3])), created=False)
        if status == "overlap":
            raise OverlapError(codec.decode(entry_id_of(reply[1]), reply[2]))
        if status == "locked":
            raise WeekLocked(_text(reply[1]), int(reply[2]))
        if status == "missing":
            raise EntryNotFound(entry.id)
        raise PermissionDenied(entry.id)

    # -- approved weeks (the locks record.lua checks) ---------------------------------

    def lock_week(self, team_id: str, user_id: str, week_start_day: int, approver: str) -> None:
        """Lock a user's week (its first day as a day number) against writes."""
        self.redis.hset(week_locks_key(team_id, user_id), str(week_start_day), approver)

    def unlock_week(self, team_id: str, user_id: str, week_start_day: int) -> None:
        self.redis.hdel(week_locks_key(team_id, user_id), str(week_start_day))

    def week_locks(self, team_id: str, user_id: str) -> dict[int, str]:
        """The user's locked weeks: first day (day number) -> approver."""
        raw: dict[Any, Any] = self.redis.hgetall(week_locks_key(team_id, user_id))
        return {int(_text(day)): _text(approver) for day, approver in raw.items()}

    def load_week_locks(self, locks: Iterable[tuple[str, str, int, str]]) -> int:
        """Put (team, user, week start day, approver) locks back, e.g. on a wiped Redis; returns how many."""
        pipe = self.redis.pipeline(transaction=False)
        count = 0
        for team_id, user_id, day, approver in locks:
            pipe.hset(week_locks_key(team_id, user_id), str(day), approver)
            count += 1
        pipe.execute()
        return count

    def claim_approvals_load(self) -> bool:
        """True (once per Redis) when the approvals must be loaded from Postgres: a fresh or wiped Redis."""
        return bool(self.redis.set(APPROVALS_LOADED_KEY, int(time.time()), nx=True))

    def forget_approvals_load(self) -> None:
        """The load failed (Postgres away): let the next sweep try again."""
        self.redis.delete(APPROVALS_LOADED_KEY)

    def remember_email(self, team_id: str, user_id: str, email: str) -> None:
        """Keep a user's email for their entries' syncs (a new member's first entry waits for it)."""
        if email:
            self.redis.hset(f"p:{team_id}", user_id, email)

    def restore(self, entry: TimeEntry, *, cache_days: int, now: float) -> None:
        """Put a saved (Postgres) entry back in the hot tier, e.g. before editing an old one."""
        expire_at = max(int((day_number(entry.work_date) + cache_days + 2) * 86400), int(now) + 3600)
        pipe = self.redis.pipeline(transaction=True)
        if entry.user_email:
            pipe.hset(f"p:{entry.slack_team_id}", entry.slack_user_id, entry.user_email)
        pipe.set(f"e:{key_id(entry.id)}", codec.encode(entry), nx=True, exat=expire_at)
        pipe.zadd(
            user_index_key(entry.slack_team_id, entry.slack_user_id),
            {key_id(entry.id): day_number(entry.work_date)},
        )
        pipe.execute()

    # -- reads ----------------------------------------------------------------------

    def get(self, entry_id: str) -> TimeEntry | None:
        found = self.get_many([entry_id])
        return found[0] if found else None

    def get_many(self, entry_ids: Sequence[str]) -> list[TimeEntry]:
        if not entry_ids:
            return []
        return _triples(self._get_entries(args=[key_id(i) for i in entry_ids]))

    def user_entries(self, team_id: str, user_id: str, first_day: int, last_day: int) -> list[TimeEntry]:
        """The user's entries (tombstones included) with work dates in the range, newest first."""
        flat = self._read_index(keys=[user_index_key(team_id, user_id)], args=[first_day, last_day, team_id, user_id])
        return _triples(flat)

    def watermark(self) -> int | None:
        """The first day number this Redis holds completely, or None if never marked."""
        raw = self.redis.get(WATERMARK_KEY)
        return None if raw is None else int(raw)

    def mark_watermark(self, day: int) -> int:
        """Mark ``day`` as the watermark unless one exists; returns the watermark in force."""
        self.redis.set(WATERMARK_KEY, day, nx=True)
        return int(self.redis.get(WATERMARK_KEY) or day)

    def mark_fresh(self, today_day: int) -> int:
        """On a fresh or wiped Redis, mark the first work date it can hold completely.

        Entries for today and tomorrow may already be in Postgres from before, so only the
        day after tomorrow onwards is complete; older dates are read from Postgres.
        """
        return self.mark_watermark(today_day + 2)

    def _scored(self, key: str, limit: int) -> list[tuple[str, float]]:
        rows: list[Any] = self.redis.zrange(key, 0, limit - 1, withscores=True)
        return [(entry_id_of(member), float(score)) for member, score in rows]

    def pending_ids(self, limit: int = 1000) -> list[tuple[str, float]]:
        """(id, due time) of entries some sink still owes, soonest first."""
        return self._scored(PENDING_KEY, limit)

    def dead_ids(self, limit: int = 1000) -> list[tuple[str, float]]:
        """(id, when) of dead-lettered entries, oldest first."""
        return self._scored(DEAD_KEY, limit)

    def lost_ids(self, limit: int = 1000) -> list[tuple[str, float]]:
        """(id, when) of pending entries whose data Redis no longer had (evicted or deleted)."""
        return self._scored(LOST_KEY, limit)

    def counts(self) -> tuple[int, int]:
        """(pending, dead) index sizes."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zcard(PENDING_KEY)
        pipe.zcard(DEAD_KEY)
        pending, dead = pipe.execute()
        return int(pending), int(dead)

    def pending_overlay(self, limit: int = 10000) -> list[TimeEntry]:
        """Entries some sink still owes (pending or dead), for reads Postgres answers."""
        ids = [i for i, _ in self.pending_ids(limit)] + [i for i, _ in self.dead_ids(limit)]
        return self.get_many(list(dict.fromkeys(ids)))

    # -- the sync engine's side -----------------------------------------------------

    def claim_due(
        self, *, token: str, lease_s: float, limit: int, now: float, due_before: float | None = None
    ) -> list[TimeEntry]:
        """Lease up to ``limit`` entries due by ``due_before`` (default: now), soonest first."""
        due = now if due_before is None else due_before
        flat = self._claim(
            args=[
                "due",
                now,
                int(lease_s * 1000),
                token,
                limit,
                "+inf" if due == float("inf") else due,
            ]
        )
        return _triples(flat)

    def claim_ids(self, ids: Iterable[str], *, token: str, lease_s: float, now: float) -> list[TimeEntry]:
        flat = self._claim(args=["ids", now, int(lease_s * 1000), token, 0, 0, *(key_id(i) for i in ids)])
        return _triples(flat)

    def mark_inflight(self, slot: int, versions: Sequence[tuple[str, int]], *, token: str) -> set[str]:
        """Note the versions about to be pushed; returns the ids whose lease we still hold."""
        args: list[Any] = [token, slot]
        for entry_id, version in versions:
            args += [key_id(entry_id), version]
        return {entry_id_of(i) for i in self._mark_inflight(args=args)}

    def settle(
        self,
        outcomes: Sequence[tuple[str, int, dict[int, list[Any]]]],
        *,
        token: str,
        now: float,
        cache_days: int,
        today_day: int,
    ) -> dict[str, str]:
        """Store new sink states; returns id -> "synced" | "pending" | "dead" | "lost"."""
        if not outcomes:
            return {}
        items = [
            json.dumps(
                {"id": key_id(i), "v": v, "s": {str(k): s for k, s in states.items()}},
                separators=(",", ":"),
            )
            for i, v, states in outcomes
        ]
        reply = self._settle(args=[token, now, cache_days, today_day, *items])
        out: dict[str, str] = {}
        for item in reply:
            where, _, entry_id = _text(item).partition(":")
            out[entry_id_of(entry_id)] = where
        return out

    def discard_dead(self, entry_id: str, *, now: float, expire_at: int | None = None) -> bool:
        """Take an entry off the dead-letter index (an admin gave up on it); False if it was not there.

        The entry itself stays: it moves to ``q:discarded``. ``expire_at`` (only when Postgres holds
        the current version) gives it the TTL a synced entry gets, unless a sink still owes it.
        """
        member = key_id(entry_id)
        with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(10):
                try:
                    pipe.watch(DEAD_KEY, PENDING_KEY)
                    if pipe.zscore(DEAD_KEY, member) is None:
                        return False
                    still_owed = pipe.zscore(PENDING_KEY, member) is not None
                    pipe.multi()
                    pipe.zrem(DEAD_KEY, member)
                    pipe.zadd(DISCARDED_KEY, {member: now})
                    if expire_at is not None and not still_owed:
                        pipe.expireat(f"e:{member}", expire_at)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise StorageUnavailable("the dead-letter index kept changing; try again")

    def discarded_ids(self, limit: int = 1000) -> list[tuple[str, float]]:
        """(id, when) of dead letters admins discarded, oldest first."""
        return self._scored(DISCARDED_KEY, limit)

    def requeue_sink(self, entry_id: str, sink_slot: int, *, version: int, sink_has: int, now: float) -> bool:
        """Make one sink owe ``version`` of an entry again, due now (reconcile found it missing there).

        ``sink_slot`` is the codec field of that sink's state; ``sink_has`` the version the sink
        really holds (0: none). Done only if the entry is still at ``version`` (else False: the
        caller looks again). The entry loses any TTL: a pending entry never expires.
        """
        member = key_id(entry_id)
        with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(10):
                try:
                    pipe.watch(f"e:{member}")
                    raw = pipe.get(f"e:{member}")
                    if raw is None:
                        return False
                    row = json.loads(raw)
                    if int(row[codec.F.VERSION]) != version:
                        return False
                    entry = codec.decode(entry_id, raw)
                    old = entry.postgres if sink_slot == codec.F.POSTGRES else entry.zoho
                    row[sink_slot] = codec.encode_state(
                        SinkState(
                            SyncStatus.PENDING,
                            0,
                            min(old.synced_version, sink_has),
                            old.inflight_version,
                            "requeued by reconcile",
                            now,
                        )
                    )
                    pipe.multi()
                    pipe.set(f"e:{member}", json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                    pipe.zadd(PENDING_KEY, {member: now}, lt=True)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise StorageUnavailable(f"entry {entry_id} kept changing; try again")

    def retry_dead(self, entry_id: str, now: float | None = None) -> bool:
        return bool(self._retry_dead(args=[key_id(entry_id), time.time() if now is None else now]))

    def ping(self) -> bool:
        return bool(self.redis.ping())
