"""Counts each scenario writes after a run, for ``python -m tests.reliability.report``.

One JSON file per row in ``tests/reliability/.results/`` (git-ignored), so
``docs/reliability.md`` is regenerated from the last run rather than typed by hand.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# bench/bench_reliability.py points this elsewhere so a full-size run does not replace CI's figures.
RESULTS_DIR = Path(os.environ.get("CREWCLOCK_RELIABILITY_RESULTS") or Path(__file__).parent / ".results")


@dataclass
class ScenarioResult:
    """One row of the reliability table.

    Attributes:
        row: sort key and file name, e.g. ``"1"``, ``"5-allkeys-lru"``.
        scenario: what was done, in a few words.
        submitted: requests sent that should each make one entry.
        acknowledged: answered "Logged ..." (saved or pending): the promise under test.
        refused: answered "Not saved" (nothing promised).
        in_postgres: of the acknowledged, how many Postgres holds (live rows, by marker; None: not checked).
        in_zoho: of the acknowledged, how many Zoho holds (None: Zoho not in this scenario).
        duplicates: rows (or Zoho logs) beyond one per intent.
        lost: acknowledged but in neither store at the end.
        notes: anything a reader needs to judge the row.
        extra: figures specific to the scenario (latencies, kill point...).
    """

    row: str
    scenario: str
    submitted: int = 0
    acknowledged: int = 0
    refused: int = 0
    in_postgres: int | None = 0
    in_zoho: int | None = None
    duplicates: int = 0
    lost: int = 0
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    recorded_at: str = ""
    machine: str = ""

    def save(self) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        self.recorded_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        self.machine = (
            f"{platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}"
        )
        path = RESULTS_DIR / f"{self.row}.json"
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path


def load_results(directory: Path = RESULTS_DIR) -> list[ScenarioResult]:
    """Every saved row, in row order."""
    rows = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        rows.append(ScenarioResult(**data))
    return sorted(rows, key=lambda r: _row_key(r.row))


def _row_key(row: str) -> tuple[int, str]:
    head, _, rest = row.partition("-")
    return (int(head) if head.isdigit() else 99, rest)
