from __future__ import annotations

import shutil
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, MetaData, Table, func, text
from sqlalchemy import select as core_select
from sqlmodel import col, select

from helpdesk_tui.desk import demo_bulk, fields, sla_alerts
from helpdesk_tui.desk.actors import MAIL, SYSTEM, Actor, agent_actor
from helpdesk_tui.desk.demo import DemoResult, batch_bounds, generate_demo
from helpdesk_tui.desk.demo_bulk import WAL_BATCHES, Pacer, insert_batch
from helpdesk_tui.desk.demo_story import Batch
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.queue import QueueQuery, first_page
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.report_service import ReportService, Written, pending, replay_everything
from helpdesk_tui.desk.sla_service import SlaService
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.driver_rows import stamper
from helpdesk_tui.storage.models import Contact, Event, Message, Outbox, Ticket, TicketTag
from helpdesk_tui.storage.sla_models import SlaNotice
from helpdesk_tui.storage.types import UTCDateTime
from tests.conftest import sqlite_url
from tests.desk.conftest import DEMO_NOW

NOW = DEMO_NOW
"""(``demo_db``'s desk is the one ``_demo(db)`` makes: 300 tickets, seed 1, at ``NOW``.)"""


def _demo(db: Database, tickets: int = 300, seed: int = 1, **kw: object) -> DemoResult:
    return generate_demo(db, tickets=tickets, seed=seed, now=NOW, **kw)  # type: ignore[arg-type]


def _fingerprint(db: Database) -> list[tuple[object, ...]]:
    with db.read() as s:
        tickets = s.exec(select(Ticket).order_by(col(Ticket.number))).all()
        bodies = s.exec(
            select(Ticket.number, Message.kind, Message.body, Message.created_at)
            .join(Ticket, col(Message.ticket_id) == Ticket.id)
            .order_by(col(Ticket.number), col(Message.created_at), col(Message.id))
        ).all()
    rows = [
        (t.number, t.subject, t.status, t.priority, t.tier, t.created_at, t.version)
        for t in tickets
    ]
    return rows + [tuple(b) for b in bodies]


def _migrated_copy(migrated: Path, folder: Path) -> Database:
    """A SQLite desk in ``folder``: a copy of the session's migrated one (as ``db``'s are)."""
    folder.mkdir()
    shutil.copy(migrated, folder / "helpdesk.db")
    return Database(sqlite_url(folder))


