"""``crewclock reconcile``: compare Redis with Postgres (and Zoho People), re-queue what is missing.

Safe at any time and from any number of processes:

* it reads Redis first and Postgres last, so an entry that lands while it runs counts as in step;
* an entry Postgres lacks is sent back to the pending index by ``HotStore.requeue_sink``, an
  optimistic transaction on that entry alone (it gives way to a sync that settles meanwhile, and
  the engine's leases keep two pushes of it apart); running it twice re-queues nothing new;
* it never deletes: dead letters are left to the admins (``/crewclock status``), entries an admin
  discarded are listed, rows only Postgres has inside the hot window are fine (reads fall back).

Zoho: in ``people`` mode each user's Zoho time logs are read back (``gettimelogs``) and the
entries Redis calls synced to Zoho but Zoho has no log of are *reported* (not re-queued: an
admin decides, since the stored Zoho log id would make a blind retry an edit of a missing log).
Webhook mode cannot be read back and is not checked.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.bootstrap import Services
from core.domain.entry import SyncStatus, TimeEntry
from core.domain.rules import day_number
from core.hot import codec
from core.hot.store import DEAD_KEY, DISCARDED_KEY, PENDING_KEY, entry_id_of, key_id
from core.ops.saved import saved_rows_between, saved_versions

log = logging.getLogger(__name__)

SCAN_COUNT = 1000


@dataclass
class ZohoCheck:
    checked: bool
    note: str
    entries: int = 0  # entries Redis says Zoho holds, looked up
    missing: list[str] = field(default_factory=list)  # ...that Zoho has no log of


@dataclass
class ReconcileReport:
    first: date
    last: date
    redis_entries: int = 0
    postgres_rows: int = 0
    in_step: int = 0
    on_their_way: int = 0  # pending in Redis and in the pending index: the sync pool has them
    requeued: list[str] = field(default_factory=list)  # Postgres lacked their version: pending again
    dead: list[str] = field(default_factory=list)  # dead-lettered for Postgres: the admins decide
    discarded_missing: list[str] = field(default_factory=list)  # an admin discarded them; Postgres lacks them
    postgres_only: int = 0  # rows in the hot window that Redis no longer has (reads fall back)
    postgres_newer: list[str] = field(default_factory=list)  # Postgres has a newer version than Redis
    zoho: ZohoCheck = field(default_factory=lambda: ZohoCheck(False, "off"))

    @property
    def in_order(self) -> bool:
        """Nothing had to be re-queued and nothing waits on an admin."""
        return not (self.requeued or self.dead or self.discarded_missing or self.zoho.missing)


def redis_entries(services: Services, first_day: int, last_day: int) -> list[TimeEntry]:
    """Every entry (tombstones too) in Redis's user indexes with a work date in the range."""
    entries: list[TimeEntry] = []
    for key in services.redis.scan_iter(match="u:*", count=SCAN_COUNT):
        _, team, user = (key.decode() if isinstance(key, bytes) else key).split(":", 2)
        entries.extend(services.hot.user_entries(team, user, first_day, last_day))
    return entries


def _members(services: Services, key: str) -> set[str]:
    members: list[bytes] = services.redis.zrange(key, 0, -1)  # type: ignore[assignment]
    return {entry_id_of(m) for m in members}


def reconcile(services: Services, *, days: int, now: float | None = None) -> ReconcileReport:
    """Compare the last ``days`` days of work dates (and the next two) and re-queue what Postgres lacks."""
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now, UTC).date()
    first, last = today - timedelta(days=max(days, 1)), today + timedelta(days=2)
    report = ReconcileReport(first, last)

    cached = redis_entries(services, day_number(first), day_number(last))
    pending, dead, discarded = (_members(services, k) for k in (PENDING_KEY, DEAD_KEY, DISCARDED_KEY))
    rows = saved_rows_between(services.sql, first, last)  # read last: whatever landed meanwhile is seen
    moved = [e.id for e in cached if e.id not in rows]  # edited to another date, or missing
    saved = {i: v for i, (v, _) in rows.items()} | saved_versions(services.sql, moved)
    report.redis_entries, report.postgres_rows = len(cached), len(rows)

    for entry in cached:
        has = saved.get(entry.id, 0)
        if has >= entry.version:
            report.in_step += 1
            if has > entry.version:
                report.postgres_newer.append(entry.id)
        elif entry.id in discarded:
            report.discarded_missing.append(entry.id)
        elif entry.postgres.status is SyncStatus.DEAD:
            report.dead.append(entry.id)
            if entry.id not in dead:  # visible to admins again, never silently stuck
                services.redis.zadd(DEAD_KEY, {key_id(entry.id): now}, nx=True)
        elif entry.postgres.status is SyncStatus.PENDING and entry.id in pending:
            report.on_their_way += 1
        elif services.hot.requeue_sink(entry.id, codec.F.POSTGRES, version=entry.version, sink_has=has, now=now):
            report.requeued.append(entry.id)
            log.warning(
                "reconcile: Postgres lacks v%d of %s (has v%d); re-queued",
                entry.version,
                entry.id,
                has,
                extra={"entry_id": entry.id, "slack_user_id": entry.slack_user_id},
            )

    in_redis = {e.id for e in cached}
    hot_from = services.entries.hot_from(now)
    report.postgres_only = sum(1 for i, (_, d) in rows.items() if i not in in_redis and d >= hot_from)
    report.zoho = check_zoho(services, cached)
    return report


