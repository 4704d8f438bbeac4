"""The port every downstream sink (Postgres, Zoho) implements."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.domain.entry import TimeEntry


class Outcome(str, enum.Enum):
    OK = "ok"
    RETRY = "retry"  # transient: keep pending, back off, try again
    PERMANENT = "permanent"  # will never succeed as is: dead-letter it now


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One entry version to push.

    ``uncertain`` is True when an earlier push of this same version started but
    its result was never recorded (a crash or a dropped connection): the sink
    must check whether it already landed before creating anything.
    """

    entry: TimeEntry
    uncertain: bool = False


@dataclass(frozen=True, slots=True)
class PushResult:
    entry_id: str
    outcome: Outcome
    error: str = ""
    retry_after_s: float | None = None  # a server's Retry-After, honoured over backoff

    @classmethod
    def ok(cls, entry_id: str) -> PushResult:
        return cls(entry_id, Outcome.OK)

    @classmethod
    def retry(cls, entry_id: str, error: str, retry_after_s: float | None = None) -> PushResult:
        return cls(entry_id, Outcome.RETRY, error, retry_after_s)

    @classmethod
    def permanent(cls, entry_id: str, error: str) -> PushResult:
        return cls(entry_id, Outcome.PERMANENT, error)


class Sink(Protocol):
    """A downstream copy of the entries.

    ``push`` must be idempotent per (entry id, version): pushing a version the
    sink already holds, or an older one, changes nothing. It returns exactly one
    result per request; an exception counts as RETRY for the whole batch.
    """

    name: str  # "postgres" or "zoho": the sink-state slot it owns
    max_batch: int
    # True when pushing a version twice can never create a second copy (an upsert by id):
    # the engine then skips marking pushes in flight, and ``uncertain`` is never needed.
    idempotent: bool

    def push(self, requests: Sequence[PushRequest]) -> list[PushResult]: ...
