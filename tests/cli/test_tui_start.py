"""``helpdesk`` with no arguments: the first start opens the desk, then shows the UI; a start
with a kept first page shows the UI at once and opens the desk in a thread, and a desk it
cannot open is still one line on stderr."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
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


SAVED_VIEWS = """
[ui.views.urgent]
title = "Urgent open"
priorities = ["urgent"]
open_only = true

[ui.views.team]
title = "Team Service Desk"
team = "Service Desk"

[ui.views.tag]
title = "Tag access"
tag = "access"
open_only = true

[ui.views.category]
title = "Category Accounts & Access"
category = "Accounts & Access"

[ui.views.complaints]
title = "Complaints"
types = ["complaint"]
sort = "priority"
"""

UP_TO_THE_UI = r"""
import sys
import textual.app

def run(self, *args, **kwargs):
    # What the start has loaded when its UI is to run: the first paint comes next.
    heavy = {"pydantic", "sqlalchemy", "sqlmodel", "alembic", "psycopg"}
    loaded = sorted(heavy & {name.split(".")[0] for name in sys.modules})
    print("kept page:", self.kept is not None, "views:", len(self.views), "loaded:", loaded)

textual.app.App.run = run
from helpdesk_tui.cli import main

main([], prog_name="helpdesk", standalone_mode=False)
"""


@on_sqlite_only
def test_a_start_on_a_used_desk_reads_nothing_whole_before_its_ui(
    use_db: str, invoke: Invoke
) -> None:
    """Issue 10 item 5, first paint as an agent who has used the desk gets it: five saved
    views and the page kept by the last start. Until the UI runs, such a start neither
    validates the settings whole (pydantic: the values kept at their last check are used)
    nor loads the data layer, so nothing reads the desk first (no saved view counted or
    queried). Either costs tens of milliseconds: the settings' full check was the 60-70 ms
    of CPU more that app_keys.py's first paints showed while its paints and its CLI verbs
    ran two copies of the code (each start validated again)."""
    write_toml(user_config_file(), SAVED_VIEWS)
    assert invoke().exit_code == 0  # a first start: the settings checked, the page kept
    assert STARTS[-1] == {"kept": False, "live": True}
    done = subprocess.run(
        [sys.executable, "-P", "-c", UP_TO_THE_UI],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "kept page: True views: 12 loaded: []" in done.stdout, done.stdout + done.stderr
