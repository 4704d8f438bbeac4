"""Scenario 7: hostile input, driven by hypothesis, against the in-process bot (real HTTP, Redis, Postgres).

For speed these use the scenario tests' bot (the ASGI app on uvicorn in this process);
the requests are still Slack-signed HTTP, the stores real. What every example must show:

* never a 5xx, always a clear answer: an ephemeral line for a command, ``response_action:
  errors`` (or a closed modal) for a submission, a quiet 200 for a click;
* text a user can type (``/hours`` text, notes, change order, up to 100 KB, any unicode,
  SQL, Slack markup) is stored verbatim (surrounding whitespace trimmed) in Redis and in
  Postgres, and shown back escaped: ``&lt;!channel&gt;``, never a live mention or link;
* structurally broken payloads (wrong types, missing fields) change nothing.

Counts per property go to docs/reliability.md as rows 7-*.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.views.common import DELETE_ACTION, EDIT_ACTION, LOG_HOURS_ACTION, escape_mrkdwn
from bot.views.confirmation import NOTES_SHOWN_CHARS
from bot.views.history import EXPORT_ACTION, NEXT_ACTION, PREVIOUS_ACTION
from core.domain.entry import NOTES_MAX_CHARS, TimeEntry
from tests.fakes.slack_requests import block_actions_body, view_submission_body
from tests.reliability.harness import quick_entry_body
from tests.reliability.results import ScenarioResult
from tests.scenario.conftest import RunningBot, entries_of, json_param, modal_values, texts_in, wait_until

GENERIC_ERROR = "something went wrong on crewclock's side"
HOSTILE = [
    "<!channel> pay day",
    "<!here|here> and <!everyone>",
    "*bold* _it_ ~strike~ `code` ```block```",
    "<https://evil.example|click me> <mailto:a@b.c|mail>",
    "<@U0CREW777> <#C0CREW001>",
    "'; DROP TABLE time_entries; --",
    "Robert'); DELETE FROM jobs WHERE ('1'='1",
    "&amp; &lt; &gt; & < >",
    '{"blocks": [{"type": "section"}]}',
    "\u202eevil\u202c right-to-left \u200b zero width",
    "emoji 🎨🖌️ and CJK 漢字 and Ω≈ç√",
    "line one\nline two\ttabbed",
    "x" * 100_000,
]
VICTIMS_ENTRY = "<the victim's entry id>"
_users = itertools.count(1)
_views = itertools.count(1)
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
# Any unicode but lone surrogates (not UTF-8) and NUL, which has a test of its own below.
typed_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400)
notes_text = st.one_of(
    typed_text, st.sampled_from(HOSTILE), st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), typed_text)
)


class Tally:
    """What a property sent and what came back, for its results row."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add(self, what: str, example_input: str = "") -> None:
        self.counts[what] += 1
        if example_input and what not in self.examples:
            self.examples[what] = example_input[:120]


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counts = Tally()
    started = time.monotonic()
    yield counts
    row, scenario = request.node.get_closest_marker("row").args
    c = counts.counts
    ScenarioResult(
        row=row,
        scenario=scenario,
        submitted=c["sent"],
        acknowledged=c["saved"],
        refused=c["refused"],
        in_postgres=c.get("verbatim in postgres"),  # None: not checked
        notes=", ".join(f"{n} {what}" for what, n in sorted(c.items()) if what not in ("sent", "saved", "refused")),
        extra={"examples": counts.examples},
        duration_s=round(time.monotonic() - started, 1),
    ).save()


def new_user() -> str:
    return f"U0HOST{next(_users):05d}"


def ephemeral_text(response: Any) -> str:
    assert response.status == 200, response.status
    if not response.body:
        return ""
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    text = str(answer["text"])
    assert text.strip(), "an empty explanation"
    return text


