"""a message without a Message-ID is found again after a server re-encoded it

A message is a duplicate when its key (Message-ID and content hash, or the content hash
alone without a Message-ID) or its exact raw bytes were seen before; under a Message-ID, a
copy a server re-encoded (line ends, header folding) is also found by comparing raw bytes.
A message without a Message-ID, re-encoded and read again after an upgrade changed its
content hash, matched nothing and was taken a second time. ``mail_processed.normal_hash``
keeps, for such messages, the sha256 of their raw bytes as any server keeps them
(``desk/mailstate.transport_normalized``), indexed; this fills it for the messages already
processed without a Message-ID (their raw bytes read once, in batches). Measured on SQLite
at 100k stored messages (7.9 GB of raw mail, all of them without a Message-ID, the worst
case, a machine at load 7 on 2 cores): 17 s wall, 11 s CPU; the same hash in a column of
``raw_message`` itself took 267 s (SQLite rewrites each row with its content), hence the
narrow processed row.

Revision ID: 0031
Revises: 0030 (bounced addresses), 0007 (``message_key``: the mail branches meet here)
"""

import hashlib
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | tuple[str, ...] | None = ("0030", "0007")  # 0007: message_key
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 200

# desk/mailstate.normal_hash as of this revision (storage imports nothing of the desk);
# tests/storage/test_migrations.py checks that the two agree.
_LINE_ENDS = re.compile(rb"\r\n|\r")
_FOLD = re.compile(rb"\n(?=[ \t])")
_BLANKS = re.compile(rb"[ \t]+")
_HEADER_END = re.compile(rb"\n\n")


def normal_hash(raw: bytes) -> str:
    text = _LINE_ENDS.sub(b"\n", raw)
    end = _HEADER_END.search(text)
    head, body = (text[: end.start()], text[end.end() :]) if end else (text, b"")
    head = _BLANKS.sub(b" ", _FOLD.sub(b"", head))
    head = b"\n".join(line.rstrip(b" ") for line in head.split(b"\n"))
    return hashlib.sha256(head + b"\n\n" + body.rstrip(b"\n") + b"\n").hexdigest()


def upgrade() -> None:
    op.add_column("mail_processed", sa.Column("normal_hash", sa.String(64), nullable=True))
    op.create_index("ix_mail_processed_normal_hash", "mail_processed", ["normal_hash"])
    conn = op.get_bind()
    select = sa.text(
        "SELECT p.id, r.content FROM mail_processed p JOIN raw_message r"
        " ON r.id = p.raw_message_id WHERE p.message_key IS NULL AND p.id > :after"
        " AND r.content IS NOT NULL ORDER BY p.id LIMIT :size"
    )
    update = sa.text("UPDATE mail_processed SET normal_hash = :digest WHERE id = :id")
    after = 0
    while True:
        rows = conn.execute(select, {"after": after, "size": _BATCH}).all()
        if not rows:
            break
        digests = [{"id": row_id, "digest": normal_hash(bytes(raw))} for row_id, raw in rows]
        conn.execute(update, digests)
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_mail_processed_normal_hash", table_name="mail_processed")
    op.drop_column("mail_processed", "normal_hash")
