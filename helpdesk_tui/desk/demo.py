"""Demo data: a living desk of realistic, deterministic tickets spread over the past months.

``generate_demo`` adds teams, agents, tags, organizations, contacts and then tickets with
their threads and history to a migrated database — a new one or one already in use (ticket
numbers continue from the counter). The same seed and ``now`` give the same data.

Added to a desk in use, the tickets are dated after its newest one (over at least a day),
as a desk's new tickets are: their keys then land at the end of the indexes that hold a
time, as a living desk's do, instead of among a million older ones in each of them — which
wrote most index pages again for every batch (``benchmarks/README.md``, seeding into 1M).
A run a few hours after the last one therefore adds young tickets (mostly new and open).

It writes in bulk (``demo_bulk``), up to 4,000 tickets per batch (the first batches
smaller, so that the database starts sooner), and holds at most two batches in memory:
100,000 tickets take seconds, not hours. A ticket's rows are all made with its story: its
thread and history, its SLA due times (by the policies, from that history, as
``sla_clock.refresh`` would store them) and its report rows (by the report rule, so the
report catch-up after the load replays nothing it wrote: ``report_service.Written``). Each
batch goes in as one transaction; on PostgreSQL, where one connection's backend is the
bound, as ``LOADERS`` parts of whole tickets on connections of their own, a transaction
each, while the next batch is written; on SQLite the load's WAL is copied into the
database on a thread of its own and the write lock left free a moment between batches, for
agents (``demo_bulk.Pacer``). A load that fails or is killed leaves whole tickets
only, and a gap in the numbers (those of the parts that did not commit); the tables are
analyzed after it (on PostgreSQL on connections of their own, beside the catch-up). It
never queues outgoing mail, and every address it invents is under the reserved ``.example``
TLD.
"""

from __future__ import annotations

import itertools
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import Connection, Table, func, insert, select, text, tuple_

from helpdesk_tui.desk import sla_alerts
from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.demo_bulk import Pacer, insert_batch, prepare_load, stage_batch
from helpdesk_tui.desk.demo_content import AGENTS, CATEGORIES, TEAMS
from helpdesk_tui.desk.demo_story import Batch, Clock, DemoPerson, StoryWriter
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.report_catchup import BULK_REPLAY
from helpdesk_tui.desk.report_service import ReportService, Rules, Written
from helpdesk_tui.desk.satisfaction import FOLLOW_UP_TAG, Surveys
from helpdesk_tui.desk.sla_reads import load_rules
from helpdesk_tui.desk.sla_service import SlaService
from helpdesk_tui.desk.statuses import ALL_STATUSES
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.driver_rows import stamper
from helpdesk_tui.storage.models import (
    Agent,
    Contact,
    Organization,
    Tag,
    Team,
    TeamMember,
    Ticket,
    utcnow,
)

BATCH_SIZE = 4_000
FIRST_BATCH = 500
"""The first batch's size; each next one is twice the last, up to the batch size. Nothing
is inserted until the first batch's stories are written: a small one lets the database
start early, and each next batch is written while the one before it is inserted."""
MAX_DAYS = 240
TICKETS_PER_DAY = 5
"""A small demo spans two months at about this many tickets a day; a big one eight months."""
MIN_SPAN = timedelta(days=1)
"""Added to a desk in use, the tickets come after its newest one, over at least this long."""
_FREE_MAIL = ("example.com", "example.net", "example.org")
_NAME_POOL = 300
_REPORT_TABLES = ("report_ticket", "report_reply", "report_rollup")
"""What the report catch-up after the load writes."""
_LATER = ("message", "ticket", *_REPORT_TABLES)
"""The tables not analyzed with the others: messages and tickets (the largest) each on a
connection of its own, the report tables after the catch-up."""
LOADERS = 2
"""PostgreSQL: connections inserting a batch's parts at the same time. One connection's
backend is the bound there (≈ 300 µs of CPU per ticket, most of it foreign-key checks and
index upkeep, ``benchmarks/README.md``), so one connection tops out near 3,000 tickets/s;
SQLite has one writer at a time."""
_SWITCH_INTERVAL = 0.0002
"""Seconds; see ``_prompt_switching``."""


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass(frozen=True)
class DemoResult:
    """What one run added, and how long it took."""

    tickets: int
    contacts: int
    messages: int
    events: int
    seconds: float
    articles: int = 0
    """Knowledge-base articles added (``demo_library``; none when the desk has them)."""
    canned: int = 0
    """Shared canned responses added."""
    macros: int = 0
    """Macros added."""

    @property
    def rate(self) -> float:
        """Tickets per second."""
        return self.tickets / self.seconds if self.seconds > 0 else float(self.tickets)


