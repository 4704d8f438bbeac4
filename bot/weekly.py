"""The weekly DMs: each crew member's week at their local send time, and the managers' digest.

An APScheduler interval job (every few minutes, in every bot process) finds who logged
time this week, and for each person whose local clock has passed the send time claims the
send in Redis before posting:

    weekly:{team}:{user}:{iso-week}          the person's own summary
    weekly:{team}:{user}:{iso-week}:digest   a manager's team digest

Each DM carries a PNG chart of the week's hours per day, stacked by job (``bot.charts``),
uploaded to the DM channel right after the message; the digest's rows have Approve buttons
(``bot.views.approvals``). A chart that Slack refuses is logged: the DM itself is out.

The claim is ``SET key sending:<token> NX EX claim_ttl``: one process wins, the others
skip. After Slack accepts the message the key becomes ``sent`` for 8 days, so later runs
(and restarts) skip it. A process that dies mid-send leaves a ``sending`` claim that
expires after ``claim_ttl``; the next run claims and sends again. The one window that can
repeat a DM is a crash between Slack accepting the message and the ``sent`` write (a few
milliseconds); checking the DM's history first would need the ``im:history`` scope.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.charts import Chart, hours_chart
from bot.context import BotContext, SlackUser
from bot.views.history import period_label
from bot.views.weekly import DigestLine, team_digest_message, weekly_summary_message
from core.domain.clock import week_range
from core.domain.entry import Actor
from core.service import WeekSummary
from core.sql.models import TimeEntryRow

log = logging.getLogger(__name__)

JOB_ID = "weekly-summary"
CHECK_INTERVAL_S = 300.0
FIRST_RUN_DELAY_S = 60  # let a starting process settle (and its tests finish) before the first check
CLAIM_TTL_S = 15 * 60  # longer than one send takes, 429 retries included
SENT_TTL_S = 8 * 24 * 3600
FAILED_BACKOFF_S = 3600  # a refused DM (user gone, DMs closed) is not retried every run
PACE_S = 1.0  # chat.postMessage is about 1/s per channel; a pause keeps bursts polite

# Release a claim only if it is still ours (another process may hold a newer one).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
  return redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
end
return 0
"""


def week_key(first_day: date) -> str:
    """``2026-W48``: the ISO week holding the week's first day (unique per week for any week start)."""
    year, week, _ = first_day.isocalendar()
    return f"{year}-W{week:02d}"


def claim_key(team_id: str, user_id: str, first_day: date, *, digest: bool = False) -> str:
    return f"weekly:{team_id}:{user_id}:{week_key(first_day)}" + (":digest" if digest else "")


def send_moment(first_day: date, *, send_day: int, send_time: dt_time, week_start: int, zone: tzinfo) -> datetime:
    """When the week starting ``first_day`` is due, in ``zone``."""
    day = first_day + timedelta(days=(send_day - week_start) % 7)
    return datetime.combine(day, send_time, tzinfo=zone)


def users_with_entries(ctx: BotContext, first: date, last: date) -> set[tuple[str, str]]:
    """(team, user) of everyone with a live entry dated in [first, last]: Postgres plus the pending overlay."""
    query = (
        select(TimeEntryRow.slack_team_id, TimeEntryRow.slack_user_id)
        .where(TimeEntryRow.work_date >= first, TimeEntryRow.work_date <= last, TimeEntryRow.deleted.is_(False))
        .distinct()
    )
    # The overlay first: an entry leaves it only after Postgres has committed it, so reading
    # Postgres second cannot miss one that settles in between.
    found = {
        (entry.slack_team_id, entry.slack_user_id)
        for entry in ctx.services.hot.pending_overlay()
        if first <= entry.work_date <= last and not entry.deleted
    }
    with ctx.services.sql.engine.connect() as conn:
        found.update((str(team), str(user)) for team, user in conn.execute(query))
    return found


@dataclass
class WeeklyReport:
    """What one run did, for logs and tests."""

    sent: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # claim keys whose DM got its chart


@dataclass(frozen=True, slots=True)
class _Person:
    user: SlackUser
    now_local: datetime
    first_day: date


