"""bench_ack_inprocess runs each of its comparisons.

A renamed or removed piece of the ack that a comparison undoes breaks it here, not in a benchmark run.
"""

from __future__ import annotations

import math

import pytest

from bench import bench_ack_inprocess


@pytest.mark.parametrize("change", sorted(bench_ack_inprocess.CHANGES))
def test_each_comparison_runs_and_reports_both_sides(change: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_ack_inprocess.main(["--compare", change, "--requests", "20", "--batch", "10", "--jobs", "5"]) == 0

    printed = capsys.readouterr().out.splitlines()
    rows = [line for line in printed if line.startswith(("| answer", "| app returned"))]
    assert len(rows) == 3, rows
    for row in rows:
        a, b, ratio = (float(cell) for cell in row.strip("|").split("|")[1:])
        assert a > 0 and b > 0 and math.isfinite(ratio), row
