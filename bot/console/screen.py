"""What the console user sees of the workspace: their messages, DMs, updates, Home and files.

:class:`ConsoleScreen` is the stand-in's :class:`~bot.console.slack.Screen`. It shows only
what the current user would see in Slack (their DMs and ephemerals, #crew, their Home
while they look at it), numbers every button so ``click N`` can press it, and prints an
update in place of the message it changes: "(update) Logged 8.0 h … ✅ saved".

Piped sessions batch background output until the next :meth:`flush`, so a script's
transcript keeps each command's answers together.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.console.people import CHANNEL_NAME, Person, Workspace
from bot.console.render import ButtonSpot, NumberFor, headline, render_message
from bot.console.slack import Message, SharedFile
from bot.console.terminal import Terminal

INDENT = "  "
FILE_LINES_SHOWN = 12

SurfaceKey = tuple[str, ...]


def message_surface(key: tuple[str, str]) -> SurfaceKey:
    return ("message", *key)


def view_surface(view_id: str) -> SurfaceKey:
    return ("view", view_id)


@dataclass(frozen=True, slots=True)
class ButtonTarget:
    """What ``click N`` presses: a button on a message or a view."""

    surface: SurfaceKey
    block_id: str
    element: Mapping[str, Any]


def _identity(spot: ButtonSpot) -> tuple[str, str, str, str]:
    element = spot.element
    text = str((element.get("text") or {}).get("text", ""))
    return (spot.block_id, str(element.get("action_id", "")), str(element.get("value", "")), text)


class ButtonBoard:
    """Numbers for buttons, stable while a button stays where it was (an update keeps its numbers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 1
        self._targets: dict[int, ButtonTarget] = {}
        self._by_surface: dict[SurfaceKey, dict[tuple[str, str, str, str], int]] = {}

    @contextmanager
    def numbering(self, surface: SurfaceKey) -> Iterator[NumberFor]:
        """Number one rendering of ``surface``; buttons it no longer has stop being clickable."""
        with self._lock:
            before = dict(self._by_surface.get(surface, {}))
        now: dict[tuple[str, str, str, str], int] = {}

        def number_for(spot: ButtonSpot) -> int:
            identity = _identity(spot)
            with self._lock:
                number = before.pop(identity, None)
                if number is None or identity in now:
                    number = self._next
                    self._next += 1
                now[identity] = number
                self._targets[number] = ButtonTarget(surface, spot.block_id, dict(spot.element))
            return number

        yield number_for
        with self._lock:
            for gone in before.values():
                self._targets.pop(gone, None)
            self._by_surface[surface] = now

    def retire(self, surface: SurfaceKey) -> None:
        """The surface is gone (a deleted message, a closed modal): its buttons with it."""
        with self._lock:
            for number in self._by_surface.pop(surface, {}).values():
                self._targets.pop(number, None)

    def target(self, number: int) -> ButtonTarget | None:
        with self._lock:
            return self._targets.get(number)


class ConsoleScreen:
    """Shows the workspace to one console user at a time (``viewer``)."""

    def __init__(self, terminal: Terminal, workspace: Workspace, viewer: Person, *, batch: bool) -> None:
        self.terminal = terminal
        self.workspace = workspace
        self.viewer = viewer
        self.board = ButtonBoard()
        self.watching_home = False
        self._batch = batch
        self._lock = threading.RLock()
        self._queued: list[list[str]] = []
        self._shown: dict[tuple[str, str], str] = {}  # message key -> what was last shown of it
        self._modals: deque[dict[str, Any]] = deque()

    # -- output -------------------------------------------------------------------------

    def show(self, lines: list[str]) -> None:
        """Print now, or at the next :meth:`flush` when batching."""
        with self._lock:
            if self._batch:
                self._queued.append(lines)
                return
        self.terminal.write(lines)

    def flush(self) -> None:
        with self._lock:
            queued, self._queued = self._queued, []
        for lines in queued:
            self.terminal.write(lines)

    def _sees(self, audience: str) -> bool:
        return audience in ("", self.viewer.user_id)

    def _where(self, message: Message) -> str:
        style = self.terminal.style
        if message.channel.startswith("D"):
            place = "DM"
        else:
            place = f"#{CHANNEL_NAME}"
        if message.ephemeral:
            place += " · only visible to you"
        return style.dim(f"crewclock · {place}")

    def _render(self, message: Message) -> list[str]:
        with self.board.numbering(message_surface(message.key)) as number_for:
            body = render_message(
                message.text,
                message.blocks,
                style=self.terminal.style,
                name_of=self.workspace.name_of,
                number_for=number_for,
            )
        return [INDENT + line for line in body]

    @staticmethod
    def _signature(message: Message) -> str:
        return json.dumps([message.text, message.blocks], sort_keys=True)

    @staticmethod
    def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []

        def walk(node: Any) -> None:
            if isinstance(node, Mapping):
                if node.get("type") == "button":
                    found.append((str(node.get("action_id", "")), str(node.get("value", ""))))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(blocks)
        return found

    # -- the stand-in's Screen ------------------------------------------------------------

    def message_posted(self, message: Message) -> None:
        if not self._sees(message.audience):
            return
        with self._lock:
            self._shown[message.key] = self._signature(message)
        self.show(["", self._where(message), *self._render(message)])

    def message_updated(self, message: Message) -> None:
        if not self._sees(message.audience):
            return
        style = self.terminal.style
        with self._lock:
            before = self._shown.get(message.key)
            if before is None:
                return  # never shown to this user (posted while someone else was at the console)
            signature = self._signature(message)
            if signature == before and not message.deleted:
                return  # nothing the user would notice changed
            self._shown[message.key] = signature
        if message.deleted:
            self.board.retire(message_surface(message.key))
            self.show([style.dim("(update) a message above was deleted")])
            return
        had = self._buttons(json.loads(before)[1])
        line = headline(message.text, message.blocks, name_of=self.workspace.name_of)
        if had == self._buttons(message.blocks):
            with self.board.numbering(message_surface(message.key)) as number_for:
                render_message(message.text, message.blocks, name_of=self.workspace.name_of, number_for=number_for)
            self.show([f"{style.dim('(update)')} {line}"])
        else:  # its buttons changed (a deleted entry loses Edit and Delete): show it all again
            self.show(["", style.dim("(update) ") + self._where(message), *self._render(message)])

    def modal_opened(self, view: dict[str, Any], user_id: str) -> None:
        if user_id == self.viewer.user_id:
            with self._lock:
                self._modals.append(view)

    def next_modal(self) -> dict[str, Any] | None:
        """The next modal the bot opened for the viewer, for the session to fill in."""
        with self._lock:
            return self._modals.popleft() if self._modals else None

    def view_updated(self, view: dict[str, Any]) -> None:
        """A modal changed while open: the session's form picks it up when it is submitted."""

    def home_published(self, view: dict[str, Any], user_id: str) -> None:
        if user_id != self.viewer.user_id or not self.watching_home:
            return  # Slack redraws a Home nobody is looking at silently
        self.show(["", self.terminal.style.dim("crewclock · Home"), *self.render_view(view)])

    def render_view(self, view: Mapping[str, Any]) -> list[str]:
        """A modal's or Home's blocks, indented, buttons numbered."""
        if not view.get("blocks"):
            return []
        with self.board.numbering(view_surface(str(view["id"]))) as number_for:
            body = render_message(
                "",
                list(view.get("blocks") or []),
                style=self.terminal.style,
                name_of=self.workspace.name_of,
                number_for=number_for,
            )
        return [INDENT + line for line in body]

    def file_shared(self, shared: SharedFile) -> None:
        if not self._sees(shared.audience):
            return
        lines = ["", self.terminal.style.dim("crewclock · DM · file")]
        if shared.initial_comment:
            lines.append(INDENT + shared.initial_comment)
        lines.append(f"{INDENT}📎 {shared.title or shared.filename} — saved to {shared.path}")
        text = shared.content.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
        lines += [INDENT + "  " + row for row in text[:FILE_LINES_SHOWN]]
        if len(text) > FILE_LINES_SHOWN:
            lines.append(f"{INDENT}  … {len(text) - FILE_LINES_SHOWN} more lines in the file")
        self.show(lines)
