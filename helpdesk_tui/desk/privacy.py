"""A customer's data: what the desk keeps about one address, all of it for an admin, and
forgetting it (``helpdesk contact show | export | forget``).

Forgetting is one transaction (a failure leaves everything as it was). What it does, in
the words README's "A customer's data" repeats:

- the contact's own tickets are deleted through the one delete writer
  (``relations.delete_ticket``), with their messages, files, mail and raw mail;
- their address leaves other tickets: the people those tickets copy (``desk/copies``), the
  copies (To/Cc) of those tickets' messages and mail, a ``Reply-To`` pointing at them, the
  sender of a message they wrote there (whose text stays, their address in it replaced),
  and the raw mail of each message there that names them (its headers do; the message
  stays);
- the rows naming the address go: acknowledgements counted, a hard bounce, held mail
  (spam, machine mail, quarantine) from them, their survey opt-out and the contact row;
- history stays honest: the events of their deleted tickets keep who did what and when,
  without values (but the desk's own words: status, priority, type, tier, tags, team,
  assignee); other events have the address (and the name, as a whole word of 3 characters
  or more) replaced by ``[forgotten]``; one ``contact_forgotten`` event records who forgot
  a contact, when, and which tickets went, without the contact's data;
- what must stay for the desk to work is kept as hashes: the "processed" marks of their
  mail (so the poller does not fetch it again: ``key_hash`` only), and an opt-out
  (``survey_opt_out_hash``, the sha256 of the address) so no survey goes to them again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, exists, func, or_, text, update
from sqlmodel import Session, col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.copies import forget as forget_copies
from helpdesk_tui.desk.copies import tickets_copying
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.values import parse_address
from helpdesk_tui.storage.models import (
    ADDRESS_FIELDS,
    Attachment,
    Contact,
    Event,
    Message,
    Organization,
    Outbox,
    RawMessage,
    Role,
    Ticket,
    utcnow,
)

FORGOTTEN = "[forgotten]"
"""What stands where a forgotten contact's address or name was."""
FORGOTTEN_KIND = "contact_forgotten"
"""The event kind that records a forget (no ticket: who, when, which tickets went)."""
KEPT_FIELDS = frozenset({"status", "priority", "type", "tier", "team", "assignee", "tags"})
"""Event fields whose values are the desk's own words, kept on a forgotten ticket's events."""
KEPT_KINDS = frozenset({"status", "tag_added", "tag_removed", "linked", "merged", "merged_into"})
"""Event kinds kept with their values on a forgotten ticket's events (``reopened`` is not:
its value is the reason a person wrote)."""
MIN_NAME = 3
"""A name shorter than this is not looked for in other events (``Al`` is in too many words)."""


# -- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactTicket:
    """One ticket a contact is on: as its requester, or in copy of its mail."""

    number: int
    subject: str
    status: str
    role: str
    """``requester`` or ``copy`` (named in a message's or a mail's To/Cc, or its
    ``Reply-To``, or the sender of one of its messages)."""
    updated_at: datetime


@dataclass(frozen=True)
class ContactCard:
    """Who a customer is and what the desk keeps about them (any agent may read it)."""

    address: str
    name: str | None
    """None: the desk has no contact row for the address (only rows naming it)."""
    phone: str | None
    organization: str | None
    created_at: datetime | None
    tickets: tuple[ContactTicket, ...]
    survey_opt_out: bool
    bounced_at: datetime | None
    bounce_status: str | None
    acknowledgements: int
    """Acknowledgements counted for the rate limit."""
    held_mail: int
    """Their mail held apart: spam, machine mail, quarantine."""
    copies_read: bool = True
    """Whether the other tickets naming them were looked for (``tickets`` then holds them
    as ``copy``): a read of the whole desk, asked for apart."""

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "name": self.name,
            "phone": self.phone,
            "organization": self.organization,
            "created_at": _iso(self.created_at),
            "tickets": [
                {
                    "number": t.number,
                    "subject": t.subject,
                    "status": t.status,
                    "role": t.role,
                    "updated_at": t.updated_at.isoformat(),
                }
                for t in self.tickets
            ],
            "survey_opt_out": self.survey_opt_out,
            "bounced_at": _iso(self.bounced_at),
            "bounce_status": self.bounce_status,
            "acknowledgements": self.acknowledgements,
            "held_mail": self.held_mail,
            "copies_read": self.copies_read,
        }


