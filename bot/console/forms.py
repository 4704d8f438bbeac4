"""A modal as a form in the terminal: each input asked in turn, answers sent back as Slack's ``state.values``.

Labels are the modal's own; what the input starts with is shown in [brackets] (Enter keeps
it); optional inputs can be skipped (Enter) or cleared (``-``); selects list their options
by number; dates are ``2026-11-27`` and times ``07:00``. What Slack's client checks before
sending (required inputs, a real date or time, an option that exists, length limits) is
checked here; everything else is the bot's to judge, and its ``response_action: errors``
sends the user back to exactly the inputs it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.console.render import text_of
from bot.console.terminal import Terminal

CANCEL_WORDS = frozenset({"cancel", "close"})
CLEAR = "-"
OPTIONS_LISTED_MAX = 30
_TIME = re.compile(r"^(\d{1,2})(?::?(\d{2}))?\s*([ap]m?)?$", re.IGNORECASE)

Option = dict[str, Any]


class _Marker:
    """A sentinel: what an answer means before it is checked."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_ASK_AGAIN: Any = _Marker("ask again")
_TYPED: Any = _Marker("typed: check it")
Suggest = Callable[[str, str, str], list[Option]]  # (block id, action id, typed) -> options


class FormClosed(Exception):
    """The user closed the form (``cancel``) or the input ended."""


@dataclass(frozen=True, slots=True)
class Field:
    """One input block of the modal."""

    block_id: str
    action_id: str
    label: str
    element: Mapping[str, Any]
    optional: bool
    hint: str

    @property
    def kind(self) -> str:
        return str(self.element.get("type", ""))


def fields_of(view: Mapping[str, Any]) -> list[Field]:
    """The modal's inputs, in order."""
    found = []
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        found.append(
            Field(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                label=text_of(block.get("label")),
                element=element,
                optional=bool(block.get("optional", False)),
                hint=text_of(block.get("hint")),
            )
        )
    return found


def parse_clock(raw: str) -> str | None:
    """``7``, ``7:00``, ``0700``, ``3:30p``, ``15:30`` → ``HH:MM`` (what a timepicker sends), else None."""
    match = _TIME.match(raw.strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower()
    if meridiem:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem.startswith("p") else 0)
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def parse_date(raw: str) -> str | None:
    """``2026-11-27`` (what a datepicker sends), else None."""
    try:
        return date.fromisoformat(raw.strip()).isoformat() if len(raw.strip()) == 10 else None
    except ValueError:
        return None


def option_label(option: Mapping[str, Any]) -> str:
    return text_of(option.get("text"))


def pick_option(options: Sequence[Option], typed: str, listed: Sequence[Option] = ()) -> Option | list[Option]:
    """The option ``typed`` names: a number from ``listed`` (or ``options``), its value, or words of its label.

    Returns:
        The one option, or the candidates when it is ambiguous (empty: none match).
    """
    typed = typed.strip()
    numbered = listed or options
    if typed.isdigit() and 1 <= int(typed) <= len(numbered) and not any(o.get("value") == typed for o in options):
        return numbered[int(typed) - 1]
    lowered = typed.lower()
    exact = [o for o in options if str(o.get("value", "")).lower() == lowered or option_label(o).lower() == lowered]
    if len(exact) == 1:
        return exact[0]
    words = lowered.split()
    matches = [o for o in options if all(w in option_label(o).lower() for w in words)]
    return matches[0] if len(matches) == 1 else matches


