"""One console session: read what the user types, send it to the real bot as Slack would, show the answers.

The bot is ``bot.app.build_app`` itself, given a :class:`ConsoleWebClient` instead of a
client for slack.com. Typed slash commands, clicks, Home visits and modal submissions
become signed Slack requests dispatched through the app; its answers (the ack's body,
Web API calls, response_url posts) reach the :class:`ConsoleScreen`. Before the next
prompt the session waits for the bot's lazy listeners, so a command's whole answer shows
together; entries syncing in the background update their messages when they settle.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from slack_bolt import App

from bot.app import build_app, build_web_client
from bot.console.forms import FormClosed, ModalForm, Option
from bot.console.lazy import CountingExecutor, count_lazy_listeners
from bot.console.people import CHANNEL_ID, MANAGER_HANDLE, TEAM_ID, Person, Workspace
from bot.console.render import text_of
from bot.console.requests import Answer, SlackRequests
from bot.console.screen import INDENT, ConsoleScreen, view_surface
from bot.console.slack import SlackStandIn
from bot.console.terminal import Terminal
from bot.context import BotContext, UserDirectory
from bot.listeners.commands.hours import remember_profile
from core.bootstrap import Services
from core.domain.entry import SyncStatus
from core.settings import Settings

SLASH_COMMANDS = ("/hours", "/history", "/crewclock")  # manifest.yml's commands
LAZY_WAIT_S = 10.0  # a command's lazy work (Web API, Postgres reads) normally takes milliseconds
SYNC_SETTLE_S = 2.0  # piped: let a new entry's "✅ saved" show under the command that made it
QUIET_S = 0.1
ACK_LIMIT_MS = 3000  # Slack gives up on an ack after 3 seconds
YES = frozenset({"y", "yes"})
ALL_DAYS = 10**7  # day numbers: every date a work date can have

HELP = """\
Type what you would type in Slack:
  /hours                        the Log hours form
  /hours 7-3:30 smith           a quick entry (/hours help shows the grammar)
  /history                      your last 30 days (/history help for periods, @name, job …)
  /history @maria               someone else's hours (managers only)
  /crewclock jobs               the job list (managers)
  home                          your App Home tab
  click N                       press button [N] (or just type N)
  as NAME                       be someone else: maria, james, li (crew), sam (manager)
  people                        who is in this workspace
  help · quit"""


class ConsoleSession:
    """The real bot, a stand-in Slack, and a terminal, for one console user at a time."""

    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        standin: SlackStandIn,
        screen: ConsoleScreen,
        terminal: Terminal,
    ) -> None:
        self.settings = settings
        self.services = services
        self.standin = standin
        self.screen = screen
        self.terminal = terminal
        self.workspace = standin.workspace
        self.person = screen.viewer
        self.app: App = build_app(settings, services)  # its client is built from SLACK_API_URL: the stand-in
        self.lazies: CountingExecutor = count_lazy_listeners(self.app)
        self.requests = SlackRequests(self.app, standin, settings.slack_signing_secret)
        client = build_web_client(settings)
        self._ctx = BotContext(settings, services, client, UserDirectory(client, services))
        self.introduce(self.person)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        """Read and answer commands until ``quit`` or the end of input; returns the exit code."""
        while True:
            self.screen.flush()
            line = self.terminal.read_command(f"{self.person.handle}> ")
            if line is None:
                return 0
            if not self.handle(line.strip()):
                return 0

    def handle(self, line: str) -> bool:
        """Do one typed command; False means the user is done."""
        word, _, rest = line.partition(" ")
        keyword = word.lower()
        if line.startswith("/"):
            self.slash_command(word.lower(), rest.strip())
        elif keyword in ("quit", "exit", "q"):
            return False
        elif keyword in ("help", "?"):
            self.terminal.say(HELP)
        elif keyword == "home":
            self.open_home()
        elif keyword == "click" or line.isdigit():
            self.click(rest if keyword == "click" else line)
        elif keyword == "as":
            self.become(rest.strip())
        elif keyword in ("people", "whoami"):
            self.show_people()
        else:
            self.terminal.say(f"Not a command here: {word!r}. Type help for what works.")
        return True

    def settle(self) -> None:
        """Wait for the bot's lazy listeners, fill in any modal they opened, then show what came."""
        while True:
            if not self.lazies.wait_idle(LAZY_WAIT_S):
                self.terminal.say(f"(the bot is still working after {LAZY_WAIT_S:.0f} s; answers will show here)")
            if not self.terminal.interactive:
                self._let_syncs_land()
            self.screen.flush()
            view = self.screen.next_modal()
            if view is None:
                return
            self.fill_modal(view)

    def _let_syncs_land(self) -> None:
        """Piped: give new entries a moment to reach the database, so "✅ saved" lands under its command."""
        deadline = time.monotonic() + SYNC_SETTLE_S
        while time.monotonic() < deadline:
            pending, _ = console_backlog(self.services, self.workspace)
            if pending == 0 and self.standin.quiet_for >= QUIET_S:
                return
            time.sleep(0.02)

    # -- commands -------------------------------------------------------------------------

    def slash_command(self, command: str, text: str) -> None:
        if command not in SLASH_COMMANDS:
            self.terminal.say(f"{command} is not a command of this app. Its commands: {', '.join(SLASH_COMMANDS)}.")
            return
        self.screen.watching_home = False
        answer = self.requests.slash_command(self.person, command, text)
        self._show_command_answer(command, answer)
        self.settle()

    def _show_command_answer(self, command: str, answer: Answer) -> None:
        """What Slack shows for the ack's body: an ephemeral (or in-channel) message, or nothing."""
        if answer.status != 200:
            self.terminal.say(f'Slack would show: {command} failed with the error "dispatch_failed" ({answer.status}).')
            return
        if answer.ack_ms > ACK_LIMIT_MS:
            self.terminal.say(f"(the ack took {answer.ack_ms:.0f} ms: Slack would have shown a timeout error)")
        body = answer.json()
        if body is None:
            if answer.body.strip():  # a plain-text body is shown as is
                self.standin.post_ephemeral(
                    user_id=self.person.user_id, channel=CHANNEL_ID, text=answer.body, blocks=[]
                )
            return
        if body.get("text") or body.get("blocks"):
            self.standin.post_ephemeral(
                user_id=self.person.user_id,
                channel=CHANNEL_ID,
                text=str(body.get("text") or ""),
                blocks=list(body.get("blocks") or []),
                in_channel=body.get("response_type") == "in_channel",
            )

    def open_home(self) -> None:
        self.screen.watching_home = True
        answer = self.requests.app_home_opened(self.person)
        if answer.status != 200:
            self.terminal.say(f"(the bot answered the Home event with {answer.status})")
        self.settle()

    def click(self, typed: str) -> None:
        typed = typed.strip().strip("[]")
        if not typed.isdigit():
            self.terminal.say("Which button? Type click and its number, e.g. click 2.")
            return
        target = self.screen.board.target(int(typed))
        if target is None:
            self.terminal.say(f"There is no button [{typed}] on screen (any more).")
            return
        kind, *where = target.surface
        message: dict[str, Any] | None = None
        view: dict[str, Any] | None = None
        if kind == "message":
            found = self.standin.message((where[0], where[1]))
            if found is not None:
                message = asdict(found)
        else:
            view = self.standin.view(where[0])
        if message is None and view is None:
            self.terminal.say(f"Button [{typed}] was on a message that is gone.")
            return
        element = target.element
        if element.get("confirm") and not self._confirmed(element["confirm"]):
            self.terminal.say(INDENT + "(kept: nothing was sent)")
            return
        if element.get("url"):
            self.terminal.say(f"{INDENT}(opens {element['url']} in a browser)")
        self.screen.watching_home = view is not None and view.get("type") == "home"
        answer = self.requests.button_click(
            self.person, block_id=target.block_id, element=element, message=message, view=view
        )
        if answer.status != 200:
            self.terminal.say(f"(the bot answered the click with {answer.status})")
        self.settle()

    def _confirmed(self, dialog: Mapping[str, Any]) -> bool:
        """Slack's confirm dialog: title, text, and the two buttons as a yes/no question."""
        yes, no = text_of(dialog.get("confirm")) or "Yes", text_of(dialog.get("deny")) or "Cancel"
        self.terminal.write(
            ["", INDENT + self.terminal.style.bold(text_of(dialog.get("title"))), INDENT + text_of(dialog.get("text"))]
        )
        answer = self.terminal.read(f"{INDENT}{yes} (y) or {no} (n)? ")
        return answer is not None and answer.strip().lower() in YES | {yes.lower()}

    def become(self, handle: str) -> None:
        if not handle:
            self.terminal.say("Who? e.g. as sam")
            return
        try:
            person = self.workspace.become(handle)
        except ValueError as bad:
            self.terminal.say(str(bad))
            return
        self.person = person
        self.screen.viewer = person
        self.screen.watching_home = False
        self.introduce(person)
        self.terminal.say(f"You are now @{person.handle} ({person.real_name}, {person.role}, {person.tz}).")

    def show_people(self) -> None:
        lines = []
        for person in self.workspace.people:
            me = "  ← you" if person.user_id == self.person.user_id else ""
            lines.append(f"  @{person.handle:<8} {person.real_name:<14} {person.role:<12} {person.tz}{me}")
        self.terminal.write(lines)

    def introduce(self, person: Person) -> None:
        """Make the bot see ``person`` as they are now (time zone, email), as a fresh users.info would."""
        # Drop the profile bot.context.UserDirectory cached from an earlier run (its key), then read it again.
        self.services.redis.delete(f"slack:user:{TEAM_ID}:{person.user_id}")
        remember_profile(self._ctx, self._ctx.directory.user(TEAM_ID, person.user_id))

    # -- modals ---------------------------------------------------------------------------

    def _suggest(self, view_id: str, block_id: str, action_id: str, typed: str) -> list[Option]:
        view = self.standin.view(view_id) or {"id": view_id}
        answer = self.requests.block_suggestion(self.person, view, block_id=block_id, action_id=action_id, value=typed)
        body = answer.json() or {}
        options = list(body.get("options") or [])
        for group in body.get("option_groups") or []:
            options += list(group.get("options") or [])
        return options

    def _form_for(self, view: Mapping[str, Any]) -> ModalForm:
        style = self.terminal.style
        intro = {**view, "blocks": [b for b in view.get("blocks") or [] if b.get("type") != "input"]}
        lines = ["", style.dim("crewclock · form"), INDENT + style.bold(text_of(view.get("title")))]
        lines += self.screen.render_view(intro)
        lines.append(style.dim(f"{INDENT}Enter keeps [what is there] · - clears an optional field · cancel closes"))
        self.terminal.write(lines)
        view_id = str(view["id"])
        return ModalForm(self.terminal, view, lambda block, action, typed: self._suggest(view_id, block, action, typed))

    def fill_modal(self, view: dict[str, Any]) -> None:
        """Ask for the modal's inputs, submit, and go back to the inputs the bot says are wrong."""
        view_id = str(view["id"])
        form = self._form_for(view)
        only: list[str] | None = None
        while True:
            try:
                form.ask(only)
            except FormClosed:
                self.screen.board.retire(view_surface(view_id))
                self.terminal.say(INDENT + "(form closed: nothing was sent)")
                return
            submit = text_of(form.view.get("submit")) or "Submit"
            current = self.standin.view(view_id) or dict(form.view)
            answer = self.requests.view_submission(self.person, current, form.state_values())
            body = answer.json() or {}
            action = body.get("response_action")
            if answer.status != 200:
                self.terminal.say(f"{INDENT}(the bot answered {answer.status}; Slack would show an error)")
                return
            if action == "errors":
                errors: dict[str, str] = dict(body.get("errors") or {})
                only = self._wrong_inputs(form, errors)
                self.terminal.write(
                    [f"{INDENT}✗ {self._label(form, block)}: {message}" for block, message in errors.items()]
                )
                continue
            if action in ("update", "push"):
                replacement = {**(self.standin.view(view_id) or {}), **dict(body.get("view") or {}), "id": view_id}
                form = self._form_for(replacement)
                only = None
                continue
            self.screen.board.retire(view_surface(view_id))
            self.terminal.say(f"{INDENT}→ {submit}: the form closed")
            return

    @staticmethod
    def _label(form: ModalForm, block_id: str) -> str:
        return next((f.label for f in form.fields if f.block_id == block_id), block_id)

    @staticmethod
    def _wrong_inputs(form: ModalForm, errors: Mapping[str, str]) -> list[str]:
        wrong = [f.block_id for f in form.fields if f.block_id in errors]
        return wrong or [form.fields[0].block_id] if form.fields else []

    # -- the end ----------------------------------------------------------------------------

    def close(self) -> None:
        """Let the last answers arrive."""
        self.lazies.wait_idle(LAZY_WAIT_S)
        self.screen.flush()


def console_backlog(services: Services, workspace: Workspace) -> tuple[int, int]:
    """(not in the database yet, failed for good) among the console people's entries.

    Only theirs: on a live install's Redis the pending index also holds the real crew's entries.
    """
    pending = dead = 0
    for person in workspace.people:
        for entry in services.hot.user_entries(TEAM_ID, person.user_id, 0, ALL_DAYS):
            if entry.postgres.status is SyncStatus.DEAD:
                dead += 1
            elif not entry.is_saved:
                pending += 1
    return pending, dead


def first_person(workspace: Workspace, *, user: str | None, manager: bool, tz: str | None) -> Person:
    """Who the console user is: ``--user`` (default maria), or sam with ``--manager`` alone."""
    handle = user or (MANAGER_HANDLE if manager else "maria")
    return workspace.become(handle, manager=manager, tz=tz)
