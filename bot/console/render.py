"""Block Kit and mrkdwn as terminal text: what Slack would show, readable in a console.

Pure functions. Buttons are numbered by a callback (``number_for``) so the caller decides
how numbers stay stable across updates; ``click N`` then finds the button again.

    lines = render_blocks(message["blocks"], number_for=board.number, name_of=people.name)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DIVIDER = "─" * 40
CODE_INDENT = "    "
FIELD_COLUMN_MAX = 36

EMOJI = {
    "warning": "⚠️",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "x": "❌",
    "wastebasket": "🗑️",
    "calendar": "📅",
    "clock4": "🕓",
    "wave": "👋",
    "tada": "🎉",
    "information_source": "ℹ️",
    "no_entry": "⛔",
}

_ANSI = {"bold": "1", "dim": "2", "italic": "3", "strike": "9", "red": "31", "green": "32"}


@dataclass(frozen=True, slots=True)
class Style:
    """How emphasis reaches the terminal: ANSI codes on a colour terminal, nothing when piped."""

    color: bool = False

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{_ANSI[code]}m{text}\033[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._wrap("bold", text)

    def dim(self, text: str) -> str:
        return self._wrap("dim", text)

    def italic(self, text: str) -> str:
        return self._wrap("italic", text)

    def strike(self, text: str) -> str:
        return self._wrap("strike", text)

    def danger(self, text: str) -> str:
        return self._wrap("red", text)

    def primary(self, text: str) -> str:
        return self._wrap("green", text)


PLAIN = Style(color=False)


@dataclass(frozen=True, slots=True)
class ButtonSpot:
    """A button as rendered: where it sits (block id, position) and the element Slack would send back."""

    block_id: str
    element: Mapping[str, Any]
    position: int


NumberFor = Callable[[ButtonSpot], int]
NameOf = Callable[[str], str]


def _no_name(user_id: str) -> str:
    return user_id


def _counting() -> NumberFor:
    counter = iter(range(1, 10**6))
    return lambda spot: next(counter)


# -- mrkdwn -----------------------------------------------------------------------------

_CODE_BLOCK = re.compile(r"```(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")


def unescape(text: str) -> str:
    """Slack's three HTML entities back to characters (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(text: str) -> str:
    """``:warning:`` → ⚠️ for the shortcodes crewclock uses; others stay as typed."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _angle(inner: str, name_of: NameOf) -> str:
    """``<@U1|pat>``, ``<#C1|crew>``, ``<!here>``, ``<https://x|label>`` as a reader sees them."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or name_of(target[1:]))
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        if target.startswith("!date"):
            return label or target
        return "@" + (label or target[1:].split("^")[0])
    return f"{label} ({target})" if label and label != target else target


def _inline(text: str, style: Style, name_of: NameOf) -> str:
    """One stretch of mrkdwn outside code: mentions and links, emphasis, entities, emoji."""
    text = _ANGLE.sub(lambda m: _angle(m.group(1), name_of), text)
    text = _BOLD.sub(lambda m: style.bold(m.group(1)), text)
    text = _ITALIC.sub(lambda m: style.italic(m.group(1)), text)
    text = _STRIKE.sub(lambda m: style.strike(m.group(1)), text)
    return emojize(unescape(text))


def _prose(text: str, style: Style, name_of: NameOf) -> str:
    """mrkdwn without code blocks, line by line: quotes get a bar, inline code stays verbatim.

    Quotes are found before entities are undone: a user's own ``>`` arrives as ``&gt;``.
    """
    out: list[str] = []
    for line in text.split("\n"):
        quoted = line.startswith(">")
        if quoted:
            line = line[1:].removeprefix(" ")
        parts = _INLINE_CODE.split(line)
        shown = "".join(unescape(part) if i % 2 else _inline(part, style, name_of) for i, part in enumerate(parts))
        out.append("  │ " + shown if quoted else shown)
    return "\n".join(out)


def mrkdwn_to_text(text: str, *, style: Style = PLAIN, name_of: NameOf = _no_name) -> str:
    """Slack mrkdwn as terminal text: emphasis as ANSI (or nothing), code blocks indented."""
    pieces: list[str] = []
    for i, part in enumerate(_CODE_BLOCK.split(text)):
        if i % 2:  # inside ``` ... ```: verbatim, indented, on lines of its own
            code = unescape(part).strip("\n")
            block = "\n".join(CODE_INDENT + line for line in code.split("\n"))
            if pieces and pieces[-1] and not pieces[-1].endswith("\n"):
                pieces.append("\n")
            pieces.append(block + "\n")
        else:
            # Text after a code block starts on a line of its own, as Slack shows it.
            pieces.append(_prose(part.lstrip("\n ") if pieces else part, style, name_of))
    return "".join(pieces).rstrip("\n")


def text_of(obj: Mapping[str, Any] | None, *, style: Style = PLAIN, name_of: NameOf = _no_name) -> str:
    """A text object (``plain_text`` or ``mrkdwn``) as terminal text."""
    if not obj:
        return ""
    raw = str(obj.get("text") or "")
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(raw, style=style, name_of=name_of)
    return emojize(raw)


# -- elements ---------------------------------------------------------------------------