def test_same_seed_same_desk_on_either_engine(
    demo_db: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The demo loaded anew on SQLite is ``demo_db``'s desk on either engine, and another
    seed's is not. On PostgreSQL the SQLite desk is the session's (``_demo_desk_sqlite``:
    loaded on its own, from the same seed and now), as a load here would be the same again;
    that another seed differs is the SQLite case's check (``demo_db`` is that desk there)."""
    if not demo_db.is_sqlite:
        loaded: Path = request.getfixturevalue("_demo_desk_sqlite")
        (tmp_path / "other").mkdir()
        shutil.copy(loaded, tmp_path / "other" / "helpdesk.db")
        other = Database(sqlite_url(tmp_path / "other"))
        assert _fingerprint(other) == _fingerprint(demo_db)
        other.dispose()
        return
    migrated: Path = request.getfixturevalue("_migrated_sqlite")
    other = _migrated_copy(migrated, tmp_path / "other")
    _demo(other)
    assert _fingerprint(other) == _fingerprint(demo_db)
    third = _migrated_copy(migrated, tmp_path / "third")
    _demo(third, tickets=50, seed=2)  # (its tickets' rows: another desk from the first)
    assert _fingerprint(third)[:50] != _fingerprint(demo_db)[:50]
    for database in (other, third):
        database.dispose()


def test_counts_match_what_the_database_holds(db: Database) -> None:
    seen: list[int] = []
    result = _demo(db, tickets=125, batch_size=50, progress=seen.append)
    assert seen == [50, 100, 125]
    with db.read() as s:

        def count(model: object) -> int:
            return s.exec(select(func.count()).select_from(model)).one()  # type: ignore[arg-type]

        assert count(Ticket) == 125
        assert count(Message) == result.messages
        assert count(Event) == result.events
        assert count(Contact) == result.contacts
    assert result.messages >= 125 and result.events >= result.messages
    assert result.rate > 0 and result.seconds > 0


def test_every_ticket_is_consistent(demo_db: Database) -> None:
    with demo_db.read() as s:
        tickets = s.exec(select(Ticket)).all()
        messages = Counter(s.exec(select(Message.ticket_id)).all())
        events: dict[int, list[Event]] = {}
        for event in s.exec(select(Event).order_by(col(Event.id))).all():
            assert event.ticket_id is not None
            events.setdefault(event.ticket_id, []).append(event)
    assert {t.status for t in tickets} >= {"new", "open", "waiting", "resolved", "closed"}
    for t in tickets:
        assert t.id is not None
        assert 1 <= messages[t.id] <= 8, t.number
        trail = events[t.id]
        assert trail[0].kind == "created" and trail[0].ticket_version == 1
        assert max(e.ticket_version or 0 for e in trail) == t.version
        assert [e.created_at for e in trail] == sorted(e.created_at for e in trail)
        assert t.created_at <= t.updated_at <= NOW
        assert t.updated_at == trail[-1].created_at
        statuses = [e.new_value for e in trail if e.field == "status"]
        assert (statuses[-1] if statuses else "new") == t.status
        assert (t.closed_at is not None) == (t.status == "closed")
        if t.status in ("resolved", "closed"):
            assert t.resolved_at is not None and t.resolved_at <= (t.closed_at or NOW)
        else:
            assert t.resolved_at is None
        if t.first_response_at is not None:
            assert t.created_at <= t.first_response_at <= t.updated_at
            assert any(e.kind == "reply" for e in trail)
        if t.status != "new":
            assert t.assignee_id is not None and t.team_id is not None
        assert t.response_due_at is not None and t.response_due_at > t.created_at
        assert t.created_at > NOW - timedelta(days=61)


def test_old_tickets_are_mostly_closed_and_recent_ones_open(demo_db: Database) -> None:
    month_ago = NOW - timedelta(days=30)
    with demo_db.read() as s:
        old = s.exec(select(Ticket.status).where(col(Ticket.created_at) < month_ago)).all()
        recent = s.exec(
            select(Ticket.status).where(col(Ticket.created_at) > NOW - timedelta(days=3))
        ).all()
    assert Counter(old)["closed"] > 0.8 * len(old)
    assert recent and Counter(recent)["closed"] < 0.2 * len(recent)


def test_demo_tickets_work_with_the_desk_rules(demo_db: Database) -> None:
    with demo_db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.status == "waiting")).first()
        assert ticket is not None
        actor = agent_actor(s, "dana.sd")
        assert first_page(s, QueueQuery(TicketFilter(statuses=["waiting"])), 1).rows
        detail = ticket_detail(s, ticket.number)
    assert detail.row.created_at.tzinfo is not None
    assert detail.messages and detail.events
    with demo_db.write() as s:
        changed = fields.set_status(
            s, actor, ticket.number, "in_progress", expected_version=ticket.version
        )
    assert changed.version == ticket.version + 1


def test_the_storys_sla_alerts_are_recorded_as_given_not_announced(demo_db: Database) -> None:
    """A demo ticket's breaches happened in its story: the desk's first pass after the load
    announces none of them (it announced every one, months late, with its mail). (The
    session's demo desk, a copy of it: a load of its own, of 120 tickets, showed the same.)"""
    db = demo_db
    with db.read() as s:
        notices = s.exec(select(SlaNotice)).all()
        alerts = s.exec(select(Event).where(col(Event.kind).in_(["sla_warning", "sla_breach"])))
        mail = s.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
    assert {n.level for n in notices} == {"warning", "breach"}
    assert alerts.all() == [] and mail == []
    now = NOW.replace(tzinfo=UTC)
    with db.read() as s:  # each ticket keeps its next alert: those to come, none owed
        alert_at = col(Ticket.sla_alert_at)
        owed = s.exec(select(func.count()).where(alert_at <= now)).one()
        coming = s.exec(select(func.count()).where(alert_at > now)).one()
    assert owed == 0 and coming > 0
    assert sla_alerts.check(db, now) == []


