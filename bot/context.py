"""What every Slack listener needs: settings, the core services, and who the user is."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.confirmations import ConfirmationMessages
from bot.errors import lazy
from core.bootstrap import Services
from core.domain.entry import Actor
from core.settings import Settings

log = logging.getLogger(__name__)

PROFILE_TTL_S = 6 * 3600
MANAGERS_TTL_S = 300


@dataclass(frozen=True, slots=True)
class SlackUser:
    """A Slack user as crewclock needs them: time zone and email (for Zoho), cached in Redis."""

    user_id: str
    team_id: str
    name: str
    email: str
    tz: str

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


class UserDirectory:
    """``users.info`` and the managers' user group, cached so the ack path rarely calls Slack."""

    def __init__(self, client: WebClient, services: Services) -> None:
        self.client = client
        self.redis = services.redis
        self.hot = services.hot
        self.settings = services.settings

    def user(self, team_id: str, user_id: str) -> SlackUser:
        """The user's profile; on a Slack error, a stand-in with the default time zone."""
        key = f"slack:user:{team_id}:{user_id}"
        raw = self.redis.get(key)
        if raw is not None:
            name, email, tz = json.loads(raw)
            return SlackUser(user_id, team_id, name, email, tz)
        try:
            info = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return SlackUser(user_id, team_id, user_id, "", self.settings.timezone)
        profile = info.get("profile") or {}
        user = SlackUser(
            user_id,
            team_id,
            profile.get("real_name") or info.get("real_name") or info.get("name") or user_id,
            profile.get("email") or "",
            info.get("tz") or self.settings.timezone,
        )
        try:  # caches only: a full or unreachable Redis must not turn a saved entry into an error
            self.redis.set(key, json.dumps([user.name, user.email, user.tz]), ex=PROFILE_TTL_S)
            self.hot.remember_email(team_id, user_id, user.email)
        except redis.RedisError as exc:
            log.warning("could not cache the profile of %s: %s", user_id, exc)
        return user

    def managers(self) -> frozenset[str]:
        """MANAGER_USER_IDS plus the members of MANAGER_USERGROUP_ID (cached for a few minutes)."""
        ids = set(self.settings.manager_user_ids)
        group = self.settings.manager_usergroup_id
        if group:
            key = f"slack:usergroup:{group}"
            raw = self.redis.get(key)
            if raw is not None:
                ids.update(json.loads(raw))
            else:
                try:
                    members = self.client.usergroups_users_list(usergroup=group)["users"]
                    ids.update(members)
                    self.redis.set(key, json.dumps(members), ex=MANAGERS_TTL_S)
                except redis.RedisError as exc:
                    log.warning("could not cache the managers group: %s", exc)
                except SlackApiError as exc:
                    log.warning("usergroups.users.list failed: %s", exc.response.get("error"))
        return frozenset(ids)

    def actor(self, team_id: str, user_id: str) -> Actor:
        is_admin = user_id in self.settings.admin_user_ids
        return Actor(team_id, user_id, is_manager=is_admin or user_id in self.managers(), is_admin=is_admin)


@dataclass
class BotContext:
    settings: Settings
    services: Services
    client: WebClient
    directory: UserDirectory
    started_at: float = time.time()
    # Where work after an ack runs (Bolt's lazy listeners share it: build_app passes that pool).
    follow_up_pool: Executor = field(
        default_factory=lambda: ThreadPoolExecutor(thread_name_prefix="crewclock-follow-up")
    )
    # Slash commands whose ack is a plain function of the request body (see bot.fast_lane).
    fast_commands: dict[str, Callable[[dict[str, Any]], dict[str, str] | None]] = field(default_factory=dict)
    # One per app: it remembers DM channels and keeps the confirmations current as entries sync.
    confirmations: ConfirmationMessages = field(init=False)
    follow_ups: FollowUps = field(init=False)

    def __post_init__(self) -> None:
        self.confirmations = ConfirmationMessages(self.client, self.services)
        self.follow_ups = FollowUps(self.follow_up_pool, self.client)


Forward = Callable[[tuple[Any, ...]], None]


class FollowUps:
    """Work after an ack, by name: run on this process's pool, or handed to the background process.

    Under ``crewclock serve`` the HTTP workers only acknowledge; their follow-ups travel to
    the background process (``bot.offload``), which registered the same functions under the
    same names. Each function takes ``body`` and ``client``; failures reach the user
    (``bot.errors.lazy``).
    """

    def __init__(self, pool: Executor, client: WebClient) -> None:
        self.pool = pool  # the console swaps in a counting wrapper (bot.console.lazy)
        self._client = client
        self._named: dict[str, Callable[..., None]] = {}
        self.forward: Forward | None = None

    def register(self, name: str, function: Callable[..., None]) -> None:
        self._named[name] = lazy(function)

    def run(self, name: str, **kwargs: Any) -> None:
        """Queue the follow-up ``name`` (``body`` and its own arguments; the client is added where it runs)."""
        if self.forward is not None:
            self.forward(("follow_up", name, kwargs))
        else:
            self.run_here(name, **kwargs)

    def run_here(self, name: str, **kwargs: Any) -> None:
        self.pool.submit(self._named[name], client=self._client, **kwargs)
