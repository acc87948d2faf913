"""Incoming mail: what each message is decided to be, in one function, and the one writer.

The mail layer reads a message (parses it, classifies it, hashes its content) into an
:class:`Inbound`; from there everything is here:

- :func:`decide` is every rule of intake in one place: quarantine, duplicate (same
  Message-ID *and* same content, or the same raw bytes but for how a server wrote them),
  our own mail, spam, machine mail (bounce, read receipt,
  report, auto-reply) recorded on its ticket or held apart, a follow-up, a new ticket, and
  who gets an acknowledgement. It reads the batch's :class:`~.intake_rows.Lookups` and
  writes nothing.
- :class:`Writer` applies decisions, batching the common ones into one statement per table
  (:class:`~.intake_rows.Intake`); what needs the ORM (quarantine, spam, a message on a
  closed ticket, which starts a linked one through :func:`~.thread.add_customer_message`)
  it writes in a savepoint of its own.
- :func:`ingest_batch` runs a batch through both: runs of messages share a savepoint; when
  anything in a run fails, the run is done again one message per savepoint, so only the
  message at fault goes to quarantine. Only database trouble (connection lost, disk full)
  propagates, because then nothing of the batch should count.

Every message ends in exactly one processed row keyed by Message-ID and content hash (the
content hash alone without a Message-ID): reading it again, for any reason, changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from helpdesk_tui.desk import copies, fields, outbox, quarantine, spam
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.canned import greeting_name
from helpdesk_tui.desk.contacts import find_or_create_contact
from helpdesk_tui.desk.inbound import (
    ACK_KIND,
    AUTOMATIC_TAG,
    MACHINE_CLASSES,
    Inbound,
    IngestResult,
    IntakeConfig,
    MailClass,
    Report,
)
from helpdesk_tui.desk.intake_rows import (
    AnyTicket,
    ContactRef,
    Intake,
    Lookups,
    MessageHandle,
    NewTicket,
    Seen,
    TicketKey,
    Wanted,
    address_or_none,
    contact_id,
    same_contact,
    same_text,
    ticket_key,
)
from helpdesk_tui.desk.kb import public_link
from helpdesk_tui.desk.kb_service import articles_for_acknowledgement
from helpdesk_tui.desk.list_tags import strip_known_list_tags
from helpdesk_tui.desk.mailstate import insert_processed, key_hash, mark_processed, processed_row
from helpdesk_tui.desk.routing import Arrival, Trigger
from helpdesk_tui.desk.satisfaction import record_rating, survey_answer
from helpdesk_tui.desk.subjects import base_subject, reply_subject
from helpdesk_tui.desk.thread import add_customer_message
from helpdesk_tui.desk.ticket_record import save
from helpdesk_tui.desk.tickets import EmailMeta, add_message, load_ticket
from helpdesk_tui.desk.values import is_noreply
from helpdesk_tui.storage.db_errors import Failure, failure_of
from helpdesk_tui.storage.driver_rows import insert_rows
from helpdesk_tui.storage.enums import clock_of
from helpdesk_tui.storage.mail_models import AckSent, MachineMail, Outcome, ProcessedMail
from helpdesk_tui.storage.models import (
    Channel,
    Message,
    MessageKind,
    Status,
    Ticket,
    utcnow,
)

log = logging.getLogger(__name__)

ARTICLES_INTRO = "These articles may already answer your question:"

_ACK = AckSent.__table__  # type: ignore[attr-defined]
_MACHINE = MachineMail.__table__  # type: ignore[attr-defined]
_PROCESSED = ProcessedMail.__table__  # type: ignore[attr-defined]

# --- the decision --------------------------------------------------------------------------


class Action(StrEnum):
    TICKET = "ticket"
    FOLLOW_UP = "follow_up"
    MACHINE_NOTE = "machine_note"
    """Machine mail recorded on its ticket: a system note, no status change, no answer."""
    ANSWERED_OUTSIDE = "answered_outside"
    """A colleague's answer to a customer from our own address that matches no ticket: a
    new ticket for that customer, answered (the reply recorded as sent outside the desk)."""
    HOLD_MACHINE = "hold_machine"
    SPAM = "spam"
    OWN = "own"
    QUARANTINE = "quarantine"
    DUPLICATE = "duplicate"
    DIRECT_COPY = "direct_copy"
    """The sender's own copy of a message a mailing list's copy opened a ticket with: a
    duplicate that gives the ticket its real requester (:func:`_direct_copy`)."""


@dataclass(frozen=True)
class Decision:
    action: Action
    target: TicketKey | None = None
    """The ticket a follow-up or machine note goes to."""
    mentioned: int | None = None
    """A ticket the subject names that the sender may not write into."""
    collision: bool = False
    """Another message with other content came before under this Message-ID."""
    acknowledge: str | None = None
    """The address an acknowledgement goes to, should this message start a ticket."""
    no_ack: str | None = None
    """Why it gets none."""
    requester: str | None = None
    reply_to: str | None = None
    """Where replies should go instead of the requester (stored on the ticket)."""
    reason: str | None = None
    earlier: Seen | None = None
    forwarded_by: str | None = None
    """The agent (login and address) who forwarded a customer's mail: not the requester."""