def test_adds_to_a_desk_in_use_and_numbers_continue(db: Database) -> None:
    with db.write() as s:
        first = create_ticket(s, MAIL, subject="Real one", body="x").number
    _demo(db, tickets=40)
    _demo(db, tickets=40)  # same seed again: same people, found rather than duplicated
    with db.write() as s:
        last = create_ticket(s, MAIL, subject="After the demo", body="x").number
        numbers = s.exec(select(Ticket.number).order_by(col(Ticket.number))).all()
        tagged = s.exec(select(func.count()).select_from(TicketTag)).one()
    assert numbers == list(range(first, first + 82))
    assert last == first + 81
    assert tagged > 0


def test_adding_recomputes_only_the_added_tickets_due_times(db: Database) -> None:
    """The SLA due times of the tickets a run adds come from the policies; the desk's other
    open tickets are left as they are (recomputing those is a policy change's work)."""
    _demo(db, tickets=60)
    marker = datetime(2031, 1, 1, tzinfo=UTC)
    with db.write() as s:
        s.execute(
            text("UPDATE ticket SET resolution_due_at = :m WHERE status IN ('new', 'open')"),
            {"m": UTCDateTime().process_bind_param(marker, s.get_bind().dialect)},
        )
        kept = s.exec(select(func.count()).where(col(Ticket.status).in_(["new", "open"]))).one()
    _demo(db, tickets=60, seed=2)
    with db.read() as s:
        due = s.exec(select(Ticket.number, Ticket.resolution_due_at).order_by(col(Ticket.number)))
        rows = list(due)
    old, added = rows[:60], rows[60:]
    assert kept > 0
    assert sum(1 for _n, at in old if at == marker) == kept
    assert all(at != marker for _n, at in added)


def _created(db: Database, numbers: range) -> list[datetime]:
    with db.read() as s:
        return list(
            s.exec(select(Ticket.created_at).where(col(Ticket.number).in_(list(numbers)))).all()
        )


def test_added_tickets_come_after_the_desks_newest(db: Database) -> None:
    """A desk's new tickets come after its old ones: so do the demo's added to a desk in
    use (over at least a day, when its newest ticket is younger than that)."""
    _demo(db, tickets=80)
    newest = max(_created(db, range(1, 81)))
    later = NOW + timedelta(days=20)
    generate_demo(db, tickets=80, seed=2, now=later)
    added = _created(db, range(81, 161))
    assert len(added) == 80
    assert min(added) >= newest.replace(minute=0, second=0, microsecond=0)
    assert max(added) <= later
    generate_demo(db, tickets=80, seed=3, now=later)  # the newest ticket is hours old
    assert min(_created(db, range(161, 241))) >= later - timedelta(days=1, hours=1)


def test_needs_at_least_one_ticket(db: Database) -> None:
    with pytest.raises(InvalidValue, match="at least 1"):
        _demo(db, tickets=0)


def test_fast_timestamps_are_what_the_column_type_would_store(db: Database) -> None:
    stamp = stamper(db.engine.dialect)
    moment = datetime(2024, 7, 1, 8, 30, 0, 5)
    with db.write() as s:
        s.execute(text("CREATE TABLE stamp_probe (fast TIMESTAMP WITH TIME ZONE)"))
        s.execute(text("INSERT INTO stamp_probe VALUES (:v)"), {"v": stamp(moment)})
    with db.read() as s:
        # Read through the real column type: the same instant, aware, in UTC.
        probe = Table("stamp_probe", MetaData(), Column("fast", UTCDateTime()))
        value = s.execute(core_select(probe.c.fast)).scalar_one()
    assert value == moment.replace(tzinfo=UTC)


def _report_tables(db: Database) -> tuple[list[tuple[object, ...]], ...]:
    with db.read() as s:
        return tuple(
            [tuple(row) for row in s.execute(text(query))]
            for query in (
                "SELECT * FROM report_ticket ORDER BY number",
                "SELECT * FROM report_reply ORDER BY event_id",
                "SELECT * FROM report_rollup WHERE n <> 0 "
                "ORDER BY measure, period, agent, a, b, c, value",
            )
        )


