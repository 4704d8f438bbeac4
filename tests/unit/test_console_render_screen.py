"""What the console screen prints as messages arrive and change: only the viewer's, updates in place."""

from __future__ import annotations

import io
from dataclasses import replace

from bot.console.people import CHANNEL_ID, Workspace
from bot.console.screen import ConsoleScreen
from bot.console.slack import Message, dm_channel_id
from bot.console.terminal import Terminal
from bot.views.confirmation import confirmation_message
from core.domain.entry import SinkState, SyncStatus
from tests.unit.test_views_confirmation import ENTRY

MARIA = "U0CCMARIA"


def screen(*, batch: bool = False) -> tuple[ConsoleScreen, io.StringIO]:
    out = io.StringIO()
    workspace = Workspace("UTC")
    viewer = workspace.by_id(MARIA)
    assert viewer is not None
    return ConsoleScreen(Terminal(io.StringIO(), out, interactive=False), workspace, viewer, batch=batch), out


def dm(text: str, blocks: list[dict[str, object]], audience: str = MARIA) -> Message:
    return Message(dm_channel_id(audience), "1.000001", text, blocks, audience)


PENDING = confirmation_message(ENTRY)
SAVED = confirmation_message(replace(ENTRY, postgres=SinkState(SyncStatus.SYNCED, synced_version=1)))


def test_a_dm_is_shown_with_where_it_is_and_numbered_buttons() -> None:
    shown, out = screen()

    shown.message_posted(dm(PENDING.text, PENDING.blocks))

    lines = out.getvalue().splitlines()
    assert lines[1] == "crewclock · DM"
    assert lines[2] == "  Logged 8.0 h · Smith Residence · Fri Nov 27 · ⏳ pending"
    assert lines[-1] == "  [1] Edit   [2] Delete"


def test_a_sync_update_is_one_line_and_keeps_the_button_numbers() -> None:
    shown, out = screen()
    shown.message_posted(dm(PENDING.text, PENDING.blocks))

    shown.message_updated(dm(SAVED.text, SAVED.blocks))
    shown.message_updated(dm(SAVED.text, SAVED.blocks))  # the same again: nothing new to see

    assert out.getvalue().splitlines()[-1] == "(update) Logged 8.0 h · Smith Residence · Fri Nov 27 · ✅ saved"
    assert out.getvalue().count("(update)") == 1
    target = shown.board.target(2)
    assert target is not None and target.element["action_id"] == "entry_delete"


def test_a_deleted_entry_is_shown_again_without_its_buttons() -> None:
    shown, out = screen()
    shown.message_posted(dm(PENDING.text, PENDING.blocks))
    deleted = confirmation_message(replace(ENTRY, deleted=True, version=2))

    shown.message_updated(dm(deleted.text, deleted.blocks))

    after = out.getvalue().split("(update)")[1]
    assert "Deleted 8.0 h · Smith Residence" in after and "[1]" not in after
    assert shown.board.target(1) is None


def test_other_peoples_dms_stay_private_and_channel_messages_show() -> None:
    shown, out = screen()

    shown.message_posted(dm("for james", [], audience="U0CCJAMES"))
    shown.message_posted(Message(CHANNEL_ID, "2.0", "hello #crew", [], ""))

    assert "for james" not in out.getvalue()
    assert "crewclock · #crew\n  hello #crew" in out.getvalue()


def test_the_home_shows_only_while_the_viewer_is_looking_at_it() -> None:
    shown, out = screen()
    home = {"id": "V1", "type": "home", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Hi"}}]}

    shown.home_published(home, MARIA)
    assert out.getvalue() == ""
    shown.watching_home = True
    shown.home_published(home, MARIA)

    assert "crewclock · Home\n  Hi\n  ══" in out.getvalue()


def test_piped_sessions_hold_background_output_until_flushed() -> None:
    shown, out = screen(batch=True)

    shown.message_posted(dm(PENDING.text, PENDING.blocks))
    assert out.getvalue() == ""
    shown.flush()

    assert "⏳ pending" in out.getvalue()
