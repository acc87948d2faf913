"""Full-text search: tickets by number, subject, message text, requester, organization.

What a person types is never passed to the search engine as syntax: it is cut into words.
Results come in tiers, best first, each tier newest first, a ticket only once (where it
first appears):

0. the ticket with that number (``#1042`` or ``1042``);
1. every word, whole, in the subject; 2. … in one message of the ticket;
3. every word as the start of a word in the subject; 4. … in one message;
5. the requester: every word in the contact's name or email address, or in the name or
   email domain of their organization.

Each tier is *streamed* from its index in its own order and stopped as soon as enough
tickets are found — SQLite's FTS5 hands out matches by rowid, newest first, without
collecting them all; PostgreSQL's GIN indexes (``to_tsvector``, migration 0003, whose
expressions are repeated here exactly so that PostgreSQL uses them) give the newest first
through a bounded top-N. So the first page of a search costs about the same whether a
word is in ten tickets or in half the desk, and nothing is counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, text
from sqlmodel import Session, col, select

from helpdesk_tui.desk.values import number_in
from helpdesk_tui.storage.models import Contact, Message, Organization, Ticket

_WORD = re.compile(r"\w+")
_PG_CONFIG: Any = literal_column("'simple'::regconfig")
_PG_BODY_PREFIX: Any = literal_column("100000")  # = migration 0003's PG_BODY_PREFIX
FIRST_BATCH = 64
"""Matches read from an index at first; each further read of the same tier doubles."""
MAX_CONTACTS = 500
"""Requesters considered for the requester tier (the best-named first)."""


def words(query: str) -> list[str]:
    """The words of a search, lower-cased, with anything that could be syntax dropped."""
    return _WORD.findall(query.lower())


def _fts5(terms: list[str], *, prefix: bool) -> str:
    return " ".join(f'"{term}"*' if prefix else f'"{term}"' for term in terms)


def _tsquery(terms: list[str], *, prefix: bool) -> str:
    return " & ".join(f"{term}:*" if prefix else term for term in terms)


Read = Callable[[int, int | None], list[Any]]
"""A tier: ``read(count, below)`` gives up to ``count`` (ticket id, key) pairs in the tier's
order, from after ``below`` (the last key read: a ticket or a message id)."""


def _sqlite_subjects(session: Session, match: str) -> Read:
    def read(count: int, below: int | None) -> list[Any]:
        rows = session.execute(
            text(
                "SELECT rowid, rowid FROM ticket_fts WHERE ticket_fts MATCH :q "
                "AND rowid < :below ORDER BY rowid DESC LIMIT :n"
            ),
            {"q": match, "below": below if below is not None else 1 << 62, "n": count},
        ).all()
        return list(rows)

    return read


def _sqlite_messages(session: Session, match: str) -> Read:
    def read(count: int, below: int | None) -> list[Any]:
        rows = session.execute(
            text(
                "SELECT message.ticket_id, hits.rowid FROM "
                "(SELECT rowid FROM message_fts WHERE message_fts MATCH :q AND rowid < :below "
                "ORDER BY rowid DESC LIMIT :n) AS hits JOIN message ON message.id = hits.rowid "
                "ORDER BY hits.rowid DESC"
            ),
            {"q": match, "below": below if below is not None else 1 << 62, "n": count},
        ).all()
        return list(rows)

    return read


def _pg_subjects(session: Session, query: str) -> Read:
    vector = func.to_tsvector(_PG_CONFIG, Ticket.subject)
    condition = vector.op("@@")(func.to_tsquery(_PG_CONFIG, query))

    def read(count: int, below: int | None) -> list[Any]:
        statement = select(col(Ticket.id), col(Ticket.id)).where(condition)
        if below is not None:
            statement = statement.where(col(Ticket.id) < below)
        return list(session.execute(statement.order_by(col(Ticket.id).desc()).limit(count)))

    return read


def _pg_messages(session: Session, query: str) -> Read:
    vector = func.to_tsvector(_PG_CONFIG, func.left(Message.body, _PG_BODY_PREFIX))
    condition = vector.op("@@")(func.to_tsquery(_PG_CONFIG, query))

    def read(count: int, below: int | None) -> list[Any]:
        statement = select(col(Message.ticket_id), col(Message.id)).where(condition)
        if below is not None:
            statement = statement.where(col(Message.id) < below)
        return list(session.execute(statement.order_by(col(Message.id).desc()).limit(count)))

    return read


def _requesters(session: Session, terms: list[str]) -> Read:
    """Tickets of the contacts every word finds in name, email, organization or domain."""
    org = select(col(Organization.id))
    per_word = []
    for term in terms:
        like = f"%{term}%"
        fields = [
            func.lower(Contact.name).like(like),
            func.lower(func.coalesce(Contact.email, "")).like(like),
            col(Contact.organization_id).in_(
                org.where(
                    or_(
                        func.lower(Organization.name).like(like),
                        func.lower(func.coalesce(Organization.domain, "")).like(like),
                    )
                )
            ),
        ]
        per_word.append(or_(*fields))
    found: list[list[int]] = []

    def read(count: int, below: int | None) -> list[Any]:
        # The contacts are looked for when the tier is first read, not before: the tiers
        # above it usually fill the page, and this look reads every contact.
        if not found:
            found.append(
                [
                    int(i)
                    for i in session.execute(
                        select(col(Contact.id))
                        .where(and_(*per_word))
                        .order_by(col(Contact.name), col(Contact.id))
                        .limit(MAX_CONTACTS)
                    ).scalars()
                ]
            )
        contacts = found[0]
        if not contacts:
            return []
        statement = select(col(Ticket.id), col(Ticket.id)).where(
            col(Ticket.requester_id).in_(contacts)
        )
        if below is not None:
            statement = statement.where(col(Ticket.id) < below)
        return list(session.execute(statement.order_by(col(Ticket.id).desc()).limit(count)))

    return read


def tiers(session: Session, query: str) -> list[Read]:
    """The tiers of a search, best first (see the module's docstring)."""
    terms = words(query)
    if not terms:
        return []
    subjects: Callable[[Session, str], Read]
    messages: Callable[[Session, str], Read]
    if session.get_bind().dialect.name == "sqlite":
        subjects, messages = _sqlite_subjects, _sqlite_messages
        exact, prefix = _fts5(terms, prefix=False), _fts5(terms, prefix=True)
    else:
        subjects, messages = _pg_subjects, _pg_messages
        exact, prefix = _tsquery(terms, prefix=False), _tsquery(terms, prefix=True)
    return [
        subjects(session, exact),
        messages(session, exact),
        subjects(session, prefix),
        messages(session, prefix),
        _requesters(session, terms),
    ]


def matches(session: Session, query: str) -> Iterator[int]:
    """Ticket ids matching ``query``, best first, each once; read lazily, tier by tier."""
    seen: set[int] = set()
    number = number_in(query)
    if number is not None:
        found = session.execute(select(col(Ticket.id)).where(Ticket.number == number)).scalar()
        if found is not None:
            seen.add(int(found))
            yield int(found)
    for read in tiers(session, query):
        below: int | None = None
        count = FIRST_BATCH
        while True:
            batch = read(count, below)
            for ticket_id, _key in batch:
                if ticket_id not in seen:
                    seen.add(ticket_id)
                    yield int(ticket_id)
            if len(batch) < count:
                break
            below = batch[-1][1]
            count *= 2
