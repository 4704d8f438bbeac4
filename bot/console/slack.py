"""An in-process stand-in for Slack: what the bot's Web API calls and response_url posts do to the "workspace".

``SlackStandIn`` keeps what Slack would keep (messages by channel and ts, views by id,
each user's Home, uploaded files), answers the Web API methods crewclock calls in Slack's
shapes (``ok: false`` with Slack's error names for refusals) and tells a :class:`Screen`
about every change, with the user who would see it. ``bot.console.server`` puts it on a
loopback port, so the bot's own ``WebClient`` (and the ones Bolt makes per request) and
Bolt's ``respond()`` reach it over HTTP exactly as they would reach slack.com.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.console.people import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Workspace,
)

CONSOLE_TOKEN = "xoxb-crewclock-console"  # a placeholder only the stand-in accepts, never sent beyond loopback
JSON_PARAMS = ("blocks", "view", "files", "attachments")
MESSAGE_BLOCKS_MAX = 50
TRIGGER_TTL_S = 3.0
VIEW_BLOCKS_MAX = 100


@dataclass
class Message:
    """A message as the workspace holds it.

    Attributes:
        audience: the one user who sees it (a DM or an ephemeral), or "" for everyone in the channel.
        deleted: removed (``chat.delete`` or a response_url's ``delete_original``).
    """

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    audience: str
    ephemeral: bool = False
    deleted: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.ts)


@dataclass
class SharedFile:
    file_id: str
    filename: str
    title: str = ""
    content: bytes = b""
    channel: str = ""
    audience: str = ""
    initial_comment: str = ""
    path: Path | None = None
    completed: bool = False


class Screen(Protocol):
    """Whatever shows the workspace to the console user; told of every change, decides what is visible."""

    def message_posted(self, message: Message) -> None: ...

    def message_updated(self, message: Message) -> None: ...

    def modal_opened(self, view: dict[str, Any], user_id: str) -> None: ...

    def view_updated(self, view: dict[str, Any]) -> None: ...

    def home_published(self, view: dict[str, Any], user_id: str) -> None: ...

    def file_shared(self, shared: SharedFile) -> None: ...


@dataclass
class _Responder:
    """Where one response_url's answers go."""

    user_id: str
    channel: str
    origin: tuple[str, str] | None
    uses: int = 0


@dataclass
class _State:
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)  # user id -> Home view id
    triggers: dict[str, tuple[str, float]] = field(default_factory=dict)  # trigger id -> (user id, issued at)
    files: dict[str, SharedFile] = field(default_factory=dict)
    responders: dict[str, _Responder] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)