@dataclass(frozen=True)
class ForgetPlan:
    """What forgetting an address deletes and scrubs (the question an admin answers)."""

    address: str
    name: str | None
    tickets: tuple[int, ...]
    """Their own tickets, deleted."""
    copies: tuple[int, ...]
    """Other tickets that name them, scrubbed."""
    read: _PlanRead | None = field(default=None, repr=False, compare=False)
    """The rows the plan was read from, carried out by :func:`forget_contact` if the desk
    has not changed since (one read of the whole desk for the question and the work)."""


@dataclass(frozen=True)
class _PlanRead:
    """What :func:`forget_plan` read, by id, and the desk's change mark before it read."""

    mark: tuple[Any, ...]
    own: tuple[int, ...]
    messages: tuple[int, ...]
    mail: tuple[int, ...]
    reply_to: tuple[int, ...]


@dataclass(frozen=True)
class ForgetResult:
    """What forgetting did, in counts and ticket numbers (no contact data)."""

    tickets_deleted: tuple[int, ...]
    tickets_scrubbed: tuple[int, ...]
    messages_scrubbed: int
    mail_scrubbed: int
    events_scrubbed: int
    rows_erased: int
    """Contact, acknowledgements, bounce, held mail, opt-out."""
    opt_out_kept: bool
    """Whether an opt-out stays as the hash of the address."""


@dataclass(frozen=True)
class ForgottenEntry:
    """One forget in the desk's history: who, when, and what it said."""

    actor: str
    created_at: datetime
    text: str


@dataclass(frozen=True)
class _Naming:
    """The rows naming one address, read before anything changes."""

    contact: Contact | None
    own: list[Ticket] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    """Messages on other tickets that name the address (sender or To/Cc)."""
    mail: list[Outbox] = field(default_factory=list)
    """Outgoing mail on other tickets (or none) that names it."""
    reply_to: list[Ticket] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# -- finding ---------------------------------------------------------------------------------


def _address(value: str) -> str:
    return parse_address(value)


def _listed(value: str | None, address: str) -> bool:
    """Whether a header-like list (``a@x, B <b@y>``) holds ``address``."""
    if not value or address not in value.lower():
        return False
    return any(found.strip().lower() == address for _name, found in getaddresses([value]))


def _without(value: str | None, address: str) -> str | None:
    """The list without ``address`` (its other entries as they were); None when empty."""
    if value is None:
        return None
    kept = [
        part.strip()
        for part in _split(value)
        if not any(a.strip().lower() == address for _n, a in getaddresses([part]))
    ]
    return ", ".join(part for part in kept if part) or None


def _split(value: str) -> list[str]:
    """A header list's entries, commas inside quotes or angle brackets kept."""
    parts, current, quoted, angled = [], "", False, False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char == "<":
            angled = True
        elif char == ">":
            angled = False
        if char == "," and not quoted and not angled:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _scrub(value: str | None, patterns: Sequence[_Needle]) -> str | None:
    if value is None:
        return None
    for needle in patterns:
        value = needle.pattern.sub(FORGOTTEN, value)
    return value


class _Needle(NamedTuple):
    """A text to find (by ``LIKE``, any case) and the pattern that replaces it."""

    text: str
    pattern: re.Pattern[str]


def _patterns(address: str, name: str | None) -> list[_Needle]:
    """The address anywhere (any case); the name as whole words, if it is long enough."""
    found = [_Needle(address, re.compile(re.escape(address), re.IGNORECASE))]
    if name and len(name.strip()) >= MIN_NAME:
        words = name.strip()
        pattern = re.compile(rf"(?<!\w){re.escape(words)}(?!\w)", re.IGNORECASE)
        found.append(_Needle(words, pattern))
    return found


