"""``helpdesk`` with no arguments: the first start opens the desk, then shows the UI; a start
with a kept first page shows the UI at once and opens the desk in a thread, and a desk it
cannot open is still one line on stderr."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from helpdesk_tui import queue_cache
from helpdesk_tui.app import HelpdeskApp
from tests.cli.conftest import Invoke, as_login, on_sqlite_only, one_error_line

STARTS: list[dict[str, Any]] = []
"""What each headless start saw: whether a kept page was shown, whether the desk opened."""


@pytest.fixture(autouse=True)
def headless(monkeypatch: pytest.MonkeyPatch) -> None:
    """``App.run`` without a terminal: until the live page is read, or the app gives up."""

    def run(self: HelpdeskApp, *args: object, **kwargs: object) -> None:
        async def main() -> None:
            async with self.run_test(size=(80, 24)) as pilot:
                kept = self.kept is not None
                for _ in range(2000):  # a deadline of pauses, not a sleep
                    if self.open_error is not None:
                        break
                    if self.live and self.queue._mark is not None:
                        await self.workers.wait_for_complete()
                        break
                    await pilot.pause(0.01)
                STARTS.append({"kept": kept, "live": self.live})

        asyncio.run(main())

    STARTS.clear()
    monkeypatch.setattr(HelpdeskApp, "run", run)


@on_sqlite_only
def test_a_kept_page_shows_first_and_a_refused_agent_is_one_line(
    use_db: str, invoke: Invoke
) -> None:
    assert invoke("agent", "add", "bob", "--name", "Bob Agent").exit_code == 0
    bob = as_login("bob")

    first = bob()
    assert first.exit_code == 0, first.stderr
    assert STARTS[-1] == {"kept": False, "live": True}
    assert queue_cache.cache_file().exists(), "the first page is kept"

    second = bob()
    assert second.exit_code == 0, second.stderr
    assert STARTS[-1] == {"kept": True, "live": True}

    assert invoke("agent", "deactivate", "bob").exit_code == 0
    refused = bob()
    assert STARTS[-1] == {"kept": True, "live": False}
    assert refused.exit_code == 1
    assert "bob is deactivated" in one_error_line(refused.stderr)