class SlackApiRefusal(Exception):
    """What Slack answers ``ok: false`` with."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def dm_channel_id(user_id: str) -> str:
    """The app's DM with ``user_id``: stable, shaped like Slack's ``D...`` ids."""
    return "D" + hashlib.sha1(user_id.encode()).hexdigest()[:10].upper()


class SlackStandIn:
    """The workspace's state and the Web API methods crewclock calls, answered in Slack's shapes.

    Args:
        workspace: the people ``users.info`` and ``usergroups.users.list`` describe.
        screen: told of everything the bot shows.
        export_dir: where uploaded files (CSV exports) are written.
    """

    def __init__(self, workspace: Workspace, screen: Screen, export_dir: Path) -> None:
        self.workspace = workspace
        self.screen = screen
        self.export_dir = export_dir
        self._lock = threading.RLock()
        self._state = _State()
        self._ids = itertools.count(1)
        self.base_url = ""  # http://127.0.0.1:<port>, set by the LocalSlackServer once it listens
        self._last_call = time.monotonic()
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # -- what the console's request side needs ------------------------------------------

    def new_trigger(self, user_id: str) -> str:
        """A trigger id for an interaction by ``user_id`` (views.open will need it)."""
        trigger = (
            f"{int(time.time())}{next(self._ids):05d}.{BOT_ID[1:]}.{hashlib.sha1(user_id.encode()).hexdigest()[:16]}"
        )
        with self._lock:
            self._state.triggers[trigger] = (user_id, time.monotonic())
        return trigger

    def new_response_url(self, user_id: str, channel: str, origin: tuple[str, str] | None = None) -> str:
        """A response_url whose answers reach ``user_id`` in ``channel`` (replacing ``origin`` if asked)."""
        token = f"{next(self._ids):06d}{hashlib.sha1(f'{user_id}{time.time()}'.encode()).hexdigest()[:10]}"
        with self._lock:
            self._state.responders[token] = _Responder(user_id, channel, origin)
        return f"{self.base_url}/respond/{token}"

    def post_ephemeral(
        self, *, user_id: str, channel: str, text: str, blocks: list[dict[str, Any]], in_channel: bool = False
    ) -> Message:
        """Show a message only ``user_id`` sees (or, ``in_channel``, everyone): an ack's answer to a command."""
        audience = "" if in_channel else user_id
        message = Message(channel, self._next_ts(), text, copy.deepcopy(blocks), audience, ephemeral=not in_channel)
        with self._lock:
            self._state.messages[message.key] = message
        self.screen.message_posted(copy.deepcopy(message))
        return message

    @property
    def quiet_for(self) -> float:
        """Seconds since the bot last called the Web API or a response_url."""
        with self._lock:
            return time.monotonic() - self._last_call

    def message(self, key: tuple[str, str]) -> Message | None:
        with self._lock:
            found = self._state.messages.get(key)
            return None if found is None or found.deleted else copy.deepcopy(found)

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._state.views.get(view_id)
            return None if found is None else copy.deepcopy(found)

    def home_of(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self._state.homes.get(user_id)
        return self.view(view_id) if view_id else None

    def calls(self) -> list[str]:
        """The Web API methods called so far, in order."""
        with self._lock:
            return list(self._state.calls)

    # -- response_url ---------------------------------------------------------------------

    def respond(self, token: str, payload: Mapping[str, Any]) -> bool:
        """A POST to a response_url: a new ephemeral or channel message, or the original replaced or deleted.

        Returns:
            False when the response_url is unknown (Slack answers 404).
        """
        with self._lock:
            self._last_call = time.monotonic()
            responder = self._state.responders.get(token)
            if responder is None:
                return False
            responder.uses += 1
            original = self._state.messages.get(responder.origin) if responder.origin else None
        text, blocks = str(payload.get("text") or ""), list(payload.get("blocks") or [])
        if original is not None and payload.get("delete_original"):
            with self._lock:
                original.deleted = True
            self.screen.message_updated(copy.deepcopy(original))
            return True
        if original is not None and payload.get("replace_original"):
            with self._lock:
                original.text, original.blocks = text, copy.deepcopy(blocks)
            self.screen.message_updated(copy.deepcopy(original))
            return True
        in_channel = payload.get("response_type") == "in_channel"
        message = Message(
            responder.channel,
            self._next_ts(),
            text,
            copy.deepcopy(blocks),
            "" if in_channel else responder.user_id,
            ephemeral=not in_channel,
        )
        with self._lock:
            self._state.messages[message.key] = message
            if responder.origin is None:
                responder.origin = message.key  # a later replace_original replaces this answer
        self.screen.message_posted(copy.deepcopy(message))
        return True

    # -- the Web API ----------------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any], token: str = CONSOLE_TOKEN) -> dict[str, Any]:
        """The JSON body Slack would answer ``method`` with (``ok: false`` for refusals)."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != CONSOLE_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        with self._lock:
            self._state.calls.append(method)
            self._last_call = time.monotonic()
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": True}  # methods crewclock does not rely on: accepted, like a lenient Slack
        try:
            return {"ok": True, **handler(args)}
        except SlackApiRefusal as refusal:
            return {"ok": False, "error": refusal.error}

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "crewclock",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        person = self.workspace.by_id(str(args.get("user") or ""))
        if person is None:
            raise SlackApiRefusal("user_not_found")
        offset = datetime.now(ZoneInfo(person.tz)).utcoffset()
        return {
            "user": {
                "id": person.user_id,
                "team_id": TEAM_ID,
                "name": person.handle,
                "real_name": person.real_name,
                "tz": person.tz,
                "tz_label": person.tz,
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "is_bot": False,
                "deleted": False,
                "profile": {
                    "real_name": person.real_name,
                    "display_name": person.handle,
                    "email": person.email,
                    "team": TEAM_ID,
                },
            }
        }

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        # Whatever group MANAGER_USERGROUP_ID names, in the console it holds the managers.
        return {"users": sorted(self.workspace.managers)}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise SlackApiRefusal("users_list_not_supplied" if not users else "not_supported_in_console")
        if self.workspace.by_id(users[0]) is None:
            raise SlackApiRefusal("user_not_found")
        return {"no_op": True, "already_open": True, "channel": {"id": dm_channel_id(users[0]), "is_im": True}}

    def _audience(self, channel: str) -> tuple[str, str]:
        """(channel id, who sees it): a user id or a DM means that user; a channel means everyone."""
        if channel[:1] in ("U", "W"):
            if self.workspace.by_id(channel) is None:
                raise SlackApiRefusal("channel_not_found")
            return dm_channel_id(channel), channel
        if channel.startswith("D"):
            person = next((p for p in self.workspace.people if dm_channel_id(p.user_id) == channel), None)
            if person is None:
                raise SlackApiRefusal("channel_not_found")
            return channel, person.user_id
        if channel != CHANNEL_ID:
            raise SlackApiRefusal("channel_not_found")
        return channel, ""

    @staticmethod
    def _content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text, blocks = str(args.get("text") or ""), args.get("blocks") or []
        if not isinstance(blocks, list):
            raise SlackApiRefusal("invalid_blocks")
        if not text and not blocks:
            raise SlackApiRefusal("no_text")
        if len(blocks) > MESSAGE_BLOCKS_MAX:
            raise SlackApiRefusal("invalid_blocks")
        return text, blocks

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, audience = self._audience(str(args.get("channel") or ""))
        text, blocks = self._content(args)
        message = Message(channel, self._next_ts(), text, copy.deepcopy(blocks), audience)
        with self._lock:
            self._state.messages[message.key] = message
        self.screen.message_posted(copy.deepcopy(message))
        return {"channel": channel, "ts": message.ts, "message": self._shape(message)}

    def _not_ours(self, channel: str) -> bool:
        """A channel of some real workspace (a live install's Redis remembers its messages)."""
        return channel != CHANNEL_ID and not any(dm_channel_id(p.user_id) == channel for p in self.workspace.people)

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel") or ""), str(args.get("ts") or ""))
        if self._not_ours(key[0]):
            # Not message_not_found: the bot would forget the real message (slack:msg:{id}),
            # and the real bot could then never mark it saved. The update is simply refused.
            raise SlackApiRefusal("not_in_channel")
        with self._lock:
            message = self._state.messages.get(key)
            if message is None or message.deleted:
                raise SlackApiRefusal("message_not_found")
            if "blocks" in args:
                message.blocks = copy.deepcopy(list(args.get("blocks") or []))
            if "text" in args:
                message.text = str(args.get("text") or "")
            shown = copy.deepcopy(message)
        self.screen.message_updated(shown)
        return {"channel": key[0], "ts": key[1], "text": shown.text, "message": self._shape(shown)}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel") or ""), str(args.get("ts") or ""))
        with self._lock:
            message = self._state.messages.get(key)
            if message is None or message.deleted:
                raise SlackApiRefusal("message_not_found")
            message.deleted = True
            shown = copy.deepcopy(message)
        self.screen.message_updated(shown)
        return {"channel": key[0], "ts": key[1]}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user") or "")
        if self.workspace.by_id(user) is None:
            raise SlackApiRefusal("user_not_in_channel")
        channel, _ = self._audience(str(args.get("channel") or ""))
        text, blocks = self._content(args)
        message = self.post_ephemeral(user_id=user, channel=channel, text=text, blocks=blocks)
        return {"message_ts": message.ts}

    def _shape(self, message: Message) -> dict[str, Any]:
        return {
            "type": "message",
            "ts": message.ts,
            "text": message.text,
            "blocks": message.blocks,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
        }

    def _store_view(self, view: Mapping[str, Any], view_id: str, *, root: str | None = None) -> dict[str, Any]:
        blocks = list(view.get("blocks") or [])
        if len(blocks) > VIEW_BLOCKS_MAX:
            raise SlackApiRefusal("invalid_arguments")
        if view.get("type") == "modal" and len(str((view.get("title") or {}).get("text", ""))) > 24:
            raise SlackApiRefusal("invalid_arguments")  # Slack's limit on a modal's title
        stored = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type", "modal"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": copy.deepcopy(blocks),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._ids):08x}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root or view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        with self._lock:
            self._state.views[view_id] = stored
        return copy.deepcopy(stored)

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id") or "")
        with self._lock:
            issued = self._state.triggers.get(trigger)
        if issued is None:
            raise SlackApiRefusal("invalid_trigger_id")
        user_id, at = issued
        if time.monotonic() - at > TRIGGER_TTL_S:
            raise SlackApiRefusal("expired_trigger_id")  # Slack honours a trigger for 3 seconds
        view = args.get("view")
        if not isinstance(view, Mapping) or not view:
            raise SlackApiRefusal("invalid_arguments")
        stored = self._store_view(view, f"V{next(self._ids):09d}")
        self.screen.modal_opened(copy.deepcopy(stored), user_id)
        return {"view": stored}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        with self._lock:
            current = self._state.views.get(view_id)
        if current is None:
            raise SlackApiRefusal("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackApiRefusal("hash_conflict")
        view = args.get("view")
        if not isinstance(view, Mapping):
            raise SlackApiRefusal("invalid_arguments")
        stored = self._store_view(view, view_id, root=current["root_view_id"])
        self.screen.view_updated(copy.deepcopy(stored))
        return {"view": stored}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        if self.workspace.by_id(user_id) is None:
            raise SlackApiRefusal("user_not_found")
        view = args.get("view")
        if not isinstance(view, Mapping) or view.get("type") != "home":
            raise SlackApiRefusal("invalid_arguments")
        with self._lock:
            view_id = self._state.homes.setdefault(user_id, f"V{next(self._ids):09d}")
        stored = self._store_view(view, view_id)
        self.screen.home_published(copy.deepcopy(stored), user_id)
        return {"view": stored}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        if not filename or int(args.get("length") or 0) <= 0:
            raise SlackApiRefusal("invalid_arguments")
        file_id = f"F{next(self._ids):09d}"
        with self._lock:
            self._state.files[file_id] = SharedFile(file_id, filename)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        """The bytes slack_sdk POSTs to the upload URL; False for an unknown file."""
        with self._lock:
            shared = self._state.files.get(file_id)
            if shared is None:
                return False
            shared.content = data
        return True

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackApiRefusal("invalid_arguments")
        channel, audience = self._audience(str(args.get("channel_id") or CHANNEL_ID))
        done: list[SharedFile] = []
        with self._lock:
            for item in files:
                shared = self._state.files.get(str(item.get("id", "")))
                if shared is None or not shared.content:
                    raise SlackApiRefusal("file_not_found")
                shared.title = str(item.get("title") or shared.filename)
                shared.channel, shared.audience = channel, audience
                shared.initial_comment = str(args.get("initial_comment") or "")
                shared.completed = True
                done.append(shared)
        for shared in done:
            shared.path = self._save(shared)
            self.screen.file_shared(copy.deepcopy(shared))
        return {"files": [self._file_object(s) for s in done]}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            shared = self._state.files.get(str(args.get("file") or ""))
        if shared is None or not shared.completed:
            raise SlackApiRefusal("file_not_found")
        return {"file": self._file_object(shared)}

    def _save(self, shared: SharedFile) -> Path:
        """Write an uploaded file where the console user can open it (never over an older one)."""
        self.export_dir.mkdir(parents=True, exist_ok=True)
        path = self.export_dir / Path(shared.filename).name
        stem, suffix = path.stem, path.suffix
        for n in itertools.count(2):
            if not path.exists():
                break
            path = self.export_dir / f"{stem}-{n}{suffix}"
        path.write_bytes(shared.content)
        return path

    def _file_object(self, shared: SharedFile) -> dict[str, Any]:
        return {
            "id": shared.file_id,
            "name": shared.filename,
            "title": shared.title,
            "size": len(shared.content),
            "mimetype": "text/csv" if shared.filename.endswith(".csv") else "application/octet-stream",
            "user": BOT_USER_ID,
            "ims": [shared.channel] if shared.channel.startswith("D") else [],
            "channels": [shared.channel] if shared.channel.startswith("C") else [],
            "url_private": shared.path.as_uri() if shared.path else "",
        }


def call_arguments(*sources: Mapping[str, Any] | None) -> dict[str, Any]:
    """One dict of a call's arguments, JSON-encoded ones (blocks, view, files) decoded as Slack would."""
    args: dict[str, Any] = {}
    for source in sources:
        for key, value in (source or {}).items():
            if value is None:
                continue
            if key in JSON_PARAMS and isinstance(value, str):
                # Undecodable JSON stays text: the method then refuses it as invalid_arguments, as Slack would.
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            args[key] = value
    return args
