"""What a demo desk holds besides tickets: satisfaction ratings in its stories, and the
knowledge base, canned responses and macros ``Desk.demo_generate`` writes once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.demo_library import ARTICLES, CANNED, MACROS
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kb_site import build_site
from helpdesk_tui.desk.reports import ReportQuery
from helpdesk_tui.desk.satisfaction import rating_entry
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Message, Ticket

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
STORIES_300_SEED_1 = "0a6e95bd78fb7f9944f426a17333d80987c9e52d3bd2a232732fb9e5e6e6b003"
"""``_stories`` of ``generate_demo(tickets=300, seed=1, now=NOW)`` before the ratings were
added (commit c9bc074): every ticket's subject, status, times, messages and events."""


def _stories(db: Database) -> str:
    """A digest of the demo's tickets without what the ratings add (their ``rated`` events
    and system entries): what the stories drew before ratings existed."""
    with db.read() as s:
        tickets = s.exec(
            select(
                Ticket.number,
                Ticket.subject,
                Ticket.status,
                Ticket.priority,
                Ticket.tier,
                Ticket.created_at,
                Ticket.updated_at,
                Ticket.first_response_at,
                Ticket.resolved_at,
                Ticket.closed_at,
            ).order_by(col(Ticket.number))
        ).all()
        messages = s.exec(
            select(
                Ticket.number,
                Message.kind,
                Message.channel,
                Message.body,
                Message.email_message_id,
                Message.created_at,
            )
            .join(Ticket, col(Message.ticket_id) == Ticket.id)
            .where(col(Message.kind) != "system")
            .order_by(col(Ticket.number), col(Message.id))
        ).all()
        events = s.exec(
            select(
                Event.ticket_number,
                Event.kind,
                Event.field,
                Event.old_value,
                Event.new_value,
                Event.actor,
                Event.created_at,
            )
            .where(col(Event.kind) != "rated")
            .order_by(col(Event.ticket_number), col(Event.id))
        ).all()
    rows = [
        tuple(v.astimezone(UTC).isoformat() if isinstance(v, datetime) else str(v) for v in row)
        for row in [*tickets, *messages, *events]
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _ratings(db: Database) -> list[tuple[int, str, int, datetime]]:
    with db.read() as s:
        rows = s.exec(
            select(Event.ticket_number, Event.new_value, Event.ticket_version, Event.created_at)
            .where(Event.kind == "rated")
            .order_by(col(Event.ticket_number))
        ).all()
    return [(n, str(v), version, at) for n, v, version, at in rows]


@pytest.fixture
def demo_db(db: Database) -> Database:
    generate_demo(db, tickets=300, seed=1, now=NOW)
    return db


def test_ratings_leave_every_story_as_it_was(demo_db: Database) -> None:
    """Ratings come from a random of their own: the tickets' numbers, subjects, messages,
    events and times for a seed are those the demo made before it rated anything."""
    assert _ratings(demo_db)
    assert _stories(demo_db) == STORIES_300_SEED_1


def test_ratings_are_recorded_as_the_satisfaction_rule_records_them(demo_db: Database) -> None:
    ratings = _ratings(demo_db)
    with demo_db.read() as s:
        closed = {
            t.number: t for t in s.exec(select(Ticket).where(Ticket.status == "closed")).all()
        }
        system = {
            (n, body, at)
            for n, body, at in s.exec(
                select(Ticket.number, Message.body, Message.created_at)
                .join(Ticket, col(Message.ticket_id) == Ticket.id)
                .where(Message.kind == "system")
            ).all()
        }
        events = s.exec(
            select(Event.ticket_number, Event.ticket_version, Event.kind, Event.actor)
        ).all()
    assert 0.15 * len(closed) < len(ratings) < 0.45 * len(closed)
    versions: dict[int, list[int]] = {}
    for number, _version, _kind, _actor in events:
        versions.setdefault(number, []).append(_version)
    bodies = {body for _, body, _ in system}
    assert any(":" in b for b in bodies) and any(":" not in b for b in bodies)  # comments
    assert len(system) == len(ratings)
    for number, value, version, at in ratings:
        ticket = closed[number]  # only closed tickets: the answer came before the close
        assert ticket.resolved_at is not None and ticket.closed_at is not None
        assert ticket.resolved_at < at < ticket.closed_at
        assert 1 <= int(value) <= 5
        entry = next(body for n, body, when in system if n == number and when == at)
        assert rating_entry(int(value), entry.partition(": ")[2] or None) == (value, entry)
        # a version of its own (record_rating bumps it), and the close after it
        assert versions[number].count(version) == 1
        assert max(versions[number]) == ticket.version == version + 1
    rated = {number for number, *_ in ratings}
    desk = Desk(demo_db, Actor("ada", None, "admin"))
    number, value, *_ = ratings[0]
    shown = desk.satisfaction_of(number)
    assert shown is not None and shown.score == int(value)
    assert desk.satisfaction_of(next(n for n in closed if n not in rated)) is None


def test_the_report_shows_a_satisfaction_figure(demo_db: Database) -> None:
    desk = Desk(demo_db, Actor("ada", None, "admin"))
    result = desk.report_run(ReportQuery(start=(NOW - timedelta(days=90)).date(), end=NOW.date()))
    assert result.ratings > 0
    assert result.satisfaction is not None and 3.5 < result.satisfaction < 5


def test_demo_writes_the_library_once(db: Database, admin: Actor, tmp_path: Path) -> None:
    """Articles, canned responses and macros, through the desk's writers; a second run adds
    tickets but none of them again, and an article edited since stays as edited."""
    desk = Desk(db, admin, clock=lambda: NOW)
    first = desk.demo_generate(tickets=60, seed=4)
    assert (first.articles, first.canned, first.macros) == (len(ARTICLES), len(CANNED), 4)
    found = desk.kb_search("vpn", status="published", visibility="public")
    assert {"vpn-keeps-disconnecting", "connect-to-the-vpn-from-home"} <= {
        r.article.slug for r in found
    }
    listed = desk.kb_list(limit=None)
    assert {a.status for a in listed} == {"published", "draft"}
    assert {a.visibility for a in listed} == {"public", "internal"}
    assert {a.category for a in listed} >= {"VPN", "Printer", "Email", "Licences"}
    shared = [c for c in desk.canned_list() if c.shared]
    assert {c.name for c in shared} == {c.name for c in CANNED}
    assert {m.name for m in desk.macro_list()} == {m.name for m in MACROS}
    assert desk.canned_render(shared[0].id, 1, desk_name="Demo")  # placeholders all known
    site = tmp_path / "site"
    build_site(desk.kb_list(status="published", visibility="public", limit=None), site)
    pages = " ".join(p.read_text() for p in site.rglob("*.html"))
    assert "VPN keeps disconnecting" in pages and "Month-end batch job" not in pages

    edited = desk.kb_article("vpn-keeps-disconnecting")
    desk.kb_update(edited.id, expected_version=edited.version, body="Our own text.")
    second = desk.demo_generate(tickets=20, seed=5)
    assert second.tickets == 20
    assert (second.articles, second.canned, second.macros) == (0, 0, 0)
    assert len(desk.kb_list(limit=None)) == len(listed)
    assert len(desk.canned_list()) == len(CANNED)
    assert len(desk.macro_list()) == len(MACROS)
    assert desk.kb_article("vpn-keeps-disconnecting").body.strip() == "Our own text."
