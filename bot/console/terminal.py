"""The console's two ends: lines in (typed, or piped from a script) and text out, safe from any thread.

Interactive (stdin is a terminal): prompts, line editing when ``readline`` is there, and
output from background threads printed above the prompt. Piped: no prompts; each line
read is echoed after its prompt text, so the output reads as a transcript of the session.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import TextIO

from bot.console.render import Style

try:  # line editing and history for people typing; absent on some platforms
    import readline
except ImportError:  # pragma: no cover - platform dependent
    readline = None  # type: ignore[assignment]

CLEAR_LINE = "\r\033[K"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Terminal:
    """Reads lines and writes blocks of lines without tearing them apart across threads.

    Args:
        stdin: where commands and form answers come from.
        stdout: where everything is shown.
        interactive: default: whether ``stdin`` is a terminal.
    """

    def __init__(self, stdin: TextIO, stdout: TextIO, *, interactive: bool | None = None) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = _isatty(stdin) if interactive is None else interactive
        self.style = Style(color=self.interactive and _isatty(stdout))
        self._lock = threading.RLock()
        self._prompt: str | None = None  # the prompt being shown while waiting for a line

    def write(self, lines: Iterable[str]) -> None:
        """Print whole lines at once; in a terminal, above a prompt that is waiting."""
        text = "".join(line + "\n" for line in lines)
        with self._lock:
            if self._prompt is not None:
                typed = readline.get_line_buffer() if readline is not None and self._uses_input() else ""
                self.stdout.write(CLEAR_LINE + text + self._prompt + typed)
            else:
                self.stdout.write(text)
            self.stdout.flush()

    def say(self, *lines: str) -> None:
        self.write(lines)

    def _uses_input(self) -> bool:
        # input() gives line editing, but only reads sys.stdin and writes its prompt to sys.stdout.
        return self.interactive and self.stdin is sys.stdin and self.stdout is sys.stdout

    def read_command(self, prompt: str) -> str | None:
        """The next command: blank lines are skipped, and a script's ``#`` comments are shown as narration."""
        while True:
            if self.interactive:
                line = self.read(prompt)
                if line is None or (line.strip() and not line.lstrip().startswith("#")):
                    return line
                continue
            raw = self.stdin.readline()
            if not raw:
                return None
            line = raw.rstrip("\r\n")
            if line.lstrip().startswith("#"):
                self.say(self.style.dim(line.strip()))
            elif line.strip():
                self.say(prompt + line)
                return line

    def read(self, prompt: str) -> str | None:
        """One line without its newline, or None at the end of input.

        Interactive: ``prompt`` is shown and the user types. Piped: ``prompt`` and the
        line are printed together, as a transcript.
        """
        if self.interactive:
            with self._lock:
                self._prompt = prompt
            try:
                if self._uses_input():
                    line: str | None = input(prompt)
                else:
                    with self._lock:
                        self.stdout.write(prompt)
                        self.stdout.flush()
                    raw = self.stdin.readline()
                    line = raw.rstrip("\r\n") if raw else None
            except EOFError:
                line = None
            except KeyboardInterrupt:
                line = None
            finally:
                with self._lock:
                    self._prompt = None
            if line is None:
                self.say("")  # end the prompt's line
            return line
        raw = self.stdin.readline()
        if not raw:
            return None
        line = raw.rstrip("\r\n")
        self.say(prompt + line)
        return line