@dataclass(frozen=True)
class _Cast:
    agents: dict[str, list[DemoPerson]]
    contacts: list[DemoPerson]
    new_contacts: int
    team_ids: dict[str, int]
    tag_ids: dict[str, int]


def generate_demo(
    db: Database,
    *,
    tickets: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> DemoResult:
    """Add ``tickets`` demo tickets (and the people around them); ``progress(done)`` per batch."""
    if tickets < 1:
        raise InvalidValue(f"the number of demo tickets must be at least 1, not {tickets}")
    started = time.perf_counter()
    now = (now or utcnow()).astimezone(UTC).replace(tzinfo=None)
    rng = random.Random(seed)
    first_day = now - timedelta(days=max(60, min(MAX_DAYS, tickets // TICKETS_PER_DAY)))
    with db.read() as session:
        newest = _newest_ticket(session.connection())
    if newest is not None:
        first_day = max(first_day, min(newest, now - MIN_SPAN))
    clock = Clock(now, first_day)
    with db.write() as session:
        conn = session.connection()
        cast = _make_cast(conn, rng, seed, clock.start.replace(tzinfo=UTC), tickets)
        first_number = _reserve_numbers(conn, tickets)
        rules = Rules.load(session)
        surveys = Surveys(conn)
    writer = StoryWriter(
        rng=rng,
        now=now,
        seed=seed,
        agents=cast.agents,
        contacts=cast.contacts,
        team_ids=cast.team_ids,
        tag_ids=cast.tag_ids,
        stamp=stamper(db.engine.dialect),
        rules=rules,
        surveys=surveys,
    )
    loaders = 1 if db.is_sqlite else LOADERS

    def make_parts(start: int, end: int) -> list[Batch]:
        """A batch's tickets in ``loaders`` parts of whole tickets, in number order."""
        parts = []
        for low, high in _split(start, end, loaders):
            writer.clear()
            for i in range(low, high):
                writer.write(first_number + i, clock.at((i + rng.random()) / tickets))
            parts.append(writer.batch())
        return parts

    messages = events = done = 0
    written: list[Written] = []
    sla, reports = SlaService(db, SYSTEM), ReportService(db, SYSTEM)
    with ExitStack() as stack:
        pacer = None
        if db.is_sqlite:  # (its end comes after the load's connections have closed)
            copier = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="demo-wal"))
            pacer = Pacer(stack.enter_context(db.own_connection()), copier)
            stack.callback(pacer.close)
        connections = [stack.enter_context(db.own_connection()) for _ in range(loaders)]
        stack.enter_context(_prompt_switching())
        # One thread writes the next batch's rows while this batch is inserted (the database
        # driver releases the GIL while it works): on SQLite by this thread, on PostgreSQL
        # its parts by threads of their own; at most two batches in memory.
        pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="demo"))
        inserting = None
        if loaders > 1:
            inserting = stack.enter_context(
                ThreadPoolExecutor(loaders, thread_name_prefix="demo-load")
            )
        for conn in connections:
            prepare_load(conn)
        loading: list[Future[tuple[Written, Batch]]] = []  # the batch before's parts

        def start(k: int, part: Batch) -> Future[tuple[Written, Batch]]:
            if inserting is not None:
                return inserting.submit(_load, connections[k], part)
            inserted: Future[tuple[Written, Batch]] = Future()
            stage_batch(connections[k], part)
            if pacer is not None:  # (none on PostgreSQL with one loader: a test's)
                pacer.before()
            inserted.set_result(_load(connections[k], part))
            if pacer is not None:
                pacer.after()
            return inserted

        def collect(job: Future[tuple[Written, Batch]]) -> None:
            nonlocal messages, events, done
            stored, part = job.result()
            written.append(stored)
            messages += part.message_count
            events += part.event_count
            done += part.ticket_count

        batches = batch_bounds(tickets, batch_size)
        pending = pool.submit(make_parts, *batches[0])
        for at in range(len(batches) + 1):
            parts = pending.result() if at < len(batches) else []
            if at + 1 < len(batches):
                pending = pool.submit(make_parts, *batches[at + 1])
            before, loading = loading, []
            for k in range(max(len(before), len(parts))):
                if k < len(before):
                    collect(before[k])  # the connection is free for its part of this batch
                if k < len(parts):
                    loading.append(start(k, parts[k]))
            if before and progress is not None:
                progress(done)
        with db.read() as session:
            moved = load_rules(session) != (rules.policies, rules.calendars)
        added = (first_number, first_number + tickets - 1)
        if moved:  # a policy or calendar changed during the load: every added ticket's
            sla.sla_recompute(numbers=added)
        # The story's SLA alerts happened in its past: recorded as given, not announced now.
        sla_alerts.record_past(db, now.replace(tzinfo=UTC), added)
        # A bulk load changes the data's shape; the planner needs to know (issue 10). On
        # PostgreSQL the tables are analyzed on connections of their own, up to three at a
        # time (ANALYZE is one backend's work), the report tables after the catch-up.
        statistics: list[Future[None]] = []
        if inserting is not None:
            statistics.append(pool.submit(db.refresh_statistics, ("message",)))
            statistics.append(inserting.submit(db.refresh_statistics, ("ticket",)))
            statistics.append(inserting.submit(db.refresh_statistics, but=_LATER))
        # The report tables and their rollups, so the first report does not replay the
        # load. A catch-up of that many tickets refreshes every table's statistics itself
        # (a second ANALYZE: ≈ 1 s at 1M).
        if reports.report_catch_up(written, rules) < BULK_REPLAY:
            db.refresh_statistics(None if inserting is None else _REPORT_TABLES)
        for analyzed in statistics:
            analyzed.result()
    return DemoResult(
        tickets=tickets,
        contacts=cast.new_contacts,
        messages=messages,
        events=events,
        seconds=time.perf_counter() - started,
    )


