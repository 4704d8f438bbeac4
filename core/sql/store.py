"""The SQL store: idempotent, version-guarded upserts and the reads Postgres answers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.domain.entry import SinkState, SyncStatus, TimeEntry
from core.domain.jobs import Job
from core.sql.audit import AUDITED_FIELDS, AuditStep, audit_steps
from core.sql.models import EntryAuditRow, JobRow, TimeEntryRow

_ENTRY_COLUMNS = (
    "id", "slack_team_id", "slack_user_id", "user_email", "job_id", "job_name", "work_date",
    "start_time", "end_time", "lunch_start", "lunch_end", "total_hours", "notes", "change_order",
    "version", "deleted", "created_at", "updated_at", "updated_by",
)  # fmt: skip
_AUDIT_COLUMNS = ("entry_id", "version", "team_id", "user_id", "action", "actor", "at", "changes")
_HELD_COLUMNS = ("id", "version", *AUDITED_FIELDS)


def _audit_json(table: str, column: str) -> str:
    """A column of time_entries as ``core.sql.audit.audit_value`` writes it in JSON."""
    if column in ("start_time", "end_time", "lunch_start", "lunch_end"):
        return f"to_jsonb(to_char({table}.{column}, 'HH24:MI'))"
    if column == "total_hours":
        return f"to_jsonb({table}.total_hours::text)"
    return f"to_jsonb({table}.{column})"


def _audit_change(column: str) -> str:
    """``'column', [old, new]`` when the column changed (or the row is new), else ``'column', NULL``."""
    old, new = _audit_json("t", column), _audit_json("i", column)
    return (
        f"'{column}', CASE WHEN t.id IS NULL OR t.{column} IS DISTINCT FROM i.{column} "
        f"THEN jsonb_build_array({old}, {new}) END"
    )


# Postgres computes the audit steps of a batch from the COPYed rows (incoming_entries) and the rows
# they replace, exactly as core.sql.audit.audit_steps does for SQLite (a test holds them equal).
_AUDIT_FROM_INCOMING = (
    "INSERT INTO entry_audit (entry_id, version, team_id, user_id, action, actor, at, changes) "
    "SELECT i.id, i.version, i.slack_team_id, i.slack_user_id, "
    "CASE WHEN i.deleted AND (t.id IS NULL OR NOT t.deleted) THEN 'delete' "
    "WHEN t.id IS NULL THEN 'create' ELSE 'edit' END, "
    "i.updated_by, i.updated_at, "
    # One object per row; unchanged columns are NULL fields, which jsonb_strip_nulls drops
    # (it keeps the nulls inside [old, new] arrays).
    "jsonb_strip_nulls(jsonb_build_object(" + ", ".join(_audit_change(c) for c in AUDITED_FIELDS) + "))"
    " FROM incoming_entries i LEFT JOIN time_entries t ON t.id = i.id "
    "WHERE t.id IS NULL OR t.version < i.version "
    "ON CONFLICT (entry_id, version) DO NOTHING"
)


_STAGING_TABLE_MADE = "crewclock_incoming_entries"  # key in a connection's info: its temp table exists
_COLUMN_LIST = ", ".join(_ENTRY_COLUMNS)
# After the COPY, in one round trip: the audit steps against the rows about to be replaced,
# the version-guarded upsert, and the email a new crew member's first entry may have lacked
# (it can sync before Slack has told us the address).
_MERGE_INCOMING = ";\n".join(
    [
        _AUDIT_FROM_INCOMING,
        f"INSERT INTO time_entries ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM incoming_entries "
        "ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in _ENTRY_COLUMNS if name not in ("id", "created_at"))
        + " WHERE time_entries.version < EXCLUDED.version",
        "UPDATE time_entries t SET user_email = i.user_email FROM incoming_entries i "
        "WHERE t.id = i.id AND t.user_email = '' AND i.user_email <> ''",
    ]
)


def make_engine(url: str) -> Engine:
    """An engine whose connections fail fast when the server is down (the sync pool retries)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
        with engine.connect() as conn:  # readers never wait on the writer
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    return create_engine(
        url,
        pool_size=8,
        max_overflow=8,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"connect_timeout": 3},
    )


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("core.sql").joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _row_values(entry: TimeEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
    values["updated_by"] = entry.changed_by  # the column names the person, owner included
    return values


def _audit_values(step: AuditStep) -> dict[str, Any]:
    return {name: getattr(step, name) for name in _AUDIT_COLUMNS}


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _entry_of(row: TimeEntryRow) -> TimeEntry:
    zoho = SinkState(status=SyncStatus.SYNCED if row.zoho_id or row.zoho_synced_at else SyncStatus.OFF)
    return TimeEntry(
        id=str(row.id),
        slack_team_id=row.slack_team_id,
        slack_user_id=row.slack_user_id,
        user_email=row.user_email,
        job_id=row.job_id,
        job_name=row.job_name,
        work_date=row.work_date,
        start_time=row.start_time,
        end_time=row.end_time,
        lunch_start=row.lunch_start,
        lunch_end=row.lunch_end,
        total_hours=row.total_hours,
        notes=row.notes,
        change_order=row.change_order,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        version=row.version,
        deleted=row.deleted,
        postgres=SinkState(status=SyncStatus.SYNCED, synced_version=row.version),
        zoho=zoho,
        updated_by="" if row.updated_by in (None, row.slack_user_id) else str(row.updated_by),
    )


class SqlStore:
    """Postgres (or SQLite) access; every write is idempotent on id and guarded by version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    # -- schema -----------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command

        cfg = alembic_config(str(self.engine.url.render_as_string(hide_password=False)))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:
                return None

    @staticmethod
    def head_revision() -> str:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
        return head or ""

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    # -- time entries ----------------------------------------------------------------

    def upsert_entries(self, entries: Sequence[TimeEntry]) -> None:
        """Insert or update by id; a row already at the same or a newer version is left alone.

        In the same transaction, each version newer than the row it replaces adds one step
        to ``entry_audit`` (see ``core.sql.audit``), computed against the rows read first.
        """
        if not entries:
            return
        # The newest version of each id wins within one batch too.
        newest: dict[str, TimeEntry] = {}
        for entry in entries:
            if entry.id not in newest or newest[entry.id].version < entry.version:
                newest[entry.id] = entry
        rows = [_row_values(e) for e in newest.values()]
        if self.engine.dialect.name == "postgresql":
            self._copy_upsert(rows)
            return
        with self.engine.begin() as conn:  # SQLite: the embedded default
            steps = audit_steps(newest.values(), self._held_rows(conn, list(newest)))
            conn.execute(self._upsert_statement(), rows)
            if steps:
                conn.execute(
                    self._dialect.insert(EntryAuditRow).on_conflict_do_nothing(),
                    [_audit_values(s) for s in steps],
                )
            with_email = [{"id": r["id"], "email": r["user_email"]} for r in rows if r["user_email"]]
            if with_email:
                conn.execute(
                    update(TimeEntryRow)
                    .where(TimeEntryRow.id == bindparam("row_id"), TimeEntryRow.user_email == "")
                    .values(user_email=bindparam("email")),
                    [{"row_id": r["id"], "email": r["email"]} for r in with_email],
                )

    def _upsert_statement(self) -> Any:
        stmt = self._dialect.insert(TimeEntryRow)
        return stmt.on_conflict_do_update(
            index_elements=[TimeEntryRow.id],
            set_={name: stmt.excluded[name] for name in _ENTRY_COLUMNS if name not in ("id", "created_at")},
            where=TimeEntryRow.version < stmt.excluded.version,
        )

    def _copy_upsert(self, rows: list[dict[str, Any]]) -> None:
        """COPY the batch into a temporary table, then the audit steps and one INSERT ... ON CONFLICT from it.

        Per-row statements (executemany) or a huge parameterised VALUES list cost far more
        client time than COPY; this keeps a 100k-entry drain near 10,000 entries/s. The audit
        steps are computed by the server from the same table (``_AUDIT_FROM_INCOMING``), so they
        cost the drain no Python time and no second transfer. Under steady load batches are a
        few entries each, so round trips count too: the temporary table is made once per
        connection, and the three statements after the COPY travel as one.
        """
        info: dict[Any, Any] | None = None
        try:
            with self.engine.begin() as conn:
                info = conn.connection.info
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                if not info.get(_STAGING_TABLE_MADE):
                    cursor.execute(
                        "CREATE TEMP TABLE IF NOT EXISTS incoming_entries "
                        "(LIKE time_entries INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
                    )
                    info[_STAGING_TABLE_MADE] = True
                with cursor.copy(f"COPY incoming_entries ({_COLUMN_LIST}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in _ENTRY_COLUMNS])
                cursor.execute(_MERGE_INCOMING)
        except Exception:
            if info is not None:  # a rolled-back transaction may have taken the new table with it
                info.pop(_STAGING_TABLE_MADE, None)
            raise

    @staticmethod
    def _held_rows(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The rows Postgres holds for ``ids`` (the audited columns), before they are replaced."""
        columns = [getattr(TimeEntryRow, name) for name in _HELD_COLUMNS]
        rows = conn.execute(select(*columns).where(TimeEntryRow.id.in_(ids)))
        return {str(row.id): dict(row._mapping) for row in rows}

    def entry_audit(self, entry_id: str) -> list[AuditStep]:
        """The recorded steps of one entry, oldest first."""
        query = select(EntryAuditRow).where(EntryAuditRow.entry_id == entry_id).order_by(EntryAuditRow.version)
        with Session(self.engine) as session:
            return [
                AuditStep(
                    entry_id=str(r.entry_id),
                    version=r.version,
                    team_id=r.team_id,
                    user_id=r.user_id,
                    action=r.action,
                    actor=r.actor,
                    at=_aware(r.at),
                    changes=dict(r.changes),
                )
                for r in session.scalars(query)
            ]

    def get(self, entry_id: str) -> TimeEntry | None:
        with Session(self.engine) as session:
            row = session.scalars(select(TimeEntryRow).where(TimeEntryRow.id == entry_id)).one_or_none()
        return None if row is None else _entry_of(row)

    def _select_entries(self, *criteria: Any, limit: int | None = None) -> list[TimeEntry]:
        query = (
            select(TimeEntryRow)
            .where(*criteria)
            .order_by(TimeEntryRow.work_date.desc(), TimeEntryRow.start_time.desc())
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_entry_of(r) for r in session.scalars(query)]

    def user_entries(
        self, team_id: str, user_id: str, first: date, last: date, *, include_deleted: bool = False
    ) -> list[TimeEntry]:
        criteria = [
            TimeEntryRow.slack_user_id == user_id,
            TimeEntryRow.slack_team_id == team_id,
            TimeEntryRow.work_date >= first,
            TimeEntryRow.work_date <= last,
        ]
        if not include_deleted:
            criteria.append(TimeEntryRow.deleted.is_(False))
        return self._select_entries(*criteria)

    def recent_user_entries(self, team_id: str, user_id: str, before: date, limit: int) -> list[TimeEntry]:
        return self._select_entries(
            TimeEntryRow.slack_user_id == user_id,
            TimeEntryRow.slack_team_id == team_id,
            TimeEntryRow.work_date < before,
            TimeEntryRow.deleted.is_(False),
            limit=limit,
        )

    def entries_between(
        self,
        team_id: str,
        first: date,
        last: date,
        *,
        job_id: str | None = None,
        user_id: str | None = None,
    ) -> list[TimeEntry]:
        criteria = [
            TimeEntryRow.slack_team_id == team_id,
            TimeEntryRow.work_date >= first,
            TimeEntryRow.work_date <= last,
            TimeEntryRow.deleted.is_(False),
        ]
        if job_id is not None:
            criteria.append(TimeEntryRow.job_id == job_id)
        if user_id is not None:
            criteria.append(TimeEntryRow.slack_user_id == user_id)
        return self._select_entries(*criteria)

    def active_users(self, first: date, last: date, *, team_id: str | None = None) -> set[tuple[str, str]]:
        """(team, user) of everyone with a live entry dated in [first, last]."""
        query = select(TimeEntryRow.slack_team_id, TimeEntryRow.slack_user_id).where(
            TimeEntryRow.work_date >= first, TimeEntryRow.work_date <= last, TimeEntryRow.deleted.is_(False)
        )
        if team_id is not None:
            query = query.where(TimeEntryRow.slack_team_id == team_id)
        with self.engine.connect() as conn:
            return {(str(team), str(user)) for team, user in conn.execute(query.distinct())}

    def count_between(self, first: date, last: date, *, team_id: str | None = None) -> int:
        """How many live entries ``iter_entries`` would give (for a progress bar)."""
        query = (
            select(func.count())
            .select_from(TimeEntryRow)
            .where(TimeEntryRow.work_date >= first, TimeEntryRow.work_date <= last, TimeEntryRow.deleted.is_(False))
        )
        if team_id is not None:
            query = query.where(TimeEntryRow.slack_team_id == team_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def iter_entries(
        self, first: date, last: date, *, team_id: str | None = None, batch: int = 2000
    ) -> Iterator[TimeEntry]:
        """Every live entry in the range (one team's, if given), ordered by team, user, date, start.

        Streamed (``yield_per``) so a year of rows never sits in memory.
        """
        criteria = [
            TimeEntryRow.work_date >= first,
            TimeEntryRow.work_date <= last,
            TimeEntryRow.deleted.is_(False),
        ]
        if team_id is not None:
            criteria.append(TimeEntryRow.slack_team_id == team_id)
        query = (
            select(TimeEntryRow)
            .where(*criteria)
            .order_by(
                TimeEntryRow.slack_team_id,
                TimeEntryRow.slack_user_id,
                TimeEntryRow.work_date,
                TimeEntryRow.start_time,
                TimeEntryRow.id,
            )
            .execution_options(yield_per=batch)
        )
        with Session(self.engine) as session:
            for row in session.scalars(query):
                yield _entry_of(row)

    def count_entries(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(TimeEntryRow)).scalar_one())

    # -- the Zoho sink's references ------------------------------------------------------

    def load_zoho_ids(self, entry_ids: Sequence[str]) -> dict[str, str]:
        if not entry_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TimeEntryRow.id, TimeEntryRow.zoho_id).where(
                    TimeEntryRow.id.in_(list(entry_ids)), TimeEntryRow.zoho_id.is_not(None)
                )
            )
            return {str(i): str(z) for i, z in rows}

    def save_zoho_id(self, entry_id: str, zoho_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(TimeEntryRow)
                .where(TimeEntryRow.id == entry_id)
                .values(zoho_id=zoho_id, zoho_synced_at=datetime.now(UTC))
            )

    # -- jobs ------------------------------------------------------------------------------

    def upsert_jobs(self, jobs: Sequence[Job]) -> None:
        if not jobs:
            return
        stmt = self._dialect.insert(JobRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=[JobRow.id],
            set_={
                "name": stmt.excluded.name,
                "active": stmt.excluded.active,
                "zoho_job_id": stmt.excluded.zoho_job_id,
            },
        )
        with self.engine.begin() as conn:
            conn.execute(
                stmt,
                [{"id": j.id, "name": j.name, "active": j.active, "zoho_job_id": j.zoho_job_id} for j in jobs],
            )

    def list_jobs(self, *, include_inactive: bool = False) -> list[Job]:
        query = select(JobRow).order_by(JobRow.name)
        if not include_inactive:
            query = query.where(JobRow.active.is_(True))
        with Session(self.engine) as session:
            return [Job(r.id, r.name, r.active, r.zoho_job_id) for r in session.scalars(query)]

    def set_job_active(self, job_id: str, active: bool) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(JobRow).where(JobRow.id == job_id).values(active=active))
            return bool(result.rowcount)

    def job_zoho_id(self, job_id: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(JobRow.zoho_job_id).where(JobRow.id == job_id)).scalar_one_or_none()
            return None if value is None else str(value)
