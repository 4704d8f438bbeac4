"""The Zoho People sink: each entry version becomes exactly one Zoho time log.

How "exactly one" holds:

* Every log we create carries ``crewclock:<entry id>`` at the start of its description.
* The Zoho log id is stored (``save_zoho_id``) as soon as we learn it; a stored id means
  every later push is an edit of that log, never a create.
* A create whose outcome is unknown (a read timeout, a connection dropped after sending,
  or an id we could not store) marks the entry uncertain in this process, and the core
  marks it uncertain across processes and crashes (``PushRequest.uncertain``). An
  uncertain entry is reconciled before anything is created: the user's logs for that
  date are read back and matched on our key. A version above 1 with no stored log id is
  checked the same way, since the core's flag only covers a retry of the same version.
* Bulk replies list added ids without saying which log each belongs to. When every log
  of a call was added, the ids are taken in request order (as Zoho's examples suggest
  and our fake does); when some failed, the added logs are found again by key instead
  of guessing.

Contract with the core this relies on: the core leases an entry so one worker pushes it
at a time, and after a RETRY (or a crash mid-push) it passes ``uncertain=True`` on the
next attempt of that version (``inflight_version`` stays set until OK or PERMANENT is
recorded), so a different process reconciles too.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from core.domain.entry import TimeEntry
from core.sync.ports import PushRequest, PushResult
from core.zoho.client import BulkErrorLog, ZohoPeopleClient
from core.zoho.errors import MISSING_RECORD_CODE, ZohoPermanentError, ZohoTransientError
from core.zoho.timelogs import (
    TimeLogPayload,
    TimeLogRecord,
    chunk_for_bulk,
    entry_id_in,
    payload_for,
)

log = logging.getLogger("crewclock.zoho.people")

LoadZohoIds = Callable[[Sequence[str]], dict[str, str]]
SaveZohoId = Callable[[str, str | None], None]
JobZohoId = Callable[[str], str | None]


class MappingError(Exception):
    """An entry cannot be sent: its user or job has no Zoho counterpart.

    ``transient`` marks a gap that fills itself: a new crew member's email arrives from
    Slack moments after their first entry, so that entry is retried, not dead-lettered.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class _Check:
    """An uncertain entry to look for in Zoho before acting on it."""

    entry_id: str
    user: str
    work_date: date
    payload: TimeLogPayload | None  # None: the entry is deleted; delete whatever we find


class ZohoPeopleSink:
    """Pushes entries to Zoho People time logs (implements ``core.sync.ports.Sink``).

    Args:
        client: Zoho People API client.
        load_zoho_ids: entry ids -> stored Zoho time-log ids (only those that have one).
        save_zoho_id: store an entry's Zoho time-log id (None after a delete).
        job_zoho_id: our job id -> Zoho job id, or None when the job is not mapped.
        user_map: Slack email (or Slack user id) -> Zoho user, for people whose Zoho
            login differs from their Slack email. Keys match case-insensitively.
    """

    name = "zoho"
    max_batch = 100
    idempotent = False  # a repeated create makes a second log: the core must pass ``uncertain``

    def __init__(
        self,
        *,
        client: ZohoPeopleClient,
        load_zoho_ids: LoadZohoIds,
        save_zoho_id: SaveZohoId,
        job_zoho_id: JobZohoId,
        user_map: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.load_zoho_ids = load_zoho_ids
        self.save_zoho_id = save_zoho_id
        self.job_zoho_id = job_zoho_id
        self._user_map = {key.strip().lower(): value for key, value in (user_map or {}).items()}
        self._uncertain: set[str] = set()  # creates that may have landed unrecorded (this process)
        self._lock = threading.Lock()

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]:
        """Push entry versions to Zoho; one result per request, in request order.

        Raises:
            Exception: only when ``load_zoho_ids`` or ``job_zoho_id`` fail, which happens
                before any Zoho call; the core counts it as RETRY for the batch.
        """
        if not requests:
            return []
        run = _Run(self)
        run.execute(requests)
        return [run.results[request.entry.id] for request in requests]

    def close(self) -> None:
        """Close the Zoho client's connection pool."""
        self.client.close()

    def zoho_user(self, entry: TimeEntry) -> str:
        """The Zoho user an entry's author logs time as.

        Raises:
            MappingError: when neither the user map nor Slack gives one.
        """
        email = entry.user_email.strip().lower()
        mapped = (self._user_map.get(email) if email else None) or self._user_map.get(entry.slack_user_id.lower())
        if mapped:
            return mapped
        if email:
            return email
        raise MappingError(
            f"Slack user {entry.slack_user_id} has no email for Zoho yet: the bot needs "
            "users:read.email, or add them to the Zoho user map",
            transient=True,
        )

    def is_uncertain(self, entry_id: str) -> bool:
        """True when a create of this entry may have landed without our knowing its id."""
        with self._lock:
            return entry_id in self._uncertain

    def mark_uncertain(self, entry_ids: Sequence[str]) -> None:
        """Remember that these entries must be reconciled before any create."""
        with self._lock:
            self._uncertain.update(entry_ids)

    def clear_uncertain(self, entry_id: str) -> None:
        """Forget the doubt once Zoho's state for the entry is known."""
        with self._lock:
            self._uncertain.discard(entry_id)


