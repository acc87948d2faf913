from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import (
    ARRAY,
    Text,
    all_,
    column,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
    values,
)

from helpdesk_tui import storage
from helpdesk_tui.desk import fields, queue, relations, search, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.contacts import find_or_create_contact
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.desk.queue import (
    Position,
    QueueQuery,
    first_page,
    last_page,
    neighbour,
    page_after,
    page_before,
)
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.search import PG_WALK_COST, pg_walks, words
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.desk.tags import apply_tags
from helpdesk_tui.desk.tickets import create_ticket, load_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Contact, Organization

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


def _found(db: Database, query: str) -> set[str]:
    with db.read() as s:
        return {r.subject for r in first_page(s, QueueQuery(text=query), 50).rows}


def _new(db: Database, actor: Actor, subject: str, body: str = "") -> int:
    with db.write() as s:
        return create_ticket(s, actor, subject=subject, body=body).number


def test_finds_words_in_subjects_and_bodies_by_prefix(db: Database, admin: Actor) -> None:
    _new(db, admin, "Printer on fire", "It smokes badly.")
    _new(db, admin, "VPN drops", "Since Monday the tunnel resets.")
    _new(db, admin, "Invoice question", "Was I charged twice?")
    assert _found(db, "printer") == {"Printer on fire"}
    assert _found(db, "PRINT") == {"Printer on fire"}
    assert _found(db, "tunnel reset") == {"VPN drops"}
    assert _found(db, "charged") == {"Invoice question"}
    assert _found(db, "printer tunnel") == set()


def test_later_messages_and_subject_changes_are_found(db: Database, admin: Actor) -> None:
    number = _new(db, admin, "Cannot log in")
    assert _found(db, "keyboard") == set()
    with db.write() as s:
        thread.add_note(s, admin, number, body="Their keyboard layout is Dvorak.")
    assert _found(db, "dvorak") == {"Cannot log in"}


def test_deleted_tickets_leave_the_index(db: Database, admin: Actor) -> None:
    number = _new(db, admin, "Ghost ticket", "boo")
    with db.write() as s:
        relations.delete_ticket(s, admin, number)
    assert _found(db, "ghost") == set()
    assert _found(db, "boo") == set()


def test_hostile_query_is_words_only(db: Database, admin: Actor) -> None:
    _new(db, admin, 'He said "hello" (NEAR) OR *', "x")
    assert words('"hello" OR NEAR(a b) * -x ^y') == ["hello", "or", "near", "a", "b", "x", "y"]
    assert _found(db, '"hello"') == {'He said "hello" (NEAR) OR *'}
    assert _found(db, "hello AND") == set()  # "and" is just a word, not in the ticket
    assert _found(db, "***") == _found(db, "")  # no words: no search at all


def test_number_finds_that_ticket(db: Database, admin: Actor) -> None:
    number = _new(db, admin, "Nothing numeric here")
    _new(db, admin, "Other")
    assert _found(db, f"#{number}") == {"Nothing numeric here"}


def test_index_is_used(db: Database, admin: Actor) -> None:
    """The search must hit the FTS tables / GIN indexes, not scan every message."""
    with db.read() as s:
        if db.is_sqlite:
            names = s.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '%_fts'"))
            assert {n for (n,) in names} >= {"ticket_fts", "message_fts"}
        else:
            s.execute(text("SET enable_seqscan = off"))
            plan = s.execute(
                text(
                    "EXPLAIN SELECT id FROM message WHERE to_tsvector('simple'::regconfig, "
                    "left(body, 100000)) @@ to_tsquery('simple'::regconfig, 'x:*')"
                )
            ).all()
            assert "ix_message_body_fts" in " ".join(row[0] for row in plan)


