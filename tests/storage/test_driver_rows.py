from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.dialects import sqlite

from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.driver_rows import DriverInsert, insert_rows
from helpdesk_tui.storage.models import Contact

_CONTACT: Table = Contact.__table__  # type: ignore[attr-defined]


def _contacts(prefix: str) -> list[dict[str, object]]:
    moments = (
        datetime(2026, 12, 5, 4, 0, 0, 123_456, tzinfo=UTC),
        datetime(2026, 12, 5, 6, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
    )
    return [
        {"email": f"{prefix}{n}@example.com", "name": "", "organization_id": None, "created_at": at}
        for n, at in enumerate(moments)
    ]


def test_rows_reach_the_database_as_sqlalchemy_would_send_them(db: Database) -> None:
    with db.write() as session:
        conn = session.connection()
        insert_rows(conn, _CONTACT, _contacts("fast"))
        conn.execute(insert(_CONTACT), _contacts("core"))
        insert_rows(conn, _CONTACT, _contacts("staged"), staged=True)
        insert_rows(conn, _CONTACT, _contacts("again"), staged=True)
        stored = conn.execute(
            select(_CONTACT.c.email, _CONTACT.c.created_at).order_by(_CONTACT.c.id)
        ).all()
        raw = conn.exec_driver_sql("SELECT email, created_at FROM contact ORDER BY id").all()
    by_email = dict(stored)
    assert [email for email, _ in stored][-6:] == [
        f"{prefix}{n}@example.com" for prefix in ("staged", "again") for n in range(3)
    ]
    assert [by_email[f"staged{n}@example.com"] for n in range(3)] == [
        by_email[f"core{n}@example.com"] for n in range(3)
    ]
    assert [by_email[f"fast{n}@example.com"] for n in range(3)] == [
        by_email[f"core{n}@example.com"] for n in range(3)
    ]
    assert by_email["fast1@example.com"] == datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    as_stored: dict[str, object] = {email: value for email, value in raw}
    assert [as_stored[f"fast{n}@example.com"] for n in range(3)] == [
        as_stored[f"core{n}@example.com"] for n in range(3)
    ]


def test_a_reserved_word_as_a_column_is_quoted() -> None:
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("references", String)
    )
    assert '"references"' in DriverInsert(table, ("id", "references"), sqlite.dialect()).sql


def test_a_column_sqlalchemy_would_fill_must_be_given() -> None:
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=1)
    )
    with pytest.raises(ValueError, match="n"):
        DriverInsert(table, ("id",), sqlite.dialect())
    assert DriverInsert(table, ("id", "n"), sqlite.dialect()).values([{"id": 1, "n": 2}]) == [
        (1, 2)
    ]


def test_a_bulk_write_keeps_temporary_files_in_memory_on_sqlite(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/t.db")
    try:
        for bulk, expected in ((True, 2), (False, 0), (True, 2)):
            with db.write(bulk=bulk) as session:
                store = session.connection().exec_driver_sql("PRAGMA temp_store").scalar_one()
            assert store == expected
    finally:
        db.dispose()


def test_staged_rows_reach_the_full_text_index_on_sqlite(
    tmp_path: Path, _migrated_sqlite: Path
) -> None:
    shutil.copy(_migrated_sqlite, tmp_path / "t.db")  # (a migrated desk, as db's are)
    db = Database(f"sqlite:///{tmp_path}/t.db")
    try:
        with db.write(bulk=True) as session:
            insert_rows(session.connection(), _CONTACT, _contacts("staged"), staged=True)
        with db.write() as session:
            found = session.connection().exec_driver_sql(
                "SELECT count(*) FROM contact_trigram WHERE contact_trigram MATCH 'staged'"
            )
            assert found.scalar_one() == 3
    finally:
        db.dispose()