class _Run:
    """The state of one ``push`` call: plan, reconcile, add/edit in bulk, delete."""

    def __init__(self, sink: ZohoPeopleSink) -> None:
        self.sink = sink
        self.client = sink.client
        self.results: dict[str, PushResult] = {}
        # After one transient failure we stop calling Zoho in this push: it is rate
        # limiting or unwell, and the core's backoff is the right place to wait.
        self.halt: ZohoTransientError | None = None
        self.upserts: list[TimeLogPayload] = []
        self.deletes: list[tuple[str, str]] = []  # (entry id, Zoho log id)
        self.checks: list[_Check] = []

    def execute(self, requests: Sequence[PushRequest]) -> None:
        stored = self.sink.load_zoho_ids([request.entry.id for request in requests])
        jobs: dict[str, str | None] = {}
        for request in requests:
            self._plan(request, stored.get(request.entry.id), jobs)
        self._reconcile()
        for chunk in chunk_for_bulk(self.upserts, lambda payload: payload.work_date):
            self._send(chunk)
        self._delete(self.deletes)

    # Planning: decide per entry what Zoho needs, without calling Zoho.

    def _plan(self, request: PushRequest, timelog_id: str | None, jobs: dict[str, str | None]) -> None:
        entry = request.entry
        # A later version with no stored log id may follow an unrecorded create of an
        # earlier version (the core's flag covers only the same version), so check too.
        uncertain = request.uncertain or entry.version > 1 or self.sink.is_uncertain(entry.id)
        if entry.deleted:
            if timelog_id:
                self.deletes.append((entry.id, timelog_id))
            elif uncertain:
                self._plan_check(entry, None)
            else:
                self.results[entry.id] = PushResult.ok(entry.id)  # never created: nothing to delete
            return
        try:
            payload = self._payload(entry, jobs)
        except MappingError as exc:
            make = PushResult.retry if exc.transient else PushResult.permanent
            self.results[entry.id] = make(entry.id, str(exc))
            return
        if timelog_id:
            self.upserts.append(payload.as_edit(timelog_id))
        elif uncertain:
            self._plan_check(entry, payload)
        else:
            self.upserts.append(payload)

    def _payload(self, entry: TimeEntry, jobs: dict[str, str | None]) -> TimeLogPayload:
        user = self.sink.zoho_user(entry)
        if entry.job_id not in jobs:
            jobs[entry.job_id] = self.sink.job_zoho_id(entry.job_id)
        job = jobs[entry.job_id]
        if not job:
            raise MappingError(f"job {entry.job_name!r} ({entry.job_id}) has no Zoho job id")
        return payload_for(entry, user=user, job_id=job)

    def _plan_check(self, entry: TimeEntry, payload: TimeLogPayload | None) -> None:
        try:
            user = payload.user if payload else self.sink.zoho_user(entry)
        except MappingError as exc:
            # Only a delete gets here. Without a Zoho user no earlier version could have
            # been sent, unless the mapping was removed since; that rare orphan is logged
            # rather than dead-lettering a delete of something Zoho most likely never had.
            log.warning(
                "zoho: not checking for an earlier log of deleted entry %s: %s",
                entry.id,
                exc,
                extra={"entry_id": entry.id, "slack_user_id": entry.slack_user_id},
            )
            self.results[entry.id] = PushResult.ok(entry.id)
            return
        self.checks.append(_Check(entry.id, user, entry.work_date, payload))

    # Reconciling: find logs an earlier, unrecorded attempt may have created.

    def _reconcile(self) -> None:
        by_user: dict[str, list[_Check]] = defaultdict(list)
        for check in self.checks:
            by_user[check.user].append(check)
        for user, checks in by_user.items():
            found = self._lookup(user, [check.work_date for check in checks], [c.entry_id for c in checks])
            if found is None:
                continue
            for check in checks:
                self._settle_check(check, found.get(check.entry_id))

    def _settle_check(self, check: _Check, record: TimeLogRecord | None) -> None:
        entry_id = check.entry_id
        if record is None:
            self.sink.clear_uncertain(entry_id)  # it never landed: safe to create now
            if check.payload is None:
                self.results[entry_id] = PushResult.ok(entry_id)
            else:
                self.upserts.append(check.payload)
            return
        if not self._store_id(entry_id, record.timelog_id):
            return
        if check.payload is None:
            self.deletes.append((entry_id, record.timelog_id))
        elif check.payload.matches(record):
            self.results[entry_id] = PushResult.ok(entry_id)  # Zoho already holds this version
        else:
            self.upserts.append(check.payload.as_edit(record.timelog_id))

    def _lookup(self, user: str, dates: Sequence[date], entry_ids: Sequence[str]) -> dict[str, TimeLogRecord] | None:
        """Our logs for one user over the given dates, by entry id; None after a failure."""
        if self.halt is not None:
            self._retry_all(entry_ids, self.halt)
            return None
        try:
            records = self.client.get_timelogs(user=user, from_date=min(dates), to_date=max(dates))
        except ZohoTransientError as exc:
            self._halt(exc)
            self.sink.mark_uncertain(entry_ids)
            self._retry_all(entry_ids, exc, prefix="could not check Zoho for an earlier log: ")
            return None
        except ZohoPermanentError as exc:
            for entry_id in entry_ids:
                self.results[entry_id] = PushResult.permanent(entry_id, str(exc))
            return None
        found: dict[str, TimeLogRecord] = {}
        for record in records:
            owner = entry_id_in(record.description)
            if owner is None:
                continue
            if owner in found:
                log.warning(
                    "zoho: entry %s has several time logs (%s, %s); keeping the first",
                    owner,
                    found[owner].timelog_id,
                    record.timelog_id,
                    extra={"entry_id": owner},
                )
                continue
            found[owner] = record
        return found

    # Adding and editing, in bulk.

    def _send(self, chunk: list[TimeLogPayload]) -> None:
        creates = [payload for payload in chunk if not payload.timelog_id]
        if self.halt is not None:
            self._retry_all([payload.entry_id for payload in chunk], self.halt)
            return
        try:
            result = self.client.add_update_timelogs(chunk)
        except ZohoTransientError as exc:
            if exc.maybe_applied:
                self.sink.mark_uncertain([payload.entry_id for payload in creates])
            self._halt(exc)
            self._retry_all([payload.entry_id for payload in chunk], exc)
            return
        except ZohoPermanentError as exc:
            if len(chunk) > 1:
                # The call failed as a whole: send each log alone to find the bad one.
                for payload in chunk:
                    self._send([payload])
                return
            self.results[chunk[0].entry_id] = PushResult.permanent(chunk[0].entry_id, str(exc))
            return
        errors = list(result.error_logs)
        edited = set(result.edited_ids)
        for payload in chunk:
            if payload.timelog_id and (not errors or payload.timelog_id in edited):
                self.results[payload.entry_id] = PushResult.ok(payload.entry_id)
        failed_edits = [p for p in chunk if p.timelog_id and p.entry_id not in self.results]
        for payload in failed_edits:
            self._fail(payload, errors)
        if not creates:
            return
        if not errors and len(result.added_ids) == len(creates):
            for payload, timelog_id in zip(creates, result.added_ids, strict=True):
                if self._store_id(payload.entry_id, timelog_id):
                    self.results[payload.entry_id] = PushResult.ok(payload.entry_id)
            return
        self._map_created(creates, errors)

    def _map_created(self, creates: list[TimeLogPayload], errors: list[BulkErrorLog]) -> None:
        """After a partial failure, learn which creates landed by reading them back by key."""
        by_user: dict[str, list[TimeLogPayload]] = defaultdict(list)
        for payload in creates:
            by_user[payload.user].append(payload)
        for user, payloads in by_user.items():
            ids = [payload.entry_id for payload in payloads]
            # Until the read-back succeeds we do not know which of these landed.
            self.sink.mark_uncertain(ids)
            found = self._lookup(user, [payload.work_date for payload in payloads], ids)
            if found is None:
                continue
            for payload in payloads:
                record = found.get(payload.entry_id)
                if record is None:
                    self.sink.clear_uncertain(payload.entry_id)
                    self._fail(payload, errors)
                elif self._store_id(payload.entry_id, record.timelog_id):
                    self.results[payload.entry_id] = PushResult.ok(payload.entry_id)

    def _fail(self, payload: TimeLogPayload, errors: list[BulkErrorLog]) -> None:
        error = _match_error(payload, errors)
        entry_id = payload.entry_id
        if error is None:
            self.results[entry_id] = PushResult.retry(
                entry_id, "Zoho did not apply the time log and reported no error for it"
            )
        elif error.permanent:
            self.results[entry_id] = PushResult.permanent(entry_id, error.describe())
        else:
            self.results[entry_id] = PushResult.retry(entry_id, error.describe())

    # Deleting.

    def _delete(self, deletes: Sequence[tuple[str, str]]) -> None:
        if not deletes:
            return
        if self.halt is not None:
            self._retry_all([entry_id for entry_id, _ in deletes], self.halt)
            return
        try:
            reported = set(self.client.delete_timelogs([timelog_id for _, timelog_id in deletes]))
        except ZohoTransientError as exc:
            self._halt(exc)
            self._retry_all([entry_id for entry_id, _ in deletes], exc)
            return
        except ZohoPermanentError as exc:
            if len(deletes) > 1:
                for one in deletes:
                    self._delete([one])
                return
            entry_id, _ = deletes[0]
            if exc.code == MISSING_RECORD_CODE:
                self._forget(entry_id)  # already gone from Zoho: the goal is met
            else:
                self.results[entry_id] = PushResult.permanent(entry_id, str(exc))
            return
        for entry_id, timelog_id in deletes:
            if len(deletes) > 1 and reported and timelog_id not in reported:
                self._delete([(entry_id, timelog_id)])  # Zoho skipped it: ask about it alone
            else:
                self._forget(entry_id)

    # Recording.

    def _store_id(self, entry_id: str, timelog_id: str) -> bool:
        """Record a Zoho log id; on failure the entry stays uncertain and is retried."""
        try:
            self.sink.save_zoho_id(entry_id, timelog_id)
        except Exception as exc:  # any store failure: keep the doubt, never lose the log
            log.warning(
                "zoho: log %s exists but its id was not stored for %s",
                timelog_id,
                entry_id,
                exc_info=True,
                extra={"entry_id": entry_id},
            )
            self.sink.mark_uncertain([entry_id])
            self.results[entry_id] = PushResult.retry(
                entry_id, f"Zoho has log {timelog_id} but storing its id failed: {type(exc).__name__}"
            )
            return False
        self.sink.clear_uncertain(entry_id)
        return True

    def _forget(self, entry_id: str) -> None:
        try:
            self.sink.save_zoho_id(entry_id, None)
        except Exception as exc:  # the next attempt deletes again, harmlessly
            log.warning(
                "zoho: deleted the log of %s but could not clear its id",
                entry_id,
                exc_info=True,
                extra={"entry_id": entry_id},
            )
            self.results[entry_id] = PushResult.retry(
                entry_id, f"Zoho log deleted but clearing its id failed: {type(exc).__name__}"
            )
            return
        self.sink.clear_uncertain(entry_id)
        self.results[entry_id] = PushResult.ok(entry_id)

    def _halt(self, exc: ZohoTransientError) -> None:
        if self.halt is None:
            self.halt = exc

    def _retry_all(self, entry_ids: Sequence[str], exc: ZohoTransientError, prefix: str = "") -> None:
        for entry_id in entry_ids:
            self.results[entry_id] = PushResult.retry(entry_id, prefix + str(exc), exc.retry_after_s)


def _match_error(payload: TimeLogPayload, errors: list[BulkErrorLog]) -> BulkErrorLog | None:
    """The error log that best describes this payload (Zoho does not say which log failed).

    Error logs carry user, date, job and hours; the one agreeing on most wins, and it is
    used up so two failed logs of one call do not share one error.
    """
    best: BulkErrorLog | None = None
    best_score = 0
    for error in errors:
        score = sum(
            (
                error.user.lower() == payload.user.lower(),
                error.date == payload.work_date.isoformat(),
                error.job_id == payload.job_id,
                error.hours == payload.hours,
            )
        )
        if score > best_score:
            best, best_score = error, score
    if best is None and errors:
        best = errors[0]  # nothing agrees (Zoho may echo the job name): take what is left
    if best is not None:
        errors.remove(best)
    return best