def test_search_ranks_whole_words_first_and_pages_by_rank(db: Database, admin: Actor) -> None:
    for i in range(5):
        _new(db, admin, f"Printer number {i}")
        _new(db, admin, f"Printers jammed {i}")
        _new(db, admin, f"Other {i}", "the printer again")
    query = QueueQuery(text="printer")
    with db.read() as s:
        everything = first_page(s, query, 100).rows
        subjects = [r.subject for r in everything]
        assert subjects[:5] == [f"Printer number {i}" for i in reversed(range(5))]
        assert subjects[5:10] == [f"Other {i}" for i in reversed(range(5))]  # in a message
        assert subjects[10:] == [f"Printers jammed {i}" for i in reversed(range(5))]
        pages, page = [], first_page(s, query, 4)
        while True:
            pages += page.rows
            if not page.more_after:
                break
            page = page_after(s, query, page.positions[-1], 4)
        assert pages == everything
        backwards, page = [], last_page(s, query, 4)
        while True:
            backwards = page.rows + backwards
            if not page.more_before:
                break
            page = page_before(s, query, page.positions[0], 4)
        assert backwards == everything
        middle = everything[7]
        assert neighbour(s, query, middle.number, 1) == everything[8].number
        assert neighbour(s, query, middle.number, -2) == everything[5].number


def test_postgres_walks_ids_for_common_words_and_gathers_rare_ones() -> None:
    """PostgreSQL's GIN index gives no order: a common word is found walking ids newest
    first, a rare one by gathering its few matches (a walk would parse thousands of rows)."""
    assert pg_walks(64, 100_000, 7_000, PG_WALK_COST["ticket"])
    assert not pg_walks(64, 100_000, 1_500, PG_WALK_COST["ticket"])
    assert not pg_walks(64, 400_000, 3_500, PG_WALK_COST["message"])
    assert pg_walks(64, 400_000, 390_000, PG_WALK_COST["message"])
    assert not pg_walks(64, 400_000, 0, PG_WALK_COST["message"])


@pytest.mark.parametrize("gather_cost", [0.0, 1e9])
def test_walking_and_gathering_find_the_same_tickets_in_the_same_order(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch, gather_cost: float
) -> None:
    for i in range(6):
        _new(db, admin, f"Printer number {i}", "toner low" if i % 2 else "paper jam")
        _new(db, admin, f"Scanner {i}", "the printer again" if i % 3 else "nothing")
    expected = {
        word: [r.number for r in _page(db, word)]
        for word in ("printer", "toner", "jam", "zzz", "printer again", "toner lo", "pr")
    }
    monkeypatch.setattr(search, "PG_GATHER_COST", gather_cost)
    monkeypatch.setattr(search, "PG_MIN_WINDOW", 1)  # (narrow windows of ids)
    monkeypatch.setattr(search, "PG_WINDOW_SPARE", 0.01)
    for word, numbers in expected.items():
        assert [r.number for r in _page(db, word)] == numbers
    assert len(expected["printer"]) == 10 and expected["zzz"] == []
    assert len(expected["printer again"]) == 4


@pytest.mark.parametrize("gather_cost", [0.0, 1e9])
def test_search_in_a_view_pages_alike_whatever_the_batches(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch, gather_cost: float
) -> None:
    """A search in a view reads each tier's matches in the view only (the view's filter is
    in the tier's statement), and a gathering tier reads windows of ids (PostgreSQL): tiny
    batches, narrow windows and pages give the same list as the whole search filtered."""
    for i in range(24):
        _new(db, admin, f"Printer number {i}", "toner low" if i % 2 else "printer jam")
    with db.write() as s:
        s.execute(text("UPDATE ticket SET status = 'resolved' WHERE number % 3 <> 0"))
    with db.read() as s:
        everything = [r for r in first_page(s, QueueQuery(text="printer"), 100).rows]
    expected = [r.number for r in everything if r.status != "resolved"]
    assert len(everything) == 24 and 0 < len(expected) < 12
    monkeypatch.setattr(search, "PG_GATHER_COST", gather_cost)
    monkeypatch.setattr(search, "FIRST_BATCH", 2)
    monkeypatch.setattr(search, "PG_MIN_WINDOW", 1)  # (many windows of ids, on PostgreSQL)
    monkeypatch.setattr(search, "PG_WINDOW_SPARE", 0.1)
    query = QueueQuery(TicketFilter(open_only=True), text="printer")
    with db.read() as s:
        assert _paged(s, query) == expected
        assert [r.number for r in last_page(s, query, 3).rows] == expected[-3:]


