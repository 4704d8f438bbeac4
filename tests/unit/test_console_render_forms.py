"""How the console's forms read what is typed into a modal's inputs, and write it back as Slack's state."""

from __future__ import annotations

import io
from datetime import date

import pytest

from bot.console.forms import FormClosed, ModalForm, parse_clock, parse_date, pick_option
from bot.console.terminal import Terminal
from bot.views.entry_modal import ModalMetadata, Prefill, entry_modal
from core.domain.jobs import Job

JOBS = [Job("1042", "Smith Residence"), Job("1043", "Oak St Repaint"), Job("2001", "Smithson Garage")]


def option(label: str, value: str) -> dict[str, object]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


OPTIONS = [option(j.label, j.id) for j in JOBS]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("7", "07:00"), ("7:30", "07:30"), ("0730", "07:30"), ("15:30", "15:30"), ("3:30p", "15:30"), ("12am", "00:00")],
)
def test_times_are_read_loosely_and_sent_as_a_timepicker_does(typed: str, shown: str) -> None:
    assert parse_clock(typed) == shown


@pytest.mark.parametrize("typed", ["25", "7:60", "13pm", "noon", ""])
def test_impossible_times_are_refused(typed: str) -> None:
    assert parse_clock(typed) is None


def test_dates_are_iso_like_a_datepicker_sends_them() -> None:
    assert parse_date("2026-11-27") == "2026-11-27"
    assert parse_date("2026-13-01") is None and parse_date("11/27") is None


def test_an_option_is_found_by_number_value_or_words() -> None:
    assert pick_option(OPTIONS, "2") == OPTIONS[1]
    assert pick_option(OPTIONS, "2001") == OPTIONS[2]
    assert pick_option(OPTIONS, "oak") == OPTIONS[1]
    assert pick_option(OPTIONS, "smith") == [OPTIONS[0], OPTIONS[2]]  # ambiguous: the candidates
    assert pick_option(OPTIONS, "nowhere") == []
    assert pick_option(OPTIONS, "1", listed=[OPTIONS[2]]) == OPTIONS[2]  # a number from the last list shown


def form(answers: str, prefill: Prefill) -> tuple[ModalForm, io.StringIO]:
    out = io.StringIO()
    view = {"id": "V1", **entry_modal(prefill=prefill, metadata=ModalMetadata(), jobs=JOBS)}
    return ModalForm(Terminal(io.StringIO(answers), out, interactive=False), view, lambda *_: []), out


def test_answers_become_slacks_state_values_and_enter_keeps_the_prefill() -> None:
    prefilled = Prefill(work_date=date(2026, 11, 27), job=JOBS[0], start_time=None, notes="trim")
    entry_form, out = form("\n\n7\n15:30\n-\n\n\nco-9\n", prefilled)

    entry_form.ask()

    values = entry_form.state_values()
    assert values["job"]["job_select"]["selected_option"]["value"] == "1042"
    assert values["work_date"]["date"] == {"type": "datepicker", "selected_date": "2026-11-27"}
    assert values["start_time"]["time"] == {"type": "timepicker", "selected_time": "07:00"}
    assert values["lunch_start"]["time"]["selected_time"] is None
    assert values["notes"]["text"] == {"type": "plain_text_input", "value": "trim"}
    assert values["change_order"]["text"]["value"] == "co-9"
    assert "  Job (number or name) [Smith Residence (1042)]: " in out.getvalue()
    assert "  Notes (optional) [trim]: " in out.getvalue()


def test_required_inputs_cannot_be_skipped_and_cancel_closes() -> None:
    entry_form, out = form("\n-\ncancel\n", Prefill(work_date=date(2026, 11, 27)))

    with pytest.raises(FormClosed):
        entry_form.ask()

    assert out.getvalue().count("✗ Required") == 2