def button_label(element: Mapping[str, Any], number: int, style: Style = PLAIN) -> str:
    """``[3] Delete``: the number to type after ``click``, then the button's text."""
    label = f"[{number}] {text_of(element.get('text'))}"
    if element.get("style") == "danger":
        return style.danger(label)
    if element.get("style") == "primary":
        return style.primary(label)
    return label


def _element(
    element: Mapping[str, Any], block_id: str, position: int, style: Style, number_for: NumberFor
) -> tuple[str, int]:
    """An interactive element as text; returns (text, buttons used)."""
    kind = element.get("type")
    if kind == "button":
        number = number_for(ButtonSpot(block_id, element, position))
        return button_label(element, number, style), 1
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]", 0
    placeholder = text_of(element.get("placeholder"))
    return f"‹{kind}{': ' + placeholder if placeholder else ''}›", 0


def _fields(fields: Sequence[Mapping[str, Any]], style: Style, name_of: NameOf) -> list[str]:
    """Section fields in two columns, as Slack lays them out."""
    texts = [text_of(f, style=style, name_of=name_of) for f in fields]
    lefts = texts[0::2]
    width = min(max((len(_visible(t.split("\n")[0])) for t in lefts), default=0), FIELD_COLUMN_MAX)
    lines: list[str] = []
    for left, right in zip(lefts, [*texts[1::2], ""], strict=False):
        left_lines, right_lines = left.split("\n"), right.split("\n") if right else []
        for i in range(max(len(left_lines), len(right_lines))):
            a = left_lines[i] if i < len(left_lines) else ""
            b = right_lines[i] if i < len(right_lines) else ""
            pad = " " * max(width - len(_visible(a)), 0)
            lines.append(f"{a}{pad}   {b}".rstrip() if b else a)
    return lines


_ANSI_CODE = re.compile(r"\033\[[0-9;]*m")


def _visible(text: str) -> str:
    return _ANSI_CODE.sub("", text)


# -- blocks -----------------------------------------------------------------------------


def render_blocks(
    blocks: Sequence[Mapping[str, Any]],
    *,
    style: Style = PLAIN,
    name_of: NameOf = _no_name,
    number_for: NumberFor | None = None,
) -> list[str]:
    """Blocks as lines of text, buttons numbered by ``number_for`` (default: 1, 2, 3...).

    Args:
        blocks: Block Kit blocks of a message, modal or Home tab.
        style: ANSI emphasis or plain text.
        name_of: user id → name, for mentions.
        number_for: the number each button gets, in the order buttons appear.
    """
    number_for = number_for or _counting()
    lines: list[str] = []
    position = 0
    for block in blocks:
        kind = block.get("type")
        block_id = str(block.get("block_id") or "")
        if kind == "header":
            title = text_of(block.get("text"))
            lines += [style.bold(title), "═" * len(title)]
        elif kind == "divider":
            lines.append(DIVIDER)
        elif kind == "section":
            body = text_of(block.get("text"), style=style, name_of=name_of).split("\n") if block.get("text") else []
            body += _fields(block.get("fields") or [], style, name_of)
            accessory = block.get("accessory")
            if accessory:
                shown, used = _element(accessory, block_id, position, style, number_for)
                position += used
                if body:
                    body[0] = f"{body[0]}   {shown}"
                else:
                    body = [shown]
            lines += body
        elif kind == "context":
            parts = [
                f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else text_of(e, name_of=name_of)
                for e in block.get("elements") or []
            ]
            lines += [style.dim("  " + line) for line in " · ".join(parts).split("\n")]
        elif kind == "actions":
            shown_elements = []
            for element in block.get("elements") or []:
                shown, used = _element(element, block_id, position, style, number_for)
                position += used
                shown_elements.append(shown)
            lines.append("   ".join(shown_elements))
        elif kind == "input":
            label = text_of(block.get("label"))
            lines.append(f"{label}: ‹{(block.get('element') or {}).get('type', 'input')}›")
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "rich_text":
            lines.append(_rich_text(block))
        else:
            lines.append(f"‹{kind} block›")
    return lines


def _rich_text(block: Mapping[str, Any]) -> str:
    """The words of a rich_text block, without its styling."""
    words: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "text":
                words.append(str(node.get("text", "")))
            elif node.get("type") == "user":
                words.append("@" + str(node.get("user_id", "")))
            for child in node.get("elements") or []:
                walk(child)

    walk(block)
    return "".join(words)


def render_message(
    text: str,
    blocks: Sequence[Mapping[str, Any]] | None,
    *,
    style: Style = PLAIN,
    name_of: NameOf = _no_name,
    number_for: NumberFor | None = None,
) -> list[str]:
    """A message as Slack shows it: its blocks, or its ``text`` (mrkdwn) when it has none."""
    if blocks:
        return render_blocks(blocks, style=style, name_of=name_of, number_for=number_for)
    return mrkdwn_to_text(text, style=style, name_of=name_of).split("\n")


def headline(text: str, blocks: Sequence[Mapping[str, Any]] | None, *, name_of: NameOf = _no_name) -> str:
    """The first line a message shows (for one-line update notices)."""
    for line in render_message(text, blocks, name_of=name_of, number_for=lambda spot: 0):
        if line.strip():
            return line.strip()
    return ""