@pytest.mark.parametrize("gather_cost", [0.0, 1e9])
def test_a_search_paged_again_sends_the_statements_it_made(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch, gather_cost: float
) -> None:
    """Each tier's statement is made once per shape and view (``search._statement``), its
    words, bounds and limit bound at each execution: pages read again (each page reads the
    tiers from the top), of either word, send the statements made the first time, not new
    ones built, and keyed for SQLAlchemy's cache, for each batch. On PostgreSQL the tiers'
    estimates are not asked for again either (``_pg_tier``'s ``planned``: each page asked
    for its tiers' anew before)."""
    for i in range(12):
        _new(db, admin, f"Printer number {i}", "toner low" if i % 2 else "printer jam")
    monkeypatch.setattr(search, "PG_GATHER_COST", gather_cost)
    monkeypatch.setattr(search, "PG_FEW_TICKETS", -1)  # (the tiers', not the few's one)
    monkeypatch.setattr(search, "FIRST_BATCH", 2)
    sent: list[Any] = []

    def remember(conn: Any, statement: Any, *_args: Any) -> None:
        sql = str(statement.compile(dialect=conn.dialect))
        if "_fts" in sql or "to_tsquery" in sql:  # (the search's own)
            sent.append(statement)

    def pages(s: Reader) -> None:
        for word in ("printer", "toner"):
            query = QueueQuery(TicketFilter(open_only=True), text=word)
            page_after(s, query, first_page(s, query, 3).positions[-1], 3)

    def estimates() -> list[Any]:
        return [statement for statement in sent if isinstance(statement, search._Explain)]

    event.listen(db.engine, "before_execute", remember)
    try:
        with db.read() as s:
            pages(s)
            first = {id(statement) for statement in sent}
            assert bool(estimates()) is not db.is_sqlite
            del sent[:]
            pages(s)
    finally:
        event.remove(db.engine, "before_execute", remember)
    assert sent
    assert [str(statement) for statement in sent if id(statement) not in first] == []
    assert estimates() == []


