"""Raw mail and attachments are compressed with lz4 on PostgreSQL (migration 0023)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text

from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import RawMessage, utcnow


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_raw_mail_written_now_is_compressed_with_lz4(db: Database) -> None:
    raw = b"Subject: the same line again\r\n" * 4000  # well over the 2 kB TOAST threshold
    with db.write() as session:
        session.execute(
            insert(RawMessage.__table__),  # type: ignore[attr-defined]
            {"sha256": "0" * 64, "content": raw, "received_at": utcnow()},
        )
    with db.read() as session:
        stored = session.execute(
            text("SELECT pg_column_compression(content), content FROM raw_message")
        ).one()
        methods = session.execute(
            text(
                "SELECT attrelid::regclass::text, attcompression FROM pg_attribute "
                "WHERE attname = 'content' AND attrelid IN ('raw_message'::regclass, "
                "'attachment'::regclass)"
            )
        ).all()
    assert stored == ("lz4", raw), "compressed, and read back byte for byte"
    assert sorted(methods) == [("attachment", "l"), ("raw_message", "l")]
