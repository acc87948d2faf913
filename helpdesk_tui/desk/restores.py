"""The record of a desk restored from a backup: who restored which backup, taken when, and
the identity of the desk it holds — one ``desk_restored`` event on no ticket, written into
the restored desk (a restore replaces everything, so nothing else would tell).

A backup knows when it was taken because ``helpdesk db backup`` first stamps the desk
(:data:`TAKEN_AT`, a desk setting), then copies it: the copy carries the stamp. A backup
made before that stamp existed says "taken unknown". ``helpdesk db status`` lists them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from helpdesk_tui.desk.settings import DESK_ID, desk_setting, record_desk_event
from helpdesk_tui.safe_text import clean
from helpdesk_tui.storage.core_tables import agent, event
from helpdesk_tui.storage.core_tables import desk_setting as desk_setting_table

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from helpdesk_tui.desk.actors import Actor
    from helpdesk_tui.storage.database import Database

RESTORED = "desk_restored"
"""The event (on no ticket) of a restore: ``field`` the backup's file name (cleaned),
``new_value`` JSON with the file, when the backup was taken and the desk's identity."""
TAKEN_AT = "backup.taken_at"
"""The desk setting a backup stamps on the desk just before it copies it (ISO 8601 UTC)."""
MAX_FILE_NAME = 200


@dataclass(frozen=True)
class RestoreRecord:
    """One restore, as the restored desk keeps it."""

    at: datetime
    by: str
    file: str
    taken_at: datetime | None
    """When the backup was taken (None: a backup made before backups said so)."""
    desk: str | None
    """The restored desk's identity (``desk.id``)."""

    def as_json(self) -> dict[str, str | None]:
        return {
            "at": self.at.isoformat(),
            "by": self.by,
            "file": self.file,
            "taken_at": self.taken_at.isoformat() if self.taken_at is not None else None,
            "desk": self.desk,
        }


def stamp_backup(conn: Connection, now: datetime) -> None:
    """Stamp the desk with the time of the backup about to copy it (:data:`TAKEN_AT`)."""
    name = desk_setting_table.c.name
    conn.execute(delete(desk_setting_table).where(name == TAKEN_AT))
    conn.execute(insert(desk_setting_table).values(name=TAKEN_AT, value=now.isoformat()))


def file_label(name: str) -> str:
    """A backup's file name as the record keeps it: one line, no control characters."""
    return clean(name, single_line=True)[:MAX_FILE_NAME]


def _taken_at(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def record_restore(db: Database, actor: Actor, now: datetime, file: str) -> None:
    """Write the record into the desk just restored: the backup's own stamp and identity are
    read from it (a backup of an old schema may lack the settings table: then unknown), and
    the restoring admin is named by login, as the restored desk's agents may differ."""
    taken: str | None = None
    identity: str | None = None
    try:
        with db.read_rows() as conn:
            taken, identity = desk_setting(conn, TAKEN_AT), desk_setting(conn, DESK_ID)
    except SQLAlchemyError:
        pass
    with db.write_rows() as conn:
        agent_id = conn.execute(select(agent.c.id).where(agent.c.login == actor.name)).scalar()
        details = {"file": file_label(file), "taken_at": taken, "desk": identity}
        record_desk_event(
            conn,
            replace(actor, agent_id=agent_id),
            now,
            RESTORED,
            field=file_label(file)[:50],
            new=json.dumps(details),
        )


def restores(conn: Connection) -> list[RestoreRecord]:
    """Every restore this desk has been through, newest first."""
    rows = conn.execute(
        select(event.c.created_at, event.c.actor, event.c.new_value)
        .where(event.c.ticket_id.is_(None), event.c.kind == RESTORED)
        .order_by(event.c.created_at.desc(), event.c.id.desc())
    )
    found = []
    for at, by, value in rows:
        said = json.loads(value or "{}")
        taken = _taken_at(said.get("taken_at"))
        found.append(RestoreRecord(at, by, said.get("file", "?"), taken, said.get("desk")))
    return found