@pytest.mark.parametrize("batch", [1, 2, 64])
def test_a_small_view_reads_a_tables_two_tiers_from_one_stream(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """In a small view a table's two tiers (every word whole, then every word's start)
    are read from one stream on SQLite, the prefix query's, and each batch's whole-word
    matches picked out: the same tickets in the same order as with each match checked
    against the view, page after page and at End, whatever the batches — whole words and
    starts interleaved in subjects and messages, several words, a word the view lacks."""
    for i in range(16):
        subject = ("Printer {}", "Printers {}", "Scanner {}", "Print queue {}")[i % 4]
        _new(db, admin, subject.format(i), ("printer jam", "printing done", "jammed")[i % 3])
    with db.write() as s:
        s.execute(text("UPDATE ticket SET status = 'resolved' WHERE number % 5 = 0"))
    for word in ("printer", "print", "jam printer", "printers", "scanner", "zzz"):
        monkeypatch.setattr(search, "FIRST_BATCH", batch)
        query = QueueQuery(TicketFilter(open_only=True), text=word)
        found = {}
        for strategy, limit in (("checked per match", 0), ("small view", 10**9)):
            monkeypatch.setattr(queue, "SMALL_VIEW", limit)
            with db.read() as s:
                found[strategy] = (
                    _paged(s, query),
                    [r.number for r in last_page(s, query, 3).rows],
                )
        assert found["small view"] == found["checked per match"], word
        assert (found["small view"][0] == []) == (word == "zzz"), word
        # tier by tier: each read from where the last one stopped, as a whole (reads of one
        # match at a time after ``undo``, the same whatever ``batch``: made once per word)
        monkeypatch.undo()
        if batch != search.FIRST_BATCH:
            continue
        with db.read() as s:
            view = TicketFilter(open_only=True)
            named = queue.filter_ids(s, view)
            within, small = queue.view_condition(s, view, named), queue.small_view(s, view, named)
            assert small is not None
            checked = search.tiers(s, word, within)
            for tier, read in enumerate(search.tiers(s, word, within, small)[:4]):
                one_by_one: list[tuple[int, int]] = []
                for _ in range(100):  # (a read that hands out a match twice: no end)
                    got = read(1, one_by_one[-1][1] if one_by_one else None)
                    one_by_one += [tuple(match) for match in got]
                    if not got:
                        break
                whole = [tuple(match) for match in checked[tier](1000, None)]
                assert one_by_one == whole, (word, tier)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_view_of_few_tickets_reads_on_past_what_it_was_asked_for(
    db: Database, admin: Actor
) -> None:
    """On PostgreSQL the tiers of a search in a view of few tickets are read in one
    statement of ``need`` tickets (``search._pg_few_matches``); read further, it is sent
    again for twice as many, the ones handed out left out: the same tickets in the same
    order whatever ``need`` — whole words, starts and a requester, a ticket matched in
    several tiers and several messages handed out once, at its best tier, and a number."""
    for i in range(14):
        with db.write() as s:
            number = create_ticket(
                s,
                admin,
                subject=("Printer {}", "Printing {}", "Scanner {}")[i % 3].format(i),
                body=("printer jam", "printing done", "jammed")[i % 2],
                requester_email=f"user{i % 4}@example.com",
                requester_name=("Pat Printer", "Sam Scanner", "Jo Jammer", "Al")[i % 4],
            ).number
            if i % 4 == 0:
                thread.add_note(s, admin, number, body="the printer again")
    with db.write() as s:
        s.execute(text("UPDATE ticket SET status = 'resolved' WHERE number % 5 = 0"))
    view = TicketFilter(open_only=True)
    with db.read() as s:
        named = queue.filter_ids(s, view)
        within, small = queue.view_condition(s, view, named), queue.small_view(s, view, named)
        assert small is not None and small.size <= search.PG_FEW_TICKETS
        for typed in ("printer", "print", "jam", "jammer", "al", "3"):
            found = {
                need: list(search.matches(s, typed, within, small, need=need))
                for need in (1, 2, 5, 100)
            }
            expected = list(search.matches(s, typed, within, None))
            assert expected, typed
            assert all(tickets == expected for tickets in found.values()), (typed, found)


def _paged(session: Reader, query: QueueQuery) -> list[int]:
    """The numbers of every ticket ``query`` lists, read page after page (3 a page)."""
    page = first_page(session, query, 3)
    seen = [r.number for r in page.rows]
    while page.more_after:
        page = page_after(session, query, page.positions[-1], 3)
        seen += [r.number for r in page.rows]
    return seen


def _page(db: Database, word: str) -> list[TicketRow]:
    with db.read() as s:
        return (
            first_page(s, QueueQuery(text=word), 5).rows
            + page_after(s, QueueQuery(text=word), Position(4, 0), 50).rows
        )


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_gathers_a_word_in_windows_of_ids(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gathering tier reads a window of ids at a time, newest first (``id >= low AND id
    < high``), through indexes only (the primary key's range, the GIN index, or the two
    combined): never every match of the word, each read and sorted."""
    _new(db, admin, "Printer number 1", "toner low")
    monkeypatch.setattr(search, "PG_GATHER_COST", 0.0)  # every tier gathers
    seen: list[tuple[str, object]] = []

    def remember(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if "to_tsquery" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        _page(db, "toner")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len(seen) == 8  # two pages: exact and prefix, subjects and messages
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in seen:
            plan = " | ".join(
                row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params)
            )
            assert ".id >= " in statement and ".id < " in statement, statement
            lines = plan.split(" | ")
            for line, following in zip(lines, [*lines[1:], ""], strict=True):
                if "Scan" in line and "Heap Scan" not in line:
                    assert "Index Cond" in following, plan


_TRICKY = [
    "Wi-Fi dropped",
    "WIFI FIne again",
    "the wireless firmware",
    "foo_wifi_fix",
    "x²wi fi²",
    "naïve Wiﬁ",
    "ÅWIn FIX",
    "wind",
    "fine",
]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    "query", ["wi:* & fi:*", "wi & fi", "foo:* & fix", "x:* & fi", "²:* & wi", "åwin"]
)
def test_postgres_cheap_checks_keep_every_match(db: Database, query: str) -> None:
    """The cheap checks made before a text is parsed (``_pg_runs``: the lower-cased text
    ``LIKE ALL`` of them) leave out no text the query matches: words cut at ``-``, ``_``
    or ``²``, upper case, letters beyond ASCII."""
    rows = values(column("body", Text), name="texts").data([(body,) for body in _TRICKY])
    body = rows.c.body
    parsed = func.to_tsvector(literal_column("'simple'::regconfig"), body).op("@@")(
        func.to_tsquery(literal_column("'simple'::regconfig"), query)
    )
    with db.read() as s:
        matched = set(s.execute(select(body).where(parsed)).scalars())
        runs = literal(search._pg_runs(query), ARRAY(Text))
        held = set(
            s.execute(select(body).where(parsed, func.lower(body).like(all_(runs)))).scalars()
        )
    assert matched and held == matched, query


@pytest.mark.parametrize("batch", [1, 64])
def test_a_small_view_finds_short_starts_however_spelt(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """A search in a small view for words too short for the GIN index ("wi-fi": the
    prefix tier ``wi:* & fi:*``) finds the same tickets as each match checked against the
    view, in subjects and messages spelt every which way."""
    for i, text_ in enumerate(_TRICKY):
        _new(db, admin, f"Ticket {i}", text_)
        _new(db, admin, text_, f"message {i}")
    monkeypatch.setattr(search, "FIRST_BATCH", batch)
    query = QueueQuery(TicketFilter(open_only=True), text="wi-fi")
    found = {}
    for strategy, limit in (("checked per match", 0), ("small view", 10**9)):
        monkeypatch.setattr(queue, "SMALL_VIEW", limit)
        with db.read() as s:
            found[strategy] = _paged(s, query)
    assert found["small view"] == found["checked per match"]
    assert len(found["small view"]) >= 6


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_widens_a_window_that_holds_too_few(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window of ids that holds too few matches is followed by one ``PG_WINDOW_GROWTH``
    times as wide below it: a word whose estimate was far too high is read to the end of
    the desk in a few statements, and every match is found, in order."""
    for i in range(40):
        _new(db, admin, f"Printer number {i}" if i % 6 == 0 else f"Scanner {i}")
    with db.read() as s:
        expected = [r.number for r in first_page(s, QueueQuery(text="printer"), 20).rows]
    monkeypatch.setattr(search, "PG_GATHER_COST", 0.0)  # every tier gathers
    monkeypatch.setattr(search, "PG_MIN_WINDOW", 1)
    monkeypatch.setattr(search, "PG_WINDOW_SPARE", 0.01)  # a first window of one id
    windows: list[str] = []

    def remember(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM ticket" in statement and "ticket.id >= " in statement:
            windows.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        with db.read() as s:
            found = [r.number for r in first_page(s, QueueQuery(text="printer"), 20).rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert found == expected and len(found) == 7
    # two subject tiers (exact, prefix), each to the end: widths 1, 4, 16, 64
    assert len(windows) <= 2 * 4


def test_requesters_are_found_by_name_email_organization_and_domain(
    db: Database, admin: Actor
) -> None:
    with db.write() as s:
        acme = Organization(name="Acme Widgets", domain="acme-widgets.example")
        s.add(acme)
        s.flush()
        wile = find_or_create_contact(s, "wile@desert.example", "Wile Coyote")
        s.execute(update(Contact).where(Contact.id == wile.id).values(organization_id=acme.id))
        create_ticket(s, admin, subject="Rocket skates", body="x", requester=wile)
        create_ticket(
            s,
            admin,
            subject="Birdseed",
            body="x",
            requester_email="rr@fast.example",
            requester_name="Road Runner",
        )
    assert _found(db, "coyote") == {"Rocket skates"}  # a word inside the name
    assert _found(db, "OYOT") == {"Rocket skates"}
    assert _found(db, "fast.exam") == {"Birdseed"}  # in the email
    assert _found(db, "widgets") == {"Rocket skates"}  # the organization's name
    assert _found(db, "acme-widgets") == {"Rocket skates"}  # its domain
    assert _found(db, "rr") == {"Birdseed"}  # shorter than a trigram: checked on every contact
    assert _found(db, "road runner") == {"Birdseed"}
    assert _found(db, "road coyote") == set()  # every word, in one requester
    with db.write() as s:
        s.execute(text("UPDATE contact SET name = 'Wile E. Genius' WHERE email LIKE 'wile@%'"))
    assert _found(db, "coyote") == set()  # the index follows a rename
    assert _found(db, "genius") == {"Rocket skates"}


def test_requester_tier_reads_the_trigram_index(db: Database) -> None:
    """A rare word's search reaches the requester tier: it must not read every contact."""
    seen: list[tuple[str, object]] = []

    def remember(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if "FROM contact" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        with db.read() as s:
            search.tiers(s, "coyote")[-1](64, None)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    ((statement, params),) = seen
    with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            lines = [row[-1] for row in plan]
            assert any("contact_trigram VIRTUAL TABLE" in line for line in lines), lines
            assert "SCAN contact" not in lines, lines  # (organizations are few: scanned)
            return
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = " ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))
        assert "ix_contact_name_trgm" in plan and "ix_contact_email_trgm" in plan, plan


def _in_view(db: Database, word: str, **spec: object) -> set[str]:
    """The subjects a search for ``word`` finds in "All open" with the filter ``spec``."""
    query = QueueQuery(TicketFilter(open_only=True, **spec), text=word)  # type: ignore[arg-type]
    with db.read() as s:
        return {r.subject for r in first_page(s, query, 50).rows}


def test_a_filtered_search_follows_every_change_at_once(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """A search inside a filtered view of open tickets finds a ticket as soon as it is
    tagged, assigned, moved to a team, given a priority or a message with the word, or
    reopened, and no longer once it is untagged, unassigned or resolved (on SQLite the
    open tickets' index, migration 0026, is written in the change's own transaction)."""
    number = _new(db, admin, "Printer on fire", "It smokes.")
    _new(db, admin, "Scanner jammed", "Not a printer.")
    assert _in_view(db, "printer", tag="hardware") == set()
    with db.write() as s:
        apply_tags(s, admin, load_ticket(s, number), add=["hardware"])
    assert _in_view(db, "printer", tag="hardware") == {"Printer on fire"}
    assert _in_view(db, "print", tag="hardware") == {"Printer on fire"}  # a word's start
    with db.write() as s:
        fields.assign(s, admin, number, agent="bob", team="Support")
    assert _in_view(db, "printer", assignee="bob") == {"Printer on fire"}
    assert _in_view(db, "printer", team="Support", tag="hardware") == {"Printer on fire"}
    assert _in_view(db, "printer", unassigned=True) == {"Scanner jammed"}  # (its message)
    with db.write() as s:
        fields.set_priority(s, admin, number, "urgent")
        thread.add_note(s, admin, number, body="Toner everywhere.")
    assert _in_view(db, "toner", priorities=("urgent",), assignee="bob") == {"Printer on fire"}
    assert _in_view(db, "toner", priorities=("low",)) == set()
    with db.write() as s:
        fields.set_status(s, admin, number, "waiting")  # (still open: nothing to write)
    assert _in_view(db, "printer", tag="hardware") == {"Printer on fire"}
    with db.write() as s:
        apply_tags(s, admin, load_ticket(s, number), remove=["hardware"])
        fields.assign(s, admin, number, unassign=True)
    assert _in_view(db, "printer", tag="hardware") == set()
    assert _in_view(db, "printer", assignee="bob") == set()
    assert _in_view(db, "printer", unassigned=True) == {"Printer on fire", "Scanner jammed"}
    with db.write() as s:
        fields.set_status(s, admin, number, "resolved")
    assert _in_view(db, "printer") == {"Scanner jammed"}
    assert _found(db, "toner") == {"Printer on fire"}  # (every ticket: the whole index)
    with db.write() as s:
        fields.set_status(s, admin, number, "open")
    assert _in_view(db, "toner", team="Support") == {"Printer on fire"}
    with db.write() as s:
        s.execute(
            text(
                "UPDATE ticket SET category = 'Print & Scan', type = 'service_request' "
                "WHERE number = :n"
            ),
            {"n": number},
        )
    assert _in_view(db, "printer", category="Print & Scan", types=("service_request",)) == {
        "Printer on fire"
    }
    assert _in_view(db, "printer", category="Print", types=("service_request",)) == set()


def _migration_0026() -> Any:
    path = Path(storage.__file__).parent / "migrations" / "versions" / "0026_open_search.py"
    spec = importlib.util.spec_from_file_location("migration_0026", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_open_index_counts_open_statuses_as_the_desk_does() -> None:
    """Migration 0026's triggers hold the open tickets as the desk counts them."""
    assert _migration_0026().OPEN == OPEN_STATUSES


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_open_index_holds_the_open_tickets_with_their_facets(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """After creating, tagging, assigning, replying, renaming, resolving, reopening,
    merging and deleting, the open tickets' tables (migration 0026) hold exactly the open
    tickets' subjects and messages with their facets, and FTS5 finds its index sound
    (SQLite's: PostgreSQL has none)."""
    migration = _migration_0026()
    numbers = [_new(db, admin, f"Printer {i}", f"body {i}") for i in range(6)]
    long_body = "words " * (migration.LONG_BODY // 6) + "toner"
    with db.write() as s:
        for i, number in enumerate(numbers):
            apply_tags(s, admin, load_ticket(s, number), add=["hardware", f"t{i % 2}"])
        fields.assign(s, admin, numbers[0], agent="bob")
        fields.set_priority(s, admin, numbers[1], "high")
        thread.add_note(s, admin, numbers[2], body="a later note")
        thread.add_note(s, admin, numbers[1], body=long_body)
        s.execute(
            text("UPDATE ticket SET subject = 'Renamed', category = 'Hard' WHERE number = :n"),
            {"n": numbers[3]},
        )
        fields.set_status(s, admin, numbers[4], "resolved")
        apply_tags(s, admin, load_ticket(s, numbers[0]), remove=["t0"])
    with db.write() as s:
        relations.merge(s, admin, numbers[2], numbers[1])
        relations.delete_ticket(s, admin, numbers[5])
        fields.set_status(s, admin, numbers[4], "open")
    facets = migration.FACETS
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    with db.read() as s:
        for fts, rows in (
            ("open_ticket_fts", f"SELECT t.id, t.subject, {facets} FROM ticket t"),
            (
                "open_message_fts",
                f"SELECT {migration._message_row('m')} FROM ticket t JOIN message m "
                "ON m.ticket_id = t.id",
            ),
        ):
            expected = s.execute(text(f"{rows} WHERE t.status IN ({statuses})")).all()
            held = s.execute(text(f"SELECT rowid, * FROM {fts}")).all()
            assert sorted(map(tuple, held)) == sorted(map(tuple, expected)), fts
            s.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"))
        assert len(s.execute(text("SELECT rowid FROM open_ticket_fts")).all()) == 4


def test_a_long_message_is_found_in_a_filtered_view(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """A message too long to be copied into the open tickets' index (migration 0026's
    ``LONG_BODY``) is found by a search inside a filtered view all the same, in its place
    among the other messages' matches (newest first), and follows its ticket's changes."""
    long_body = "words " * (_migration_0026().LONG_BODY // 6) + "toner cartridge"
    first = _new(db, admin, "Printer one", "toner low")
    second = _new(db, admin, "Printer two", long_body)
    third = _new(db, admin, "Printer three", "toner again")
    with db.write() as s:
        for number in (first, second, third):
            fields.assign(s, admin, number, agent="bob")
    query = QueueQuery(TicketFilter(open_only=True, assignee="bob"), text="toner")
    with db.read() as s:
        found = [r.number for r in first_page(s, query, 10).rows]
        assert found == [third, second, first]
        assert _paged(s, query) == found
    with db.write() as s:
        fields.assign(s, admin, second, unassign=True)
    assert _in_view(db, "cartridge", assignee="bob") == set()
    assert _in_view(db, "cartridge", unassigned=True) == {"Printer two"}
    assert _in_view(db, "cartrid", unassigned=True) == {"Printer two"}  # a word's start


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_words_start_is_asked_for_as_its_longer_forms(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the prefix tier of a view of open tickets asks the open index for a
    word's longer forms, listed from its vocabulary (migration 0027), not for the prefix:
    a word with none reads no prefix tier at all; a word of three letters (the prefix
    index's), one the tokenizer might fold (a letter outside a-z) or one with too many
    forms is asked for as a prefix. The tickets and their order are the prefix's."""
    for subject, body in (
        ("Printer jammed", "paper everywhere"),
        ("Printers offline", "all of them"),
        ("Spooler stuck", "printing stopped"),
        ("Café closed", "no printer here"),
        ("Toner low", "printer says toner"),
    ):
        _new(db, admin, subject, body)
    sent: list[str] = []

    def grab(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        sent.append(f"{sql} {params}")

    def searched(typed: str) -> list[int]:
        """The search's tickets in "All open", and without the open index (a prefix)."""
        query = QueueQuery(TicketFilter(open_only=True), text=typed)
        with db.read() as s:
            sent.clear()
            event.listen(db.engine, "before_cursor_execute", grab)
            try:
                found = _paged(s, query)
            finally:
                event.remove(db.engine, "before_cursor_execute", grab)
            with monkeypatch.context() as patched:
                patched.setattr(queue, "open_view", lambda *_view: None)
                assert _paged(s, query) == found, typed
        return found

    # typed: the vocabulary read; the subjects' prefix tier read; as a prefix ("…"*)
    for typed, listed, tier, as_prefix in (
        ("print", True, True, False),
        ("printer", True, True, False),
        ("spool", True, True, False),
        ("toner", True, False, False),
        ("paper everywhere", True, False, False),
        ("print toner", True, True, False),
        ("caf", False, True, True),
        ("café", False, True, True),
    ):
        assert searched(typed), typed
        prefix_tier = [q for q in sent if "FROM open_ticket_fts" in q and ") NOT (" in q]
        assert any("open_ticket_vocab" in q for q in sent) == listed, typed
        assert bool(prefix_tier) == tier, typed
        assert any('"*' in q for q in prefix_tier) == as_prefix, typed
    searched("printer")
    assert any('("printer" OR "printers")' in q for q in sent)
    monkeypatch.setattr(search, "MAX_FORMS", 0)  # ("printers": one form too many)
    searched("printer")
    assert any('"printer"*' in q for q in sent if "FROM open_ticket_fts" in q)
