"""The console's Block Kit → text renderer: what a terminal user reads of each block the bot sends."""

from __future__ import annotations

from dataclasses import replace

from bot.console.render import (
    DIVIDER,
    ButtonSpot,
    Style,
    headline,
    mrkdwn_to_text,
    render_blocks,
    render_message,
)
from bot.console.screen import ButtonBoard
from bot.views.common import button, context, section
from bot.views.confirmation import confirmation_message
from bot.views.history import export_sent_message
from tests.unit.test_views_confirmation import ENTRY

NAMES = {"U0CCMARIA": "maria"}


def name_of(user_id: str) -> str:
    return NAMES.get(user_id, user_id)


def test_emphasis_is_dropped_when_plain_and_ansi_on_a_colour_terminal() -> None:
    text = "*Week total: 8.0 h* · _pending_ · ~old~"

    assert mrkdwn_to_text(text) == "Week total: 8.0 h · pending · old"
    assert mrkdwn_to_text("*bold*", style=Style(color=True)) == "\033[1mbold\033[0m"


def test_words_with_stars_or_underscores_inside_are_left_alone() -> None:
    assert mrkdwn_to_text("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"


def test_mentions_channels_and_links_read_as_names() -> None:
    text = "<@U0CCMARIA>'s hours · <@U0CCJAMES|james> · <#C0CONSOLE|crew> · <https://x.example/a|the guide> · <!here>"

    assert mrkdwn_to_text(text, name_of=name_of) == (
        "@maria's hours · @james · #crew · the guide (https://x.example/a) · @here"
    )


def test_entities_are_undone_after_links_so_escaped_text_shows_as_typed() -> None:
    assert mrkdwn_to_text("scraped &amp; primed &lt;north&gt; wall") == "scraped & primed <north> wall"
    assert mrkdwn_to_text("&amp;lt;") == "&lt;"


def test_a_user_typed_gt_is_not_a_quote_but_a_real_quote_gets_a_bar() -> None:
    assert mrkdwn_to_text("&gt; not a quote") == "> not a quote"
    assert mrkdwn_to_text("entry\n> primed north wall") == "entry\n  │ primed north wall"


def test_code_blocks_become_indented_lines_without_fences() -> None:
    text = "```Mon 23  ▇▇▇▇▇▇▇▇ 8.0\nTue 24  ·```"

    assert mrkdwn_to_text(text) == "    Mon 23  ▇▇▇▇▇▇▇▇ 8.0\n    Tue 24  ·"
    assert mrkdwn_to_text("before ```x``` after") == "before \n    x\nafter"


def test_inline_code_is_kept_verbatim() -> None:
    assert mrkdwn_to_text("type `/hours 7-3:30 *smith*`") == "type /hours 7-3:30 *smith*"


def test_known_emoji_shortcodes_become_emoji() -> None:
    assert mrkdwn_to_text(":warning: careful :unknown_thing:") == "⚠️ careful :unknown_thing:"


def test_header_divider_section_context_and_buttons() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your hours this week"}},
        section("*Mon Nov 23* · Smith Residence", accessory=button("Edit", "entry_edit", "e1")),
        context("07:00–15:30", "no lunch"),
        {"type": "divider"},
        {"type": "actions", "elements": [button("Edit", "entry_edit", "e1"), button("Delete", "entry_delete", "e1")]},
    ]

    assert render_blocks(blocks) == [
        "Your hours this week",
        "═" * len("Your hours this week"),
        "Mon Nov 23 · Smith Residence   [1] Edit",
        "  07:00–15:30 · no lunch",
        DIVIDER,
        "[2] Edit   [3] Delete",
    ]


def test_fields_are_laid_out_in_two_columns() -> None:
    block = {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Job*"},
            {"type": "mrkdwn", "text": "Smith Residence"},
            {"type": "mrkdwn", "text": "*Hours*"},
            {"type": "plain_text", "text": "8.0"},
            {"type": "mrkdwn", "text": "*Notes*"},
        ],
    }

    assert render_blocks([block]) == ["Job     Smith Residence", "Hours   8.0", "Notes"]


def test_buttons_get_the_numbers_the_caller_gives_with_what_they_carry() -> None:
    seen: list[ButtonSpot] = []

    def number_for(spot: ButtonSpot) -> int:
        seen.append(spot)
        return 40 + len(seen)

    lines = render_blocks(confirmation_message(ENTRY).blocks, number_for=number_for)

    assert lines[-1] == "[41] Edit   [42] Delete"
    assert [(s.element["action_id"], s.element["value"]) for s in seen] == [
        ("entry_edit", ENTRY.id),
        ("entry_delete", ENTRY.id),
    ]
    assert seen[1].element["confirm"]["title"]["text"] == "Delete this entry?"
    assert seen[0].block_id == f"entry:{ENTRY.id}"


def test_danger_buttons_are_red_on_a_colour_terminal() -> None:
    lines = render_blocks([{"type": "actions", "elements": [button("Delete", "d", style="danger")]}], style=Style(True))

    assert lines == ["\033[31m[1] Delete\033[0m"]


def test_a_confirmation_reads_like_slack_shows_it() -> None:
    message = confirmation_message(replace(ENTRY, notes="primed <north> wall & trim"))

    lines = render_message(message.text, message.blocks)

    assert lines[0].startswith("Logged 8.0 h · Smith Residence · Fri Nov 27 · ")
    assert "  primed <north> wall & trim" in lines
    assert headline(message.text, message.blocks) == lines[0]


def test_a_message_without_blocks_shows_its_text() -> None:
    assert render_message("*Not saved:* try again", []) == ["Not saved: try again"]


def test_context_only_messages_and_unknown_blocks_still_show_something() -> None:
    payload = export_sent_message(3)

    assert render_message(payload["text"], payload["blocks"]) == ["  CSV with 3 entries sent to your DMs with me."]
    assert render_blocks([{"type": "video"}]) == ["‹video block›"]
    assert render_blocks([{"type": "image", "alt_text": "crew photo"}]) == ["[image: crew photo]"]


def test_button_numbers_survive_an_update_of_the_same_message() -> None:
    board = ButtonBoard()
    surface = ("message", "D1", "1.0")
    blocks = confirmation_message(ENTRY).blocks

    with board.numbering(surface) as number_for:
        first = render_blocks(blocks, number_for=number_for)
    with board.numbering(("message", "D1", "2.0")) as number_for:
        other = render_blocks(blocks, number_for=number_for)
    with board.numbering(surface) as number_for:
        again = render_blocks(blocks, number_for=number_for)

    assert first[-1] == again[-1] == "[1] Edit   [2] Delete"
    assert other[-1] == "[3] Edit   [4] Delete"
    target = board.target(2)
    assert target is not None and target.surface == surface and target.element["action_id"] == "entry_delete"


def test_buttons_a_message_loses_stop_being_clickable() -> None:
    board = ButtonBoard()
    surface = ("message", "D1", "1.0")
    with board.numbering(surface) as number_for:
        render_blocks(confirmation_message(ENTRY).blocks, number_for=number_for)

    deleted = confirmation_message(replace(ENTRY, deleted=True))
    with board.numbering(surface) as number_for:
        lines = render_blocks(deleted.blocks, number_for=number_for)

    assert not any("[1]" in line or "[2]" in line for line in lines)
    assert board.target(1) is None and board.target(2) is None
