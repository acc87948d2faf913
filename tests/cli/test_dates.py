"""Dates the CLI prints to a person say their zone (``timefmt.stamp``): the local one, as
the TUI's, across a summer-time change; JSON stays ISO 8601 UTC. In-process, SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine

from tests.cli.conftest import Invoke
from tests.clocks import local_zone

ANN = "ann@example.com"
BEFORE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
"""01:30 CET in Berlin: half an hour before its clocks go forward (01:00 UTC)."""
AFTER = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
"""03:30 CEST in Berlin; in New York (summer time since 8 March) 21:30 EDT the day before."""


def _ticket_across_the_change(invoke: Invoke) -> int:
    with time_machine.travel(BEFORE, tick=False):
        made = invoke("ticket", "new", "--subject", "Printer", "--from", ANN, "--body", "Smoke.",
                      "--json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    number = int(json.loads(made.stdout)["number"])
    with time_machine.travel(AFTER, tick=False):
        noted = invoke("ticket", "note", str(number), "--body", "Looked at it.")
    assert noted.exit_code == 0, noted.stderr
    return number


def test_ticket_and_contact_dates_are_local_with_their_zone(invoke: Invoke, use_db: str) -> None:
    number = _ticket_across_the_change(invoke)

    with local_zone("Europe/Berlin"):
        shown = invoke("ticket", "show", str(number)).stdout
        card = invoke("contact", "show", ANN).stdout
    assert f"{ANN} · 2026-03-29 01:30 CET" in shown
    assert "· 2026-03-29 03:30 CEST" in shown, "the note, after the change"
    assert "2026-03-29 01:30 CET root: created" in shown, "its history"
    assert "contact since 2026-03-29 01:30 CET\n" in card

    with local_zone("America/New_York"):
        shown = invoke("ticket", "show", str(number)).stdout
        card = invoke("contact", "show", ANN).stdout
    assert f"{ANN} · 2026-03-28 20:30 EDT" in shown
    assert "· 2026-03-28 21:30 EDT" in shown
    assert "contact since 2026-03-28 20:30 EDT\n" in card

    with local_zone("America/New_York"):
        [data] = json.loads(invoke("ticket", "show", str(number), "--json").stdout)
        contact = json.loads(invoke("contact", "show", ANN, "--json").stdout)
    assert data["messages"][0]["created_at"] == "2026-03-29T00:30:00+00:00", "JSON stays UTC"
    assert contact["created_at"] == "2026-03-29T00:30:00+00:00"


def test_a_machine_on_utc_says_utc(invoke: Invoke, use_db: str) -> None:
    number = _ticket_across_the_change(invoke)
    shown = invoke("ticket", "show", str(number)).stdout
    assert f"{ANN} · 2026-03-29 00:30 UTC" in shown and "2026-03-29 01:30 UTC" in shown
    with time_machine.travel(AFTER, tick=False):
        report = invoke("report").stdout
    assert report.startswith("Report 2026-02-28 to 2026-03-29 (days in UTC)\n")
