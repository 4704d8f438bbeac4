"""The hours chart: a decodable PNG whose bars are where the geometry says, in each job's colour."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image

from bot.charts import MAX_DAY_BARS, hours_chart
from core.domain.entry import TimeEntry
from core.domain.rules import total_hours

MONDAY = date(2026, 11, 23)


def entry(day: date, job: str, start: int, end: int) -> TimeEntry:
    stamp = datetime(2026, 11, 23, tzinfo=UTC)
    return TimeEntry(
        id=str(uuid.uuid4()),
        slack_team_id="T1",
        slack_user_id="U1",
        user_email="",
        job_id=job[:4],
        job_name=job,
        work_date=day,
        start_time=time(start),
        end_time=time(end),
        lunch_start=None,
        lunch_end=None,
        total_hours=total_hours(time(start), time(end)),
        notes="",
        change_order="",
        created_at=stamp,
        updated_at=stamp,
    )


def week_of_entries() -> list[TimeEntry]:
    """Mon: Smith 8 h; Tue: Smith 4 h + Clinic 4 h; Wed: Clinic 6 h; nothing Thu-Sun."""
    return [
        entry(MONDAY, "Smith Residence", 7, 15),
        entry(MONDAY + timedelta(days=1), "Smith Residence", 7, 11),
        entry(MONDAY + timedelta(days=1), "Sun Valley Clinic", 12, 16),
        entry(MONDAY + timedelta(days=2), "Sun Valley Clinic", 7, 13),
    ]


def test_a_week_is_seven_bars_stacked_by_job_in_a_valid_png() -> None:
    chart = hours_chart(week_of_entries(), MONDAY, MONDAY + timedelta(days=6), title="Your week")

    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(chart.png))
    image.load()
    assert image.format == "PNG" and image.size == (960, 480)
    assert chart.per == "day"
    assert [bar.first_day for bar in chart.bars] == [MONDAY + timedelta(days=i) for i in range(7)]
    assert [len(bar.segments) for bar in chart.bars] == [1, 2, 1, 0, 0, 0, 0]
    assert [bar.total for bar in chart.bars[:3]] == [Decimal("8.00"), Decimal("8.00"), Decimal("6.00")]
    assert chart.jobs == ["Smith Residence", "Sun Valley Clinic"]  # most hours first
    # Every segment is painted in its job's colour where the geometry says it is.
    rgb = image.convert("RGB")
    for bar in chart.bars:
        for segment in bar.segments:
            left, top, right, bottom = segment.box
            assert rgb.getpixel(((left + right) // 2, (top + bottom) // 2)) == segment.colour

    def height(box: tuple[int, int, int, int]) -> int:
        return box[3] - box[1] + 1

    monday, tuesday = chart.bars[0].segments[0], chart.bars[1].segments
    assert abs(height(monday.box) - sum(height(s.box) for s in tuesday)) <= 1  # 8 h = 4 h + 4 h


def test_deleted_and_out_of_range_entries_are_left_out() -> None:
    entries = [*week_of_entries(), replace(entry(MONDAY, "Old Depot", 16, 18), deleted=True)]
    entries.append(entry(MONDAY - timedelta(days=1), "Old Depot", 7, 9))
    chart = hours_chart(entries, MONDAY, MONDAY + timedelta(days=6), title="t")
    assert "Old Depot" not in chart.jobs
    assert chart.segment_count == 4


def test_a_long_range_has_one_bar_per_week() -> None:
    first = MONDAY - timedelta(days=7 * 12)
    chart = hours_chart(week_of_entries(), first, MONDAY + timedelta(days=6), title="t")
    assert (MONDAY + timedelta(days=6) - first).days + 1 > MAX_DAY_BARS
    assert chart.per == "week" and len(chart.bars) == 13
    assert chart.bars[-1].total == Decimal("22.00") and len(chart.bars[-1].segments) == 2


def test_an_empty_range_still_draws() -> None:
    chart = hours_chart([], MONDAY, MONDAY + timedelta(days=6), title="t")
    assert chart.png.startswith(b"\x89PNG") and chart.segment_count == 0 and len(chart.bars) == 7