def test_report_rows_the_load_writes_are_the_replays(db: Database, admin: Actor) -> None:
    """The loader writes its finished tickets' report rows itself (by the report rule, from
    the stories in memory) and the catch-up replays only the rest: the tables are what a
    replay of every ticket gives, business minutes in the calendar of each ticket's policy
    (one for a category, one for an organization) included, on a fresh desk and on one in
    use (in batches that PostgreSQL settles beside the load), and after an agent changes a
    ticket the load wrote the rows of. (150 and 200 tickets in batches of 50: the same
    batches and policies as 300 and 400 in batches of 100, at half the load.)"""
    desk = Desk(db, admin, clock=lambda: NOW)
    desk.sla_set_calendar("mornings", hours="08:00-10:00")
    desk.sla_set_calendar("long days", hours="07:00-21:00")
    desk.sla_set_policy(
        "vpn",
        first_response="1h",
        next_response="2h",
        resolution="8h",
        category="VPN",
        calendar="mornings",
    )
    _demo(db, tickets=150)
    with db.read() as s:  # a policy for the demo's busiest organization
        organization = s.execute(
            text(
                "SELECT o.name FROM ticket t JOIN contact c ON c.id = t.requester_id "
                "JOIN organization o ON o.id = c.organization_id "
                "GROUP BY o.name ORDER BY count(*) DESC, o.name LIMIT 1"
            )
        ).scalar_one()
    desk.sla_set_policy(
        "key account",
        first_response="30m",
        next_response="1h",
        resolution="4h",
        organization=organization,
        calendar="long days",
    )
    desk.report_catch_up()
    generate_demo(db, tickets=200, seed=2, now=NOW + timedelta(days=90), batch_size=50)
    loaded = _report_tables(db)
    assert len(loaded[0]) == 350 and loaded[1] and loaded[2]
    with db.read() as s:  # (each policy's calendar has tickets to count in)
        vpn = s.execute(text("SELECT count(*) FROM ticket WHERE category = 'VPN'")).scalar()
    assert vpn
    with db.read() as s:
        done = s.execute(text("SELECT max(number) FROM ticket WHERE status = 'closed'")).scalar()
    with db.write() as s:
        replay_everything(s)
    assert ReportService(db, SYSTEM).report_catch_up() == 350
    assert _report_tables(db) == loaded
    desk.clock = lambda: NOW + timedelta(days=91)
    desk.ticket_reopen(done, "the customer wrote again")
    desk.report_catch_up()
    after = _report_tables(db)
    assert {r[0]: r for r in after[0]}[done] != {r[0]: r for r in loaded[0]}[done]
    with db.write() as s:
        replay_everything(s)
    ReportService(db, SYSTEM).report_catch_up()
    assert _report_tables(db) == after


def test_the_catch_up_skips_rows_written_with_their_tickets(demo_db: Database) -> None:
    """A ticket the load wrote the rows of is replayed only once it has a later event.
    (On a copy of the session's demo desk, where the test loaded 50 tickets of its own.)"""
    db = demo_db
    with db.read() as s:
        tickets = s.execute(text("SELECT count(*) FROM ticket")).scalar_one()
    assert tickets == 300
    with db.write() as s:
        top = s.execute(text("SELECT max(id) FROM event")).scalar_one()
        first, last = s.execute(text("SELECT min(number), max(number) FROM ticket")).one()
        s.execute(text("UPDATE report_state SET value = 0"))
    with db.read() as s:
        assert len(pending(s).numbers) == tickets
        assert pending(s, [Written(first, last, top)]).numbers == ()
        assert pending(s, [Written(first, last, top, frozenset({first}))]).numbers == (first,)
        assert pending(s, [Written(first + 1, last, top - 1)]).numbers[0] == first


