"""What a screen that reads by itself says while the desk does not answer."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from helpdesk_tui.timefmt import clock_time

OUTAGE_STYLE = "bold"


def outage_text(since: datetime) -> Text:
    """``desk not answering since 10:42 — retrying``: ``since`` (the first failed read of
    this outage) in local time. It stays on screen until a read works again; the notice
    at the first failure goes after a few seconds."""
    return Text(f"desk not answering since {clock_time(since)} — retrying", OUTAGE_STYLE)