def decide(
    item: Inbound,
    lookups: Lookups,
    config: IntakeConfig,
    *,
    redo: Outcome | None = None,
    not_spam: bool = False,
) -> Decision:
    """What to do with one message: every intake rule, in order, written once."""
    earlier = lookups.processed.get(item.key)
    if earlier is None:
        # The very same bytes processed before under another key: its content hash was
        # computed by an older version (a message read again after an upgrade).
        earlier = lookups.by_raw.get(item.sha)
    if earlier is None and item.normal_hash is not None:
        # No Message-ID, and bytes a server re-encoded since (line ends, folding).
        earlier = lookups.by_normal.get(item.normal_hash)
    if earlier is not None and (redo is None or earlier.outcome != redo):
        return Decision(Action.DUPLICATE, earlier=earlier)
    # A copy of a message seen before comes first, before whether it can be parsed: a
    # message quarantined (or read) before, re-encoded by a server since, is that one, not
    # a second quarantine entry.
    collision = False
    if item.message_id and earlier is None:
        others = lookups.contents.get(key_hash(item.message_id), [])
        legacy = [seen for content, seen in others if content is None]
        if legacy and redo is None:
            # Stored before contents were hashed: a copy cannot be told from a reuse.
            return Decision(Action.DUPLICATE, earlier=legacy[0])
        collision = any(content != item.content_hash for content, _ in others)
        if collision and redo is None and item.mailing_list:
            # A list's copy of a message the desk has (sent to the desk and to the list at
            # once): the same text with the list's subject tag, footer and From.
            copied = lookups.list_copy(item.message_id, item.body)
            if copied is not None:
                return Decision(Action.DUPLICATE, earlier=copied)
        if collision and redo is None:
            # Another content hash under this Message-ID: a hash from an older version of a
            # message a server re-encoded since (CRLF, folding) is the same message.
            copy = lookups.transport_copy(item.message_id, item.raw)
            if copy is not None:
                return Decision(Action.DUPLICATE, earlier=copy)
        if collision and redo is None and not item.mailing_list:
            direct = _direct_copy(item, lookups, config)
            if direct is not None:
                return direct
    if item.failure is not None:
        return Decision(Action.QUARANTINE, reason=item.failure)
    if item.mail_class is MailClass.OWN:
        return Decision(Action.OWN)
    if item.mail_class is MailClass.SPAM and not not_spam:
        return Decision(Action.SPAM, reason=item.reason)
    if item.mail_class in MACHINE_CLASSES:
        target, _ = _thread_target(item, lookups)
        if target is None and _answers_a_customer(item, config):
            return Decision(Action.ANSWERED_OUTSIDE, requester=item.answered, collision=collision)
        if target is None:
            return Decision(Action.HOLD_MACHINE, reason=item.reason, collision=collision)
        return Decision(Action.MACHINE_NOTE, target, reason=item.reason, collision=collision)
    requester, reply_to = _addresses(item, config)
    forwarded_by: str | None = None
    agent = lookups.agent_login(requester) if requester and item.forwarded_from else None
    if agent is not None and item.forwarded_from not in config.own_addresses:
        # An agent forwarded a customer's mail from their own mailbox: the customer asks.
        forwarded_by, requester, reply_to = f"{agent} ({requester})", item.forwarded_from, None
    target, mentioned = _thread_target(item, lookups, requester if forwarded_by else None)
    address = reply_to or requester
    no_ack = _no_ack(item, address, lookups, config)
    if forwarded_by is not None and no_ack is None and not config.ack_forwards:
        no_ack = "an agent's forward (mail.ack_forwards is off)"
    return Decision(
        Action.FOLLOW_UP if target is not None else Action.TICKET,
        target,
        mentioned=mentioned if target is None else None,
        collision=collision,
        acknowledge=address if no_ack is None else None,
        no_ack=no_ack,
        requester=requester,
        reply_to=reply_to,
        forwarded_by=forwarded_by,
    )


def _direct_copy(item: Inbound, lookups: Lookups, config: IntakeConfig) -> Decision | None:
    """The sender's own copy of a message whose mailing list's copy came first and opened a
    ticket (the customer wrote to the desk and to the list at once): the same text under
    the same Message-ID, and the ticket's requester is this copy's sender (the list's copy
    named her: a duplicate) or an address this copy was sent to (the list's own, taken from
    the list's From). It is that message, and it names the ticket's real requester:
    :attr:`Action.DIRECT_COPY` while no agent has replied, with the acknowledgement a new
    ticket of hers would have had, a duplicate after. None: not such a copy (a reused
    Message-ID stays a message of its own).
    """
    assert item.message_id is not None
    opened = lookups.list_copy(item.message_id, item.body)
    if opened is None or opened.outcome != Outcome.TICKET or opened.number is None:
        return None
    requester, reply_to = _addresses(item, config)
    state = lookups.opened_by(opened.number)
    if state is None:  # opened in this batch, not written yet: decided again alone
        return Decision(Action.DIRECT_COPY, earlier=opened, requester=requester)
    listed = state.requester
    if listed is not None and listed == requester:
        # The list's copy named her already (From rewritten, she in Reply-To): her own copy
        # is that message; from her own address as before, an edit under a reused ID is not.
        sender = address_or_none(item.from_address)
        if sender in lookups.earlier_senders(item.message_id):
            return None
        return Decision(Action.DUPLICATE, earlier=opened)
    sent_to = {address.lower() for address in (*item.email.to, *item.email.cc)}
    if listed is None or listed not in sent_to:
        return None
    if state.replied or requester is None:
        return Decision(Action.DUPLICATE, earlier=opened)
    # The acknowledgement she would have had, had her copy come first: once (the list's
    # copy got none, a list's mail gets none), and as any new ticket's (the no-ack rules,
    # the hourly cap).
    address = reply_to or requester
    no_ack = (
        "acknowledged before" if state.acknowledged else _no_ack(item, address, lookups, config)
    )
    return Decision(
        Action.DIRECT_COPY,
        earlier=opened,
        acknowledge=address if no_ack is None else None,
        no_ack=no_ack,
        requester=requester,
        reply_to=reply_to,
    )


def _answers_a_customer(item: Inbound, config: IntakeConfig) -> bool:
    """Mail from our own address that clearly answers a customer (not the desk, not a
    no-reply address): a colleague's reply, worth a ticket rather than the holding area."""
    address = item.answered
    return (
        item.mail_class is MailClass.OWN_ADDRESS
        and address is not None
        and address not in config.own_addresses
        and not is_noreply(address)
    )


def _thread_target(
    item: Inbound, lookups: Lookups, original_sender: str | None = None
) -> tuple[TicketKey | None, int | None]:
    """The ticket a message continues (headers first, then subject tokens), and a mention.

    A subject token threads only for the ticket's requester or someone already on its
    thread: a stranger quoting a number must not write into another customer's ticket. For
    an agent's forward, the ``original_sender`` of the forwarded mail counts too.
    """
    for ref in item.thread_refs:
        found = lookups.threads.get(ref.message_id)
        if found is None and ref.ticket_number is not None:
            found = lookups.numbers.get(ref.ticket_number)
        if found is not None:
            return found, None
    mentioned: int | None = None
    for number in item.tokens:
        ticket = lookups.numbers.get(number)
        if ticket is None:
            continue
        people = lookups.participants(ticket)
        if (item.from_address and item.from_address in people) or original_sender in people:
            return ticket, None
        mentioned = mentioned or number
    return None, mentioned


def _addresses(item: Inbound, config: IntakeConfig) -> tuple[str | None, str | None]:
    """The requester, and the reply address when the message asks for another one.

    Behind a web form the sender is ``noreply@…`` and the person is in ``Reply-To``: then
    the person is the requester. A mailing list's own address is neither while another is
    given: a list that sets ``Reply-To`` to itself would have every reply go to its
    subscribers, and one that rewrites ``From`` to itself (DMARC) names the poster in
    ``Reply-To``.
    """
    sender = address_or_none(item.from_address)
    if sender in config.own_addresses:
        sender = None  # held mail from our own address, released: the desk is no requester
    reply_to = address_or_none(item.reply_to)
    listed = item.list_address
    if reply_to is None or reply_to in (sender, listed) or reply_to in config.own_addresses:
        return sender, None
    if sender is None or sender == listed or is_noreply(sender):
        return reply_to, None
    return sender, reply_to


def _no_ack(
    item: Inbound, address: str | None, lookups: Lookups, config: IntakeConfig
) -> str | None:
    """Why a new ticket from this message gets no acknowledgement (None: it gets one)."""
    if not config.ack_enabled or config.ack_limit_per_hour == 0:
        return "acknowledgements are off"
    if address is None:
        return "no address"
    if item.no_ack is not None:
        return item.no_ack
    if address in config.own_addresses:
        return "our own address"
    if is_noreply(address):
        return "a no-reply address"
    if address in lookups.dead:  # (``outbox.dead_address``: the rule the sender holds to)
        return lookups.dead[address]
    if lookups.acks[address] >= config.ack_limit_per_hour:
        return f"{address} had {lookups.acks[address]} this hour"
    return None


