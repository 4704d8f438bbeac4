"""PNG charts of hours per day, stacked by job, for the weekly DMs and `/history chart`.

Drawn with Pillow rather than matplotlib: a stacked bar chart with a legend is a few
rectangles and labels, and Pillow is one small wheel (no numpy, no font cache to build, an
import in milliseconds instead of a second on a first run). Drawing the bars ourselves
also gives the exact geometry: ``Chart.bars`` says which rectangle is which day and job, so
tests check the picture, not just that some bytes were made.

Pure: entries in, PNG bytes and geometry out; no Slack, no IO.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from core.domain.clock import days_between, week_range
from core.domain.entry import TimeEntry

WIDTH, HEIGHT = 960, 480
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 220, 48, 56
MAX_DAY_BARS = 62  # longer ranges get one bar per week so bars stay readable
BACKGROUND, INK, GRID = (255, 255, 255), (40, 40, 40), (225, 225, 225)
# Colour-blind-safe palette (Okabe–Ito, then Tableau); jobs past it reuse colours in order.
PALETTE = (
    (0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233),
    (213, 94, 0), (240, 228, 66), (89, 89, 89), (148, 103, 189), (140, 86, 75),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Segment:
    """One job's part of a bar and the rectangle it was drawn in (left, top, right, bottom)."""

    job: str
    hours: Decimal
    box: tuple[int, int, int, int]
    colour: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Bar:
    """One day (or week) on the chart; ``segments`` is empty when nothing was logged."""

    first_day: date
    label: str
    total: Decimal
    segments: list[Segment]


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    bars: list[Bar]
    jobs: list[str]  # legend order
    per: str  # "day" or "week"

    @property
    def segment_count(self) -> int:
        return sum(len(bar.segments) for bar in self.bars)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _slots(first: date, last: date, week_start: int) -> list[tuple[date, date, str]]:
    """(first day, last day, label) of each bar: days, or weeks for long ranges."""
    days = days_between(first, last)
    if len(days) <= MAX_DAY_BARS:
        short = len(days) > 14
        return [(d, d, f"{d.day}" if short else f"{d:%a}\n{d.day}") for d in days]
    slots = []
    start = week_range(first, week_start)[0]
    while start <= last:
        slots.append((max(start, first), min(start + timedelta(days=6), last), f"{start:%b}\n{start.day}"))
        start += timedelta(days=7)
    return slots


def _scale_top(hours: Decimal) -> int:
    """A round top for the y axis: 10 h at least, then steps of 2, 10 or 20 h."""
    top = max(int(hours) + 1, 10)
    step = 2 if top <= 16 else 10 if top <= 80 else 20
    return ((top + step - 1) // step) * step


def hours_chart(
    entries: Iterable[TimeEntry],
    first: date,
    last: date,
    *,
    title: str,
    week_start: int = 0,
) -> Chart:
    """Hours per day in [first, last] stacked by job (per week when the range is long).

    Args:
        entries: live entries; those outside the range are ignored.
        first, last: the days on the x axis, both included.
        title: drawn above the chart.
        week_start: first day of the week, for weekly bars.
    """
    slots = _slots(first, last, week_start)
    per = "day" if slots and slots[0][0] == slots[0][1] else "week"
    hours: dict[int, dict[str, Decimal]] = {}
    job_totals: dict[str, Decimal] = {}
    for entry in entries:
        if entry.deleted or not first <= entry.work_date <= last:
            continue
        index = next(i for i, (a, b, _) in enumerate(slots) if a <= entry.work_date <= b)
        per_job = hours.setdefault(index, {})
        per_job[entry.job_name] = per_job.get(entry.job_name, Decimal(0)) + entry.total_hours
        job_totals[entry.job_name] = job_totals.get(entry.job_name, Decimal(0)) + entry.total_hours
    jobs = sorted(job_totals, key=lambda job: (-job_totals[job], job))
    colours = {job: PALETTE[i % len(PALETTE)] for i, job in enumerate(jobs)}
    totals = [sum(hours.get(i, {}).values(), Decimal(0)) for i in range(len(slots))]
    top = _scale_top(max(totals, default=Decimal(0)))

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    draw.text((plot_left, 14), title, fill=INK, font=_font(18))
    step = 2 if top <= 16 else 10 if top <= 80 else 20
    for tick in range(0, top + 1, step):
        y = plot_bottom - round((plot_bottom - plot_top) * tick / top)
        draw.line([(plot_left, y), (plot_right, y)], fill=GRID)
        draw.text((plot_left - 8, y), f"{tick} h", fill=INK, font=_font(12), anchor="rm")

    slot_width = (plot_right - plot_left) / max(len(slots), 1)
    bar_width = max(int(slot_width * 0.7), 1)
    bars: list[Bar] = []
    for i, (slot_first, _, label) in enumerate(slots):
        left = round(plot_left + i * slot_width + (slot_width - bar_width) / 2)
        bottom, segments = plot_bottom, []
        for job in jobs:  # the same stacking order in every bar
            value = hours.get(i, {}).get(job)
            if not value:
                continue
            height = max(round((plot_bottom - plot_top) * float(value) / top), 1)
            box = (left, bottom - height, left + bar_width - 1, bottom - 1)
            draw.rectangle(box, fill=colours[job])
            segments.append(Segment(job, value, box, colours[job]))
            bottom -= height
        if len(slots) <= 31 or i % max(len(slots) // 16, 1) == 0:
            draw.multiline_text(
                (left + bar_width / 2, plot_bottom + 6), label, fill=INK, font=_font(12), anchor="ma", align="center"
            )
        bars.append(Bar(slot_first, label.replace("\n", " "), totals[i], segments))
    draw.line([(plot_left, plot_bottom), (plot_right, plot_bottom)], fill=INK)
    _legend(draw, jobs, colours, job_totals, x=plot_right + 20, y=plot_top)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return Chart(out.getvalue(), bars, jobs, per)


def _legend(
    draw: ImageDraw.ImageDraw,
    jobs: Sequence[str],
    colours: dict[str, tuple[int, int, int]],
    totals: dict[str, Decimal],
    *,
    x: int,
    y: int,
) -> None:
    shown = jobs[:14]
    for row, job in enumerate(shown):
        top = y + row * 24
        draw.rectangle((x, top + 2, x + 14, top + 16), fill=colours[job])
        name = job if len(job) <= 20 else job[:19] + "…"
        draw.text((x + 22, top), f"{name} {totals[job]:.1f} h", fill=INK, font=_font(12))
    if len(jobs) > len(shown):
        draw.text((x, y + len(shown) * 24), f"+ {len(jobs) - len(shown)} more jobs", fill=INK, font=_font(12))
    if not jobs:
        draw.text((x, y), "No hours logged", fill=INK, font=_font(12))