def _zoho_people_sink(services: Services) -> Any:
    return next((s for s in services.sync.sinks if s.name == "zoho" and hasattr(s, "client")), None)


def check_zoho(services: Services, cached: list[TimeEntry]) -> ZohoCheck:
    """People mode: which entries Redis calls synced to Zoho have no Zoho log (report only)."""
    mode = services.settings.zoho_mode
    if mode == "off":
        return ZohoCheck(False, "Zoho is off (ZOHO_MODE)")
    sink = _zoho_people_sink(services)
    if mode != "people" or sink is None:
        return ZohoCheck(False, f"Zoho {mode} mode cannot be read back; not checked")
    from core.zoho.timelogs import entry_id_in

    synced = [e for e in cached if not e.deleted and e.zoho.synced_version >= e.version > 0]
    by_user: dict[str, list[TimeEntry]] = defaultdict(list)
    check = ZohoCheck(True, "people mode: time logs read back")
    for entry in synced:
        try:
            by_user[sink.zoho_user(entry)].append(entry)
        except Exception as exc:  # no Zoho user for it any more: say so rather than guess
            check.note += f"; {entry.id}: {exc}"
    for user, entries in by_user.items():
        logs = sink.client.get_timelogs(
            user=user, from_date=min(e.work_date for e in entries), to_date=max(e.work_date for e in entries)
        )
        found = {entry_id_in(record.description) for record in logs}
        check.entries += len(entries)
        check.missing.extend(e.id for e in entries if e.id not in found)
    return check


def format_report(report: ReconcileReport, *, show: int = 20) -> str:
    """The report as ``crewclock reconcile`` prints it."""
    days = (report.last - report.first).days + 1
    lines = [
        f"reconcile {report.first} … {report.last} ({days} work dates): "
        f"{report.redis_entries} entries in Redis, {report.postgres_rows} rows in Postgres",
        f"  in step with Postgres:        {report.in_step}",
        f"  on their way (pending):       {report.on_their_way}",
        f"  re-queued (Postgres lacked):  {len(report.requeued)}",
        f"  failed, for admins:           {len(report.dead)}  (/crewclock status: Retry or Discard)",
        f"  discarded, not in Postgres:   {len(report.discarded_missing)}  (kept in Redis, no TTL)",
        f"  only in Postgres (hot window): {report.postgres_only}  (fine: reads fall back to Postgres)",
        f"  Postgres newer than Redis:    {len(report.postgres_newer)}",
    ]
    zoho = report.zoho
    if zoho.checked:
        lines.append(f"  Zoho: {zoho.entries} synced entries looked up, {len(zoho.missing)} without a Zoho log")
        if zoho.note != "people mode: time logs read back":
            lines.append(f"    ({zoho.note})")
    else:
        lines.append(f"  Zoho: not checked — {zoho.note}")
    listed: list[tuple[str, list[str]]] = [
        ("re-queued", report.requeued),
        ("failed", report.dead),
        ("discarded, not in Postgres", report.discarded_missing),
        ("Postgres newer", report.postgres_newer),
        ("no Zoho log", zoho.missing),
    ]
    for title, ids in listed:
        if ids:
            more = f" … and {len(ids) - show} more" if len(ids) > show else ""
            lines.append(f"  {title}: {', '.join(ids[:show])}{more}")
    return "\n".join(lines)
