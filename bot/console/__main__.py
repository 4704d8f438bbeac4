"""``python -m bot.console``: the console without the ``crewclock`` entry point."""

from __future__ import annotations

import argparse
import sys

from bot.console import add_arguments, main
from core.settings import Settings, SettingsError


def run() -> int:
    parser = argparse.ArgumentParser(prog="crewclock console", description="Try the bot in a terminal.")
    add_arguments(parser)
    args = parser.parse_args()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"crewclock: {exc}", file=sys.stderr)
        return 2
    return main(settings, args)


if __name__ == "__main__":
    sys.exit(run())