class ModalForm:
    """Asks for a modal's inputs on a :class:`Terminal` and keeps the answers as ``state.values``.

    Args:
        terminal: where to ask.
        view: the modal as ``views.open`` returned it.
        suggest: options for an external_select (a ``block_suggestion`` to the bot).
    """

    def __init__(self, terminal: Terminal, view: Mapping[str, Any], suggest: Suggest) -> None:
        self.terminal = terminal
        self.view = view
        self.fields = fields_of(view)
        self._suggest = suggest
        self._answers: dict[str, Any] = {f.block_id: self._initial(f) for f in self.fields}

    # -- values ----------------------------------------------------------------------------

    @staticmethod
    def _initial(field: Field) -> Any:
        element = field.element
        if field.kind in ("static_select", "external_select"):
            return element.get("initial_option")
        if field.kind == "datepicker":
            return element.get("initial_date")
        if field.kind == "timepicker":
            return element.get("initial_time")
        return element.get("initial_value")

    def _shown(self, field: Field, value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, Mapping):
            return option_label(value)
        return str(value)

    def state_values(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The answers in Slack's ``view.state.values`` shape."""
        values: dict[str, dict[str, dict[str, Any]]] = {}
        for field in self.fields:
            answer = self._answers.get(field.block_id)
            kind = field.kind
            if kind in ("static_select", "external_select"):
                state: dict[str, Any] = {"type": kind, "selected_option": answer}
            elif kind == "datepicker":
                state = {"type": kind, "selected_date": answer}
            elif kind == "timepicker":
                state = {"type": kind, "selected_time": answer}
            else:
                state = {"type": kind, "value": answer if answer != "" else None}
            values[field.block_id] = {field.action_id: state}
        return values

    # -- asking --------------------------------------------------------------------------

    def ask(self, only: Sequence[str] | None = None) -> None:
        """Ask every input (or only the block ids in ``only``), keeping each answer.

        Raises:
            FormClosed: the user typed ``cancel`` or the input ended.
        """
        for field in self.fields:
            if only is None or field.block_id in only:
                self._answers[field.block_id] = self._ask_field(field)

    def _read(self, prompt: str) -> str:
        line = self.terminal.read(prompt)
        if line is None or line.strip().lower() in CANCEL_WORDS:
            raise FormClosed()
        return line.strip()

    def _prompt(self, field: Field, current: Any, shape: str = "") -> str:
        parts = [field.label]
        extras = [x for x in (shape, "optional" if field.optional else "") if x]
        if extras:
            parts.append(f"({', '.join(extras)})")
        shown = self._shown(field, current)
        if shown:
            parts.append(f"[{shown}]")
        return "  " + " ".join(parts) + ": "

    def _ask_field(self, field: Field) -> Any:
        current = self._answers.get(field.block_id)
        if field.hint:
            self.terminal.say(self.terminal.style.dim(f"  ({field.hint})"))
        if field.kind in ("static_select", "external_select"):
            return self._ask_select(field, current)
        shape = {"datepicker": "YYYY-MM-DD", "timepicker": "HH:MM"}.get(field.kind, "")
        if field.kind not in ("datepicker", "timepicker", "plain_text_input", "number_input", "email_text_input"):
            self.terminal.say(f"  ({field.label}: a {field.kind} cannot be filled in the console; left as it is)")
            return current
        while True:
            typed = self._read(self._prompt(field, current, shape))
            kept = self._empty_or_clear(field, typed, current)
            if kept is _ASK_AGAIN:
                continue
            if kept is not _TYPED:
                return kept
            checked = self._check(field, typed)
            if checked is not None:
                return checked

    def _empty_or_clear(self, field: Field, typed: str, current: Any) -> Any:
        """Enter keeps the current value; ``-`` clears an optional input; otherwise ``_TYPED``."""
        if typed == "":
            if current in (None, "") and not field.optional:
                self.terminal.say("  ✗ Required.")
                return _ASK_AGAIN
            return current
        if typed == CLEAR:
            if not field.optional:
                self.terminal.say("  ✗ Required: this one cannot be left empty.")
                return _ASK_AGAIN
            return None
        return _TYPED

    def _check(self, field: Field, typed: str) -> Any:
        """The typed value as Slack's client would send it, or None (after saying why) to ask again."""
        element = field.element
        if field.kind == "datepicker":
            value = parse_date(typed)
            if value is None:
                self.terminal.say("  ✗ Type a date like 2026-11-27.")
            return value
        if field.kind == "timepicker":
            value = parse_clock(typed)
            if value is None:
                self.terminal.say("  ✗ Type a time like 07:00 or 15:30.")
            return value
        if field.kind == "number_input":
            try:
                float(typed)
            except ValueError:
                self.terminal.say("  ✗ Type a number.")
                return None
            return typed
        text = typed.replace("\\n", "\n")  # one line in a terminal; \n where a multiline input wants a break
        limit = element.get("max_length")
        if isinstance(limit, int) and len(text) > limit:
            self.terminal.say(f"  ✗ At most {limit} characters (that was {len(text)}).")
            return None
        least = element.get("min_length")
        if isinstance(least, int) and len(text) < least:
            self.terminal.say(f"  ✗ At least {least} characters.")
            return None
        return text

    def _list(self, options: Sequence[Option]) -> None:
        shown = options[:OPTIONS_LISTED_MAX]
        lines = [f"    {i}) {option_label(o)}" for i, o in enumerate(shown, 1)]
        if len(options) > len(shown):
            lines.append(f"    … {len(options) - len(shown)} more: type part of a name to narrow them down")
        self.terminal.write(lines)

    def _ask_select(self, field: Field, current: Any) -> Any:
        static = field.kind == "static_select"
        options: list[Option] = list(field.element.get("options") or []) if static else []
        listed: list[Option] = []
        if static:
            listed = options[:OPTIONS_LISTED_MAX]
            self._list(options)
        shape = "number or name" if static else "type to search"
        while True:
            typed = self._read(self._prompt(field, current, shape))
            kept = self._empty_or_clear(field, typed, current)
            if kept is _ASK_AGAIN:
                continue
            if kept is not _TYPED:
                return kept
            candidates = options if static else (listed if typed.isdigit() and listed else [])
            if not static and not candidates:
                candidates = self._suggest(field.block_id, field.action_id, typed)
                listed = []
            picked = pick_option(candidates, typed, listed)
            if isinstance(picked, Mapping):
                return dict(picked)
            if not picked:
                self.terminal.say(f"  ✗ Nothing matches {typed!r}.")
                continue
            listed = list(picked[:OPTIONS_LISTED_MAX])
            self.terminal.say(f"  {len(picked)} match — pick one by number:")
            self._list(picked)
