"""The side panel's SLA lines say what is still due, and how a met deadline was kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import time_machine
from rich.style import Style

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.due import DueLevel
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.ticket_view import TicketView, load_view
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.widgets.side_panel import render_fields
from tests.desk.conftest import on_sqlite_only

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _view(db: Database, admin: Actor, **times: datetime | str | None) -> TicketView:
    with db.write() as s:
        number = create_ticket(s, admin, subject="VPN", body="x", requester_email="c@x.org").number
    with db.read() as s:
        view = load_view(s, number)
    row = dataclasses.replace(view.row, **times)
    return dataclasses.replace(view, row=row)


def _line(text: str, label: str) -> str | None:
    return next((line for line in text.splitlines() if line.startswith(label)), None)


@on_sqlite_only("tests/desk/test_ticket_view.py::test_view_of_a_ticket_with_its_thread_and_context")
def test_deadlines_before_and_after_the_first_reply(db: Database, admin: Actor) -> None:
    due = {
        "response_due_at": NOW + timedelta(hours=1),
        "resolution_due_at": NOW + timedelta(days=1),
        "reply_due_at": None,
    }
    pending = {"reply_due_at": NOW + timedelta(hours=1)}
    waiting = render_fields(_view(db, admin, **due | pending), NOW).plain
    assert _line(waiting, "Reply by") == "Reply by in 1 h"
    assert _line(waiting, "Solve by") == "Solve by in 1 d"
    # Answered, then the customer wrote again: the next response is the reply awaited.
    again = {"reply_due_at": NOW + timedelta(hours=2), "reply_started_at": NOW}
    follow_up = render_fields(_view(db, admin, **due | again, first_response_at=NOW), NOW).plain
    assert _line(follow_up, "Reply by") == "Reply by in 2 h"
    kept = render_fields(_view(db, admin, **due, first_response_at=NOW), NOW).plain
    assert _line(kept, "Reply by") == "Reply by met"
    late = NOW + timedelta(hours=3)
    missed = render_fields(_view(db, admin, **due, first_response_at=late), late).plain
    assert _line(missed, "Reply by") == "Reply by replied 2 h late"
    resolved = render_fields(_view(db, admin, **due, status="resolved"), NOW).plain
    assert _line(resolved, "Solve by") is None


def test_deadlines_warn_when_the_policys_alert_does(db: Database, admin: Actor) -> None:
    """A policy warning at 50%: "Reply by" turns at its warning time, when the alert mail
    goes (and the queue's badge turns), not at 75% of the wall time; "Solve by" keeps its
    own clock's warning time."""
    Desk(db, admin).sla_set_policy(
        "std", priority="normal", first_response="20m", next_response="20m", resolution="8h",
        warn_percent=50,
    )  # fmt: skip
    with time_machine.travel(NOW - timedelta(minutes=11), tick=False), db.write() as s:
        number = create_ticket(s, admin, subject="VPN", body="x", requester_email="c@x.org").number
    with db.read() as s:
        view = load_view(s, number)
    styles = {
        level: Style(color=color)
        for level, color in zip(DueLevel, ("white", "blue", "yellow", "red"), strict=True)
    }

    def style(at: datetime, label: str, shown: TicketView = view, warn: int = 75) -> Style | str:
        text = render_fields(shown, at, styles, warn_percent=warn)
        (span,) = [
            span
            for span in text.spans
            if text.plain[: span.start].rsplit("\n", 1)[-1].startswith(label)
            and span.style in styles.values()
        ]
        return span.style

    assert style(NOW - timedelta(minutes=2), "Reply by") == styles[DueLevel.OK]  # 45%
    assert style(NOW, "Reply by") == styles[DueLevel.WARNING]  # 55%: the policy's alert
    assert style(NOW, "Solve by") == styles[DueLevel.OK]
    assert style(NOW + timedelta(hours=4), "Solve by") == styles[DueLevel.WARNING]
    # No warning time known: at [ui] sla_warn_percent of the wall time, as the queue's badge.
    unknown = dataclasses.replace(view, reply_warn_at=None, resolution_warn_at=None)
    assert style(NOW, "Reply by", unknown, warn=50) == styles[DueLevel.WARNING]  # 55%
    assert style(NOW, "Reply by", unknown, warn=60) == styles[DueLevel.OK]


LONG = "Hardware and peripherals / printers / " * 6  # (228 characters)


@on_sqlite_only("tests/desk/test_ticket_view.py::test_view_of_a_ticket_with_its_thread_and_context")
def test_long_fields_take_one_line_each_ending_in_an_ellipsis(db: Database, admin: Actor) -> None:
    """A 200-character category, team, organization or requester name is one line of the
    panel, a long tag list three, cut with "…" (it took 8 lines each); the full values are
    in ``full_values`` (the panel's tooltip), the short ones are not."""
    from helpdesk_tui.widgets.side_panel import TEXT_WIDTH, full_values

    view = _view(db, admin)
    row = dataclasses.replace(
        view.row, category=LONG, team=LONG, requester_name=LONG, assignee="ada"
    )
    tags = tuple(f"tag-{n}-" + "x" * 40 for n in range(5))
    long = dataclasses.replace(view, row=row, tags=tags, requester_org=LONG)
    lines = render_fields(long, NOW).plain.splitlines()
    assert lines[0] == "Requester"
    assert all(len(line) <= TEXT_WIDTH for line in lines), lines
    for label in ("Category", "Team"):
        line = _line("\n".join(lines), label)
        assert line is not None and line.endswith("…"), (label, line)
    at = lines.index(_line("\n".join(lines), "Tags") or "")  # (three lines, the last cut)
    assert lines[at + 2].startswith(" " * 9 + "x") and lines[at + 2].endswith("…")
    assert _line("\n".join(lines), "Team") == lines[at + 3]
    assert [line for line in lines if "Hardware" in line] == [
        lines[1],  # the name
        lines[3],  # the organization (the address between them)
        _line("\n".join(lines), "Category"),
        _line("\n".join(lines), "Team"),
    ]
    assert all(line.endswith("…") for line in lines if "Hardware" in line)
    assert _line("\n".join(lines), "Assignee") == "Assignee ada"
    full = full_values(long)
    assert full is not None
    assert f"Category {LONG.strip()}" in full.plain and ", ".join(tags) in full.plain
    assert "Assignee" not in full.plain  # (shown whole already)
    assert full_values(view) is None


@on_sqlite_only("tests/desk/test_ticket_view.py::test_view_of_a_ticket_with_its_thread_and_context")
def test_every_tag_shows_wrapped_under_the_first(db: Database, admin: Actor) -> None:
    """Four short tags at 80 columns: all of them, on two lines (one line cut with "…"
    showed two; the rest was in a tooltip, out of a keyboard's reach)."""
    view = dataclasses.replace(_view(db, admin), tags=["[red]bad\\", "access", "mfa", "tag"])
    text = render_fields(view, NOW).plain
    at = text.index("Tags")
    assert text[at:].splitlines()[:2] == ["Tags     [red]bad\\, access,", "         mfa, tag"]


@on_sqlite_only(
    "tests/desk/test_copies.py::test_an_agent_adds_and_removes_copies_checked_and_versioned"
)
def test_the_people_a_ticket_copies_show_under_its_requester(db: Database, admin: Actor) -> None:
    """The panel lists the ticket's copies ("Cc"), two lines at most, cut with "…" and whole
    in the tooltip: only the thread said who a reply went to, one message at a time."""
    from helpdesk_tui.widgets.side_panel import TEXT_WIDTH, full_values

    view = _view(db, admin)
    assert _line(render_fields(view, NOW).plain, "Cc") is None
    copied = ["bo@example.com", "carla.long-name@example.org", "dee@example.net"]
    Desk(db, admin).ticket_copies(view.row.number, add=copied)
    with db.read() as s:
        shown = load_view(s, view.row.number)
    lines = render_fields(shown, NOW).plain.splitlines()
    at = lines.index(_line("\n".join(lines), "Cc") or "")
    assert lines[at] == "Cc       bo@example.com,"
    assert lines[at + 1].startswith(" " * 9 + "carla") and lines[at + 1].endswith("…")
    assert lines[at + 2] == "" and lines[at + 3].startswith("Status")
    assert all(len(line) <= TEXT_WIDTH for line in lines), lines
    full = full_values(shown)
    assert full is not None and "Cc       " + ", ".join(copied) in full.plain
