"""Per-desk switches kept in the database (``desk_setting``): the same for every agent and
process of a shared desk, unlike the config file, which each machine has its own of.

Read on the Core table (``storage/core_tables``), in a session's transaction or on a plain
connection (``helpdesk survey status``, without the ORM); written through the ORM.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from helpdesk_tui.desk.desk_names import DEFAULT_DESK_NAME as DEFAULT_DESK_NAME
from helpdesk_tui.desk.desk_names import MAX_DESK_NAME as MAX_DESK_NAME
from helpdesk_tui.desk.desk_names import clean_desk_name as clean_desk_name
from helpdesk_tui.storage.core_tables import DeskSetting, event
from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection
    from sqlmodel import Session

    from helpdesk_tui.desk.actors import Actor
    from helpdesk_tui.storage.database import Reader

SETTING_CHANGED = "setting_changed"
"""The event (on no ticket) of an admin's change to a desk setting: ``field`` says which
(``sla policy``, ``sla calendar``, ``team tier``, ``sla auto-escalation``, ``surveys``,
``desk name``),
``old_value`` and ``new_value`` what it said before and after (``None``: not there)."""


def desk_setting(reader: Reader, name: str) -> str | None:
    """The setting's value (in a session: as its transaction has it, flushed)."""
    found = connection_of(reader).execute(select(DeskSetting.value).where(DeskSetting.name == name))
    return found.scalar()


def set_desk_setting(session: Session, name: str, value: str) -> None:
    from helpdesk_tui.storage.survey_models import DeskSetting as Row

    row = session.get(Row, name)
    if row is None:
        session.add(Row(name=name, value=value))
    else:
        row.value = value
    session.flush()  # (what a read of it in this transaction finds)


def switch(reader: Reader, name: str, *, default: bool) -> bool:
    """A yes/no setting; ``default`` until someone sets it."""
    value = desk_setting(reader, name)
    return default if value is None else value == "yes"


def set_switch(session: Session, name: str, on: bool) -> None:
    set_desk_setting(session, name, "yes" if on else "no")


def record_setting_change(
    reader: Reader, actor: Actor, now: datetime, field: str, old: str | None, new: str | None
) -> None:
    """The audit row of a desk setting's change (:data:`SETTING_CHANGED`), in the change's
    transaction; it moves the desk's change mark (its newest event), so every open desk
    settings screen and queue looks again, whichever terminal or command made it."""
    if old == new:
        return
    record_desk_event(reader, actor, now, SETTING_CHANGED, field=field, old=old, new=new)


def record_desk_event(
    reader: Reader,
    actor: Actor,
    now: datetime,
    kind: str,
    *,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
) -> None:
    """An event on no ticket (a change to the desk itself): it moves the desk's change mark
    (``queue.newest_events``), so the SLA worker's probe and the open queues look again."""
    connection_of(reader).execute(
        insert(event).values(
            ticket_id=None,
            ticket_number=None,
            actor_agent_id=actor.agent_id,
            actor=actor.name,
            kind=kind,
            field=field,
            old_value=old,
            new_value=new,
            created_at=now,
        )
    )


# -- the desk's name -----------------------------------------------------------------------

DESK_NAME = "desk.name"
"""The setting that holds the desk's own name (``desk_names``: its value's rules)."""


def desk_name(reader: Reader, configured: str = DEFAULT_DESK_NAME) -> str:
    """The desk's name, the same for every terminal and the mail runner: the one an admin
    set (``helpdesk desk name``), else ``configured`` (the config's ``desk_name``, which
    is only the fallback of a desk that never had its name set), else "Helpdesk"."""
    stored = desk_setting(reader, DESK_NAME)
    return clean_desk_name(stored or "") or clean_desk_name(configured) or DEFAULT_DESK_NAME


# -- the desk's identity -----------------------------------------------------------------------

DESK_ID = "desk.id"
"""A random identity the desk keeps (made by migration 0038, or on first use): an agent's
drafts are kept per desk under it (``helpdesk_tui.drafts``), so a draft written on one desk
never opens on another's ticket. A backup carries it as it carries the desk's content."""


def desk_identity(conn: Connection) -> str:
    """The desk's identity, made on first use."""
    import secrets

    return made_setting(conn, DESK_ID, lambda: secrets.token_hex(16))


def made_setting(conn: Connection, name: str, make: Callable[[], str]) -> str:
    """Setting ``name``, made by ``make`` on first use (two first uses at once: one insert
    wins, and both read the winner's value): the desk's identity, the survey key."""
    from sqlalchemy.exc import IntegrityError

    from helpdesk_tui.storage.core_tables import desk_setting as desk_setting_table

    value = desk_setting(conn, name)
    if value is None:
        value = make()
        try:
            with conn.begin_nested():
                conn.execute(insert(desk_setting_table).values(name=name, value=value))
        except IntegrityError:
            pass  # (another made it first: theirs is read below)
        value = desk_setting(conn, name) or value
    return value
