"""A write's statements as SQL text (``storage/core_text``) store what the Core statements
did, on each engine: the same raw values (datetimes as each engine keeps them), a reserved
column name (``references``) quoted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, update
from sqlalchemy.dialects import sqlite

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.core_tables import Outbox, Ticket, outbox, ticket
from helpdesk_tui.storage.core_text import insert_returning_id, update_by_id
from helpdesk_tui.storage.database import Database

MOMENT = datetime(2026, 2, 28, 23, 59, 58, 123456, tzinfo=UTC)


def _raw(db: Database, table: str, row_id: int) -> tuple[Any, ...]:
    with db.read_rows() as conn:
        found = conn.exec_driver_sql(f"SELECT * FROM {table} WHERE id = {int(row_id)}").one()
    return tuple(found)


def test_an_insert_as_text_stores_what_the_core_insert_stores(db: Database, admin: Actor) -> None:
    with db.write() as session:
        ticket_id = create_ticket(
            session, admin, subject="S", body="b", requester_email="ann@example.com"
        ).id
    values = {
        "ticket_id": ticket_id,
        "kind": "reply",
        "to_addresses": "ann@example.com",
        "cc_addresses": None,
        "subject": "Re: S",
        "body": "text",
        "references": "<a@x> <b@x>",
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": MOMENT,
        "created_at": MOMENT,
    }
    with db.write_rows() as conn:
        by_core = conn.execute(insert(outbox).values(values).returning(Outbox.id)).scalar_one()
        statement = insert_returning_id(conn.dialect, outbox, tuple(values))
        by_text = conn.execute(statement, values).scalar_one()
    assert by_text != by_core
    assert _raw(db, "outbox", by_text)[1:] == _raw(db, "outbox", by_core)[1:]


def test_an_update_as_text_stores_what_the_core_update_stores(db: Database, admin: Actor) -> None:
    with db.write() as session:
        first, second = (
            create_ticket(session, admin, subject=s, body="b", requester_email="ann@example.com")
            for s in ("One", "Two")
        )
    changed = {"status": "waiting", "updated_at": MOMENT, "reply_due_at": None, "version": 7}
    with db.write_rows() as conn:
        conn.execute(update(ticket).where(Ticket.id == first.id).values(changed))
        statement = update_by_id(conn.dialect, ticket, tuple(changed))
        conn.execute(statement, {**changed, "row_id": second.id})
    names = ("status", "updated_at", "reply_due_at", "version")
    with db.read_rows() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {', '.join(names)} FROM ticket WHERE id IN ({first.id}, {second.id})"
        ).all()
    assert len(rows) == 2 and tuple(rows[0]) == tuple(rows[1])


def test_a_table_with_a_python_side_default_is_refused() -> None:
    """The text would leave out what the Core statement adds: a column's ``default`` or
    ``onupdate`` not given."""
    table = Table(
        "stamped",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String),
        Column("seen", Integer, default=0, onupdate=1),
    )
    dialect = sqlite.dialect()
    with pytest.raises(ValueError, match="seen would be left out"):
        insert_returning_id(dialect, table, ("name",))
    with pytest.raises(ValueError, match="seen would be left out"):
        update_by_id(dialect, table, ("name",))
    assert "seen" in str(update_by_id(dialect, table, ("name", "seen")))