# --- the writer ----------------------------------------------------------------------------


class NeedsOwnSavepoint(Exception):
    """Raised before anything is written: the message needs the ORM, in a savepoint alone."""


@dataclass
class _Pending:
    processed: list[tuple[dict[str, object], MessageHandle | None]] = field(default_factory=list)
    acks: list[dict[str, object]] = field(default_factory=list)
    machine: list[dict[str, object]] = field(default_factory=list)
    automatic: list[int] = field(default_factory=list)
    """New tickets (numbers) whose subject looks like an automatic reply's: tagged."""


class Writer:
    """Applies decisions: the only code that writes incoming mail into the desk.

    Common decisions are collected in an :class:`Intake` and written at :meth:`flush`,
    one statement per table. With ``alone`` set, the writer also takes what needs the ORM
    (quarantine, spam, a message on a closed ticket); without it, such a message raises
    :class:`NeedsOwnSavepoint` before anything is written.
    """

    def __init__(
        self,
        session: Session,
        lookups: Lookups,
        config: IntakeConfig,
        now: datetime,
        *,
        size: int = 1,
        alone: bool = False,
    ) -> None:
        self.session = session
        self.lookups = lookups
        self.config = config
        self.now = now
        self.alone = alone
        self.rows = Intake(session, expected_tickets=size)
        if not alone:  # writes no ticket through the ORM: its tickets are locked together
            known = (*lookups.threads.values(), *lookups.numbers.values())
            self.rows.expect_tickets(t for t in known if isinstance(t, int))
        self._pending = _Pending()
        self._arrivals: list[tuple[AnyTicket, Arrival]] = []
        self._outside_replied: set[int] = set()
        """Tickets given their first response by a reply sent outside the desk, this batch."""

    def apply(self, item: Inbound, decision: Decision, *, seen_before: bool) -> IngestResult:
        action = decision.action
        if action is Action.DUPLICATE:
            earlier = decision.earlier
            assert earlier is not None
            return IngestResult(Outcome(earlier.outcome), earlier.number, duplicate=True)
        if action in (Action.QUARANTINE, Action.SPAM, Action.DIRECT_COPY) and not self.alone:
            raise NeedsOwnSavepoint
        if action is Action.DIRECT_COPY:
            return self._direct_copy(item, decision)
        raw_id = self.lookups.raw_id(item.raw, item.sha)
        if action is Action.QUARANTINE:
            return self._quarantine(item, decision.reason or "unknown", raw_id, seen_before)
        if decision.collision:
            log.warning(
                "Message-ID %s was used before by a message with other content; kept as its own",
                item.message_id,
            )
        if action is Action.OWN:
            self._processed(item, Outcome.OWN, None, None, raw_id, seen_before)
            return IngestResult(Outcome.OWN)
        if action is Action.SPAM:
            reason = decision.reason or "spam"
            source = item.source
            spam.hold(
                self.session,
                raw_id,
                reason,
                mailbox=source.mailbox if source else None,
                from_address=item.from_address,
                subject=item.subject,
            )
            self._processed(item, Outcome.SPAM, None, None, raw_id, seen_before)
            return IngestResult(Outcome.SPAM, reason=reason)
        if action is Action.HOLD_MACHINE:
            self._hold_machine(item, decision, raw_id)
            self._processed(item, Outcome.MACHINE, None, None, raw_id, seen_before)
            return IngestResult(Outcome.MACHINE, reason=decision.reason)
        email = self._email(item, decision, raw_id)
        if action is Action.ANSWERED_OUTSIDE:
            return self._answered_outside(item, decision, email, raw_id, seen_before)
        if action is Action.MACHINE_NOTE:
            return self._machine_note(item, decision, email, raw_id, seen_before)
        if action is Action.FOLLOW_UP:
            rated = self._survey_answer(item, decision, email, raw_id, seen_before)
            return rated or self._follow_up(item, decision, email, raw_id, seen_before)
        return self._new_ticket(item, decision, email, raw_id, seen_before)

    # -- each decision ----------------------------------------------------------------------

    def _new_ticket(
        self, item: Inbound, decision: Decision, email: EmailMeta, raw_id: int, seen: bool
    ) -> IngestResult:
        author = self._contact(decision.requester, item)
        ticket: AnyTicket = self.rows.open_ticket(
            MAIL,
            subject=item.subject or "(no subject)",
            channel=Channel.EMAIL,
            requester_id=author.id if author else None,
            reply_to=decision.reply_to,
        )
        message = self.rows.append_message(
            MAIL,
            ticket,
            kind=MessageKind.CUSTOMER,
            body=item.body,
            channel=Channel.EMAIL,
            author_contact_id=author.id if author else None,
            email=email,
        )
        self._note_forward(ticket, decision, "the requester is the original sender")
        if decision.mentioned is not None:
            self.rows.system_note(
                MAIL,
                ticket,
                f"The subject names #{decision.mentioned}, but "
                f"{item.from_address or 'the sender'} is not on that ticket, so this message "
                "was not added to it.",
            )
        self._after_customer_message(item, decision, ticket)
        no_ack = self._acknowledge(ticket, item, decision, author)
        self._route(ticket, Trigger.NEW, item, decision, no_ack=no_ack)
        if item.automatic:
            self._pending.automatic.append(ticket.number)
        self._processed(item, Outcome.TICKET, ticket, message, raw_id, seen)
        return IngestResult(Outcome.TICKET, ticket.number, acknowledged=no_ack is None)

    def _follow_up(
        self, item: Inbound, decision: Decision, email: EmailMeta, raw_id: int, seen: bool
    ) -> IngestResult:
        target = self._ticket(decision.target)
        if (target is None or target.status == Status.CLOSED) and not self.alone:
            raise NeedsOwnSavepoint
        author = self._contact(decision.requester, item)
        if target is None or target.status == Status.CLOSED:
            return self._on_closed_ticket(item, decision, email, raw_id, seen, target, author)
        # Only the requester moves where the ticket's mail goes.
        is_requester = author is not None and same_contact(author.id, target.requester_id)
        ticket, message = self.rows.customer_follow_up(
            MAIL,
            target,
            body=item.body,
            channel=Channel.EMAIL,
            author_contact_id=author.id if author else None,
            email=email,
            reply_to=decision.reply_to if is_requester else None,
        )
        self._note_forward(ticket, decision, "the message is the original sender's")
        self._after_customer_message(item, decision, ticket)
        self._route(ticket, Trigger.FOLLOW_UP, item, decision)
        self._processed(item, Outcome.FOLLOW_UP, ticket, message, raw_id, seen)
        return IngestResult(Outcome.FOLLOW_UP, ticket.number)

    def _direct_copy(self, item: Inbound, decision: Decision) -> IngestResult:
        """The sender's own copy of the message a mailing list's copy opened the ticket
        with: the sender is the requester (the list was), the reply address the one this
        copy gives, and she gets the acknowledgement the list's copy could not have. A
        duplicate: the message is on the ticket already."""
        earlier = decision.earlier
        assert earlier is not None and earlier.number is not None
        if decision.requester is not None:
            named = decision.requester == address_or_none(item.from_address)
            contact = find_or_create_contact(
                self.session, decision.requester, item.from_name if named else ""
            )
            ticket = fields.set_requester_email(
                self.session, MAIL, earlier.number, decision.requester
            )
            if ticket.reply_to != decision.reply_to:
                fields.set_reply_to(self.session, MAIL, earlier.number, decision.reply_to)
            self.lookups.stale = True  # (its participants, its version)
            if decision.acknowledge is not None:
                self.session.flush()  # the statements below read and write beside the ORM's
                ref = self.rows.lock_ticket(ticket.id)
                assert ref is not None
                author = ContactRef(contact.id, decision.requester, contact.name)
                no_ack = self._acknowledge(ref, item, decision, author)
                if no_ack is None:  # a rule's canned reply in its place, as for a first message
                    self._route(ref, Trigger.NEW, item, decision, answer_only=True)
                return IngestResult(
                    Outcome.TICKET, earlier.number, duplicate=True, acknowledged=no_ack is None
                )
        return IngestResult(Outcome.TICKET, earlier.number, duplicate=True)

    def held_elsewhere(self, item: Inbound, ticket_id: int, *, seen: bool) -> IngestResult:
        """A copy of the thread message on ``ticket_id`` that holds its Message-ID (our
        own sent mail): a duplicate of that follow-up, with the processed row every
        message ends in (:func:`_held_elsewhere`)."""
        ticket = self.rows.lock_ticket(ticket_id)
        raw_id = self.lookups.raw_id(item.raw, item.sha)
        self._processed(item, Outcome.FOLLOW_UP, ticket, None, raw_id, seen)
        number = ticket.number if ticket is not None else None
        return IngestResult(Outcome.FOLLOW_UP, number, duplicate=True)

    def _note_forward(self, ticket: AnyTicket, decision: Decision, what: str) -> None:
        """An agent's forward: a note (and event ``forwarded``) saying which agent sent it."""
        if decision.forwarded_by is None:
            return
        self.rows.system_note(
            MAIL,
            ticket,
            f"Forwarded by {decision.forwarded_by}; {what}, {decision.requester}.",
            event="forwarded",
            detail=f"by {decision.forwarded_by}"[:200],
        )

    def _survey_answer(
        self, item: Inbound, decision: Decision, email: EmailMeta, raw_id: int, seen: bool
    ) -> IngestResult | None:
        """A reply to a satisfaction survey that gives a rating: the rating is recorded and
        the message kept in the thread, and the ticket stays as it is (no reopening). Any
        other reply — no rating, no valid token for this ticket — is an ordinary follow-up."""
        if "survey" not in item.subject:
            return None
        target = self._ticket(decision.target)
        if target is None:
            return None
        text = item.body if item.new_text is None else item.new_text
        answer = survey_answer(self.session, item.subject, text, target.number)
        if answer is None:
            return None
        if not self.alone:
            raise NeedsOwnSavepoint
        author = self._contact(decision.requester, item)
        self.flush()  # the contact too: the ORM writes below need its id
        ticket = load_ticket(self.session, target.number, for_update=True)
        message_id = add_message(
            self.session,
            MAIL,
            ticket,
            kind=MessageKind.CUSTOMER,
            body=item.body,
            channel=Channel.EMAIL,
            author_contact_id=contact_id(author) if author else None,
            email=email,
        )
        record_rating(self.session, MAIL, ticket, answer.score, answer.comment, now=self.now)
        self.session.flush()
        assert ticket.id is not None
        ref = self.rows.lock_ticket(ticket.id)
        self._processed(item, Outcome.FOLLOW_UP, ref, None, raw_id, seen, message_id=message_id)
        return IngestResult(Outcome.FOLLOW_UP, ticket.number)

    def _on_closed_ticket(
        self,
        item: Inbound,
        decision: Decision,
        email: EmailMeta,
        raw_id: int,
        seen: bool,
        target: AnyTicket | None,
        author: ContactRef | None,
    ) -> IngestResult:
        """A closed ticket starts a new linked one: the ORM rule every front door uses."""
        self.flush()
        if target is None:  # deleted meanwhile: a new ticket after all
            return self._new_ticket(item, decision, email, raw_id, seen)
        contact = (
            find_or_create_contact(self.session, author.email, author.name) if author else None
        )
        ticket, message_id = add_customer_message(
            self.session,
            MAIL,
            target.number,
            body=item.body,
            channel=Channel.EMAIL,
            author=contact,
            email=email,
        )
        self.lookups.stale = True
        if decision.reply_to is not None:
            ticket.reply_to = decision.reply_to
            save(self.session, ticket)
        self.session.flush()  # the statements below read and write beside the ORM's rows
        ref = self.rows.lock_ticket(ticket.id)
        assert ref is not None
        self._note_forward(ref, decision, "the message is the original sender's")
        self._after_customer_message(item, decision, ref)
        no_ack = self._acknowledge(ref, item, decision, author)
        self._route(ref, Trigger.NEW, item, decision, no_ack=no_ack)
        self._processed(item, Outcome.FOLLOW_UP, ref, None, raw_id, seen, message_id=message_id)
        return IngestResult(Outcome.FOLLOW_UP, ticket.number, acknowledged=no_ack is None)

    def _machine_note(
        self, item: Inbound, decision: Decision, email: EmailMeta, raw_id: int, seen: bool
    ) -> IngestResult:
        """Machine mail on its ticket: a system note and an event; the status stays."""
        target = self._ticket(decision.target)
        if target is None:
            self._hold_machine(item, decision, raw_id)
            self._processed(item, Outcome.MACHINE, None, None, raw_id, seen)
            return IngestResult(Outcome.MACHINE, reason=decision.reason)
        if item.mail_class is MailClass.OWN_ADDRESS:
            return self._outside_reply(item, decision, email, raw_id, seen, target)
        ticket = self.rows.bump(target)
        kind = item.mail_class.value
        summary = _machine_summary(item)
        message = self.rows.system_note(
            MAIL,
            ticket,
            f"{summary}\n\n{item.body}".strip(),
            email=email,
            event=kind,
            detail=summary[:200],
        )
        if decision.collision:
            self._note_collision(ticket, item)
        if item.mail_class is MailClass.BOUNCE and _failed(item.report):
            self._mark_bounced(item, summary)
        outcome = Outcome.BOUNCE if item.mail_class is MailClass.BOUNCE else Outcome.MACHINE_NOTE
        self._processed(item, outcome, ticket, message, raw_id, seen)
        return IngestResult(outcome, ticket.number)

    def _outside_reply(
        self,
        item: Inbound,
        decision: Decision,
        email: EmailMeta,
        raw_id: int,
        seen: bool,
        target: AnyTicket,
    ) -> IngestResult:
        """A colleague answered the customer from our own address in a mail client: the
        customer has the answer, so it is an agent's reply on the ticket (shown as one, the
        ticket's first response if it had none), sent outside the desk: nothing is queued,
        and like all mail from our own address it changes no status."""
        message = self.rows.append_message(
            MAIL, target, kind=MessageKind.REPLY, body=item.body, channel=Channel.EMAIL, email=email
        )
        changes: dict[str, object] = {}
        if self._first_response_pending(target):
            changes["first_response_at"] = self.rows.message_time(message)
        ticket = self.rows.bump(target, changes)
        sender = item.from_address or "our own address"
        self.rows.event(MAIL, ticket, "reply", f"sent outside the desk, from {sender}")
        if decision.collision:
            self._note_collision(ticket, item)
        elif item.message_id:  # its bounce, or the customer's answer, in this batch too
            self.lookups.remember(self.lookups.threads, item.message_id, ticket_key(ticket))
        self._processed(item, Outcome.MACHINE_NOTE, ticket, message, raw_id, seen)
        return IngestResult(Outcome.MACHINE_NOTE, ticket.number)

    def _answered_outside(
        self, item: Inbound, decision: Decision, email: EmailMeta, raw_id: int, seen: bool
    ) -> IngestResult:
        """A colleague answered a customer from our own address, about nothing the desk
        knows: a ticket for the customer, the answer on it as an agent's reply sent outside
        the desk (its first response; nothing queued), waiting on the customer, whose answer
        threads into it. No acknowledgement: the customer has an answer already."""
        author = self._contact(decision.requester, item)
        sender = item.from_address or "our own address"
        ticket: AnyTicket = self.rows.open_ticket(
            MAIL,
            subject=base_subject(item.subject) or "(no subject)",
            channel=Channel.EMAIL,
            requester_id=author.id if author else None,
        )
        quoted = item.quoted
        if quoted is not None:
            # The customer's own words first, as the colleague's answer quotes them.
            written = quoted.date if quoted.date is not None and quoted.date <= self.now else None
            self.rows.append_message(
                MAIL,
                ticket,
                kind=MessageKind.CUSTOMER,
                body=quoted.text,
                channel=Channel.EMAIL,
                author_contact_id=author.id if author else None,
                email=EmailMeta(from_address=decision.requester, subject=item.subject),
                created_at=written,
            )
        message = self.rows.append_message(
            MAIL, ticket, kind=MessageKind.REPLY, body=item.body, channel=Channel.EMAIL, email=email
        )
        self.rows.system_note(MAIL, ticket, _opened_outside(sender, decision.requester, item))
        old = Status(ticket.status)
        ticket = self.rows.bump(
            ticket,
            {"status": Status.WAITING, "first_response_at": self.rows.message_time(message)},
        )
        self.rows.event(MAIL, ticket, "reply", f"sent outside the desk, from {sender}")
        self.rows.event(MAIL, ticket, "status", Status.WAITING, field="status", old=old)
        self._after_customer_message(item, decision, ticket)
        answered = "the customer has an answer already (sent outside the desk)"
        self._route(ticket, Trigger.NEW, item, decision, no_ack=answered)
        self._processed(item, Outcome.TICKET, ticket, message, raw_id, seen)
        return IngestResult(Outcome.TICKET, ticket.number)

    def _first_response_pending(self, target: AnyTicket) -> bool:
        if isinstance(target, NewTicket) and target.id is None:
            return target.row.get("first_response_at") is None
        if target.id in self._outside_replied:
            return False
        self._outside_replied.add(target.id or 0)
        found = self.session.exec(
            select(Ticket.first_response_at).where(Ticket.id == target.id)
        ).first()
        return found is None

    def _quarantine(self, item: Inbound, reason: str, raw_id: int, seen: bool) -> IngestResult:
        quarantine.hold(
            self.session,
            raw_id,
            reason,
            mailbox=item.source.mailbox if item.source else None,
            from_hint=item.from_address,
            subject_hint=item.subject or None,
        )
        self._processed(item, Outcome.QUARANTINE, None, None, raw_id, seen)
        return IngestResult(Outcome.QUARANTINE, reason=reason)

    # -- pieces -------------------------------------------------------------------------------

    def _ticket(self, target: TicketKey | None) -> AnyTicket | None:
        """The target as it is now: a ticket of this group, or the row under its lock."""
        if isinstance(target, NewTicket):
            if target.id is None:
                return target
            target = target.id  # inserted by an earlier group: read it again
        return None if target is None else self.rows.lock_ticket(target)

    def _contact(self, address: str | None, item: Inbound) -> ContactRef | None:
        if address is None:
            return None
        name = item.from_name if address == address_or_none(item.from_address) else ""
        if item.answered is not None and address == item.answered:
            name = item.answered_name  # a colleague's answer: the customer is in To
        if item.forwarded_from is not None and address == item.forwarded_from:
            name = item.forwarded_name
        lookups = self.lookups
        contact = self.rows.contact(lookups.contacts, lookups.organizations, address, name)
        lookups.remember(lookups.contacts, contact.email, contact)
        return contact

    def _email(self, item: Inbound, decision: Decision, raw_id: int) -> EmailMeta:
        email = item.email
        message_id = email.message_id
        if decision.collision or (message_id and message_id in self.lookups.threads):
            message_id = None  # the thread already has a message under this Message-ID
        return EmailMeta(
            message_id=message_id,
            in_reply_to=email.in_reply_to,
            references=email.references,
            from_address=email.from_address,
            to=email.to,
            cc=email.cc,
            subject=email.subject,
            body_html=email.body_html,
            raw_message_id=raw_id,
            attachments=email.attachments,
        )

    def _after_customer_message(self, item: Inbound, decision: Decision, ticket: AnyTicket) -> None:
        if item.notes:
            self.rows.system_note(MAIL, ticket, "\n".join(item.notes))
        if item.skipped:
            limit = _size(self.config.max_attachment_bytes)
            lines = [f"{s.filename} ({_size(s.size)}, {s.content_type})" for s in item.skipped]
            self.rows.system_note(
                MAIL,
                ticket,
                f"Attachments over the {limit} limit were not kept (the raw message still "
                "has them): " + "; ".join(lines),
            )
        if decision.collision:
            self._note_collision(ticket, item)
        key = ticket_key(ticket)
        if item.message_id and not decision.collision:
            self.lookups.remember(self.lookups.threads, item.message_id, key)
        self.lookups.remember(self.lookups.numbers, ticket.number, key)
        self.lookups.add_participants(
            key, [a for a in (item.from_address, *item.email.to, *item.email.cc) if a]
        )
        kept = copies.kept_from_mail(
            (*item.email.to, *item.email.cc),
            requester=decision.requester,
            reply_to=decision.reply_to,
            ours=self._ours(),
            list_address=item.list_address,
        )
        if kept:  # (the ticket's requester's addresses are read only then)
            self.rows.keep_copies(MAIL, ticket, kept, (decision.requester, decision.reply_to))

    def _route(
        self,
        ticket: AnyTicket,
        trigger: Trigger,
        item: Inbound,
        decision: Decision,
        *,
        no_ack: str | None = None,
        answer_only: bool = False,
    ) -> None:
        """Routing runs at :meth:`flush`, once the ticket's rows are written. A new
        ticket's arrival carries its acknowledgement's decision (``no_ack``: why none was
        queued), which a rule's canned reply follows: it takes the acknowledgement's place
        (``answer_only``: only that, for a direct copy's acknowledgement)."""
        if self.config.router is not None:
            sender = decision.requester or item.from_address
            arrival = Arrival(
                0,
                trigger,
                Channel.EMAIL,
                item.subject,
                item.body,
                sender,
                arrived_subject=item.email.subject or "",
                acknowledged=no_ack is None if trigger is Trigger.NEW else None,
                no_ack=no_ack if trigger is Trigger.NEW else None,
                answer_only=answer_only,
            )
            self._arrivals.append((ticket, arrival))  # its ticket id is known at the flush

    def _note_collision(self, ticket: AnyTicket, item: Inbound) -> None:
        self.rows.event(
            MAIL,
            ticket,
            "message_id_reused",
            f"{item.message_id} came before with other content; this message is kept too",
        )

    def _acknowledge(
        self,
        ticket: AnyTicket,
        item: Inbound,
        decision: Decision,
        author: ContactRef | None,
    ) -> str | None:
        """Queue the new ticket's acknowledgement; why none went (None: it is queued)."""
        address = decision.acknowledge
        config, lookups = self.config, self.lookups
        if address is not None and lookups.acks[address] >= config.ack_limit_per_hour:
            decision = replace(decision, no_ack=f"{address} had enough this hour")  # this batch
            address = None
        if address is None:
            log.info("no acknowledgement for #%s: %s", ticket.number, decision.no_ack)
            dead = lookups.dead.get(decision.reply_to or decision.requester or "")
            if dead is not None and decision.no_ack == dead:  # as the sender would say it
                self.rows.event(MAIL, ticket, "acknowledgement", outbox.not_sent(dead))
            return decision.no_ack or "no address"
        values = {
            "number": ticket.number,
            "subject": base_subject(ticket.subject),
            "name": greeting_name(author.name if author else "", address),
            "desk": config.desk_name,
        }
        references = [*item.email.references, *([item.message_id] if item.message_id else [])]
        self.rows.queue_mail(
            ticket,
            now=self.now,
            kind=ACK_KIND,
            to=[address],
            subject=reply_subject(config.ack_subject.format_map(values), ticket.number),
            body=self._with_articles(config.ack_template.format_map(values), ticket, item),
            in_reply_to=item.message_id,
            references=references[-20:],
        )
        self._pending.acks.append({"address": address, "created_at": self.now})
        lookups.remember(lookups.acks, address, lookups.acks[address] + 1)
        return None

    def _with_articles(self, text: str, ticket: AnyTicket, item: Inbound) -> str:
        """The acknowledgement ``text`` followed by the published public articles that match
        the new ticket well (unchanged when none does, or when no help site is configured)."""
        base = self.config.kb_public_url
        if not base:
            return text
        found = articles_for_acknowledgement(self.session, ticket.subject, item.body)
        if not found:
            return text
        lines = [f"- {a.title}\n  {public_link(base, a.slug)}" for a in found]
        return f"{text.rstrip()}\n\n{ARTICLES_INTRO}\n" + "\n".join(lines) + "\n"

    def _hold_machine(self, item: Inbound, decision: Decision, raw_id: int) -> None:
        """Machine mail that matches no ticket waits in the holding area. A bounce still
        names who it failed for: their hard bounces are kept (``desk/outbox``'s rule), so
        no survey goes to an address that does not exist."""
        report = item.report or Report()
        if item.mail_class is MailClass.BOUNCE and report.recipients:
            held: outbox.Held = {}
            outbox.record_hard_bounces(
                self.session, report.recipients, ours=self._ours(), now=self.now, held=held
            )
            self._held(held)
        about = item.thread_refs[0].message_id if item.thread_refs else None
        self._pending.machine.append(
            {
                "raw_message_id": raw_id,
                "kind": item.mail_class.value,
                "reason": (decision.reason or _machine_summary(item))[:500],
                "mailbox": item.source.mailbox if item.source else None,
                "from_address": (item.from_address or "")[:320] or None,
                "subject": item.subject[:500],
                "status": (report.status or "")[:20] or None,
                "diagnostic": report.diagnostic,
                "about_message_id": about[:998] if about else None,
                "created_at": self.now,
            }
        )

    def _mark_bounced(self, item: Inbound, summary: str) -> None:
        """The outgoing mail a bounce reports on is ``bounced``, with the report's Status and
        Diagnostic-Code (the summary when the report has neither); every recipient it names
        as failed for good keeps the hard bounce, as when it matches no mail."""
        report = item.report or Report()
        held: outbox.Held = {}
        if item.thread_refs:
            outbox.record_bounce(
                self.session,
                item.thread_refs[0].message_id,
                dsn_status=report.status,
                diagnostic=report.diagnostic or summary,
                recipient=report.recipient,
                recipients=report.recipients,
                ours=self._ours(),
                now=self.now,
                held=held,
            )
        elif report.recipients:  # found by the ticket number in its subject alone
            outbox.record_hard_bounces(
                self.session, report.recipients, ours=self._ours(), now=self.now, held=held
            )
        self._held(held)

    def _held(self, held: outbox.Held) -> None:
        """The hard bounces a delivery report just kept hold the batch's later messages'
        acknowledgements as those read with the batch do (``Lookups.dead``): a new mail
        from the bounced address after its report, in one batch, gets none queued."""
        for address, why in held.items():
            self.lookups.remember(self.lookups.dead, address, why)

    def _ours(self) -> frozenset[str]:
        """Our addresses, which a delivery report never marks as bounced for good: the
        desk's own (``mail.addresses``, the From of all it sends first), its mailboxes'
        and its agents', deactivated ones' too. One definition, whether the report matched
        mail or not."""
        config = self.config
        return config.own_addresses | config.mailbox_addresses | self.lookups.agent_addresses()

    def _processed(
        self,
        item: Inbound,
        outcome: Outcome,
        ticket: AnyTicket | None,
        message: MessageHandle | None,
        raw_id: int,
        seen_before: bool,
        *,
        message_id: int | None = None,
    ) -> None:
        source = item.source
        lookups = self.lookups
        number = ticket.number if ticket else None
        lookups.remember(lookups.processed, item.key, Seen(str(outcome), number))
        lookups.remember(lookups.by_raw, item.sha, Seen(str(outcome), number))
        if item.normal_hash is not None:
            lookups.remember(lookups.by_normal, item.normal_hash, Seen(str(outcome), number))
        if item.message_id:
            digest = key_hash(item.message_id)
            seen = (item.content_hash, Seen(str(outcome), number))
            contents = [*lookups.contents.get(digest, []), seen]
            lookups.remember(lookups.contents, digest, contents)
            texts = [*lookups.texts.get(digest, []), (item.body, seen[1])]
            lookups.remember(lookups.texts, digest, texts)
        message_key = key_hash(item.message_id) if item.message_id else None
        where = {
            "mailbox": source.mailbox if source else None,
            "uidvalidity": source.uidvalidity if source else None,
            "uid": source.uid if source else None,
        }
        if seen_before:  # a quarantine retry or a spam release: the row is there
            ids = self.flush()
            if message is not None:
                message_id = ids[message.position]
            mark_processed(
                self.session,
                item.key,
                outcome,
                seen_before=True,
                ticket_id=ticket.id if ticket else None,
                message_id=message_id,
                raw_message_id=raw_id,
                **where,  # type: ignore[arg-type]
            )
            self.session.connection().execute(
                update(_PROCESSED)
                .where(_PROCESSED.c.key_hash == key_hash(item.key))
                .values(
                    message_key=message_key,
                    content_hash=item.content_hash,
                    normal_hash=item.normal_hash,
                )
            )
            return
        row = processed_row(item.key, outcome, raw_message_id=raw_id, **where)  # type: ignore[arg-type]
        row["message_key"] = message_key
        row["content_hash"] = item.content_hash
        row["normal_hash"] = item.normal_hash
        row["ticket_id"] = ticket_key(ticket) if ticket else None
        row["message_id"] = message_id
        self._pending.processed.append((row, message))

    def flush(self) -> list[int]:
        """Write everything collected, one statement per table; the new thread message ids."""
        ids = self.rows.flush()
        pending, self._pending = self._pending, _Pending()
        rows = []
        for row, message in pending.processed:
            ticket = row["ticket_id"]
            row["ticket_id"] = ticket.id if isinstance(ticket, NewTicket) else ticket
            if message is not None:
                row["message_id"] = ids[message.position]
            rows.append(row)
        insert_processed(self.session, rows)
        conn = self.session.connection()
        insert_rows(conn, _ACK, pending.acks)
        insert_rows(conn, _MACHINE, pending.machine)
        for number in pending.automatic:  # (rare: one at a time, as routing's tags)
            fields.set_tags(self.session, MAIL, number, add=[AUTOMATIC_TAG])
        arrivals, self._arrivals = self._arrivals, []
        if arrivals and self.config.router is not None:
            self.config.router(
                self.session,
                [replace(a, ticket_id=t.id) for t, a in arrivals if t.id is not None],
                self.now,
            )
        return ids


