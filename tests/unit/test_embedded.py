"""The embedded default (fakeredis + SQLite) runs the same core end to end."""

import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.bootstrap import build_services
from core.settings import Settings
from tests.support.builders import TEAM, actor, days_ago, draft


def test_record_sync_and_read_on_embedded_storage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = replace(Settings.from_env({}), database_url=f"sqlite:///{tmp_path / 'crew.db'}")
    services = build_services(settings)
    try:
        entry = services.entries.record_entry(draft("U1", notes="ünïcode ✅"), actor=actor("U1")).entry
        deadline = time.monotonic() + 5
        while services.sql.get(entry.id) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        row = services.sql.get(entry.id)
        assert row is not None and row.notes == "ünïcode ✅"
        listed = services.entries.list_user_entries(
            actor=actor("U1"), team_id=TEAM, user_id="U1", first=days_ago(3), last=days_ago(0)
        )
        assert [e.id for e in listed.entries] == [entry.id]
    finally:
        services.stop()
