"""The entry modal: labels, job input kinds, prefill, metadata, reading a submission, errors by block."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.views.entry_modal import (
    FIELDS,
    ModalMetadata,
    Prefill,
    entry_modal,
    errors_by_block,
    not_saved_errors,
    read_submission,
)
from core.domain.jobs import Job
from core.domain.rules import EntryValidationError

DAY = date(2026, 11, 27)
JOBS = [Job("1042", "Smith Residence"), Job("2001", "Sun Valley Clinic")]


def inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_the_eight_inputs_in_order_with_block_ids_named_after_the_cores_fields() -> None:
    view = entry_modal(prefill=Prefill(DAY), metadata=ModalMetadata(), jobs=JOBS)

    blocks = inputs(view)
    assert [b["label"]["text"] for b in blocks.values()] == [
        "Job", "Date", "Start", "End", "Lunch start", "Lunch end", "Notes", "Change order",
    ]  # fmt: skip
    assert list(blocks) == list(FIELDS)
    assert [blocks[f]["optional"] for f in ("job", "work_date", "start_time", "end_time")] == [False] * 4
    assert [blocks[f]["optional"] for f in ("lunch_start", "lunch_end", "notes", "change_order")] == [True] * 4
    assert blocks["work_date"]["element"] == {"type": "datepicker", "initial_date": "2026-11-27", "action_id": "date"}
    assert {blocks[f]["element"]["type"] for f in ("start_time", "end_time", "lunch_start", "lunch_end")} == {
        "timepicker"
    }
    assert len(view["title"]["text"]) <= 24


def test_up_to_100_jobs_get_a_plain_select_more_get_a_type_ahead() -> None:
    many = [Job(str(i), f"Job {i}") for i in range(101)]

    few_view = entry_modal(prefill=Prefill(DAY), metadata=ModalMetadata(), jobs=many[:100])
    many_view = entry_modal(prefill=Prefill(DAY), metadata=ModalMetadata(), jobs=many)
    unknown = entry_modal(prefill=Prefill(DAY), metadata=ModalMetadata(), jobs=None)

    assert inputs(few_view)["job"]["element"]["type"] == "static_select"
    assert len(inputs(few_view)["job"]["element"]["options"]) == 100
    for view in (many_view, unknown):
        element = inputs(view)["job"]["element"]
        assert element["type"] == "external_select"
        assert element["min_query_length"] == 0
        assert element["action_id"] == "job_select"


def test_a_prefill_sets_every_initial_value() -> None:
    prefill = Prefill(DAY, JOBS[1], time(7), time(15, 30), time(12), time(12, 30), "primed", "17")

    for jobs in (JOBS, None):
        blocks = inputs(entry_modal(prefill=prefill, metadata=ModalMetadata(), jobs=jobs))
        assert blocks["job"]["element"]["initial_option"]["value"] == "2001"
        assert blocks["start_time"]["element"]["initial_time"] == "07:00"
        assert blocks["end_time"]["element"]["initial_time"] == "15:30"
        assert blocks["lunch_start"]["element"]["initial_time"] == "12:00"
        assert blocks["lunch_end"]["element"]["initial_time"] == "12:30"
        assert blocks["notes"]["element"]["initial_value"] == "primed"
        assert blocks["change_order"]["element"]["initial_value"] == "17"


def test_a_job_not_in_the_plain_select_is_not_preselected() -> None:
    blocks = inputs(entry_modal(prefill=Prefill(DAY, Job("9", "Gone")), metadata=ModalMetadata(), jobs=JOBS))

    assert "initial_option" not in blocks["job"]["element"]


def test_metadata_round_trips_and_stays_small() -> None:
    meta = ModalMetadata(
        mode="edit", tz="America/Chicago", email="pat@example.com", entry_id="e1", owner="U2", channel="C1"
    )
    view = entry_modal(prefill=Prefill(DAY), metadata=meta, jobs=JOBS)

    assert ModalMetadata.from_json(view["private_metadata"]) == meta
    assert len(view["private_metadata"]) < 3000
    assert view["title"]["text"] == "Edit hours"
    assert ModalMetadata.from_json("") == ModalMetadata()


def test_a_notice_and_the_owner_show_above_the_inputs() -> None:
    meta = ModalMetadata(mode="edit", owner="U0CREW001")
    view = entry_modal(prefill=Prefill(DAY), metadata=meta, jobs=JOBS, notice="Pick a job.")

    assert view["blocks"][0]["text"]["text"] == "Pick a job."
    assert view["blocks"][1]["elements"][0]["text"] == "Editing <@U0CREW001>'s entry."


def state(**values: object) -> dict:
    def picked(kind: str, value: object) -> dict:
        key = {"datepicker": "selected_date", "timepicker": "selected_time", "plain_text_input": "value"}[kind]
        return {"type": kind, key: value}

    job = values.get("job", "1042")
    return {
        "state": {
            "values": {
                "job": {"job_select": {"selected_option": {"value": job} if job else None}},
                "work_date": {"date": picked("datepicker", values.get("work_date", "2026-11-27"))},
                "start_time": {"time": picked("timepicker", values.get("start", "07:00"))},
                "end_time": {"time": picked("timepicker", values.get("end", "15:30"))},
                "lunch_start": {"time": picked("timepicker", values.get("lunch_start"))},
                "lunch_end": {"time": picked("timepicker", values.get("lunch_end"))},
                "notes": {"text": picked("plain_text_input", values.get("notes"))},
                "change_order": {"text": picked("plain_text_input", values.get("change_order"))},
            }
        }
    }


def test_read_submission_parses_what_was_typed() -> None:
    got = read_submission(state(lunch_start="12:00", lunch_end="12:30", notes="  primed \n", change_order=" 17 "))

    assert got.job_id == "1042"
    assert got.work_date == DAY
    assert (got.start_time, got.end_time) == (time(7), time(15, 30))
    assert (got.lunch_start, got.lunch_end) == (time(12), time(12, 30))
    assert (got.notes, got.change_order) == ("primed", "17")


def test_read_submission_leaves_optional_fields_empty() -> None:
    got = read_submission(state())

    assert (got.lunch_start, got.lunch_end, got.notes, got.change_order) == (None, None, "", "")


def test_read_submission_names_missing_required_inputs() -> None:
    with pytest.raises(EntryValidationError) as info:
        read_submission(state(job=None, start=None))

    assert info.value.errors == {"job": "Required.", "start_time": "Required."}


def test_errors_land_on_their_blocks_and_unknown_fields_on_job() -> None:
    assert errors_by_block({"end_time": "End must be after start.", "lunch_end": "Both."}) == {
        "end_time": "End must be after start.",
        "lunch_end": "Both.",
    }
    assert errors_by_block({"job": "Pick one.", "mystery": "Odd."}) == {"job": "Pick one. Odd."}
    assert "Not saved" in not_saved_errors()["job"]