def _load(conn: Connection, batch: Batch) -> tuple[Written, Batch]:
    """One part of a batch in one transaction: its tickets whole (thread, history, tags,
    due times, report rows), or none of them."""
    with conn.begin():
        return insert_batch(conn, batch), batch


def _split(start: int, end: int, parts: int) -> list[tuple[int, int]]:
    """``start`` to ``end`` in ``parts`` runs as even as can be (none empty)."""
    bounds = [start + (end - start) * k // parts for k in range(parts + 1)]
    return [(low, high) for low, high in itertools.pairwise(bounds) if high > low]


def batch_bounds(tickets: int, batch_size: int) -> list[tuple[int, int]]:
    """Where each batch of the load starts and ends (see ``FIRST_BATCH``)."""
    batches: list[tuple[int, int]] = []
    start, size = 0, min(FIRST_BATCH, batch_size)
    while start < tickets:
        batches.append((start, min(start + size, tickets)))
        start, size = start + size, min(size * 2, batch_size)
    return batches


@contextmanager
def _prompt_switching() -> Iterator[None]:
    """A short GIL switch interval while the two threads work.

    The inserting thread releases the GIL for each statement and must take it back after;
    while the writing thread runs Python, that waits out the whole interval (5 ms by
    default), dozens of times a batch: the two threads took turns instead of overlapping.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(_SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _newest_ticket(conn: Connection) -> datetime | None:
    """When the desk's newest ticket was created (naive UTC); None for an empty desk.

    One short index walk per status (``(status, created_at, id)``, migration 0009), not a
    scan of every ticket."""
    found = [
        conn.execute(
            select(_table(Ticket).c.created_at)
            .where(_table(Ticket).c.status == status)
            .order_by(_table(Ticket).c.created_at.desc())
            .limit(1)
        ).scalar()
        for status in ALL_STATUSES
    ]
    moments = [moment for moment in found if moment is not None]
    return max(moments).astimezone(UTC).replace(tzinfo=None) if moments else None


def _reserve_numbers(conn: Connection, count: int) -> int:
    """Take ``count`` ticket numbers in one statement; returns the first of them.

    Tickets created meanwhile by agents or mail get numbers after the block. An interrupted
    run leaves a gap in the numbers, as any rolled-back ticket creation does.
    """
    last = conn.execute(
        text("UPDATE counter SET value = value + :n WHERE name = 'ticket_number' RETURNING value"),
        {"n": count},
    ).scalar_one()
    return int(last) - count + 1


def _chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ensure(conn: Connection, model: Any, key: str, rows: list[dict[str, Any]]) -> dict[Any, int]:
    """Ids by ``key`` for ``rows``, inserting only those the table does not hold yet."""
    table = _table(model)
    column = table.c[key]
    ids: dict[Any, int] = {}
    for chunk in _chunks([row[key] for row in rows]):
        ids.update(
            (k, i) for k, i in conn.execute(select(column, table.c.id).where(column.in_(chunk)))
        )
    new = [row for row in rows if row[key] not in ids]
    if new:
        ids.update(
            (k, i) for k, i in conn.execute(insert(table).returning(column, table.c.id), new)
        )
    return ids


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _make_cast(
    conn: Connection, rng: random.Random, seed: int, start: datetime, tickets: int
) -> _Cast:
    """Teams, agents, tags, organizations and contacts: found by name, created when missing."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    team_ids = _ensure(
        conn, Team, "name", [{"name": n, "description": d} for n, d in TEAMS.items()]
    )
    agents = _make_agents(conn, team_ids, start)
    tag_names = sorted({tag for c in CATEGORIES for tag in c.tags} | {"vip", FOLLOW_UP_TAG})
    tag_ids = _ensure(conn, Tag, "name", [{"name": name} for name in tag_names])
    domains = _make_organizations(conn, fake, max(5, min(300, tickets // 250)))
    contacts, new_contacts = _make_contacts(
        conn, rng, fake, domains, max(20, min(20_000, tickets // 6)), start
    )
    return _Cast(agents, contacts, new_contacts, team_ids, tag_ids)


def _make_agents(
    conn: Connection, team_ids: dict[str, int], start: datetime
) -> dict[str, list[DemoPerson]]:
    rows = [
        {
            "login": a.login,
            "name": a.name,
            "email": f"{a.login}@helpdesk.example",
            "role": a.role,
            "skills": f"tier {a.tier}, {a.team.lower()}",
            "active": True,
            "created_at": start - timedelta(days=30),
        }
        for a in AGENTS
    ]
    ids = _ensure(conn, Agent, "login", rows)
    member = _table(TeamMember)
    wanted = {(team_ids[a.team], ids[a.login]) for a in AGENTS}
    have = {
        (team_id, agent_id)
        for team_id, agent_id in conn.execute(
            select(member.c.team_id, member.c.agent_id).where(
                tuple_(member.c.team_id, member.c.agent_id).in_(sorted(wanted))
            )
        )
    }
    missing = [{"team_id": t, "agent_id": a} for t, a in sorted(wanted - have)]
    if missing:
        conn.execute(insert(member), missing)
    by_team: dict[str, list[DemoPerson]] = {name: [] for name in TEAMS}
    for a in AGENTS:
        by_team[a.team].append(
            DemoPerson(ids[a.login], a.name, f"{a.login}@helpdesk.example", a.login, a.team, a.tier)
        )
    return by_team


def _unique(make: Callable[[], str], count: int) -> list[str]:
    """``count`` distinct values from ``make``; repeats get a number so the loop always ends."""
    seen: dict[str, int] = {}
    values = []
    for _ in range(count):
        value = make()
        if value in seen:
            seen[value] += 1
            value = f"{value} {seen[value]}"
        seen.setdefault(value, 1)
        values.append(value)
    return values


def _make_organizations(conn: Connection, fake: Faker, count: int) -> list[tuple[int, str]]:
    names = _unique(fake.company, count)
    rows = [{"name": name, "domain": f"{_slug(name)}.example"} for name in names]
    ids = _ensure(conn, Organization, "name", rows)
    return [(ids[row["name"]], row["domain"]) for row in rows]


def _make_contacts(
    conn: Connection,
    rng: random.Random,
    fake: Faker,
    organizations: list[tuple[int, str]],
    count: int,
    start: datetime,
) -> tuple[list[DemoPerson], int]:
    firsts = [fake.first_name() for _ in range(_NAME_POOL)]
    lasts = [fake.last_name() for _ in range(_NAME_POOL)]
    rows: list[dict[str, Any]] = []
    emails: set[str] = set()
    for _ in range(count):
        first, last = rng.choice(firsts), rng.choice(lasts)
        org_id, domain = (
            rng.choice(organizations) if rng.random() < 0.8 else (None, rng.choice(_FREE_MAIL))
        )
        local = _slug(f"{first}.{last}").replace("-", ".")
        email, n = f"{local}@{domain}", 1
        while email in emails:
            n += 1
            email = f"{local}{n}@{domain}"
        emails.add(email)
        rows.append(
            {
                "email": email,
                "name": f"{first} {last}",
                "phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                "organization_id": org_id,
                "created_at": start - timedelta(days=rng.uniform(0, 90)),
            }
        )
    before = _count(conn, Contact)
    ids = _ensure(conn, Contact, "email", rows)
    names = _organization_names(conn, list(ids.values()))
    people = [
        DemoPerson(ids[r["email"]], r["name"], r["email"], organization=names.get(ids[r["email"]]))
        for r in rows
    ]
    return people, _count(conn, Contact) - before


def _organization_names(conn: Connection, contact_ids: list[int]) -> dict[int, str]:
    """The organization names of these contacts (those found may have another than the
    demo would give them): an SLA policy may depend on it, and with it a report figure."""
    contact, organization = _table(Contact), _table(Organization)
    names: dict[int, str] = {}
    for chunk in _chunks(contact_ids):
        for contact_id, name in conn.execute(
            select(contact.c.id, organization.c.name)
            .join(organization, organization.c.id == contact.c.organization_id)
            .where(contact.c.id.in_(chunk))
        ):
            names[contact_id] = name
    return names


def _count(conn: Connection, model: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(_table(model))).scalar_one())
