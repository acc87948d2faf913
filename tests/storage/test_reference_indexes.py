"""Deleting a ticket, its messages, its raw mail or a forgotten customer reads no table
whole: every reference to those rows leads an index on the migrated desk (migration 0043),
so the database finds the rows pointing at a deleted one by key, on both engines."""

from __future__ import annotations

from sqlalchemy import Connection, text

from helpdesk_tui.storage.database import Database

DELETED = frozenset({"ticket", "message", "raw_message", "contact"})
"""The tables whose rows the desk deletes: a ticket with its messages and the raw mail no
one else holds (``relations.delete_ticket``), and a customer forgotten (``privacy``)."""

LEFT_TO_SCAN = {("message", "author_contact_id")}
"""References read whole on purpose. A message's author: only forgetting a customer (an
admin's rare act) deletes a contact, while an index would cost every message written —
the demo and bulk loads most of all (``benchmarks/README.md``, seeding)."""


def _sqlite(conn: Connection) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    tables = [
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            " AND name NOT LIKE 'sqlite%'"
        )
    ]
    references: set[tuple[str, str, str]] = set()
    leads: set[tuple[str, str]] = set()
    for table in tables:
        for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list('{table}')"):
            references.add((table, row[3], row[2]))
        for row in conn.exec_driver_sql(f"PRAGMA table_info('{table}')"):
            if row[5] == 1:
                leads.add((table, row[1]))
        for index in conn.exec_driver_sql(f"PRAGMA index_list('{table}')"):
            first = conn.exec_driver_sql(f"PRAGMA index_info('{index[1]}')").first()
            if first is not None:
                leads.add((table, first[2]))
    return references, leads


def _postgres(conn: Connection) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    references = {
        (table, column, parent)
        for table, column, parent in conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text"
                " FROM pg_constraint c JOIN pg_attribute a"
                " ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
            )
        )
    }
    leads = {
        (table, column)
        for table, column in conn.execute(
            text(
                "SELECT i.indrelid::regclass::text, a.attname FROM pg_index i"
                " JOIN pg_class t ON t.oid = i.indrelid"
                " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                " WHERE t.relnamespace = current_schema()::regnamespace"
            )
        )
    }
    return references, leads


def test_every_reference_to_a_deleted_row_leads_an_index(db: Database) -> None:
    with db.engine.connect() as conn:
        references, leads = (_sqlite if db.is_sqlite else _postgres)(conn)
    to_deleted = {(table, column) for table, column, parent in references if parent in DELETED}
    assert ("ticket", "merged_into_id") in to_deleted  # (the catalog read finds them)
    assert sorted(to_deleted - leads - LEFT_TO_SCAN) == []
    assert to_deleted - leads >= LEFT_TO_SCAN  # (one indexed since: take it off the list)
