"""Tags on tickets: free words, created on first use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.ticket_reads import ticket_tags as ticket_tags
from helpdesk_tui.desk.values import parse_tag
from helpdesk_tui.storage.core_tables import Tag, TicketTag, tag, ticket_tag
from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from helpdesk_tui.desk.history import Versioned
    from helpdesk_tui.storage.database import Reader


def apply_tags(
    reader: Reader,
    actor: Actor,
    ticket: Versioned,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    bump: bool = True,
) -> bool:
    """Add and remove tags, one event each; True when anything changed.

    With ``bump`` the ticket's version moves on first (once), when anything changes.
    """
    assert ticket.id is not None
    adding = {parse_tag(t) for t in add}
    removing = {parse_tag(t) for t in remove}
    if not (adding or removing):
        return False  # (without reading the ticket's tags: a new ticket's, mostly)
    conn = connection_of(reader)
    current = set(ticket_tags(conn, ticket.id))
    to_add = sorted(adding - current)
    to_remove = sorted(removing & current)
    if not (to_add or to_remove):
        return False
    if bump:
        history.bump(ticket)
    for name in to_add:
        tag_id = conn.execute(select(Tag.id).where(Tag.name == name)).scalar()
        if tag_id is None:
            tag_id = conn.execute(insert(tag).values(name=name).returning(Tag.id)).scalar_one()
        conn.execute(insert(ticket_tag).values(ticket_id=ticket.id, tag_id=tag_id))
        history.record(conn, actor, ticket, "tag_added", field="tags", new=name)
    for name in to_remove:
        tag_id = conn.execute(select(Tag.id).where(Tag.name == name)).scalar_one()
        conn.execute(
            delete(ticket_tag).where(TicketTag.ticket_id == ticket.id, TicketTag.tag_id == tag_id)
        )
        history.record(conn, actor, ticket, "tag_removed", field="tags", old=name)
    return True
