"""The people a ticket's mail is copied to: its "copies".

A customer writes with a colleague in Cc; the colleague stays on the conversation. The
rules, once:

- From a new ticket's mail and every follow-up, the To and Cc addresses are kept as the
  ticket's copies (:func:`kept_from_mail`), except the desk's own addresses (its mailboxes,
  ``mail.addresses``, its agents'), the requester and the reply address, a mailing list's
  address, and machines (``no-reply``, ``mailer-daemon``, ``bounces+…``: ``is_noreply``).
- An agent adds or removes one (``helpdesk ticket cc``, the composer's key):
  :func:`change`, which checks the address (:func:`~.values.parse_address`: one address, no
  name, no control characters) by the same exclusions.
- An agent's reply goes To the requester (or ``Reply-To``), Cc the copies
  (``thread.reply``), less an address that bounced for good lately (:func:`reply_copies`).
  The acknowledgement and the survey go to the requester only.
- Each change is an event (``field`` ``copies``: ``— → address`` added, ``address → —``
  removed). A merge keeps the union (:func:`merge`); ``contact forget`` takes the address
  off every ticket (:func:`forget`).

A ticket keeps at most :data:`MAX_COPIES` (a message copied to a hundred people does not
make a hundred-address Cc line).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.outbox_rows import HardBounce, hard_bounces_of
from helpdesk_tui.desk.ticket_record import TicketRecord, load_for_update, save
from helpdesk_tui.desk.values import is_noreply, parse_address
from helpdesk_tui.storage.core_tables import Agent, Contact, Ticket, agent, contact
from helpdesk_tui.storage.core_tables import ticket as _TICKET
from helpdesk_tui.storage.core_tables import ticket_copy as _COPY
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import utcnow

if TYPE_CHECKING:
    from helpdesk_tui.desk.ticket_record import TicketState
    from helpdesk_tui.storage.database import Reader

MAX_COPIES = 20
"""The most addresses a ticket keeps as copies."""

FIELD = "copies"
"""The events' field: ``— → address`` when one is added, ``address → —`` when removed."""


def usable(value: str) -> str | None:
    """``value`` as one checked address (lower-case), None when it is not one."""
    try:
        return parse_address(value)
    except InvalidValue:
        return None


def kept_from_mail(
    addresses: Iterable[str],
    *,
    requester: str | None,
    reply_to: str | None,
    ours: Collection[str],
    list_address: str | None = None,
) -> list[str]:
    """The To/Cc ``addresses`` of a customer's mail that the ticket keeps as copies, in
    their order, each once: not one of ``ours``, not the requester or the reply address,
    not the mailing list's, not a machine's."""
    people = {requester, reply_to, list_address}
    found: list[str] = []
    for value in addresses:
        address = usable(value)
        if address is None or address in found or address in people:
            continue
        if address in ours or is_noreply(address):
            continue
        found.append(address)
    return found


def fresh(existing: Collection[str], candidates: Iterable[str]) -> list[str]:
    """Of ``candidates``, those a ticket with copies ``existing`` takes: new ones, up to
    :data:`MAX_COPIES` in all."""
    room = MAX_COPIES - len(existing)
    found: list[str] = []
    for address in candidates:
        if len(found) >= room:
            break
        if address not in existing and address not in found:
            found.append(address)
    return found


def copies_of(reader: Reader, ticket_id: int) -> list[str]:
    """The ticket's copies, in the order they came."""
    rows = connection_of(reader).execute(
        select(_COPY.c.address).where(_COPY.c.ticket_id == ticket_id).order_by(_COPY.c.id)
    )
    return list(rows.scalars())


def rows(ticket_id: object, addresses: Iterable[str], now: datetime) -> list[dict[str, object]]:
    """``ticket_copy`` rows (the batch intake keeps them with a new ticket's key)."""
    return [{"ticket_id": ticket_id, "address": a, "created_at": now} for a in addresses]


def add(reader: Reader, actor: Actor, ticket: TicketState, addresses: Iterable[str]) -> list[str]:
    """Keep ``addresses`` (checked already) as the ticket's copies, each with its event;
    those that were new. The caller bumps the version and saves."""
    conn = connection_of(reader)
    assert ticket.id is not None
    added = fresh(copies_of(conn, ticket.id), addresses)
    if added:
        conn.execute(insert(_COPY), rows(ticket.id, added, utcnow()))
    for address in added:
        history.record(conn, actor, ticket, "copy_added", field=FIELD, new=address)
    return added


def remove(
    reader: Reader, actor: Actor, ticket: TicketState, addresses: Iterable[str]
) -> list[str]:
    """Take ``addresses`` off the ticket's copies, each with its event; those that were on."""
    conn = connection_of(reader)
    assert ticket.id is not None
    existing = copies_of(conn, ticket.id)
    gone = [a for a in dict.fromkeys(addresses) if a in existing]
    if gone:
        conn.execute(delete(_COPY).where(_COPY.c.ticket_id == ticket.id, _COPY.c.address.in_(gone)))
    for address in gone:
        history.record(conn, actor, ticket, "copy_removed", field=FIELD, old=address)
    return gone


