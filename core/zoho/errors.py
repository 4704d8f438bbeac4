"""Structured Zoho errors: transient ones are retried by the core, permanent ones dead-lettered.

Every message here is safe to log and to show an admin: it never carries a token,
a client secret or a refresh token, only what Zoho said and which call failed.
"""

from __future__ import annotations

# Zoho People error codes that will fail the same way however often they are retried
# (from "Error Codes & Cause - Zoho People API" and the time tracker pages).
PERMANENT_CODES: frozenset[int] = frozenset(
    {
        7012,  # invalid view name
        7016,  # invalid input data
        7019,  # missing parameter
        7020,  # invalid field
        7031,  # single field edit not allowed
        7034,  # invalid input value
        7037,  # permission denied for the action
        7038,  # permission denied to add records
        7039,  # permission denied to edit records
        7040,  # permission denied to view records
        7048,  # invalid user / no such user
        7049,  # missing record for the specified record id
        7050,  # invalid value for the field
        7052,  # missing mandatory field values
        7053,  # invalid email address
        7054,  # invalid date field value
        7055,  # invalid date format
        7056,  # invalid number field value
        7057,  # field length exceeded limit
        7058,  # number outside the allowed range
        8000,  # no parameter specified (time tracker)
        8001,  # wrong value for parameter
        8002,  # wrong format for parameter
        8008,  # cannot log time during weekend/holiday/leave
        9000,  # permission denied (time tracker)
        9002,  # no parameter specified
        9003,  # wrong value given for parameter
        9004,  # wrong date format
        9005,  # time tracker tab is disabled
        9006,  # toDate before fromDate
        9007,  # more than a month requested
        9009,  # pay period already processed
    }
)

# "No records found": a read that matched nothing, not a failure.
NO_RECORDS_CODE = 7024
# "Missing record for the specified record id": on a delete, the log is already gone.
MISSING_RECORD_CODE = 7049


class ZohoError(Exception):
    """Base class: ``str(err)`` is a safe, human-readable message."""


class ZohoTransientError(ZohoError):
    """Worth retrying later: rate limits, 5xx, timeouts, dropped connections, auth hiccups.

    Attributes:
        retry_after_s: how long the server (or our own limiter) asked us to wait, if known.
        maybe_applied: True when the request was sent and its outcome is unknown (a read
            timeout or a connection dropped before the reply). A create that fails this
            way may have landed, so the next attempt must reconcile before creating.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, maybe_applied: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.maybe_applied = maybe_applied


class ZohoRateLimited(ZohoTransientError):
    """Zoho answered 429, or our own limiter has no permit to spare right now."""


class ZohoUnavailable(ZohoTransientError):
    """Zoho answered 5xx."""


class ZohoNetworkError(ZohoTransientError):
    """Timeout or connection error; see ``maybe_applied``."""


class ZohoAuthError(ZohoTransientError):
    """OAuth failed (token rejected twice, refresh refused, or local grant budget spent).

    Transient on purpose: the fix is configuration (a new refresh token), and entries
    must stay pending and visible with this message until then, not be dropped.
    """


class ZohoPermanentError(ZohoError):
    """Zoho rejected the request itself; retrying the same data cannot succeed.

    Attributes:
        code: Zoho's error code when it gave one (7019, 7048, 7052, ...).
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def is_permanent_code(code: int | None) -> bool:
    """True when a Zoho error code means "fix the data", not "try again later"."""
    return code is not None and code in PERMANENT_CODES