def confirmation_blocks(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    channel = bot.slack.dm_channel(user)
    [post] = wait_until(
        lambda: [c for c in bot.slack.calls("chat.postMessage") if c["params"]["channel"] == channel],
        timeout=20,  # a lazy listener on a busy 2-core machine
        what="the confirmation DM",
    )
    return list(json_param(post, "blocks"))


def assert_shown_escaped(shown: str, notes: str) -> None:
    """The notes appear escaped, and no Slack markup of theirs is live."""
    kept = notes if len(notes) <= NOTES_SHOWN_CHARS else notes[:NOTES_SHOWN_CHARS] + "…"
    assert escape_mrkdwn(kept) in shown or all(escape_mrkdwn(line) in shown for line in kept.splitlines())
    assert not re.search(r"<[!@#]|<(https?|mailto):", shown), shown[:300]


FRAGMENTS = [
    "7-3:30", "7a-3:30p", "6p-2a", "07:00-15:30", "0700-1530", "25:00-26:00", "7-7", "lunch 30", "lunch 1",
    "lunch 12-12:30", "lunch 45min", "no lunch", "lunch 1h30", "today", "yesterday", "tomorrow", "mon", "sunday",
    "11/27", "2026-11-27", "1999-01-01", "job 1042", "job #2001", 'job "sun valley"', "smith", "co 17", "co",
    "--", "—", "help", "job", "<!channel>", "'; DROP TABLE jobs; --",
]  # fmt: skip
hours_text = st.one_of(
    typed_text,
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), typed_text.filter(lambda t: len(t) < 12)), max_size=8).map(" ".join),
)


@pytest.mark.row("7-text", "arbitrary /hours text, and grammar fragments in any order (hypothesis)")
@EXAMPLES
@given(text=hours_text)
@example(text="x" * 100_000)
@example(text="7-3:30 job '; DROP TABLE time_entries; --")
@example(text="99:99-25:61 job 1042")
@example(text="7-3:30 lunch 99999999999999999999 job 1042")
@example(text="7-3:30 9999-99-99 job 1042")
@example(text="-- only notes")
def test_any_hours_text_gets_a_clear_answer(bot: RunningBot, tally: Tally, text: str) -> None:
    user = new_user()

    answer = ephemeral_text(bot.post(quick_entry_body(bot.slack, text, user)))

    tally.add("sent")
    assert GENERIC_ERROR not in answer, (text, answer)
    if answer.startswith("Logged "):
        tally.add("saved")
        assert len(entries_of(bot, user)) == 1
    elif answer:
        tally.add("refused")
        assert entries_of(bot, user) == []
    else:
        tally.add("opened the modal (job unclear)", text)
        bot.slack.wait_for("views.open", 1)


@pytest.mark.row("7-notes", "quick-entry notes: markup, SQL, unicode, 100 KB (hypothesis)")
@EXAMPLES
@given(notes=notes_text)
def test_notes_are_stored_verbatim_and_shown_escaped(bot: RunningBot, tally: Tally, notes: str) -> None:
    user = new_user()

    answer = ephemeral_text(bot.post(quick_entry_body(bot.slack, f"7-3:30 job 1042 -- {notes}", user)))

    tally.add("sent")
    expected = notes.strip()
    if len(expected) > NOTES_MAX_CHARS:
        assert "Notes can be at most" in answer and entries_of(bot, user) == []
        tally.add("refused")
        return
    assert answer.startswith("Logged "), (notes[:200], answer)
    tally.add("saved")
    [entry] = entries_of(bot, user)
    assert entry.notes == expected
    bot.settle()
    stored = bot.services.sql.get(entry.id)
    assert stored is not None and stored.notes == expected
    tally.add("verbatim in postgres")
    if expected:
        assert_shown_escaped(texts_in(confirmation_blocks(bot, user)), expected)
        tally.add("shown escaped in the DM")


def test_a_nul_in_the_notes_is_refused_at_once_or_reaches_postgres(bot: RunningBot) -> None:
    user = new_user()

    answer = ephemeral_text(bot.post(quick_entry_body(bot.slack, "7-3:30 job 1042 -- before\x00after", user)))

    if answer.startswith("Logged "):  # acknowledged: then it must reach the permanent record
        [entry] = entries_of(bot, user)
        bot.settle()
        assert bot.services.sql.get(entry.id) is not None, bot.services.hot.get(entry.id)
    else:
        assert "Not saved" in answer and entries_of(bot, user) == []


