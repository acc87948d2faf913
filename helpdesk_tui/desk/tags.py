"""Tags on tickets: free words, created on first use."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.ticket_reads import ticket_tags as ticket_tags
from helpdesk_tui.desk.values import parse_tag
from helpdesk_tui.storage.models import Tag, Ticket, TicketTag


def apply_tags(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    bump: bool = True,
) -> bool:
    """Add and remove tags, one event each; True when anything changed.

    With ``bump`` the ticket's version moves on first (once), when anything changes.
    """
    assert ticket.id is not None
    current = set(ticket_tags(session, ticket.id))
    to_add = sorted({parse_tag(t) for t in add} - current)
    to_remove = sorted({parse_tag(t) for t in remove} & current)
    if not (to_add or to_remove):
        return False
    if bump:
        history.bump(ticket)
    for name in to_add:
        tag = session.exec(select(Tag).where(Tag.name == name)).first()
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        assert tag.id is not None
        session.add(TicketTag(ticket_id=ticket.id, tag_id=tag.id))
        history.record(session, actor, ticket, "tag_added", field="tags", new=name)
    for name in to_remove:
        tag_id = session.exec(select(Tag.id).where(Tag.name == name)).one()
        link = session.get(TicketTag, (ticket.id, tag_id))
        if link is not None:
            session.delete(link)
        history.record(session, actor, ticket, "tag_removed", field="tags", old=name)
    return True