def _opened_outside(sender: str, customer: str | None, item: Inbound) -> str:
    """The note on a ticket opened from a colleague's answer sent outside the desk."""
    opened = f"Opened from an answer {sender} sent to {customer} outside the desk"
    quoted = item.quoted
    if quoted is None:
        return f"{opened}; the message it answers is not in the desk."
    when = (
        "dated as the quote's attribution line says"
        if quoted.date is not None
        else "its date is not in the quote, so it shows when the answer came"
    )
    return (
        f"{opened}. The customer's message is as quoted in a colleague's answer ({when}); "
        "the original message is not in the desk."
    )


def _machine_summary(item: Inbound) -> str:
    """One line that says what the machine mail is, with a DSN's Status and Diagnostic-Code."""
    report = item.report or Report()
    sender = item.from_address or "an unknown sender"
    if item.mail_class is MailClass.BOUNCE:
        parts = ["Delivery failed" if _failed(report) else f"Delivery {report.action}"]
        if report.recipient:
            parts[0] += f" to {report.recipient}"
        if report.status:
            parts.append(f"Status: {report.status}")
        if report.diagnostic:
            parts.append(f"Diagnostic-Code: {report.diagnostic}")
        if len(parts) == 1:
            parts.append(_first_line(item.body) or item.subject or "delivery report")
        return "; ".join(parts)
    if item.mail_class is MailClass.RECEIPT:
        return f"Read receipt from {sender}" + (f" ({report.detail})" if report.detail else "")
    if item.mail_class is MailClass.REPORT:
        return f"Feedback report from {sender}" + (f" ({report.detail})" if report.detail else "")
    if item.mail_class is MailClass.OWN_ADDRESS:
        return (
            f"Mail from our own address {sender}, not sent by this desk: "
            f"{item.subject or '(no subject)'}"
        )
    return f"Automatic reply from {sender}: {item.subject or '(no subject)'}"


