"""Render the last run's counts as the table in docs/reliability.md.

    .venv/bin/pytest tests/reliability            # writes tests/reliability/.results/*.json
    .venv/bin/python -m tests.reliability.report  # prints the table
    .venv/bin/python -m tests.reliability.report --write docs/reliability.md

``--write`` replaces what lies between the ``<!-- results:start -->`` and
``<!-- results:end -->`` markers, so the prose around the table stays as written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.reliability.results import RESULTS_DIR, ScenarioResult, load_results

MARKER = "results"  # the table sits between <!-- results:start --> and <!-- results:end -->
COLUMNS = (
    "#",
    "scenario",
    "submitted",
    "acknowledged",
    "told not saved",
    "in Postgres",
    "in Zoho",
    "duplicates",
    "lost",
)


def _cell(value: object) -> str:
    return "–" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def render(rows: list[ScenarioResult]) -> str:
    """The markdown table (and a line on when and where it was measured)."""
    if not rows:
        return "_No results: run `.venv/bin/pytest tests/reliability` first._"
    lines = ["| " + " | ".join(COLUMNS) + " | notes |", "|" + "---|" * (len(COLUMNS) + 1)]
    for r in rows:
        cells = (
            r.row,
            r.scenario,
            r.submitted,
            r.acknowledged,
            r.refused,
            r.in_postgres,
            r.in_zoho,
            r.duplicates,
            r.lost,
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | {_cell(r.notes)} ({r.duration_s:.0f} s) |")
    last = max(rows, key=lambda r: r.recorded_at)
    total = sum(r.duration_s for r in rows)
    lines += [
        "",
        f"Last run: {last.recorded_at} on {last.machine}; the rows took {total:.0f} s together "
        "(set-up of servers and processes included).",
    ]
    return "\n".join(lines)


def write_into(document: Path, table: str, *, marker: str = MARKER) -> None:
    """Replace what lies between ``<!-- {marker}:start -->`` and ``<!-- {marker}:end -->`` in ``document``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = document.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{document} has no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    document.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the tests wrote their JSON")
    parser.add_argument("--write", type=Path, metavar="DOC", help="replace the table between the markers in DOC")
    parser.add_argument("--marker", default=MARKER, help="which markers: results (CI's run) or bench (full size)")
    args = parser.parse_args(argv)
    table = render(load_results(args.results))
    if args.write:
        write_into(args.write, table, marker=args.marker)
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
