"""Weekly approval: a manager approves a crew member's week, which locks it until reopened.

Postgres (``week_approvals``, with every step in ``approval_audit``) is the source of truth;
Redis holds the locks that ``record.lua`` checks on every write (``w:{team}:{user}``: the week's
first day as a day number -> approver), so the request path stays Redis-only. An approval is
written to Postgres first, then to Redis; a reopen likewise.

A fresh or wiped Redis has no locks: ``reload_if_fresh`` (at start and in every retry sweep)
notices the missing ``w:loaded`` marker and puts back the approved weeks of the last
``reload_days`` from Postgres. A reopen racing that reload can leave its week locked once
more; reopening it again fixes that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from core.domain.clock import week_range
from core.domain.entry import Actor
from core.domain.rules import day_number
from core.hot.store import HotStore, PermissionDenied
from core.service import TimeEntryService
from core.sql.approvals import Approval, ApprovalStep, ApprovalStore

log = logging.getLogger(__name__)

__all__ = ["Approval", "ApprovalStep", "WeekApprovals"]

RELOAD_DAYS = 8 * 7


class WeekApprovals:
    """Approve, reopen and read crew members' weeks.

    Args:
        entries: the entry service (its Redis, SQL store and week start).
        reload_days: how far back approvals are put back into a fresh Redis.
        clock: epoch seconds now.
    """

    def __init__(
        self,
        entries: TimeEntryService,
        *,
        reload_days: int = RELOAD_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.entries = entries
        self.hot: HotStore = entries.hot
        self.store = ApprovalStore(entries.sql.engine)
        self.week_start = entries.week_start
        self.reload_days = reload_days
        self.clock = clock

    def first_day(self, day: date) -> date:
        """The first day of the week holding ``day``."""
        return week_range(day, self.week_start)[0]

    def _check(self, actor: Actor, team_id: str) -> None:
        if actor.team_id != team_id or not (actor.is_manager or actor.is_admin):
            raise PermissionDenied("only managers can approve or reopen a week")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- writes -----------------------------------------------------------------------

    def approve_week(self, actor: Actor, team_id: str, user_id: str, week_start: date) -> Approval:
        """Approve ``user_id``'s week holding ``week_start``: recorded, then locked against writes.

        Raises:
            PermissionDenied: the actor is not a manager of this team.
            StorageUnavailable, redis.RedisError: recorded in Postgres but Redis did not take the
                lock; approving again finishes it.
        """
        self._check(actor, team_id)
        first = self.first_day(week_start)
        approval = self.store.approve(team_id, user_id, first, actor=actor.user_id, at=self._now())
        self.hot.lock_week(team_id, user_id, day_number(first), actor.user_id)
        return approval

    def approve_team_week(self, actor: Actor, team_id: str, week_start: date) -> list[Approval]:
        """Approve the week of everyone who logged hours in it and is not approved yet."""
        self._check(actor, team_id)
        first, last = week_range(week_start, self.week_start)
        done = {a.user_id for a in self.store.between(team_id, first, first) if a.approved}
        members = sorted(self.entries.team_members(team_id, first, last) - done)
        return [self.approve_week(actor, team_id, user_id, first) for user_id in members]

    def reopen_week(self, actor: Actor, team_id: str, user_id: str, week_start: date) -> Approval | None:
        """Reopen an approved week so its entries can change again; None if it was never approved."""
        self._check(actor, team_id)
        first = self.first_day(week_start)
        approval = self.store.reopen(team_id, user_id, first, actor=actor.user_id, at=self._now())
        self.hot.unlock_week(team_id, user_id, day_number(first))
        return approval

    # -- reads ------------------------------------------------------------------------

    def week_approval(self, team_id: str, user_id: str, week_start: date) -> Approval | None:
        """The week's approval as Postgres holds it (approved or reopened), or None."""
        return self.store.get(team_id, user_id, self.first_day(week_start))

    def approvals_between(
        self, team_id: str, first: date, last: date, *, user_id: str | None = None
    ) -> dict[tuple[str, date], Approval]:
        """(user, week start) -> approval for the weeks overlapping [first, last]."""
        found = self.store.between(team_id, self.first_day(first), last, user_id=user_id)
        return {(a.user_id, a.week_start): a for a in found}

    def week_steps(self, team_id: str, user_id: str, week_start: date) -> list[ApprovalStep]:
        """The audit of one week: every approve and reopen, oldest first."""
        return self.store.steps(team_id, user_id, self.first_day(week_start))

    # -- a fresh Redis ----------------------------------------------------------------

    def reload_if_fresh(self) -> int:
        """Put the recent approvals back into a fresh or wiped Redis; returns how many (0: not needed).

        Raises whatever Postgres raises, after leaving the marker unset so the next sweep retries.
        """
        if not self.hot.claim_approvals_load():
            return 0
        since = datetime.fromtimestamp(self.clock(), UTC).date() - timedelta(days=self.reload_days)
        try:
            approved = self.store.approved_since(self.first_day(since))
            count = self.hot.load_week_locks(
                (a.team_id, a.user_id, day_number(a.week_start), a.approved_by) for a in approved
            )
        except Exception:
            self.hot.forget_approvals_load()
            raise
        if count:
            log.info("loaded %d approved weeks into a fresh Redis", count)
        return count
