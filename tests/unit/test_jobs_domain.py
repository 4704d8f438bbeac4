import io

import pytest

from core.domain.jobs import Job, JobCsvError, match_jobs, read_jobs_csv, resolve_job

JOBS = [Job("1042", "Smith Residence"), Job("1043", "Smithson Warehouse"), Job("2001", "Harbor Office")]


def test_a_number_or_a_unique_fragment_names_one_job() -> None:
    assert resolve_job(JOBS, "1042") == JOBS[0]
    assert resolve_job(JOBS, "harbor") == JOBS[2]
    assert resolve_job(JOBS, "smith residence") == JOBS[0]


def test_an_ambiguous_or_unknown_fragment_names_none() -> None:
    assert resolve_job(JOBS, "smith") is None
    assert [j.id for j in match_jobs(JOBS, "smith")] == ["1042", "1043"]
    assert resolve_job(JOBS, "oak") is None


def test_csv_errors_name_the_line_an_editor_shows() -> None:
    text = "id,name\n1042,Smith Residence\n\n1043,\n"
    with pytest.raises(JobCsvError, match=r"Line 4: id and name are required\."):
        read_jobs_csv(io.StringIO(text))


def test_csv_reads_active_and_zoho_columns() -> None:
    jobs = read_jobs_csv(io.StringIO("id,name,active,zoho_job_id\n7,Lee Kitchen,no,Z7\n"))
    assert jobs == [Job("7", "Lee Kitchen", False, "Z7")]