def _contains(column: Any, text: str) -> Any:
    """``column`` holds ``text`` in any case (``%``/``_`` in it taken literally)."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _own(session: Session, address: str, *, lock: bool) -> tuple[Contact | None, list[Ticket]]:
    """The contact with ``address`` and their own tickets: by keys (the contact's unique
    address, the tickets' requester index), at once on any desk."""
    query = select(Contact).where(Contact.email == address)
    if lock:
        # The poller's new ticket or follow-up for this contact waits on this lock (its
        # foreign key check) and fails after the commit; its mail is read again next poll.
        # Taken after the tickets' locks (``_lock_tickets``): a follow-up locks its ticket
        # first and then checks the contact, so the other order could deadlock.
        query = query.with_for_update()
    contact = session.exec(query).first()
    own: list[Ticket] = []
    if contact is not None:
        own = list(
            session.exec(
                select(Ticket).where(Ticket.requester_id == contact.id).order_by(col(Ticket.number))
            )
        )
    return contact, own


def _naming(session: Session, address: str, *, lock: bool) -> _Naming:
    """Everything naming ``address``: its own rows by key, then every message, mail and
    ticket elsewhere that names it — a read of the whole of those tables (no index holds an
    address inside a header list or a text), seconds on a desk of a million tickets."""
    contact, own = _own(session, address, lock=lock)
    own_ids = {t.id for t in own}
    candidates = [
        _contains(Message.from_address, address),
        _contains(Message.to_addresses, address),
        _contains(Message.cc_addresses, address),
    ]
    if contact is not None:
        candidates.append(col(Message.author_contact_id) == contact.id)
    messages = [
        m
        for m in session.exec(select(Message).where(or_(*candidates)).order_by(col(Message.id)))
        if m.ticket_id not in own_ids
        and (
            (contact is not None and m.author_contact_id == contact.id)
            or (m.from_address or "").strip().lower() == address
            or _listed(m.to_addresses, address)
            or _listed(m.cc_addresses, address)
        )
    ]
    mail = [
        o
        for o in session.exec(
            select(Outbox)
            .where(
                or_(
                    _contains(Outbox.to_addresses, address), _contains(Outbox.cc_addresses, address)
                )
            )
            .order_by(col(Outbox.id))
        )
        if o.ticket_id not in own_ids
        and (_listed(o.to_addresses, address) or _listed(o.cc_addresses, address))
    ]
    reply_to = [
        t
        for t in session.exec(select(Ticket).where(func.lower(Ticket.reply_to) == address))
        if t.id not in own_ids
    ]
    return _Naming(contact, own, messages, mail, reply_to)


def _copies(session: Session, naming: _Naming, address: str) -> list[Ticket]:
    """The other tickets that name ``address``: in a message's or a mail's To/Cc, as the
    sender of a message there, in ``Reply-To``, or among the people it copies."""
    own = {t.id for t in naming.own}
    ids = {m.ticket_id for m in naming.messages}
    ids |= tickets_copying(session, address) - own
    ids |= {o.ticket_id for o in naming.mail if o.ticket_id is not None}
    ids |= {t.id for t in naming.reply_to if t.id is not None}
    if not ids:
        return []
    return list(
        session.exec(select(Ticket).where(col(Ticket.id).in_(ids)).order_by(col(Ticket.number)))
    )


def _held_models() -> tuple[Any, ...]:
    from helpdesk_tui.storage.mail_models import MachineMail, QuarantinedMail, SpamMail

    return MachineMail, QuarantinedMail, SpamMail


def _held_rows(session: Session, address: str) -> list[Any]:
    """Held mail from the address: spam, machine mail, quarantine — by key: held mail is
    never purged (a release or a retry only marks it), so these tables grow with the desk;
    migration 0040 indexes exactly ``lower(from_address)`` / ``lower(from_hint)``."""
    from helpdesk_tui.storage.mail_models import MachineMail, QuarantinedMail, SpamMail

    rows: list[Any] = []
    for model, column in (
        (SpamMail, SpamMail.from_address),
        (MachineMail, MachineMail.from_address),
        (QuarantinedMail, QuarantinedMail.from_hint),
    ):
        rows.extend(session.exec(select(model).where(func.lower(column) == address)))
    return rows


def _count(session: Session, statement: Any) -> int:
    return int(session.exec(statement).one())


# -- reading -------------------------------------------------------------------------------


def contact_card(session: Session, address: str, *, copies: bool = False) -> ContactCard:
    """Who ``address`` is and what the desk keeps about them; :class:`NotFound` when it
    keeps nothing.

    Read by keys, at once on any desk: the contact, their own tickets (the requester
    index), the tickets that copy them (``ticket_copy``'s address index), opt-out, bounce,
    acknowledgements, held mail. The other tickets that name them (a ``Reply-To``, a
    message's To/Cc, a message they sent there) only with ``copies``: no index holds an
    address inside a header list, so that reads every message, mail and ticket."""
    address = _address(address)
    if copies:
        naming = _naming(session, address, lock=False)
    else:
        naming = _Naming(*_own(session, address, lock=False))
    return _card(session, address, naming, copies=copies)


def _card(session: Session, address: str, naming: _Naming, *, copies: bool) -> ContactCard:
    from helpdesk_tui.storage.mail_models import AckSent, BouncedAddress
    from helpdesk_tui.storage.survey_models import SurveyOptOut

    contact = naming.contact
    tickets = [
        ContactTicket(t.number, t.subject, t.status, "requester", t.updated_at) for t in naming.own
    ] + [
        ContactTicket(t.number, t.subject, t.status, "copy", t.updated_at)
        for t in _copies(session, naming, address)  # (without ``copies``: ticket_copy's, by key)
    ]
    organization = None
    if contact is not None and contact.organization_id is not None:
        found = session.get(Organization, contact.organization_id)
        organization = found.name if found else None
    opted_out = contact is not None and (session.get(SurveyOptOut, contact.id) is not None)
    bounce = session.get(BouncedAddress, address)
    acks = _count(session, select(func.count()).where(AckSent.address == address))
    held = len(_held_rows(session, address))
    if contact is None and not tickets and bounce is None and not acks and not held:
        unread = "" if copies else " (other tickets' messages not read: a whole-desk read)"
        raise NotFound(f"the desk keeps nothing about {address}{unread}")
    return ContactCard(
        address=address,
        name=contact.name if contact else None,
        phone=contact.phone if contact else None,
        organization=organization,
        created_at=contact.created_at if contact else None,
        tickets=tuple(sorted(tickets, key=lambda t: t.number)),
        survey_opt_out=opted_out,
        bounced_at=bounce.bounced_at if bounce else None,
        bounce_status=bounce.dsn_status if bounce else None,
        acknowledgements=acks,
        held_mail=held,
        copies_read=copies,
    )


def contact_export(session: Session, actor: Actor, address: str) -> dict[str, Any]:
    """Everything the desk holds on ``address``, as one JSON-ready value (admins only):
    the contact, their tickets in full (thread, files' names and sizes, history, mail),
    the messages and mail of other tickets that name them, the events elsewhere that name
    them, and the rows kept about the address."""
    from helpdesk_tui.desk.queries import ticket_detail
    from helpdesk_tui.storage.mail_models import AckSent

    actor.require(Role.ADMIN, "export a contact's data")
    address = _address(address)
    naming = _naming(session, address, lock=False)  # (the one whole-desk read: the copies)
    card = _card(session, address, naming, copies=True)
    patterns = _patterns(address, card.name)
    own = [ticket_detail(session, t.number).as_json() for t in naming.own]
    numbers = {t.id: t.number for t in _copies(session, naming, address)}
    messages = []
    for m in naming.messages:
        files = session.exec(
            select(Attachment.filename, Attachment.content_type, Attachment.size).where(
                Attachment.message_id == m.id
            )
        )
        messages.append(
            {
                "ticket": numbers.get(m.ticket_id),
                "kind": m.kind,
                "from": m.from_address,
                "to": m.to_addresses,
                "cc": m.cc_addresses,
                "subject": m.subject,
                "body": m.body,
                "created_at": m.created_at.isoformat(),
                "attachments": [{"filename": f, "content_type": c, "size": s} for f, c, s in files],
            }
        )
    mail = [
        {
            "ticket": numbers.get(o.ticket_id) if o.ticket_id is not None else None,
            "kind": o.kind,
            "to": o.to_addresses,
            "cc": o.cc_addresses,
            "subject": o.subject,
            "status": o.status,
            "created_at": o.created_at.isoformat(),
        }
        for o in naming.mail
    ]
    own_ids = {t.id for t in naming.own}
    events = [
        {
            "ticket": e.ticket_number,
            "actor": e.actor,
            "kind": e.kind,
            "field": e.field,
            "old": e.old_value,
            "new": e.new_value,
            "at": e.created_at.isoformat(),
        }
        for e, _ in _naming_events(session, patterns, naming)
        if e.ticket_id is None or e.ticket_id not in own_ids
    ]
    acks = [
        at.isoformat()
        for at in session.exec(
            select(AckSent.created_at)
            .where(AckSent.address == address)
            .order_by(col(AckSent.created_at))
        )
    ]
    held = [
        {
            "held_as": type(row).__tablename__,
            "subject": getattr(row, "subject", None) or getattr(row, "subject_hint", None),
            "reason": row.reason,
            "created_at": row.created_at.isoformat(),
        }
        for row in _held_rows(session, address)
    ]
    return {
        "contact": card.as_json(),
        "tickets": own,
        "messages_elsewhere": messages,
        "mail_elsewhere": mail,
        "events_elsewhere": events,
        "acknowledgements": acks,
        "held_mail": held,
        "files": "each attachment by name, type and size (the contents are not exported)",
    }


def _naming_events(
    session: Session, patterns: Sequence[_Needle], naming: _Naming
) -> list[tuple[Event, Sequence[_Needle]]]:
    """Events whose values name them, each with what to scrub in it: their address
    anywhere; their name only on the tickets that name them (``naming``: in copy,
    ``Reply-To``, a mail) and never in a value of the desk's own words (``KEPT_FIELDS``,
    ``KEPT_KINDS``). A customer called "Support" or "Info" leaves the team Support's and
    every other ticket's history as it was.

    Read by keys, not by a ``LIKE`` over every event of the desk (12 s at a million
    tickets): the events of the tickets that name them and of those whose history once
    had them as requester or ``Reply-To`` (``_history_named``), by ticket id; and the
    events of no ticket (a deleted one's, the desk's own), by the same index. Their own
    tickets' events are the tickets' (exported with them, blanked by a forget)."""
    address, *names = patterns
    columns = (Event.old_value, Event.new_value)
    near = {t for t in (*_ticket_ids(naming.messages), *_ticket_ids(naming.mail))}
    near |= {t.id for t in naming.reply_to if t.id is not None}
    near |= tickets_copying(session, address.text)
    own = {t.id for t in naming.own}
    scope = (near | _history_named(session, address.text)) - own
    named_address = or_(*[_contains(column, address.text) for column in columns])
    wheres = [and_(col(Event.ticket_id).is_(None), named_address)]
    if scope:
        candidates = [named_address]
        if names and near:
            named = or_(*[_contains(column, n.text) for n in names for column in columns])
            candidates.append(and_(col(Event.ticket_id).in_(near), named))
        wheres.append(and_(col(Event.ticket_id).in_(scope), or_(*candidates)))
    rows = {e.id: e for where in wheres for e in session.exec(select(Event).where(where))}
    found: list[tuple[Event, Sequence[_Needle]]] = []
    for _id, e in sorted(rows.items(), key=lambda item: item[0] or 0):
        words = e.kind in KEPT_KINDS or (e.field or "") in KEPT_FIELDS
        scrub = patterns if e.ticket_id in near and not words else [address]
        if any(
            n.pattern.search(e.old_value or "") or n.pattern.search(e.new_value or "")
            for n in scrub
        ):
            found.append((e, scrub))
    return found


def _history_named(session: Session, address: str) -> set[int]:
    """The tickets whose history has ``address`` as requester or ``Reply-To`` (changed
    away since, the ticket may not name them now): by the partial indexes
    ``ix_event_address_old``/``_new`` (the condition written as their literal)."""
    changed = text(ADDRESS_FIELDS)
    found: set[int] = set()
    for column in (Event.old_value, Event.new_value):
        found.update(
            i
            for i in session.exec(select(Event.ticket_id).where(changed, col(column) == address))
            if i is not None
        )
    return found


def _ticket_ids(rows: Sequence[Message] | Sequence[Outbox]) -> list[int]:
    return [r.ticket_id for r in rows if r.ticket_id is not None]


def forgotten(session: Session, actor: Actor) -> list[ForgottenEntry]:
    """Every forget in the desk's history, newest first (admins only)."""
    from helpdesk_tui.desk.ticket_reads import describe

    actor.require(Role.ADMIN, "read the record of forgotten contacts")
    rows = session.exec(
        select(Event).where(Event.kind == FORGOTTEN_KIND).order_by(col(Event.id).desc())
    )
    return [ForgottenEntry(e.actor, e.created_at, describe(e)) for e in rows]


# -- forgetting ----------------------------------------------------------------------------


def forget_plan(session: Session, actor: Actor, address: str) -> ForgetPlan:
    """What :func:`forget_contact` would delete and scrub (admins only); given back to it,
    the work is done on what was read here unless the desk changed meanwhile."""
    actor.require(Role.ADMIN, "forget a contact")
    address = _address(address)
    mark = _desk_mark(session)  # (first: whatever commits during the read moves it)
    naming = _naming(session, address, lock=False)
    card = _card(session, address, naming, copies=True)
    return ForgetPlan(
        address=card.address,
        name=card.name,
        tickets=tuple(t.number for t in card.tickets if t.role == "requester"),
        copies=tuple(t.number for t in card.tickets if t.role == "copy"),
        read=_PlanRead(
            mark=mark,
            own=_ids(naming.own),
            messages=_ids(naming.messages),
            mail=_ids(naming.mail),
            reply_to=_ids(naming.reply_to),
        ),
    )


def _ids(rows: Sequence[Ticket] | Sequence[Message] | Sequence[Outbox]) -> tuple[int, ...]:
    return tuple(r.id for r in rows if r.id is not None)


def _desk_mark(session: Session) -> tuple[Any, ...]:
    """What moves when anything that could name an address is written: the desk's newest
    events (every ticket change writes one) and the newest outgoing mail (mail of no ticket
    writes no event), each with a late PostgreSQL commit counted (``queue.newest_ids``: a
    mail that took its id before the newest, committed after the question, kept their
    address when the newest id alone was compared). Keys only: the newest ids."""
    from helpdesk_tui.desk.queue import newest_events, newest_ids

    events = tuple(session.execute(newest_events()).one())
    return (*events, *session.execute(newest_ids(Outbox.id)).one())


def _naming_locked(session: Session, address: str, plan: ForgetPlan | None) -> _Naming:
    """The rows naming ``address``, the contact locked: those the plan read (by id) when
    nothing was written since it read them (the same change mark, the same own tickets),
    else read again from the whole desk — what came meanwhile is forgotten too."""
    read = plan.read if plan is not None and plan.address == address else None
    if read is not None:
        contact, own = _own(session, address, lock=True)
        if _desk_mark(session) == read.mark and _ids(own) == read.own:
            return _Naming(
                contact,
                own,
                _by_ids(session, Message, read.messages),
                _by_ids(session, Outbox, read.mail),
                _by_ids(session, Ticket, read.reply_to),
            )
    return _naming(session, address, lock=True)


def forget_contact(
    session: Session,
    actor: Actor,
    address: str,
    now: datetime | None = None,
    plan: ForgetPlan | None = None,
) -> ForgetResult:
    """Forget everything the desk keeps about ``address`` (admins only), in the caller's
    transaction: see the module's text for what goes and what stays. With the ``plan``
    the admin answered, its read is what is done if the desk has not changed since."""
    from helpdesk_tui.desk import relations
    from helpdesk_tui.desk.satisfaction import address_hash
    from helpdesk_tui.storage.mail_models import AckSent, BouncedAddress, ProcessedMail
    from helpdesk_tui.storage.survey_models import SurveyOptOut, SurveyOptOutHash

    actor.require(Role.ADMIN, "forget a contact")
    address = _address(address)
    _lock_tickets(session, _own(session, address, lock=False)[1])
    naming = _naming_locked(session, address, plan)
    _lock_tickets(session, naming.own)  # (one the poller made meanwhile: its ticket too)
    contact = naming.contact
    held = _held_rows(session, address)
    acks = _count(session, select(func.count()).where(AckSent.address == address))
    bounce = session.get(BouncedAddress, address)
    copying = tickets_copying(session, address)
    if contact is None and not (
        naming.messages or naming.mail or naming.reply_to or held or acks or bounce or copying
    ):
        raise NotFound(f"the desk keeps nothing about {address}")
    patterns = _patterns(address, contact.name if contact else None)
    own_ids = [t.id for t in naming.own if t.id is not None]
    numbers = tuple(t.number for t in naming.own)
    copied = tuple(t.number for t in _copies(session, naming, address))

    # Read before the deletes: what points at their tickets, messages and mail.
    own_messages = (
        list(session.exec(select(Message.id).where(col(Message.ticket_id).in_(own_ids))))
        if own_ids
        else []
    )
    own_events = (
        list(session.exec(select(Event.id).where(col(Event.ticket_id).in_(own_ids))))
        if own_ids
        else []
    )
    raw_ids = {m.raw_message_id for m in naming.messages if m.raw_message_id is not None}
    raw_ids |= {row.raw_message_id for row in held}
    marks: list[Any] = []
    if own_ids:
        marks.append(col(ProcessedMail.ticket_id).in_(own_ids))
    if own_messages:
        marks.append(col(ProcessedMail.message_id).in_(own_messages))
    if raw_ids:
        marks.append(col(ProcessedMail.raw_message_id).in_(raw_ids))
    processed = list(session.exec(select(ProcessedMail.id).where(or_(*marks)))) if marks else []
    opted_out = contact is not None and session.get(SurveyOptOut, contact.id) is not None

    for number in numbers:
        relations.delete_ticket(session, actor, number)
    session.flush()

    # Their deleted tickets' events: who did what, when; no values but the desk's words.
    deleted = (
        list(
            session.exec(
                select(Event.id).where(
                    col(Event.ticket_id).is_(None),
                    col(Event.ticket_number).in_(numbers),
                    Event.kind == "deleted",
                )
            )
        )
        if numbers
        else []
    )
    events_scrubbed = 0
    for event in _by_ids(session, Event, [i for i in [*own_events, *deleted] if i is not None]):
        if event.kind in KEPT_KINDS or (event.field or "") in KEPT_FIELDS:
            continue
        if event.old_value is not None or event.new_value is not None:
            event.old_value = event.new_value = None
            session.add(event)
            events_scrubbed += 1
    for event, scrub in _naming_events(session, patterns, naming):
        event.old_value = _scrub(event.old_value, scrub)
        event.new_value = _scrub(event.new_value, scrub)
        session.add(event)
        events_scrubbed += 1

    # Other tickets: out of the copies, the sender's address gone, the address in the text.
    forget_copies(session, address)
    authored = contact.id if contact is not None else None
    for message in naming.messages:
        if (message.author_contact_id == authored and authored is not None) or (
            (message.from_address or "").strip().lower() == address
        ):
            message.author_contact_id = None
            message.from_address = None
        message.to_addresses = _without(message.to_addresses, address)
        message.cc_addresses = _without(message.cc_addresses, address)
        message.subject = _scrub(message.subject, patterns)
        message.body = _scrub(message.body, patterns) or ""
        message.body_html = _scrub(message.body_html, patterns)
        message.raw_message_id = None
        session.add(message)
    mail_scrubbed = 0
    for mail in naming.mail:
        mail_scrubbed += 1
        to = _without(mail.to_addresses, address)
        if to is None and mail.status in ("queued", "retrying"):
            session.delete(mail)  # (a mail to them alone, not yet gone: withdrawn)
            continue
        mail.to_addresses = to or FORGOTTEN
        mail.cc_addresses = _without(mail.cc_addresses, address)
        mail.subject = _scrub(mail.subject, patterns) or ""
        mail.body = _scrub(mail.body, patterns) or ""
        session.add(mail)
    for ticket in naming.reply_to:
        ticket.reply_to = None
        ticket.version += 1
        session.add(ticket)

    # The rows naming the address.
    rows_erased = 0
    for row in held:
        session.delete(row)
        rows_erased += 1
    rows_erased += _deleted(session, delete(AckSent).where(col(AckSent.address) == address))
    rows_erased += _deleted(
        session, delete(BouncedAddress).where(col(BouncedAddress.address) == address)
    )
    session.flush()
    if raw_ids:
        still_held = [
            exists().where(col(model.raw_message_id) == RawMessage.id)
            for model in (Message, *_held_models())
        ]
        session.execute(
            delete(RawMessage).where(col(RawMessage.id).in_(raw_ids), *(~h for h in still_held))
        )
    if processed:
        # The mark stays (their mail is not fetched again), as the hash it is found by.
        session.execute(
            update(ProcessedMail)
            .where(col(ProcessedMail.id).in_(processed))
            .values(dedupe_key=ProcessedMail.key_hash)
        )
    if opted_out:
        digest = address_hash(address)
        if session.get(SurveyOptOutHash, digest) is None:
            session.add(SurveyOptOutHash(address_hash=digest))
    if contact is not None:
        if opted_out:
            rows_erased += _deleted(
                session, delete(SurveyOptOut).where(col(SurveyOptOut.contact_id) == contact.id)
            )
        session.delete(contact)
        rows_erased += 1
    session.flush()
    session.add(
        Event(
            ticket_id=None,
            ticket_number=None,
            actor_agent_id=actor.agent_id,
            actor=actor.name,
            kind=FORGOTTEN_KIND,
            new_value=_summary(numbers, copied),
            created_at=now or utcnow(),
        )
    )
    return ForgetResult(
        tickets_deleted=numbers,
        tickets_scrubbed=copied,
        messages_scrubbed=len(naming.messages),
        mail_scrubbed=mail_scrubbed,
        events_scrubbed=events_scrubbed,
        rows_erased=rows_erased,
        opt_out_kept=opted_out,
    )


def _summary(numbers: Sequence[int], copies: Sequence[int]) -> str:
    """The forget event's text: how many tickets went (their numbers), how many were scrubbed."""
    went = ", ".join(f"#{n}" for n in numbers)
    text = f"{len(numbers)} ticket{'s' if len(numbers) != 1 else ''} deleted"
    text += f" ({went})" if numbers else ""
    if copies:
        text += f"; named on {len(copies)} other ticket{'s' if len(copies) != 1 else ''}"
    return text


def _lock_tickets(session: Session, tickets: Sequence[Ticket]) -> None:
    """Lock these tickets in number order (as two agents' changes do), before the contact."""
    ids = [t.id for t in tickets if t.id is not None]
    if ids:
        session.exec(
            select(Ticket.id)
            .where(col(Ticket.id).in_(ids))
            .order_by(col(Ticket.number))
            .with_for_update()
        ).all()


def _by_ids(session: Session, model: Any, ids: Iterable[int]) -> list[Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(
        session.exec(select(model).where(col(model.id).in_(wanted)).order_by(col(model.id)))
    )


def _deleted(session: Session, statement: Any) -> int:
    result: Any = session.execute(statement)
    return int(result.rowcount or 0)
