"""Block Kit for `/crewclock status` (admins) and the admins' alert DMs. Pure functions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.views.common import button, context, escape_mrkdwn, format_day, plain, section, shift_text
from core.ops.alerts import DEAD_LETTERS, Alert
from core.ops.sink_health import SinkHealth
from core.ops.status import DeadLetter, OpsStatus

RETRY_ACTION = "ops_status_retry"
DISCARD_ACTION = "ops_status_discard"
REFRESH_ACTION = "ops_status_refresh"

ADMINS_ONLY = "Sorry — `/crewclock status` is for crewclock's admins (`ADMIN_USER_IDS`)."
SINK_NAMES = {"postgres": "Postgres", "zoho": "Zoho"}
CONFIRM_TEXT_MAX = 300  # Slack's limit for a confirm dialog's text
ERROR_SHOWN_MAX = 200


def format_age(seconds: float) -> str:
    """42 s · 3 min · 2 h 5 min · 3 d 4 h."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _ago(at: float | None, now: float) -> str:
    return "never (since Redis was new)" if at is None else f"{format_age(now - at)} ago"


def backlog_text(status: OpsStatus) -> str:
    backlog = status.backlog
    if not backlog.pending:
        pending = "*Backlog:* nothing pending"
    else:
        bound = "" if backlog.exact else "at least "
        pending = f"*Backlog:* {backlog.pending} pending, oldest {bound}{format_age(backlog.oldest_age_s)}"
    dead = f"{backlog.dead} failed (dead-lettered)" if backlog.dead else "no failed syncs"
    return f"{pending} · {dead}"


def sink_text(health: SinkHealth, now: float, zoho_mode: str = "") -> str:
    name = SINK_NAMES.get(health.sink, health.sink)
    mode = f" ({zoho_mode} mode)" if health.sink == "zoho" else ""
    text = f"*{name}*{mode}: last success {_ago(health.last_ok_at, now)}"
    if health.last_error_at is not None and (health.last_ok_at is None or health.last_error_at > health.last_ok_at):
        error = escape_mrkdwn(health.last_error[:ERROR_SHOWN_MAX])
        text += f"\n⚠️ last error {_ago(health.last_error_at, now)}: `{error}`"
    elif health.last_error_at is not None:
        text += f" · last error {_ago(health.last_error_at, now)} (recovered since)"
    return text


def redis_text(status: OpsStatus) -> str:
    if status.redis_used_bytes is None:
        return "*Redis memory:* not reported (embedded Redis)"
    used = format_bytes(status.redis_used_bytes)
    share = status.redis_used_share
    if share is None:
        return f"*Redis memory:* {used}, no `maxmemory` limit set"
    warn = "⚠️ " if share >= 0.8 else ""
    return f"*Redis memory:* {warn}{used} of {format_bytes(status.redis_max_bytes)} ({share:.0%})"


def discard_confirm_text(letter: DeadLetter) -> str:
    """What the Discard button's confirmation says: above all, whether Postgres has the entry."""
    entry = letter.entry
    if letter.saved:
        text = (
            f"Postgres holds this entry (version {entry.version}): it stays in the permanent record. "
            "Discarding only stops crewclock retrying and removes it from this list."
        )
    elif letter.saved_version is None:
        text = (
            "Postgres could not be asked whether it holds this entry. Discarding stops the retries; "
            "crewclock keeps its copy in Redis and `crewclock reconcile` lists it. Nothing is deleted."
        )
    else:
        held = f"only version {letter.saved_version}" if letter.saved_version else "no copy"
        text = (
            f"⚠️ Postgres does NOT hold this entry (it has {held}; the entry is at version {entry.version}). "
            "Discarding stops the retries; crewclock keeps its copy in Redis and `crewclock reconcile` "
            "lists it. Nothing is deleted."
        )
    return text[:CONFIRM_TEXT_MAX]