@pytest.fixture
def modal(bot: RunningBot) -> dict[str, Any]:
    """A real entry modal as views.open got it (blocks and private_metadata as the bot made them)."""
    assert bot.post(quick_entry_body(bot.slack, "", "U0HOSTMODAL")).status == 200
    [call] = bot.slack.wait_for("views.open")
    return dict(call["response"]["view"])


def submit(bot: RunningBot, modal: dict[str, Any], values: dict[str, Any], user: str, **view: Any) -> Any:
    body = view_submission_body(
        view_id=view.get("view_id", f"V0HOST{next(_views):06d}"),
        callback_id=view.get("callback_id", modal["callback_id"]),
        state_values=values,
        private_metadata=view.get("private_metadata", modal["private_metadata"]),
        blocks=view.get("blocks", modal["blocks"]),
        user_id=user,
    )
    return bot.post(body)


def modal_answer(response: Any) -> dict[str, Any] | None:
    """None when the modal closed (saved); else the ``response_action: errors`` it answered."""
    assert response.status == 200, response.status
    if not response.body:
        return None
    answer = response.json()
    assert answer["response_action"] == "errors", answer
    assert answer["errors"] and all(isinstance(v, str) and v for v in answer["errors"].values()), answer
    return dict(answer)


@pytest.mark.row("7-modal", "modal notes and change order: anything a user can type (hypothesis)")
@EXAMPLES
@given(notes=notes_text, change_order=typed_text)
def test_modal_text_fields_take_anything_a_user_can_type(
    bot: RunningBot, modal: dict[str, Any], tally: Tally, notes: str, change_order: str
) -> None:
    user = new_user()
    day = next(b for b in modal["blocks"] if b.get("block_id") == "work_date")["element"]["initial_date"]

    answer = modal_answer(submit(bot, modal, modal_values(work_date=day, notes=notes, change_order=change_order), user))

    tally.add("sent")
    if answer is not None:
        assert GENERIC_ERROR not in json.dumps(answer), answer
        assert set(answer["errors"]) <= {"notes", "change_order"}, answer
        assert entries_of(bot, user) == []
        tally.add("refused")
        return
    tally.add("saved")
    [entry] = entries_of(bot, user)
    assert (entry.notes, entry.change_order) == (notes.strip(), change_order.strip())
    bot.settle()
    stored = bot.services.sql.get(entry.id)
    assert stored is not None and (stored.notes, stored.change_order) == (notes.strip(), change_order.strip())
    tally.add("verbatim in postgres")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | typed_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(typed_text, inner, max_size=3),
    max_leaves=8,
)
field_names = st.sampled_from(
    ["job", "work_date", "start_time", "end_time", "lunch_start", "lunch_end", "notes", "change_order"]
)


