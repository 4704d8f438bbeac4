"""ZohoWebhookSink against a fake webhook receiver over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest

from core.sync.ports import Outcome, PushRequest
from core.zoho import ZohoConfig, build_sink
from core.zoho.webhook_sink import ZohoWebhookSink, encode_body, sign
from tests.fakes.zoho_api import FakeWebhookReceiver, InMemoryZohoRefs, make_entry

SECRET = "whsec-test-31f0"


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver(SECRET) as server:
        yield server


@pytest.fixture
def sink(receiver: FakeWebhookReceiver) -> Iterator[ZohoWebhookSink]:
    config = ZohoConfig(
        mode="webhook",
        webhook_url=receiver.url + "/hook",
        webhook_secret=SECRET,
        read_timeout_s=0.5,
        requests_per_minute=10_000,
    )
    built = build_sink(config, **InMemoryZohoRefs().callables())
    assert isinstance(built, ZohoWebhookSink)
    yield built
    built.close()


def test_each_entry_is_posted_signed_with_an_idempotency_key(
    sink: ZohoWebhookSink, receiver: FakeWebhookReceiver
) -> None:
    entry = make_entry("e1", notes="poured slab", total_hours="8.0")
    assert [r.outcome for r in sink.push([PushRequest(entry)])] == [Outcome.OK]
    [(key, signature_ok, body)] = receiver.deliveries
    assert key == "e1:1" and signature_ok
    assert body["id"] == "e1" and body["version"] == 1 and body["deleted"] is False
    assert body["total_hours"] == "8.0" and body["notes"] == "poured slab"
    assert body["work_date"] == "2026-11-02" and body["lunch_start"] == "12:00"


def test_the_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = encode_body(make_entry("e1"))
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == expected
    assert encode_body(make_entry("e1")) == body  # retries send the same bytes


def test_a_tampered_body_fails_the_receivers_check(receiver: FakeWebhookReceiver) -> None:
    body = encode_body(make_entry("e1"))
    reply = httpx.post(
        receiver.url + "/hook",
        content=body.replace(b'"8.0"', b'"18.0"'),
        headers={"X-Crewclock-Signature": sign(body, SECRET), "Idempotency-Key": "e1:1"},
    )
    assert reply.status_code == 401 and receiver.accepted == {}


def test_repeats_of_a_version_land_once_and_a_new_version_lands_again(
    sink: ZohoWebhookSink, receiver: FakeWebhookReceiver
) -> None:
    for _ in range(3):
        assert sink.push([PushRequest(make_entry("e1"), uncertain=True)])[0].outcome is Outcome.OK
    sink.push([PushRequest(make_entry("e1", version=2, deleted=True))])
    assert sorted(receiver.accepted) == ["e1:1", "e1:2"]
    assert receiver.accepted["e1:2"]["deleted"] is True
    assert len(receiver.deliveries) == 4


def test_a_dropped_reply_is_retried_and_the_receiver_keeps_one(
    sink: ZohoWebhookSink, receiver: FakeWebhookReceiver
) -> None:
    receiver.fail_next("hook", "drop")
    [first] = sink.push([PushRequest(make_entry("e1"))])
    assert first.outcome is Outcome.RETRY
    assert sink.push([PushRequest(make_entry("e1"), uncertain=True)])[0].outcome is Outcome.OK
    assert list(receiver.accepted) == ["e1:1"] and len(receiver.deliveries) == 2


def test_server_errors_and_rate_limits_are_retried_and_halt_the_batch(
    sink: ZohoWebhookSink, receiver: FakeWebhookReceiver
) -> None:
    receiver.fail_next("hook", "429", retry_after="9")
    results = sink.push([PushRequest(make_entry(f"e{n}")) for n in range(3)])
    assert [r.outcome for r in results] == [Outcome.RETRY] * 3
    assert [r.retry_after_s for r in results] == [9.0] * 3
    assert receiver.calls["hook"] == 1  # the rest waited for the core's backoff
    receiver.fail_next("hook", "500")
    assert sink.push([PushRequest(make_entry("e1"))])[0].outcome is Outcome.RETRY
    receiver.fail_next("hook", "slow", delay_s=1.0)
    assert sink.push([PushRequest(make_entry("e2"))])[0].outcome is Outcome.RETRY


def test_a_4xx_is_a_dead_letter(sink: ZohoWebhookSink, receiver: FakeWebhookReceiver) -> None:
    receiver.fail_next("hook", "400")
    [result] = sink.push([PushRequest(make_entry("e1"))])
    assert result.outcome is Outcome.PERMANENT and "400" in result.error
    assert SECRET not in result.error