def _dead_letter_blocks(letter: DeadLetter) -> list[dict[str, Any]]:
    entry = letter.entry
    lines = [
        f"*{escape_mrkdwn(entry.job_name)}* · {format_day(entry.work_date)} · {shift_text(entry)} · "
        f"<@{entry.slack_user_id}> · `{entry.id}`"
    ]
    for failure in letter.failures:
        name = SINK_NAMES.get(failure.sink, failure.sink)
        error = escape_mrkdwn(failure.error[:ERROR_SHOWN_MAX]) or "no error recorded"
        lines.append(f"❌ {name} gave up after {failure.attempts} attempts: `{error}`")
    if letter.saved is True:
        lines.append("Postgres holds this version.")
    elif letter.saved is False:
        lines.append("⚠️ Postgres does not hold this version.")
    confirm = {
        "title": plain("Discard this failed sync?"),
        "text": plain(discard_confirm_text(letter)),
        "confirm": plain("Discard"),
        "deny": plain("Cancel"),
        "style": "danger",
    }
    return [
        section("\n".join(lines)),
        {
            "type": "actions",
            "block_id": f"dead_{entry.id}",
            "elements": [
                button("Retry", RETRY_ACTION, entry.id, style="primary"),
                button("Discard", DISCARD_ACTION, entry.id, style="danger", confirm=confirm),
            ],
        },
    ]


def status_message(status: OpsStatus, *, now: float, changed: str = "") -> dict[str, Any]:
    """The admins' status: backlog, each sink, Redis memory, then each dead letter with Retry / Discard.

    Args:
        status: what ``core.ops.status.collect_status`` gathered.
        now: epoch seconds, for the ages shown.
        changed: a line saying what an admin just did, shown on top.
    """
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain("crewclock status")}, context(f"as of {stamp}")]
    if changed:
        blocks.append(section(changed))
    blocks.append(section(backlog_text(status)))
    for health in status.sinks:
        blocks.append(section(sink_text(health, now, status.zoho_mode)))
    if status.zoho_mode == "off":
        blocks.append(section("*Zoho*: off (`ZOHO_MODE`)"))
    blocks.append(section(redis_text(status)))
    if not status.postgres_reachable:
        blocks.append(section("⚠️ Postgres did not answer: whether it holds the failed entries is unknown."))
    if status.dead_letters:
        blocks.append({"type": "divider"})
        shown = len(status.dead_letters)
        more = status.backlog.dead - shown
        title = f"*Failed syncs* (oldest first{f', {shown} of {status.backlog.dead}' if more > 0 else ''})"
        blocks.append(section(title))
        for letter in status.dead_letters:
            blocks.extend(_dead_letter_blocks(letter))
    blocks.append(
        {"type": "actions", "block_id": "ops_status_nav", "elements": [button("Refresh", REFRESH_ACTION, "refresh")]}
    )
    text = f"crewclock status: {backlog_text(status)}".replace("*", "")
    if changed:
        text = f"{changed} {text}"
    return {"text": text, "blocks": blocks}


def notice(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [section(text)]}


def alert_message(alert: Alert) -> dict[str, Any]:
    """The DM each admin gets when an incident starts or ends."""
    backlog = alert.backlog
    if alert.kind == DEAD_LETTERS:
        if alert.resolved:
            text = "✅ crewclock: no failed syncs any more."
        else:
            text = (
                f"🚨 crewclock: {backlog.dead} time {'entry' if backlog.dead == 1 else 'entries'} failed to sync "
                "and will not be retried on their own. See `/crewclock status` to retry or discard them."
            )
    elif alert.resolved:
        text = f"✅ crewclock: the sync backlog is moving again ({backlog.pending} pending)."
    else:
        text = (
            f"🚨 crewclock: entries are not reaching the permanent record. {backlog.pending} pending, "
            f"the oldest for {format_age(backlog.oldest_age_s)} (alert at {format_age(alert.threshold_s)}). "
            "They are safe in Redis and will sync when the problem clears; see `/crewclock status`."
        )
    return {"text": text, "blocks": [section(text)]}