@pytest.mark.row("7-view", "malformed view_submission payloads: wrong types, missing fields (hypothesis)")
@EXAMPLES
@given(
    broken=st.dictionaries(field_names, json_values, max_size=4),
    dropped=st.lists(field_names, max_size=3),
    metadata=st.one_of(st.none(), typed_text, json_values.map(json.dumps)),
    callback_id=st.sampled_from(["<the modal's>", "hours_modal", ""]),
)
def test_malformed_view_submissions_get_a_clear_answer_and_store_nothing_wrong(
    bot: RunningBot,
    modal: dict[str, Any],
    tally: Tally,
    broken: dict[str, Any],
    dropped: list[str],
    metadata: str | None,
    callback_id: str,
) -> None:
    user = new_user()
    day = next(b for b in modal["blocks"] if b.get("block_id") == "work_date")["element"]["initial_date"]
    values: dict[str, Any] = modal_values(work_date=day)
    for name, junk in broken.items():
        values[name] = junk if isinstance(junk, dict) else {"x": junk}
    for name in dropped:
        values.pop(name, None)
    real = callback_id == "<the modal's>"
    view = {"callback_id": modal["callback_id"] if real else callback_id}
    if metadata is not None:
        view["private_metadata"] = metadata

    response = submit(bot, modal, values, user, **view)

    tally.add("sent")
    if not real:  # no listener: Bolt answers 404 itself, and nothing is stored
        assert response.status == 404 and entries_of(bot, user) == [], response
        tally.add("unknown callback_id: Bolt's 404")
        return
    answer = modal_answer(response)
    saved = entries_of(bot, user)
    if answer is None:
        tally.add("saved" if saved else "closed, nothing stored")
    else:
        text = json.dumps(answer)
        generic = GENERIC_ERROR in text
        tally.add("generic error (unexpected exception)" if generic else "refused", repr((broken, dropped, metadata)))
        assert saved == []
    for entry in saved:  # whatever was stored is a valid entry of the submitter's own
        assert entry.slack_user_id == user and entry.total_hours > 0


@pytest.fixture
def victims_entry(bot: RunningBot) -> TimeEntry:
    """Someone's entry that no click by anyone else may change."""
    answer = ephemeral_text(bot.post(quick_entry_body(bot.slack, "7-3:30 job 1042 -- victim", "U0HOSTVICTIM")))
    assert answer.startswith("Logged ")
    [entry] = entries_of(bot, "U0HOSTVICTIM")
    return entry


@pytest.mark.row("7-actions", "malformed and forged block_actions: edit/delete/history buttons (hypothesis)")
@EXAMPLES
@given(
    action_id=st.sampled_from(
        [EDIT_ACTION, DELETE_ACTION, LOG_HOURS_ACTION, PREVIOUS_ACTION, NEXT_ACTION, EXPORT_ACTION, "nope"]
    ),
    value=st.one_of(st.none(), st.just(VICTIMS_ENTRY), typed_text, st.uuids().map(str), json_values.map(json.dumps)),
    mangle=st.sampled_from(["none", "no actions", "value not a string", "no user", "no team", "no container"]),
)
def test_malformed_block_actions_are_answered_quietly_and_change_nothing(
    bot: RunningBot, victims_entry: TimeEntry, tally: Tally, action_id: str, value: str | None, mangle: str
) -> None:
    clicker, kept = new_user(), victims_entry
    value = kept.id if value == VICTIMS_ENTRY else value
    body = block_actions_body(action_id, value=value, user_id=clicker, message_ts="1700000000.000100")
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["response_url"] = bot.slack.base_url + "response_url.hostile"
    if mangle == "no actions":
        del payload["actions"]
    elif mangle == "no container":
        del payload["container"]
    elif mangle == "value not a string":
        payload["actions"][0]["value"] = {"id": kept.id}
    elif mangle == "no user":
        del payload["user"]
    elif mangle == "no team":
        del payload["team"]

    response = bot.post(urlencode({"payload": json.dumps(payload)}))

    tally.add("sent")
    unroutable = action_id == "nope" or mangle == "no actions"
    if unroutable:  # no listener can match: Bolt answers 404 itself (Slack never sends these)
        assert response.status == 404, (action_id, mangle, response.status)
        tally.add("unroutable: Bolt's 404")
    else:
        assert response.status == 200, (action_id, mangle, response.status)
        tally.add("200")
    [now] = entries_of(bot, kept.slack_user_id)
    assert (now.id, now.version, now.deleted, now.notes) == (kept.id, kept.version, False, kept.notes), "it changed"


def test_a_block_action_without_any_action_is_not_a_5xx(bot: RunningBot, victims_entry: TimeEntry) -> None:
    body = block_actions_body(EDIT_ACTION, value=victims_entry.id, user_id=new_user(), message_ts="1700000000.000100")
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["actions"] = []

    response = bot.post(urlencode({"payload": json.dumps(payload)}))

    assert response.status < 500