def _failed(report: Report | None) -> bool:
    """Whether a delivery report says the mail failed (not only delayed, or delivered)."""
    action = (report.action if report else None) or "failed"
    return action.lower() == "failed"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} kB"
    return f"{count} bytes"


def _first_line(value: object) -> str:
    for line in str(value).splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""


# --- the batch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    session: Session
    config: IntakeConfig
    lookups: Lookups
    items: Sequence[Inbound]
    redo: Outcome | None
    not_spam: bool
    now: datetime

    def read_again(self) -> None:
        """The lookups read again for the whole batch: another writer stored some of what
        they did not show (a unique key it holds now), and what it stored decides."""
        self.lookups.load(_wanted(self.items))


def ingest_batch(
    session: Session,
    items: Sequence[Inbound],
    config: IntakeConfig,
    *,
    redo: Outcome | None = None,
    not_spam: bool = False,
    now: datetime | None = None,
) -> list[IngestResult]:
    """Decide and write each message in order, sharing the lookups; one result each.

    ``redo`` processes a message again whose earlier outcome was that one (a quarantine
    retry, a spam release); ``not_spam`` overrules the spam verdict. Runs inside the
    caller's transaction.
    """
    if now is None:
        return _ingest_batch(session, items, config, redo, not_spam, utcnow())
    with clock_of(lambda: now):  # (what it writes is stamped at ``now``, its rows and mail)
        return _ingest_batch(session, items, config, redo, not_spam, now)


