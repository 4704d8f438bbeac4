"""Who is in the console's workspace: the demo crew, their manager, and whoever you say you are."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TEAM_ID = "T0CONSOLE"
TEAM_DOMAIN = "crewclock-console"
TEAM_NAME = "crewclock console"
CHANNEL_ID = "C0CONSOLE"
CHANNEL_NAME = "crew"
APP_ID = "A0CONSOLE"
BOT_USER_ID = "U0CONSOLEBOT"
BOT_ID = "B0CONSOLEBOT"
EMAIL_DOMAIN = "example.com"
LOCALTIME = "/etc/localtime"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the console workspace, as ``users.info`` describes them."""

    handle: str
    user_id: str
    real_name: str
    tz: str
    manager: bool = False

    @property
    def email(self) -> str:
        return f"{self.handle}@{EMAIL_DOMAIN}"

    @property
    def role(self) -> str:
        return "manager" if self.manager else "crew member"


DEMO_PEOPLE: tuple[tuple[str, str, str, bool], ...] = (
    ("maria", "U0CCMARIA", "Maria Lopez", False),
    ("james", "U0CCJAMES", "James Okafor", False),
    ("li", "U0CCLIWEI", "Li Wei", False),
    ("sam", "U0CCSAMRV", "Sam Rivera", True),
)
DEFAULT_HANDLE = "maria"
MANAGER_HANDLE = "sam"


def user_id_for(handle: str) -> str:
    """A stable Slack-shaped id for a name that is not one of the demo people."""
    return "U0" + hashlib.sha1(handle.lower().encode()).hexdigest()[:8].upper()


def system_zone_name() -> str | None:
    """The machine's IANA time zone, from the /etc/localtime link (None when it is not a link)."""
    try:
        target = os.path.realpath(LOCALTIME)
    except OSError:
        return None
    _, marker, name = target.partition("zoneinfo/")
    if not marker or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def default_zone_name(configured: str) -> str:
    """The crew's zone: TIMEZONE when it was set to something, else this machine's, else UTC.

    A newcomer's console should agree with their wall clock, so "today" is their today.
    """
    if configured and configured != "UTC":
        return configured
    return system_zone_name() or configured or "UTC"


class Workspace:
    """The people of the console workspace, found by handle, id or display name."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name = zone_name
        self._people: dict[str, Person] = {}
        for handle, user_id, name, manager in DEMO_PEOPLE:
            self.add(Person(handle, user_id, name, zone_name, manager))

    def add(self, person: Person) -> Person:
        self._people[person.user_id] = person
        return person

    @property
    def people(self) -> list[Person]:
        return list(self._people.values())

    @property
    def managers(self) -> frozenset[str]:
        return frozenset(p.user_id for p in self._people.values() if p.manager)

    def by_id(self, user_id: str) -> Person | None:
        return self._people.get(user_id)

    def by_handle(self, handle: str) -> Person | None:
        wanted = handle.lstrip("@").lower()
        return next((p for p in self._people.values() if p.handle == wanted), None)

    def name_of(self, user_id: str) -> str:
        """The handle a mention shows (``@maria``); unknown ids stay as they are."""
        person = self._people.get(user_id)
        return person.handle if person else user_id

    def become(self, handle: str, *, manager: bool = False, tz: str | None = None) -> Person:
        """The person called ``handle`` (created when new), made a manager and moved to ``tz`` if asked."""
        handle = handle.lstrip("@").strip().lower()
        if not handle or not handle.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"{handle!r} is not a usable name: use letters, digits, '.', '-' or '_'")
        person = self.by_handle(handle) or Person(handle, user_id_for(handle), handle.title(), self.zone_name)
        if manager and not person.manager:
            person = replace(person, manager=True)
        if tz:
            person = replace(person, tz=tz)
        return self.add(person)
