"""manifest.yml: valid YAML that creates the app crewclock's code expects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
EVENTS_URL = "https://YOUR-HOST/slack/events"


def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))


def test_slash_commands_point_at_the_one_events_path() -> None:
    commands = {c["command"]: c for c in manifest()["features"]["slash_commands"]}

    assert set(commands) == {"/hours", "/history", "/crewclock"}
    assert {c["url"] for c in commands.values()} == {EVENTS_URL}
    assert commands["/history"]["should_escape"] is True  # mentions arrive as <@U…>


def test_interactivity_options_home_and_events() -> None:
    data = manifest()
    settings = data["settings"]

    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": EVENTS_URL,
        "message_menu_options_url": EVENTS_URL,
    }
    assert settings["event_subscriptions"] == {"request_url": EVENTS_URL, "bot_events": ["app_home_opened"]}
    assert settings["socket_mode_enabled"] is False
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True


def test_bot_scopes_are_exactly_what_the_code_uses() -> None:
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
        "files:write",
        "usergroups:read",
    }


def test_the_socket_mode_note_names_the_app_token_and_its_scope() -> None:
    text = MANIFEST.read_text(encoding="utf-8")

    assert "SLACK_APP_TOKEN" in text
    assert "connections:write" in text