def _ingest_batch(
    session: Session,
    items: Sequence[Inbound],
    config: IntakeConfig,
    redo: Outcome | None,
    not_spam: bool,
    now: datetime,
) -> list[IngestResult]:
    lookups = Lookups(session, now)
    lookups.load(_wanted(items))
    items = strip_known_list_tags(session, items, lookups.processed)
    run = _Run(session, config, lookups, items, redo, not_spam, now)
    _store_raws(run)
    results: list[IngestResult | None] = [None] * len(items)
    position = 0
    while position < len(items):
        if run.lookups.stale:
            run.lookups.load(_wanted(items[position:]))
        position = _group(run, items, position, results)
    done = [result for result in results if result is not None]
    assert len(done) == len(items)
    return done


def _wanted(items: Sequence[Inbound]) -> Wanted:
    addresses = {
        a
        for item in items
        for a in (
            address_or_none(item.from_address),
            address_or_none(item.reply_to),
            address_or_none(item.forwarded_from),  # an agent's forward: the customer's
            address_or_none(item.answered),  # a colleague's answer: the customer's
        )
        if a is not None
    }
    return Wanted(
        keys=[item.key for item in items],
        message_keys=[key_hash(item.message_id) for item in items if item.message_id],
        shas=[item.sha for item in items],
        normals=[item.normal_hash for item in items if item.normal_hash is not None],
        message_ids=[ref.message_id for item in items for ref in item.thread_refs],
        numbers=[
            n
            for item in items
            for n in (*item.tokens, *(r.ticket_number for r in item.thread_refs))
            if n is not None
        ],
        addresses=sorted(addresses),
    )


