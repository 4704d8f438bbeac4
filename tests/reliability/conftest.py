"""Fixtures of the reliability suite: private deployments torn down whatever happens.

``make_stack(*redis_args, zoho=False)`` gives a :class:`~tests.reliability.harness.Stack`
(private Redis and Postgres on free ports, the fake Slack, optionally the fake Zoho); its
bot processes are killed and its servers removed when the test ends. The in-process bot
of the scenario tests (``start_bot``) is re-exported for the hostile-input properties,
which need speed more than a process boundary.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import Stack, stack
from tests.reliability.results import ScenarioResult
from tests.scenario.conftest import bot, fake_slack, start_bot

__all__ = ["bot", "fake_slack", "make_stack", "record_result", "start_bot"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "row(row, scenario): the docs/reliability.md row a test's counts go to")


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    with contextlib.ExitStack() as exits:
        counter = iter(range(1, 100))

        def make(*redis_args: str, zoho: bool = False) -> Stack:
            workdir = tmp_path / f"stack{next(counter)}"
            workdir.mkdir()
            return exits.enter_context(stack(workdir, *redis_args, zoho=zoho))

        yield make


@pytest.fixture
def record_result() -> Iterator[Callable[[ScenarioResult], None]]:
    """Save a row of docs/reliability.md (with the test's duration so far)."""
    started = time.monotonic()

    def record(result: ScenarioResult) -> None:
        result.duration_s = round(time.monotonic() - started, 1)
        result.save()

    yield record
