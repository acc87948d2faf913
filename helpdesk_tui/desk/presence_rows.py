"""Who is on which ticket now, read on Core tables: the presence rule's reads, for the
terminal (``desk/presence``) and for a CLI verb that starts without the ORM alike.

``others_replying`` is what a new reply collides with, wherever it is written from: the
terminal's composer warns with it, ``helpdesk ticket reply`` refuses with it
(:func:`replying_line`) unless told ``--anyway``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.on_ticket import OnTicket
from helpdesk_tui.storage.core_tables import Agent, Presence, Ticket, agent, presence, ticket
from helpdesk_tui.storage.enums import Activity, utcnow

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


def on_tickets(
    reader: Reader,
    ticket_numbers: Iterable[int],
    *,
    now: datetime | None = None,
    exclude_session: str | None = None,
) -> dict[int, list[OnTicket]]:
    """Live markers by ticket number: one per agent, replying first, then by login.

    An agent with several terminals on the ticket is named once, by what matters most
    (replying over viewing).
    """
    now = now or utcnow()
    numbers = list(ticket_numbers)
    if not numbers:
        return {}
    columns: list[Any] = [
        Ticket.number,
        Agent.login,
        Agent.name,
        Presence.activity,
        Presence.started_at,
        Presence.session_id,
    ]
    statement = (
        select(*columns)
        .select_from(presence)
        .join(ticket, Ticket.id == Presence.ticket_id)
        .join(agent, Agent.id == Presence.agent_id)
        .where(Ticket.number.in_(numbers), Presence.expires_at >= now)
    )
    if exclude_session is not None:
        statement = statement.where(Presence.session_id != exclude_session)
    result: dict[int, list[OnTicket]] = {}
    for number, login, name, activity, started_at, sid in reader.execute(statement).all():
        result.setdefault(number, []).append(
            OnTicket(login, name, Activity(activity), started_at, sid)
        )
    for number, entries in result.items():
        entries.sort(key=lambda e: (e.activity != Activity.REPLYING, e.login))
        first: dict[str, OnTicket] = {}
        for entry in entries:
            first.setdefault(entry.login, entry)
        result[number] = list(first.values())
    return result


def others_replying(
    reader: Reader, ticket_number: int, actor: Actor, *, now: datetime | None = None
) -> list[OnTicket]:
    """Other agents replying to a ticket now: what a new reply would collide with.

    The agent's own other terminals (one that died in the composer, say) are no collision.
    """
    on = on_tickets(reader, [ticket_number], now=now).get(ticket_number, [])
    return [e for e in on if e.activity == Activity.REPLYING and e.login != actor.name]


def replying_names(replying: Iterable[OnTicket]) -> str:
    """``Ann Lee (ann) and bob``: who is replying, by name and login."""
    names = []
    for entry in replying:
        name = entry.name or entry.login
        names.append(f"{name} ({entry.login})" if name != entry.login else name)
    return " and ".join(names)


def replying_line(number: int, replying: list[OnTicket], *, go_ahead: str) -> str:
    """One line for a reply that would collide: who is replying to ``number`` now, and how
    to reply all the same (``go_ahead``, the front door's way: ``--anyway``)."""
    verb = "is" if len(replying) == 1 else "are"
    return (
        f"{replying_names(replying)} {verb} replying to #{number} right now; "
        f"to reply as well, {go_ahead}"
    )