def _store_raws(run: _Run) -> None:
    """The raw bytes of every message that will need them: the first of each key not seen.

    In a savepoint: bytes another writer stored since the lookups were read (the same
    message, read by another poller) are read again and not stored twice."""
    for attempt in (1, 2):
        keys: set[str] = set()
        raws: list[tuple[str, bytes | bytearray]] = []
        for item in run.items:
            if item.key in keys or item.key in run.lookups.processed:
                continue
            keys.add(item.key)
            raws.append((item.sha, item.raw))
        if not raws:
            return
        try:
            with run.session.begin_nested():
                run.lookups.store_raws(raws)
            return
        except Exception as error:
            if attempt == 2 or failure_of(error) is not Failure.UNIQUE:
                raise
            run.read_again()


def _group(
    run: _Run, items: Sequence[Inbound], position: int, results: list[IngestResult | None]
) -> int:
    """Write from ``position`` on in one savepoint, as far as the group goes; where next."""
    lookups = run.lookups
    mark = lookups.mark()
    end = position
    try:
        with run.session.begin_nested():
            writer = Writer(run.session, lookups, run.config, run.now, size=len(items) - position)
            while end < len(items):
                item = items[end]
                decision = decide(item, lookups, run.config, redo=run.redo, not_spam=run.not_spam)
                if decision.action is not Action.DUPLICATE and item.key in lookups.processed:
                    break  # done again (a retry, a release): its processed row is updated
                try:
                    results[end] = writer.apply(item, decision, seen_before=False)
                except NeedsOwnSavepoint:
                    break
                end += 1
            writer.flush()
        lookups.keep()
    except Exception as error:
        failure = failure_of(error)
        if failure is Failure.TROUBLE:
            raise  # the database itself is in trouble: nothing of this batch may count
        lookups.undo_to(mark)
        if failure is Failure.UNIQUE:
            run.read_again()  # another writer stored some of these meanwhile
        last = min(end, len(items) - 1)
        log.info("a message in %d could not be stored together; one at a time", last - position + 1)
        for index in range(position, last + 1):
            results[index] = _alone(run, items[index])
        return last + 1
    if end < len(items):
        results[end] = _alone(run, items[end])
        end += 1
    return end