def test_rules_changed_during_the_load_replay_its_tickets(db: Database, admin: Actor) -> None:
    """An SLA calendar given to a policy while the load runs changes its finished tickets'
    business minutes with no event on them: the catch-up then replays them all."""
    desk = Desk(db, admin, clock=lambda: NOW)
    desk.sla_set_calendar("mornings", hours="08:00-10:00")

    def change_rules(done: int) -> None:
        if done == 50:
            desk.sla_set_policy(
                "vpn",
                first_response="1h",
                next_response="2h",
                resolution="8h",
                category="VPN",
                calendar="mornings",
            )

    _demo(db, tickets=150, batch_size=50, progress=change_rules)
    loaded = _report_tables(db)
    with db.write() as s:
        replay_everything(s)
    ReportService(db, SYSTEM).report_catch_up()
    assert _report_tables(db) == loaded
    # (the open tickets' due times are the new policy's, in every batch)
    assert SlaService(db, SYSTEM).sla_recompute() == 0


def _replayed_equal(db: Database) -> bool:
    """Whether the report tables are what a replay of every ticket gives."""
    loaded = _report_tables(db)
    with db.write() as s:
        replay_everything(s)
    ReportService(db, SYSTEM).report_catch_up()
    return _report_tables(db) == loaded


def test_the_load_writes_the_policies_due_times(db: Database, admin: Actor) -> None:
    """An open ticket's due times go in with it, by its policy and that policy's calendar
    (what a recompute gives): nothing settles a batch after its transaction.

    And the catch-up after a load moves the watermark past it even when the load wrote
    every ticket's rows itself (on PostgreSQL it settles the open ones beside the load):
    the first report must not replay the whole load again (this was
    ``test_a_load_leaves_the_next_report_nothing_to_replay``: two tests made the same load
    of 300 tickets in batches of 100; the policy set before it changes neither fact; 150 in
    batches of 50 are as many batches)."""
    desk = Desk(db, admin, clock=lambda: NOW)
    desk.sla_set_calendar("mornings", hours="08:00-10:00")
    desk.sla_set_policy(
        "fast", first_response="1h", next_response="2h", resolution="8h", calendar="mornings"
    )
    _demo(db, tickets=150, batch_size=50)
    with db.read() as s:
        assert pending(s).numbers == ()
    assert ReportService(db, SYSTEM).report_catch_up() == 0
    with db.read() as s:
        waiting = s.execute(
            text("SELECT count(*) FROM ticket WHERE reply_due_at IS NOT NULL")
        ).scalar_one()
    assert waiting > 0
    assert SlaService(db, SYSTEM).sla_recompute() == 0


def test_a_failed_load_leaves_only_whole_tickets(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch part that fails takes its tickets with it, and only them: every ticket left
    has its thread, history, due times and report rows, and its number once."""

    def failing(conn: Connection, batch: Batch) -> Written:
        stored = insert_batch(conn, batch)
        if batch.tickets[0] == 101:  # a part (PostgreSQL) or batch (SQLite) starts there
            raise RuntimeError("the connection broke")
        return stored

    monkeypatch.setattr("helpdesk_tui.desk.demo.insert_batch", failing)
    with pytest.raises(RuntimeError, match="the connection broke"):
        _demo(db, tickets=150, batch_size=50)
    with db.read() as s:
        numbers = list(s.exec(select(Ticket.number)).all())
        partial = s.execute(
            text(
                "SELECT count(*) FROM ticket t WHERE "
                "NOT EXISTS (SELECT 1 FROM message m WHERE m.ticket_id = t.id) "
                "OR NOT EXISTS (SELECT 1 FROM event e WHERE e.ticket_id = t.id) "
                "OR NOT EXISTS (SELECT 1 FROM report_ticket r WHERE r.number = t.number)"
            )
        ).scalar_one()
    assert 0 < len(numbers) < 150 and len(set(numbers)) == len(numbers)
    assert partial == 0
    assert SlaService(db, SYSTEM).sla_recompute() == 0
    assert _replayed_equal(db)


def test_agents_work_while_the_load_runs(db: Database, admin: Actor) -> None:
    """Agents change tickets and reports catch up while the load's batches go in (on
    PostgreSQL, parts on two connections at once): none waits on the other for ever, and
    afterwards the report tables are a replay's, with nothing left to replay."""
    desk = Desk(db, admin, clock=lambda: NOW)
    _demo(db, tickets=50)
    with db.read() as s:
        done = s.execute(
            text("SELECT max(number) FROM ticket WHERE status = 'closed'")
        ).scalar_one()

    def work(loaded: int) -> None:
        if loaded == 50:
            desk.ticket_reopen(done, "the customer wrote again")
        desk.report_catch_up()

    generate_demo(
        db, tickets=150, seed=2, now=NOW + timedelta(days=1), batch_size=50, progress=work
    )
    with db.read() as s:
        assert pending(s).numbers == ()
    assert _replayed_equal(db)


