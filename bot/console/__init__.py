"""``crewclock console``: the real bot in a terminal, against an in-process stand-in for Slack.

``add_arguments`` is cheap to import; ``main`` loads the bot, the core and the stand-in
only when the console actually runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.console.options import add_arguments

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["add_arguments", "main"]


def main(
    settings: Settings,
    args: argparse.Namespace,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    export_dir: Path | None = None,
) -> int:
    """Run the console until ``quit`` or the end of input; returns the exit code (see ``bot.console.cli.main``)."""
    from bot.console.cli import main as run

    return run(settings, args, stdin=stdin, stdout=stdout, export_dir=export_dir)
