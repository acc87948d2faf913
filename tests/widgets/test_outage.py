"""The outage line's time says its zone."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_tui.widgets.outage import outage_text
from tests.clocks import local_zone


def test_the_outage_line_names_the_zone_of_its_time() -> None:
    """ "desk not answering since 10:42" did not say whose 10:42 (a terminal on a server
    kept on UTC, an agent in Berlin): the local time, its zone named (``timefmt``)."""
    since = datetime(2026, 12, 7, 9, 42, tzinfo=UTC)
    with local_zone("Europe/Berlin"):
        said = outage_text(since).plain
    assert said == "desk not answering since 10:42 CET — retrying"
