"""bot/lru.py: the bounded in-process map behind the remembered profiles and DM channels."""

from __future__ import annotations

from bot.lru import Lru


def test_past_capacity_the_least_recently_used_entry_goes_first() -> None:
    held: Lru[str, int] = Lru(2)
    held.put("a", 1)
    held.put("b", 2)
    assert held.get("a") == 1  # a read counts as a use: b is now the least recent
    held.put("c", 3)

    assert (held.get("a"), held.get("b"), held.get("c")) == (1, None, 3)


def test_storing_again_replaces_and_drop_forgets() -> None:
    held: Lru[str, str] = Lru(4)
    held.put("U1", "D1")
    held.put("U1", "D2")
    assert held.get("U1") == "D2"

    held.drop("U1")
    held.drop("U9")  # nothing held: nothing to do
    assert held.get("U1") is None
