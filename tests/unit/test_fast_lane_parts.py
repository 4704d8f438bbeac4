"""The fast lane's form parsing gives what urllib's parse_qsl gives, on the bodies Slack sends and odd ones."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from bot.fast_lane import form_fields
from tests.fakes.slack_requests import slash_command_body

BODIES = [
    slash_command_body(text="7a-3:30p lunch 30 smith -- primed north wall"),
    slash_command_body(text="yesterday 07:00-15:30 job 1042 co 17 -- 50% done & 2 coats <b>"),
    slash_command_body(text=""),
    urlencode({"text": "café — 7–3:30 + extras", "user_id": "U1"}),
    "text=a+b%2Bc&empty=&bare&&trailing=1&",
    "dup=first&dup=second",
    "odd%20name=v&na+me=w",
    "bad=%zz%E2%82&cut=%E2%8",
    "key=a=b=c",
    "",
]


@pytest.mark.parametrize("body", BODIES)
def test_form_fields_match_parse_qsl(body: str) -> None:
    assert form_fields(body) == dict(parse_qsl(body, keep_blank_values=True))


def test_a_quick_entry_reads_as_typed() -> None:
    fields = form_fields(slash_command_body(text="7-3:30 smith -- primed 50% of the north wall"))

    assert fields["command"] == "/hours"
    assert fields["text"] == "7-3:30 smith -- primed 50% of the north wall"