class WeeklySummaries:
    """One run of the weekly job; safe to run in several processes at once.

    Args:
        ctx: the bot context (settings, services, Slack client, user directory).
        clock: epoch seconds now (tests move it).
        pace_s: pause after each DM.
        claim_ttl_s: how long a send claim lives before another process may retry it.
        sleep: how to pause (tests pass a no-op).
    """

    def __init__(
        self,
        ctx: BotContext,
        *,
        clock: Callable[[], float] = time.time,
        pace_s: float = PACE_S,
        claim_ttl_s: int = CLAIM_TTL_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ctx = ctx
        self.clock = clock
        self.pace_s = pace_s
        self.claim_ttl_s = claim_ttl_s
        self.sleep = sleep
        self.redis = ctx.services.redis
        self._overtime_after = Decimal(str(ctx.settings.overtime_weekly_hours))
        self._release = self.redis.register_script(_RELEASE)

    # -- timing -----------------------------------------------------------------------

    def _person(self, team_id: str, user_id: str, now: float) -> _Person:
        user = self.ctx.directory.user(team_id, user_id)
        now_local = datetime.fromtimestamp(now, user.zone)
        first, _ = week_range(now_local.date(), self.ctx.settings.week_start)
        return _Person(user, now_local, first)

    def _is_due(self, person: _Person) -> bool:
        settings = self.ctx.settings
        moment = send_moment(
            person.first_day,
            send_day=settings.weekly_summary_day,
            send_time=settings.weekly_summary_time,
            week_start=settings.week_start,
            zone=person.user.zone,
        )
        return person.now_local >= moment

    def _already_done(self, key: str) -> bool:
        return self.redis.exists(key) > 0

    # -- the run ----------------------------------------------------------------------

    def run(self) -> WeeklyReport:
        """Send every summary and digest that is due and not yet sent."""
        now = self.clock()
        utc_today = datetime.fromtimestamp(now, UTC).date()
        # Every time zone's "this week" lies within these days.
        window_first = week_range(utc_today - timedelta(days=1), self.ctx.settings.week_start)[0]
        window_last = week_range(utc_today + timedelta(days=1), self.ctx.settings.week_start)[1]
        report = WeeklyReport()
        summaries: dict[tuple[str, str], WeekSummary] = {}
        people = sorted(users_with_entries(self.ctx, window_first, window_last))
        for team_id, user_id in people:
            person = self._person(team_id, user_id, now)
            key = claim_key(team_id, user_id, person.first_day)
            if not self._is_due(person) or self._already_done(key):
                report.skipped += 1
                continue
            summary = self._summary(team_id, person, summaries)
            if not summary.entries:
                report.skipped += 1
                continue
            message = weekly_summary_message(
                summary,
                today=person.now_local.date(),
                send_day=self.ctx.settings.weekly_summary_day,
                send_time=self.ctx.settings.weekly_summary_time,
                overtime_after=self._overtime_after,
            )
            chart = hours_chart(
                summary.entries,
                summary.first_day,
                summary.last_day,
                title=f"Your hours · {period_label(summary.first_day, summary.last_day)}",
                week_start=self.ctx.settings.week_start,
            )
            self._deliver(key, user_id, message, report, chart=chart)
        for team_id in sorted({team for team, _ in people}):
            self._send_digests(team_id, [u for t, u in people if t == team_id], now, summaries, report)
        if report.sent or report.failed:
            log.info("weekly summaries: %d sent, %d failed", len(report.sent), len(report.failed))
        return report

    def _summary(self, team_id: str, person: _Person, cache: dict[tuple[str, str], WeekSummary]) -> WeekSummary:
        cache_key = (team_id, person.user.user_id)
        if cache_key not in cache:
            cache[cache_key] = self.ctx.services.entries.week_summary(
                actor=Actor(team_id, person.user.user_id),
                team_id=team_id,
                user_id=person.user.user_id,
                zone=person.user.zone,
                day=person.now_local.date(),
            )
        return cache[cache_key]

    def _send_digests(
        self,
        team_id: str,
        user_ids: Iterable[str],
        now: float,
        summaries: dict[tuple[str, str], WeekSummary],
        report: WeeklyReport,
    ) -> None:
        members = [self._person(team_id, user_id, now) for user_id in user_ids]
        for manager_id in sorted(self.ctx.directory.managers()):
            manager = self._person(team_id, manager_id, now)
            key = claim_key(team_id, manager_id, manager.first_day, digest=True)
            if not self._is_due(manager) or self._already_done(key):
                report.skipped += 1
                continue
            lines = []
            crew_entries = []
            for member in members:
                summary = self._summary(team_id, member, summaries)
                if summary.entries and summary.first_day == manager.first_day:
                    lines.append(DigestLine(member.user.user_id, member.user.name, summary.total, summary.complete))
                    crew_entries += summary.entries
            if not lines:
                continue
            week_first, week_last = week_range(manager.first_day, self.ctx.settings.week_start)
            approved = self.ctx.services.approvals.approvals_between(team_id, week_first, week_first)
            message = team_digest_message(
                lines,
                first=week_first,
                last=week_last,
                approvals={line.user_id: approved.get((line.user_id, week_first)) for line in lines},
                overtime_after=self._overtime_after,
            )
            chart = hours_chart(
                crew_entries,
                week_first,
                week_last,
                title=f"Crew hours · {period_label(week_first, week_last)}",
                week_start=self.ctx.settings.week_start,
            )
            self._deliver(key, manager_id, message, report, chart=chart)

    # -- exactly once -----------------------------------------------------------------

    def _deliver(
        self, key: str, channel: str, message: dict[str, Any], report: WeeklyReport, *, chart: Chart | None = None
    ) -> None:
        """Claim ``key``, post the DM, mark it sent, then upload ``chart``; on failure free the claim."""
        token = f"sending:{uuid.uuid4().hex}"
        if not self.redis.set(key, token, nx=True, ex=self.claim_ttl_s):
            report.skipped += 1  # another process holds it, or it is sent
            return
        try:
            # A 429 is retried inside the client (RateLimitErrorRetryHandler honours Retry-After).
            posted = self.ctx.client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            if error == "ratelimited":
                self._release(keys=[key], args=[token, "", 0])  # still limited after retries: next run
            else:
                self._release(keys=[key], args=[token, f"failed:{error}", FAILED_BACKOFF_S])
            log.warning("weekly DM %s not sent: %s", key, error)
            report.failed.append(key)
            return
        except Exception:
            # A network failure must not stop the other DMs; the claim is freed for the next run.
            self._release(keys=[key], args=[token, "", 0])
            log.exception("weekly DM %s not sent", key)
            report.failed.append(key)
            return
        self.redis.set(key, "sent", ex=SENT_TTL_S)
        report.sent.append(key)
        if chart is not None:
            self._upload_chart(key, str(posted.get("channel") or channel), chart, report)
        if self.pace_s:
            self.sleep(self.pace_s)

    def _upload_chart(self, key: str, channel: str, chart: Chart, report: WeeklyReport) -> None:
        """Put the chart under the DM (the DM channel: files_upload_v2 needs a channel id)."""
        name = key.split(":")[3] + ("-crew" if key.endswith(":digest") else "")  # weekly:{team}:{user}:{week}
        try:
            self.ctx.client.files_upload_v2(
                channel=channel,
                file=chart.png,
                filename=f"crewclock-hours-{name}.png",
                title="Hours per day, by job",
                alt_txt="Bar chart of hours per day, stacked by job",
            )
        except SlackApiError as exc:  # the DM is out; only the picture is missing
            log.warning("chart for %s not uploaded: %s", key, exc.response.get("error"))
            return
        report.charts.append(key)


def register_weekly_job(ctx: BotContext, *, interval_s: float = CHECK_INTERVAL_S) -> WeeklySummaries:
    """Add the weekly check to the services' scheduler (first run shortly after start)."""
    summaries = WeeklySummaries(ctx)
    ctx.services.scheduler.add_job(
        summaries.run,
        "interval",
        seconds=interval_s,
        id=JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(UTC) + timedelta(seconds=FIRST_RUN_DELAY_S),
    )
    return summaries


def register(app: App, ctx: BotContext) -> None:
    """Listener-module hook (``bot.listeners.LISTENER_MODULES``): schedule the weekly check."""
    register_weekly_job(ctx)