def test_the_load_copies_its_wal_and_starts_it_over(
    _migrated_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: after each batch the WAL is copied whole by the load's checkpoints, not the
    load's commits, and it starts over at least every ``WAL_BATCHES`` batches (each start
    adds one to the first salt in the WAL's header): the WAL stays bounded however long the
    load, and empty after it. Here each copy ends only once the next batch is in its
    transaction, or when the load waits for it, as at 1M (a copy takes longer than the
    load's gap between batches)."""
    db = _migrated_copy(_migrated_sqlite, tmp_path / "wal-test")
    path = tmp_path / "wal-test" / "helpdesk.db"
    wal = path.with_name("helpdesk.db-wal")
    copies: list[tuple[int, int, int, int]] = []
    begun, waiting = [0], [False]
    moved = threading.Condition()
    wait = Pacer.wait

    def insert(conn: Connection, batch: Batch) -> Written:
        with moved:
            begun[0] += 1
            moved.notify_all()
        return insert_batch(conn, batch)

    def waited(pacer: Pacer) -> None:
        with moved:
            waiting[0] = True
            moved.notify_all()
        wait(pacer)
        waiting[0] = False

    def checkpoint(pacer: Pacer) -> None:
        after = len(copies) + 1  # the batch just committed
        with moved:
            assert moved.wait_for(lambda: begun[0] > after or waiting[0], timeout=30)
        busy, frames, copied = pacer._driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        starts = int.from_bytes(wal.read_bytes()[16:20], "big")
        copies.append((busy, frames, copied, starts))

    monkeypatch.setattr("helpdesk_tui.desk.demo.insert_batch", insert)
    monkeypatch.setattr(Pacer, "wait", waited)
    monkeypatch.setattr(Pacer, "_checkpoint", checkpoint)
    monkeypatch.setattr(demo_bulk, "LOCK_GAP", 0.0)
    _demo(db, tickets=600, batch_size=50)  # (twelve batches, as 1,200 in batches of 100)
    left = wal.stat().st_size  # the desk still open
    db.dispose()
    assert len(copies) == 12  # a copy after each batch
    assert all(busy == 0 and frames == copied > 0 for busy, frames, copied, _ in copies)
    # emptied after the load: what is left is a closing connection's own (PRAGMA optimize)
    assert left < min(frames for _, frames, _, _ in copies) * 4096
    starts = [start for *_, start in copies]
    assert all(b != a for a, b in zip(starts, starts[WAL_BATCHES:], strict=False)), starts
    assert starts[WAL_BATCHES - 1] == starts[0], starts  # no sooner: the load did not wait


def test_batches_grow_from_the_first_to_the_batch_size() -> None:
    """A small first batch, so that the database need not wait long for its first rows."""
    assert batch_bounds(20_000, 4_000) == [
        (0, 500),
        (500, 1_500),
        (1_500, 3_500),
        (3_500, 7_500),
        (7_500, 11_500),
        (11_500, 15_500),
        (15_500, 19_500),
        (19_500, 20_000),
    ]
    assert batch_bounds(250, 100) == [(0, 100), (100, 200), (200, 250)]
    assert batch_bounds(1, 4_000) == [(0, 1)]


def test_floors_in_subjects_are_english_ordinals(demo_db: Database) -> None:
    """ "Weak Wi-Fi signal on the 3rd floor", where the story wrote "2th" and "21th"."""
    with demo_db.read() as s:
        subjects = s.exec(select(Ticket.subject).where(col(Ticket.subject).like("%signal on%")))
        floors = {subject.split(" on the ")[1] for subject in subjects}
    ordinals = ["1st", "2nd", "3rd", *(f"{n}th" for n in range(4, 13))]
    assert floors and floors <= {f"{ordinal} floor" for ordinal in ordinals}
