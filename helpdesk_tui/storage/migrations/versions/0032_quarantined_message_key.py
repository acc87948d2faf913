"""a message quarantined before its Message-ID was read is found again re-encoded

A message that cannot be parsed is keyed by its bytes (``sha256:<sha256 of the raw
bytes>``); since the 0031 era its processed row also keeps the key of the Message-ID read
from its raw header alone (``mail/parse.header_message_id``), which finds a copy a server
re-encoded (line ends, folding) by comparing raw bytes. Rows written before had no
``message_key``: such a copy, read again after the upgrade, was quarantined a second time.
This gives those rows (first read unparseable: their dedupe key is their raw bytes' hash)
the key of the Message-ID in their raw header, and, where they have none (before 0007),
the content hash intake gives such a message (its raw bytes' sha256), so that another
message under the same Message-ID is still told apart. Only the rows' first 256 kB of raw
bytes are read (SQLite: a blob handle; PostgreSQL: a slice), in batches. Measured on
SQLite at 100k processed rows, every one a message first read unparseable with a Message-ID
(the worst case; 7.9 GB of raw mail): 31 s wall and 10 s CPU from a cold cache on a machine
at load 8 on 2 cores, 7 s warm; the process's peak RSS 37 MB over what it held before.

Revision ID: 0032
Revises: 0031 (processed normal hash)
"""

import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500

# mail/parse.header_message_id and desk/mailstate.key_hash as of this revision (storage
# imports neither); tests/storage/test_migrations.py checks that they agree.
_RAW_HEADER_BYTES = 256 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_FIELD_NAME = re.compile(r"^([!-9;-~]+)[ \t]*:(.*)$", re.DOTALL)
_MSG_ID = re.compile(r"<([^<>\s]{1,500})>")
_MAX_REFERENCES = 100


def _printable(text: str) -> bool:
    return all(unicodedata.category(char)[0] not in "CZ" for char in text)


def _msg_ids(value: str) -> list[str]:
    found = [f"<{match}>" for match in _MSG_ID.findall(value) if _printable(match)]
    if found:
        return found
    return [
        f"<{token}>"
        for token in re.split(r"[\s,]+", value)
        if "@" in token and "<" not in token and ">" not in token and _printable(token)
    ][:_MAX_REFERENCES]


def header_message_id(raw: bytes | bytearray) -> str | None:
    try:
        data = bytes(raw[:_RAW_HEADER_BYTES])
        end = _HEADER_END.search(data)
        head = _FOLD.sub("", (data[: end.start()] if end else data).decode("latin-1"))
        for line in head.split("\n"):
            field = _FIELD_NAME.match(line.rstrip("\r"))
            if field is None:
                return None
            if field.group(1).lower() == "message-id":
                found = _msg_ids(field.group(2))
                return found[0] if found else None
    except Exception:
        return None
    return None


def key_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _header_bytes(conn: sa.Connection, raw_id: int) -> bytes | None:
    """The first :data:`_RAW_HEADER_BYTES` of a stored message, never the whole of it."""
    if conn.dialect.name == "sqlite":
        dbapi = cast(sqlite3.Connection, conn.connection.dbapi_connection)
        try:
            with dbapi.blobopen("raw_message", "content", raw_id, readonly=True) as blob:
                return blob.read(_RAW_HEADER_BYTES)
        except sqlite3.OperationalError:  # content is NULL (not a blob)
            return None
    found = conn.execute(
        sa.text("SELECT substring(content from 1 for :size) FROM raw_message WHERE id = :id"),
        {"size": _RAW_HEADER_BYTES, "id": raw_id},
    ).scalar_one_or_none()
    return None if found is None else bytes(found)


def upgrade() -> None:
    conn = op.get_bind()
    select = sa.text(
        "SELECT p.id, r.id, r.sha256 FROM mail_processed p JOIN raw_message r"
        " ON r.id = p.raw_message_id WHERE p.message_key IS NULL AND p.id > :after"
        " AND p.dedupe_key = 'sha256:' || r.sha256 ORDER BY p.id LIMIT :size"
    )
    update = sa.text(
        "UPDATE mail_processed SET message_key = :key,"
        " content_hash = COALESCE(content_hash, :sha) WHERE id = :id"
    )
    after = 0
    while True:
        rows = conn.execute(select, {"after": after, "size": _BATCH}).all()
        if not rows:
            break
        keys = []
        for row_id, raw_id, sha in rows:
            head = _header_bytes(conn, int(raw_id))
            message_id = header_message_id(head) if head is not None else None
            if message_id is not None:
                keys.append({"id": row_id, "key": key_hash(message_id), "sha": sha})
        if keys:
            conn.execute(update, keys)
        after = rows[-1][0]


def downgrade() -> None:
    """The keys stay: they are what this version's intake writes for such messages."""
