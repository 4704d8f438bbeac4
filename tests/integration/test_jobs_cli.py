"""`crewclock jobs import` and `crewclock jobs list` against the real Postgres (and the Redis job cache)."""

from __future__ import annotations

import argparse
import io
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from bot import cli_jobs
from core.catalog import JobCatalog
from core.domain.jobs import Job
from core.settings import Settings
from core.sql.store import SqlStore

pytestmark = pytest.mark.integration


def crewclock_jobs(settings: Settings, *argv: str) -> tuple[int, str, str]:
    """Run ``crewclock jobs <argv>`` as the console script parses it; returns (exit code, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="crewclock")
    cli_jobs.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["jobs", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = cli_jobs.run(settings, args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "jobs.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_then_list(base_settings: Settings, sql: SqlStore, real_redis: redis.Redis, tmp_path: Path) -> None:
    csv_file = write(
        tmp_path,
        "\ufeffid,name,active,zoho_job_id\n"  # a spreadsheet's byte-order mark
        "1042,Smith Residence,true,Z-77\n"
        '2001,"Sun Valley Clinic, Phase 2",yes,\n'
        "3001,Old Depot,false,\n",
    )

    code, out, err = crewclock_jobs(base_settings, "import", csv_file)

    assert (code, err) == (0, "")
    assert out.strip() == "Imported 3 jobs: 3 new, 0 updated, 0 unchanged (1 inactive)."
    assert sql.list_jobs(include_inactive=True) == [
        Job("3001", "Old Depot", False, None),
        Job("1042", "Smith Residence", True, "Z-77"),
        Job("2001", "Sun Valley Clinic, Phase 2", True, None),
    ]
    # The bot's cache was refreshed: it serves the new jobs without touching Postgres.
    assert real_redis.hlen("jobs") == 3
    assert [j.id for j in JobCatalog(sql, real_redis).active_jobs()] == ["1042", "2001"]

    code, out, _ = crewclock_jobs(base_settings, "list")
    assert code == 0
    assert out.splitlines() == [
        "ID    NAME                        ACTIVE  ZOHO JOB",
        "1042  Smith Residence             yes     Z-77",
        "2001  Sun Valley Clinic, Phase 2  yes     -",
        "2 jobs",
    ]
    code, out, _ = crewclock_jobs(base_settings, "list", "--all")
    assert "3001  Old Depot                   no      -" in out.splitlines()
    assert out.splitlines()[-1] == "3 jobs (1 inactive)"


def test_reimport_counts_new_updated_and_unchanged(base_settings: Settings, sql: SqlStore, tmp_path: Path) -> None:
    crewclock_jobs(base_settings, "import", write(tmp_path, "id,name\n1042,Smith Residence\n2001,Sun Valley\n"))
    again = write(tmp_path, "id,name,active\n1042,Smith Residence,true\n2001,Sun Valley Clinic,true\n4001,Pier 4,\n")

    code, out, _ = crewclock_jobs(base_settings, "import", again)

    assert code == 0
    assert out.strip() == "Imported 3 jobs: 1 new, 1 updated, 1 unchanged (0 inactive)."
    assert {j.id: j.name for j in sql.list_jobs()} == {
        "1042": "Smith Residence",
        "2001": "Sun Valley Clinic",
        "4001": "Pier 4",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,name\n1042,Smith\n,Nameless\n", "Line 3: id and name are required."),
        ("id,name\n1042,Smith\n2001,Sun\n1042,Smith again\n", "Line 4: job 1042 appears again (first on line 2)."),
        ("number,title\n1042,Smith\n", "The CSV needs a header with at least the columns id and name."),
        ("id,name\n" + "x" * 65 + ",Too long\n", "Line 2: the id is longer than 64 characters."),
        ('id,name\n1042,Smith\n2001,"' + "y" * 140_000 + '"\n', "Line 3: not valid CSV"),
        ("id,name\n", "the file has a header but no jobs."),
    ],
)
def test_a_bad_file_names_the_line_and_imports_nothing(
    base_settings: Settings, sql: SqlStore, tmp_path: Path, content: str, message: str
) -> None:
    code, out, err = crewclock_jobs(base_settings, "import", write(tmp_path, content))

    assert code == 2
    assert out == ""
    assert message in err
    assert err.startswith("crewclock jobs import: ")
    assert sql.list_jobs(include_inactive=True) == []


def test_unreadable_files_are_explained(base_settings: Settings, sql: SqlStore, tmp_path: Path) -> None:
    code, _, err = crewclock_jobs(base_settings, "import", str(tmp_path / "missing.csv"))
    assert (code, err.strip()) == (2, f"crewclock jobs import: No such file: {tmp_path / 'missing.csv'}")
    latin1 = write(tmp_path, "id,name\n1042,Café Étienne\n", encoding="latin-1")
    code, _, err = crewclock_jobs(base_settings, "import", latin1)
    assert code == 2
    assert "is not UTF-8 text" in err


def test_a_database_without_the_schema_is_explained(base_settings: Settings, tmp_path: Path) -> None:
    nowhere = replace(base_settings, database_url=base_settings.database_url.rsplit("/", 1)[0] + "/no_such_db_here")
    code, _, err = crewclock_jobs(nowhere, "list")
    assert code == 1
    assert "crewclock jobs: the database refused" in err
