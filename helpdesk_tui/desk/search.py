"""Full-text search over ticket subjects and message bodies.

What a person types is never passed to the search engine as syntax: it is cut into words,
and each word must start a word in the subject or in one message of the ticket (all words
in the same place). ``#1042`` or ``1042`` also finds ticket 1042 itself. The indexes behind
this come from migration 0003 (SQLite FTS5 tables kept by triggers; PostgreSQL GIN indexes
on ``to_tsvector('simple', ...)``), whose expressions are repeated here exactly so that
PostgreSQL uses them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Integer, literal_column, or_, select, text
from sqlmodel import Session, col, func

from helpdesk_tui.storage.models import Message, Ticket

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"#?(\d+)")
_PG_CONFIG: Any = literal_column("'simple'::regconfig")
_PG_BODY_PREFIX: Any = literal_column("100000")  # = migration 0003's PG_BODY_PREFIX


def words(query: str) -> list[str]:
    """The words of a search, lower-cased, with anything that could be syntax dropped."""
    return _WORD.findall(query.lower())


def _fts5_query(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


def _tsquery(terms: list[str]) -> str:
    return " & ".join(f"{term}:*" for term in terms)


def _sqlite_ids(terms: list[str]) -> Any:
    match = _fts5_query(terms)
    return (
        text(
            "SELECT rowid AS id FROM ticket_fts WHERE ticket_fts MATCH :q "
            "UNION SELECT message.ticket_id FROM message "
            "JOIN message_fts ON message_fts.rowid = message.id WHERE message_fts MATCH :q"
        )
        .bindparams(q=match)
        .columns(id=Integer)
    )


def _postgres_condition(terms: list[str]) -> Any:
    query = func.to_tsquery(_PG_CONFIG, _tsquery(terms))
    in_subject = func.to_tsvector(_PG_CONFIG, Ticket.subject).op("@@")(query)
    body = func.to_tsvector(_PG_CONFIG, func.left(Message.body, _PG_BODY_PREFIX))
    in_body = col(Ticket.id).in_(select(col(Message.ticket_id)).where(body.op("@@")(query)))
    return or_(in_subject, in_body)


def matching(session: Session, query: str) -> Any | None:
    """A condition on ``Ticket`` for tickets matching ``query``; None when it has no words."""
    terms = words(query)
    if not terms:
        return None
    condition: Any
    if session.get_bind().dialect.name == "sqlite":
        condition = col(Ticket.id).in_(_sqlite_ids(terms))
    else:
        condition = _postgres_condition(terms)
    number = _NUMBER.fullmatch(query.strip())
    if number:
        condition = or_(col(Ticket.number) == int(number.group(1)), condition)
    return condition
