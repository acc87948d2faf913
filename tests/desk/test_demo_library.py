"""What a demo desk holds besides tickets: satisfaction ratings in its stories, and the
knowledge base, canned responses and macros ``Desk.demo_generate`` writes once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.demo_library import ARTICLES, CANNED, MACROS
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kb_site import build_site
from helpdesk_tui.desk.reports import ReportQuery
from helpdesk_tui.desk.satisfaction import (
    FOLLOW_UP_TAG,
    RATING_CONCERN,
    SURVEY_KIND,
    follow_up_reason,
    rating_entry,
    survey_answer,
    token_number,
)
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Contact, Event, Message, Outbox, Tag, Ticket, TicketTag
from tests.desk.conftest import DEMO_NOW

NOW = DEMO_NOW
STORIES_300_SEED_1 = "b94cdf49e94c460a48aea2b9caa111686732fc005822ec6eadf68564a2e72a92"
"""``_stories`` of ``generate_demo(tickets=300, seed=1, now=NOW)`` before the ratings were
added (commit c9bc074): every ticket's subject, status, times, messages and events; with
the Wi-Fi floors as English ordinals (1f8eb2e: "2nd floor" where it said "2th"), which
alone moved it from 0a6e95bd… (checked: that fix undone gives the old digest)."""


def _story_event() -> Any:
    """Not an event a rating wrote: ``rated``, and for a rating that needs follow-up the
    ``follow-up`` tag and the ``rating_concern`` (``satisfaction.record_rating``)."""
    follow_up = (col(Event.kind) == "tag_added") & (col(Event.new_value) == FOLLOW_UP_TAG)
    return col(Event.kind).not_in(("rated", RATING_CONCERN)) & ~follow_up


def _stories(db: Database) -> str:
    """A digest of the demo's tickets without what the surveys add (their outbox rows, the
    answers, the events and system entries of the ratings, and the time a resolved ticket
    was rated as its last change): what the stories drew before ratings existed."""
    with db.read() as s:
        rated = set(s.exec(select(Event.ticket_number).where(Event.kind == "rated")).all())
        before_rated = dict(  # (a rated resolved ticket's last change before its rating)
            s.exec(
                select(Event.ticket_number, func.max(Event.created_at))
                .where(col(Event.ticket_number).in_(rated), _story_event())
                .group_by(col(Event.ticket_number))
            ).all()
        )
        tickets = [
            (
                *row[:6],
                before_rated[row[0]] if row[0] in rated and row[2] == "resolved" else row[6],
                *row[7:],
            )
            for row in s.exec(
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
        ]
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
            .where(
                col(Message.in_reply_to).is_(None) | ~col(Message.in_reply_to).contains("survey")
            )
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
            .where(_story_event())
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


def test_ratings_leave_every_story_as_it_was(demo_db: Database) -> None:
    """Ratings come from a random of their own: the tickets' numbers, subjects, messages,
    events and times for a seed are those the demo made before it rated anything."""
    assert _ratings(demo_db)
    assert _stories(demo_db) == STORIES_300_SEED_1


def test_ratings_are_recorded_as_the_satisfaction_rule_records_them(demo_db: Database) -> None:
    ratings = _ratings(demo_db)
    with demo_db.read() as s:
        done = {
            t.number: t
            for t in s.exec(select(Ticket).where(col(Ticket.status).in_(("resolved", "closed"))))
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
            select(Event.ticket_number, Event.ticket_version, Event.kind, Event.actor).order_by(
                col(Event.id)
            )
        ).all()
    closed = {n: t for n, t in done.items() if t.status == "closed"}
    resolved = {n: t for n, t in done.items() if t.status == "resolved"}
    rated_closed = [r for r in ratings if r[0] in closed]
    rated_resolved = [r for r in ratings if r[0] in resolved]
    assert 0.15 * len(closed) < len(rated_closed) < 0.45 * len(closed)
    assert 0 < len(rated_resolved) <= 0.45 * len(resolved)  # (some answers are not due yet)
    assert len(rated_closed) + len(rated_resolved) == len(ratings)
    versions: dict[int, list[int]] = {}
    for number, _version, _kind, _actor in events:
        versions.setdefault(number, []).append(_version)
    bodies = {body for _, body, _ in system}
    assert any(":" in b for b in bodies) and any(":" not in b for b in bodies)  # comments
    assert len(system) == len(ratings)
    for number, value, version, at in ratings:
        ticket = done[number]
        assert ticket.resolved_at is not None and ticket.resolved_at < at
        assert 1 <= int(value) <= 5
        entry = next(body for n, body, when in system if n == number and when == at)
        comment = entry.partition(": ")[2] or None
        assert rating_entry(int(value), comment) == (value, entry)
        # (record_rating bumps it, and writes the follow-up at the rating's version)
        follow_up = ["tag_added", RATING_CONCERN] if follow_up_reason(int(value), comment) else []
        assert [k for n, v, k, _ in events if (n, v) == (number, version)] == ["rated", *follow_up]
        if ticket.closed_at is not None:  # the answer came before the close, after it
            assert at < ticket.closed_at
            assert max(versions[number]) == ticket.version == version + 1
        else:  # a resolved ticket's last change
            assert at <= NOW and ticket.updated_at == at
            assert max(versions[number]) == ticket.version == version
    rated = {number for number, *_ in ratings}
    desk = Desk(demo_db, Actor("ada", None, "admin"))
    number, value, *_ = ratings[0]
    shown = desk.satisfaction_of(number)
    assert shown is not None and shown.score == int(value)
    assert desk.satisfaction_of(next(n for n in closed if n not in rated)) is None
    assert desk.satisfaction_of(rated_resolved[0][0]) is not None


def test_the_ratings_the_follow_up_rule_picks_are_tagged_and_alert(demo_db: Database) -> None:
    """A demo desk's low ratings, and those whose comment reports a problem, went through
    ``satisfaction.follow_up_reason`` as a survey answer's do: the ``follow-up`` tag is on
    exactly those tickets, each has its ``rating_concern`` event, and a supervisor's alert
    line ("Customer rating") reads them."""
    with demo_db.read() as s:
        entries = s.exec(
            select(Ticket.number, Message.body)
            .join(Ticket, col(Message.ticket_id) == Ticket.id)
            .where(Message.kind == "system", col(Message.body).startswith("Satisfaction rating "))
        ).all()
        tagged = set(
            s.exec(
                select(Ticket.number)
                .join(TicketTag, col(TicketTag.ticket_id) == Ticket.id)
                .join(Tag, col(Tag.id) == TicketTag.tag_id)
                .where(Tag.name == FOLLOW_UP_TAG)
            ).all()
        )
        concerns = dict(
            s.exec(
                select(Event.ticket_number, Event.new_value).where(Event.kind == RATING_CONCERN)
            ).all()
        )
    picked: dict[int, str] = {}
    for number, body in entries:
        head, _, comment = body.partition(": ")
        reason = follow_up_reason(int(head.split()[-1].split("/")[0]), comment or None)
        if reason is not None:
            picked[number] = reason
    assert entries and len(picked) < len(entries)
    assert any("low rating" in r for r in picked.values())
    assert tagged == set(picked) and concerns == picked
    desk = Desk(demo_db, Actor("ada", None, "admin"))
    alerts = desk.sla_alerts_since(0, limit=100_000)
    assert {a.number for a in alerts if a.title == "Customer rating"} == set(picked)


def test_every_resolution_sent_its_survey_and_every_rating_answers_it(demo_db: Database) -> None:
    """As a requester's own round trip leaves it: the resolution's survey in the outbox,
    sent, to the requester, with the desk's valid token for that very ticket; the answer in
    the thread as a reply to it, from the requester; and the rating recorded is the one the
    desk reads in that answer (``survey_answer``, what the mail intake runs)."""
    with demo_db.read() as s:
        tickets = {t.number: t for t in s.exec(select(Ticket).order_by(col(Ticket.number))).all()}
        emails = dict(s.exec(select(Contact.id, Contact.email)).all())
        surveys = s.exec(select(Outbox).where(Outbox.kind == SURVEY_KIND)).all()
        answers = s.exec(select(Message).where(col(Message.in_reply_to).contains(".survey."))).all()
        by_id = {t.id: t for t in tickets.values()}
        sent = {by_id[row.ticket_id].number: row for row in surveys}
        done = {n for n, t in tickets.items() if t.status in ("resolved", "closed")}
        assert set(sent) == done  # one each, and only a resolution sends one
        for number, row in sent.items():
            ticket = tickets[number]
            assert row.status == "sent" and row.attempts == 1 and row.email_message_id
            assert row.to_addresses == emails[ticket.requester_id]
            assert token_number(s, row.subject) == number
            assert row.created_at == ticket.resolved_at and row.sent_at is not None
            assert row.created_at < row.sent_at <= NOW
        ratings = {n: (int(v), at) for n, v, _, at in _ratings(demo_db)}
        assert len(answers) == len(ratings) > 0
        for answer in answers:
            ticket = by_id[answer.ticket_id]
            survey = sent[ticket.number]
            assert answer.in_reply_to == survey.email_message_id
            assert answer.kind == "customer" and answer.channel == "email"
            assert answer.author_contact_id == ticket.requester_id
            assert answer.from_address == survey.to_addresses
            assert answer.subject is not None
            read = survey_answer(s, answer.subject, answer.body, ticket.number)
            assert read is not None
            assert (read.score, answer.created_at) == ratings[ticket.number]
            shown = Desk(demo_db, Actor("ada", None, "admin")).satisfaction_of(ticket.number)
            assert shown is not None and shown.comment == read.comment


def test_no_surveys_no_ratings(db: Database, admin: Actor) -> None:
    """A desk that sends no surveys (``helpdesk survey off``) gets none in its demo, and
    so no ratings; a requester who opted out is sent none either."""
    desk = Desk(db, admin)
    desk.satisfaction_surveys(False)
    generate_demo(db, tickets=100, seed=1, now=NOW)
    with db.read() as s:
        assert s.exec(select(Outbox).where(Outbox.kind == SURVEY_KIND)).first() is None
    assert _ratings(db) == []
    desk.satisfaction_surveys(True)
    with db.read() as s:
        requesters = s.exec(select(Contact.email).order_by(col(Contact.id))).all()
    for email in requesters:
        assert email is not None
        desk.satisfaction_opt_out(email)
    generate_demo(db, tickets=100, seed=2, now=NOW + timedelta(days=1))
    with db.read() as s:
        asked = s.exec(select(Outbox.to_addresses).where(Outbox.kind == SURVEY_KIND)).all()
    assert asked and not set(asked) & set(requesters)  # (the new requesters only)


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
