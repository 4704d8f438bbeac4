"""``python -m tests.reliability.launch [--weekly-first-check-s S] <crewclock args>``.

Runs exactly what the ``crewclock`` console script runs (``bot.cli.main``). The one
test-only knob: the weekly DM job's first check, which the product schedules a minute
after start (``bot.weekly.FIRST_RUN_DELAY_S``) so a fresh process settles first; the
multi-process scenario brings it forward instead of idling for that minute. Nothing else
about the process differs from production.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv[:1] == ["--weekly-first-check-s"]:
        import bot.weekly

        bot.weekly.FIRST_RUN_DELAY_S = float(argv[1])  # type: ignore[misc]
        argv = argv[2:]
    from bot.cli import main as crewclock

    return crewclock(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