def _alone(run: _Run, item: Inbound) -> IngestResult:
    """One message in its own savepoint: the isolation that quarantines a failing message.

    One rule for a failed write, whatever the engine and whichever writer (the ORM's, the
    bulk statements', the driver's own ``COPY``): database trouble ends the batch (nothing
    of it may count); a unique key another writer stored since the lookups were read (the
    same message from another poller, its sender's new contact, our own sent mail) is read
    again and the message decided again — the duplicate it is, as a rule; anything else,
    and a key still taken after that, quarantines it with a one-line reason."""
    session, lookups = run.session, run.lookups
    earlier = lookups.processed.get(item.key)
    for attempt in (1, 2):
        decision = decide(item, lookups, run.config, redo=run.redo, not_spam=run.not_spam)
        if decision.action is Action.DUPLICATE:
            writer = Writer(session, lookups, run.config, run.now)
            return writer.apply(item, decision, seen_before=True)
        mark = lookups.mark()
        try:
            with session.begin_nested():
                writer = Writer(session, lookups, run.config, run.now, alone=True)
                result = writer.apply(item, decision, seen_before=earlier is not None)
                writer.flush()
            lookups.keep()
            return result
        except Exception as error:
            failure = failure_of(error)
            if failure is Failure.TROUBLE:
                raise  # the database itself is in trouble: nothing of this batch may count
            lookups.undo_to(mark)
            if failure is Failure.UNIQUE and attempt == 1:
                run.read_again()
                continue
            if failure is Failure.UNIQUE:
                held = _held_elsewhere(run, item, seen=earlier is not None)
                if held is not None:
                    return held
            reason = _reason(item, error, failure)
            break
    with session.begin_nested():
        writer = Writer(session, lookups, run.config, run.now, alone=True)
        result = writer.apply(
            item, Decision(Action.QUARANTINE, reason=reason), seen_before=earlier is not None
        )
        writer.flush()
    lookups.keep()
    return result


def _held_elsewhere(run: _Run, item: Inbound, *, seen: bool) -> IngestResult | None:
    """A message whose Message-ID a thread message holds by another way in (our own sent
    mail, whose Message-ID the outbox gave it; no processed row says so): the same text
    (:func:`~.intake_rows.same_text`: our reply, a list's copy of it) is that message, a
    duplicate of the follow-up that holds it, and its processed row says so, so that
    reading it again is a duplicate at once (it was decided, and failed twice, on every
    read); another text under it is a message of its own (a reused Message-ID: kept and
    noted, never dropped as a duplicate). None: no thread message holds it, or it still
    cannot be stored (quarantined then)."""
    session, lookups = run.session, run.lookups
    holder = _holder_of(session, item.message_id)
    if holder is None:
        return None
    ticket_id, text = holder
    mark = lookups.mark()
    try:
        with session.begin_nested():
            writer = Writer(session, lookups, run.config, run.now, alone=True)
            if same_text(text, item.body):
                result = writer.held_elsewhere(item, ticket_id, seen=seen)
            else:
                decision = decide(item, lookups, run.config, redo=run.redo, not_spam=run.not_spam)
                result = writer.apply(item, replace(decision, collision=True), seen_before=seen)
            writer.flush()
        lookups.keep()
        return result
    except Exception as error:
        if failure_of(error) is Failure.TROUBLE:
            raise
        lookups.undo_to(mark)
        return None


def _reason(item: Inbound, error: Exception, failure: Failure) -> str:
    """Why a message that could not be written goes to quarantine, in one line."""
    if isinstance(error, DBAPIError) or failure is Failure.UNIQUE:
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        return f"cannot be stored: {_first_line(cause)}"
    log.exception("message %s could not be processed", item.key)
    return f"could not be processed: {type(error).__name__}: {_first_line(error)}"


def _holder_of(session: Session, message_id: str | None) -> tuple[int, str] | None:
    """The ticket already holding a message with this Message-ID, and its text, if any."""
    if not message_id:
        return None
    found = session.exec(
        select(Message.ticket_id, Message.body).where(Message.email_message_id == message_id)
    ).first()
    return None if found is None else (found[0], found[1])


def ticket_id_of(session: Session, number: int | None) -> int | None:
    if number is None:
        return None
    return session.exec(select(Ticket.id).where(Ticket.number == number)).first()


def own_addresses(addresses: Iterable[str]) -> frozenset[str]:
    """The desk's addresses as intake compares them."""
    return frozenset(a.strip().lower() for a in addresses if a.strip())
