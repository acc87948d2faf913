"""``helpdesk`` with no arguments: the first start opens the desk, then shows the UI; a start
with a kept first page shows the UI at once and opens the desk in a thread, and a desk it
cannot open is still one line on stderr."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from helpdesk_tui import queue_cache
from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import user_config_file
from tests.cli.conftest import Invoke, as_login, on_sqlite_only, one_error_line, write_toml

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
    assert not queue_cache.cache_file().exists(), "shown once more, and no more"
    starts = len(STARTS)
    again = bob()  # no page kept: the desk is opened first, and refuses him before any UI
    assert again.exit_code == 1 and "bob is deactivated" in one_error_line(again.stderr)
    assert len(STARTS) == starts


@on_sqlite_only
def test_a_setting_broken_since_the_last_start_is_one_line_before_the_ui(
    use_db: str, invoke: Invoke
) -> None:
    """A start with a kept page draws from the settings kept at their last check
    (``start_settings``) only while nothing they come from changed: a bad edit is refused
    before the UI runs, as on any start."""
    assert invoke().exit_code == 0
    assert invoke().exit_code == 0
    assert STARTS[-1] == {"kept": True, "live": True}
    path = write_toml(user_config_file(), '[ui]\ntheme = "no-such-theme"\n')
    refused = invoke()
    assert refused.exit_code == 2
    assert one_error_line(refused.stderr).startswith(f"error: bad value for 'ui.theme' in {path}")
    assert len(STARTS) == 2
