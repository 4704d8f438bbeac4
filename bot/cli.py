"""The `crewclock` command: serve, console, migrate, sync, doctor, jobs, reconcile, export."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from core.settings import Settings, SettingsError

log = logging.getLogger("crewclock")


def _setup_logging(settings: Settings) -> None:
    """JSON lines on stderr unless it is a terminal; secrets redacted (``core.ops.logging``)."""
    from core.ops.logging import configure_logging

    configure_logging(settings)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from core.sql.store import SqlStore, make_engine

    sql = SqlStore(make_engine(settings.sqlalchemy_url))
    sql.migrate()
    print(f"schema at revision {sql.schema_revision()}")
    return 0


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.bootstrap import build_services

    services = build_services(settings)
    pending, dead = services.hot.counts()
    if not args.drain:
        print(f"{pending} pending, {dead} dead-lettered (use --drain to push the pending ones now)")
        return 0
    with tqdm(total=pending, unit="entry", disable=args.quiet or not sys.stderr.isatty()) as bar:
        report = services.sync.drain(progress=bar.update)
    services.stop()
    left, dead = services.hot.counts()
    print(
        f"drained {report.claimed}: {report.synced} synced, {report.pending} still pending, "
        f"{report.dead} dead-lettered; {left} pending and {dead} dead-lettered now"
    )
    return 0 if report.pending == 0 and report.dead == 0 else 1


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    from core.bootstrap import redis_client
    from core.doctor import run_checks
    from core.sql.store import SqlStore, make_engine

    checks = run_checks(
        redis_client(settings), SqlStore(make_engine(settings.sqlalchemy_url)), embedded_redis=settings.embedded_redis
    )
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.fatal else "warn")
        print(f"[{mark}] {check.name}: {check.detail}")
    return 1 if any(not c.ok and c.fatal for c in checks) else 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.server import serve

    return serve(settings, workers=getattr(args, "workers", 1))


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console import main as console_main

    return console_main(settings, args)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """The main job: Slack when it is configured, otherwise the console on embedded storage."""
    if settings.slack_bot_token:
        return cmd_serve(settings, args)
    return cmd_console(settings, args)


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_reconcile import run

    return run(settings, args)


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_export import run

    return run(settings, args)


def cmd_jobs(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_jobs import run

    return run(settings, args)


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "migrate": cmd_migrate,
    "sync": cmd_sync,
    "doctor": cmd_doctor,
    "serve": cmd_serve,
    "console": cmd_console,
    "run": cmd_run,
    "jobs": cmd_jobs,
    "reconcile": cmd_reconcile,
    "export": cmd_export,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crewclock", description="Crews log hours in Slack; none are lost.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="answer Slack (HTTP on PORT, or Socket Mode with SLACK_APP_TOKEN)")
    serve.add_argument("--workers", type=int, default=1, help="HTTP worker processes sharing PORT (default 1)")
    from bot import cli_export, cli_jobs, cli_reconcile, console

    console.add_arguments(sub.add_parser("console", help="try the bot in a terminal (embedded storage by default)"))
    console.add_arguments(sub.add_parser("run", help="serve Slack when SLACK_BOT_TOKEN is set, else the console"))
    cli_jobs.add_parser(sub)
    cli_export.add_parser(sub)
    sub.add_parser("migrate", help="bring the database schema up to date")
    sync = sub.add_parser("sync", help="show or push the pending backlog")
    sync.add_argument("--drain", action="store_true", help="push everything pending now, in batches")
    sync.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("doctor", help="check Redis, the database and their settings")
    cli_reconcile.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"crewclock: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