@dataclass(frozen=True)
class CopiesChanged:
    """What :func:`change` did: the addresses added and removed, and the copies now."""

    number: int
    version: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    copies: tuple[str, ...]


def check_addition(reader: Reader, ticket: TicketRecord, value: str, ours: Collection[str]) -> str:
    """``value`` as an address an agent may add to the ticket's copies; else
    :class:`InvalidValue` saying why (the same exclusions as mail's, in words)."""
    address = parse_address(value, "address to copy")
    if address in ours or address in agent_addresses(reader):
        raise InvalidValue(f"{address} is one of the desk's own addresses; it is not copied")
    if is_noreply(address):
        raise InvalidValue(f"{address} is an address nobody reads; it is not copied")
    if address in requester_addresses(reader, ticket.id):
        raise InvalidValue(f"{address} is #{ticket.number}'s requester; replies go To them")
    return address


def change(
    reader: Reader,
    actor: Actor,
    number: int,
    *,
    add_addresses: Sequence[str] = (),
    remove_addresses: Sequence[str] = (),
    ours: Collection[str] = (),
    expected_version: int | None = None,
) -> CopiesChanged:
    """An agent adds and removes copies of ticket ``number`` (``ours``: the desk's mail
    addresses from its settings; its agents' are read here). Every address is checked
    before anything is written; one the ticket lacks (remove) or has (add) is no change."""
    conn = connection_of(reader)
    ticket = load_for_update(conn, number)
    history.check_version(conn, ticket, expected_version)
    wanted = [check_addition(conn, ticket, value, ours) for value in add_addresses]
    unwanted = {parse_address(value, "address to remove") for value in remove_addresses}
    existing = copies_of(conn, ticket.id)
    staying = [a for a in existing if a not in unwanted]
    if len(staying) + len([a for a in dict.fromkeys(wanted) if a not in staying]) > MAX_COPIES:
        raise InvalidValue(f"#{number} keeps at most {MAX_COPIES} copies; remove one first")
    if set(existing) == set(staying) and not fresh(staying, wanted):
        return CopiesChanged(number, ticket.version, (), (), tuple(existing))
    history.bump(ticket)
    removed = remove(conn, actor, ticket, [a for a in existing if a in unwanted])
    added = add(conn, actor, ticket, wanted)
    save(conn, ticket)
    copies = tuple(copies_of(conn, ticket.id))
    return CopiesChanged(number, ticket.version, tuple(added), tuple(removed), copies)


def reply_copies(
    reader: Reader, ticket_id: int, now: datetime
) -> tuple[list[str], list[HardBounce]]:
    """Whom an agent's reply copies: the ticket's copies, less each whose mail bounced for
    good lately (``outbox_rows.hard_bounces_of``, the rule that holds the desk's automatic
    mail: the composer and ``ticket reply`` warn of each), and those bounces."""
    conn = connection_of(reader)
    existing = copies_of(conn, ticket_id)
    bounced = hard_bounces_of(conn, existing, now)
    gone = {b.address for b in bounced}
    return [a for a in existing if a not in gone], bounced


def merge(reader: Reader, actor: Actor, source: TicketState, target: TicketState) -> list[str]:
    """A merge keeps the union: the source's copies join the target's, and so do the
    source's requester and reply address when they are not the target's (they were on
    that conversation), each an event on the target. Those added."""
    conn = connection_of(reader)
    assert source.id is not None and target.id is not None
    people = requester_addresses(conn, target.id)
    joining = [*copies_of(conn, source.id), *sorted(requester_addresses(conn, source.id))]
    return add(conn, actor, target, [a for a in joining if a not in people])


def tickets_copying(reader: Reader, address: str) -> set[int]:
    """The ids of the tickets that copy ``address``."""
    key = address.strip().lower()
    found = connection_of(reader).execute(select(_COPY.c.ticket_id).where(_COPY.c.address == key))
    return set(found.scalars())


def forget(reader: Reader, address: str) -> list[int]:
    """``contact forget``: ``address`` leaves every ticket's copies. The tickets it left."""
    conn = connection_of(reader)
    key = address.strip().lower()
    found = list(conn.execute(select(_COPY.c.ticket_id).where(_COPY.c.address == key)).scalars())
    if found:
        conn.execute(delete(_COPY).where(_COPY.c.address == key))
    return found


def agent_addresses(reader: Reader) -> set[str]:
    """The desk's agents' addresses (deactivated ones' too): never copies."""
    rows = connection_of(reader).execute(
        select(func.lower(Agent.email)).select_from(agent).where(Agent.email.is_not(None))
    )
    return {value for value in rows.scalars() if value}


def requester_addresses(reader: Reader, ticket_id: int) -> set[str]:
    """The ticket's requester's address and its reply address (lower-case): never copies."""
    found = (
        connection_of(reader)
        .execute(
            select(Contact.email, Ticket.reply_to)
            .select_from(_TICKET)
            .outerjoin(contact, Ticket.requester_id == Contact.id)
            .where(Ticket.id == ticket_id)
        )
        .first()
    )
    return {value.lower() for value in (found or ()) if value}
