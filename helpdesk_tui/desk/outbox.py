"""The outbox: every outgoing mail's life, from queued in the caller's transaction to sent,
given up or bounced, and back to queued when an agent re-sends it.

One module owns every move between the :class:`OutboxStatus` states:

=========================  ==========  ============================================================
from                       to          by
=========================  ==========  ============================================================
queued, retrying           sending     :func:`claim_due` (due now; the Message-ID is fixed)
sending                    (sent)      :func:`sendable` (still claimed: the sender may send it)
sending                    sent        :func:`record_sent` (the server accepted it)
sending                    retrying    :func:`record_failure` (a try failed, tries are left)
sending                    failed      :func:`record_failure` (refused for good, or out of tries)
queued, retrying           withdrawn   :func:`claim_due` (a survey that must not go, and why)
queued, retrying           withdrawn   :func:`claim_due` (an ack to an address that bounced)
queued, retrying           withdrawn   :func:`withdraw_alert_mail` (alert mail to agents, stale)
sent                       bounced     :func:`record_bounce` (a delivery report names it)
queued, retrying, sending  withdrawn   :func:`record_bounce` (automatic mail to the bounced address)
withdrawn                  sent        :func:`record_sent` (on the wire when it was withdrawn)
failed, bounced            queued      :func:`resend` (an agent; the history says who)
=========================  ==========  ============================================================

The mail layer's sender (``mail/outbox_sender.py``) only talks SMTP: it claims rows here,
and reports each try's outcome here. A row claimed (``sending``) and then orphaned by a
crash is claimed again by the next sender (at-least-once delivery, same Message-ID).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, and_, col, func, or_, select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.contacts import normalize_email
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, NotFound
from helpdesk_tui.desk.inbound import ACK_KIND, ReportedRecipient
from helpdesk_tui.desk.outbox_rows import (
    AGENT_ALERT_KINDS,
    ALERT_STALE,
    SURVEY_KIND,
    hard_bounces_of,
    last_hard_bounce,
    thread_headers,
)
from helpdesk_tui.desk.outbox_rows import BOUNCE_HOLDS_SURVEYS as BOUNCE_HOLDS_SURVEYS
from helpdesk_tui.desk.outbox_rows import REPLY_KIND as REPLY_KIND
from helpdesk_tui.desk.outbox_rows import queue_mail as queue_mail
from helpdesk_tui.desk.outbox_rows import ticket_subject as ticket_subject
from helpdesk_tui.desk.subjects import reply_subject, token_subject
from helpdesk_tui.desk.ticket_reads import DUE as DUE
from helpdesk_tui.desk.ticket_reads import MAIL_TICKET, MAIL_WITH_MESSAGE, delivery_of
from helpdesk_tui.desk.ticket_reads import RESENDABLE as RESENDABLE
from helpdesk_tui.desk.ticket_reads import UNDELIVERED as UNDELIVERED
from helpdesk_tui.desk.ticket_reads import Delivery as Delivery
from helpdesk_tui.desk.ticket_reads import ticket_outbox as ticket_outbox
from helpdesk_tui.storage.core_tables import Outbox as OutboxColumns
from helpdesk_tui.storage.enums import OutboxStatus, Status
from helpdesk_tui.storage.mail_models import BouncedAddress
from helpdesk_tui.storage.models import Attachment, Message, Outbox, Ticket, utcnow

__all__ = [
    "DUE",
    "RESENDABLE",
    "UNDELIVERED",
    "Bounce",
    "Delivery",
    "Held",
    "OutboxStatus",
    "OutgoingAttachment",
    "claim_due",
    "hard_bounces",
    "outgoing_attachments",
    "queue_mail",
    "record_bounce",
    "record_failure",
    "record_hard_bounces",
    "record_sent",
    "resend",
    "sendable",
    "ticket_outbox",
    "ticket_subject",
]


_MAX_ERROR = 2000


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file an agent attached to a reply, as the sender puts it in a MIME part."""

    filename: str
    content_type: str
    content: bytes


def outgoing_attachments(session: Session, row: Outbox) -> list[OutgoingAttachment]:
    """The files attached to the reply ``row`` carries, in the order they were attached.

    They are the reply's own attachments (stored like incoming ones), so a re-sent mail
    carries them again; automatic mail carries none.
    """
    if row.kind != "reply" or row.message_id is None:
        return []
    rows = session.exec(
        select(Attachment)
        .where(col(Attachment.message_id) == row.message_id)
        .order_by(col(Attachment.id))
    ).all()
    return [OutgoingAttachment(a.filename, a.content_type, a.content) for a in rows]


# -- what agents see ---------------------------------------------------------------------
# (``Delivery`` and a ticket's outgoing mail are read in ``desk/ticket_reads.py``, on Core
# tables for ``ticket show``; imported above.)


# -- the sender's moves ------------------------------------------------------------------


def claim_due(
    session: Session,
    now: datetime,
    new_message_id: Callable[[int | None], str],
    *,
    limit: int = 50,
) -> list[int]:
    """Mark due rows ``sending``, each with the Message-ID every try of it will carry; a
    survey gets its ticket's thread headers here, under the reply it waited for.

    ``new_message_id(ticket_number)`` makes one (the mail layer signs it). The caller
    commits before sending, so the Message-ID is known before the first byte goes out.
    """
    withdraw_alert_mail(session, now - ALERT_STALE, STALE_ALERT_MAIL)
    rows = session.exec(
        select(Outbox)
        .where(col(Outbox.status).in_(DUE), col(Outbox.next_attempt_at) <= now)
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[Outbox] = []
    for row in rows:
        if row.kind == SURVEY_KIND and _survey_held(session, row, now):
            continue
        if row.kind != SURVEY_KIND and (dead := _to_a_dead_address(session, row, now)):
            withdraw_automatic(session, row, dead)
            continue
        if row.kind == SURVEY_KIND and row.in_reply_to is None:
            # (threaded as it goes: the reply it waited for has its Message-ID now)
            row.in_reply_to, references = thread_headers(session, row.ticket_id)
            row.references = " ".join(references) or None
        claimed.append(row)
        if row.email_message_id is None:
            ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
            row.email_message_id = new_message_id(ticket.number if ticket else None)
            entry = session.get(Message, row.message_id) if row.message_id else None
            if entry is not None and entry.email_message_id is None:
                entry.email_message_id = row.email_message_id
                session.add(entry)
        row.status = OutboxStatus.SENDING
        row.attempts += 1
        session.add(row)
    return [row.id for row in claimed if row.id is not None]


STALE_ALERT_MAIL = "not sent: alert mail to agents more than a day old warns of nothing any more"
NO_SMTP_ALERT_MAIL = (
    "not sent: no outbox sender (SMTP) ran on this desk for a day; alerts are shown in the terminal"
)


def withdraw_alert_mail(session: Session, queued_before: datetime | None, why: str) -> int:
    """Alert mail to agents (:data:`~.outbox_rows.AGENT_ALERT_KINDS`: an SLA alert's, a
    rating concern's) still waiting (queued or retrying) is ``withdrawn`` with ``why``: all
    of it (``queued_before`` None: a desk that sends no mail, ``sla_alerts``), or what was
    queued before ``queued_before`` (the sender, :func:`claim_due`: a desk given SMTP
    later, or whose sender was down for days, sends no backlog of old alerts; the
    terminal's alert line still shows them). Agents' mail only, so nothing a customer sees
    changes; ``helpdesk mail status`` counts it as withdrawn, not waiting. How many."""
    waiting: list[ColumnElement[bool]] = [
        col(Outbox.kind).in_(AGENT_ALERT_KINDS),
        col(Outbox.status).in_(DUE),
    ]
    if queued_before is not None:
        waiting.append(col(Outbox.created_at) < queued_before)
    done = session.execute(
        update(Outbox)
        .where(*waiting)
        .values(status=OutboxStatus.WITHDRAWN, last_error=why)
        .execution_options(synchronize_session=False)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def _survey_held(session: Session, row: Outbox, now: datetime) -> bool:
    """A survey waits while the reply before it on its ticket (the one that resolved it) has
    not gone yet, and is withdrawn (``withdrawn``, with why, in the ticket's history too) when
    that reply failed or bounced, or when mail to its address bounced for good within
    :data:`BOUNCE_HOLDS_SURVEYS`: nobody asks "how did we do?" of a customer who got no
    answer, or of an address that does not exist. It is withdrawn too when its ticket was
    merged into another meanwhile (that request is still being worked on there, which asks
    for its own rating when it is resolved), or opened again (it asks again when it is
    resolved again: :func:`~.satisfaction.queue_survey` does not count a withdrawn survey).
    """
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None and ticket.merged_into_id is not None:
        into = session.get(Ticket, ticket.merged_into_id)
        target = f"#{into.number}" if into is not None else "another ticket"
        withdraw_survey(session, row, f"#{ticket.number} was merged into {target}")
        return True
    if ticket is not None and ticket.status not in _SURVEYED:
        withdraw_survey(session, row, f"#{ticket.number} was opened again")
        return True
    reply = session.exec(
        select(Outbox)
        .where(
            col(Outbox.ticket_id) == row.ticket_id,
            col(Outbox.kind) == "reply",
            col(Outbox.id) < row.id,
        )
        .order_by(col(Outbox.id).desc())
    ).first()
    if reply is not None and reply.status in DUE:
        return True
    why = _to_a_dead_address(session, row, now)
    if why is None and reply is not None and reply.status in UNDELIVERED:
        why = _reply_undelivered(reply.status)
    if why is None:
        return False
    withdraw_survey(session, row, why)
    return True


_SURVEYED = frozenset({Status.RESOLVED, Status.CLOSED})
"""A ticket's survey goes while the ticket is in one of these."""

AUTOMATIC_KINDS = frozenset({ACK_KIND, SURVEY_KIND})
"""Mail the desk sends a customer on its own: the acknowledgement (or the rule's canned reply
that took its place, the same row) and the survey. None of it goes to an address whose mail
bounced for good within :data:`BOUNCE_HOLDS_SURVEYS` (:func:`dead_address`): mail intake
queues no acknowledgement there (:func:`dead_addresses`), a hard bounce withdraws what
waits to go there at once (:func:`record_bounce`), and the sender checks again when it
claims a mail (:func:`_to_a_dead_address`): noise to nobody, and it hurts the desk's
sending reputation. An agent's reply still goes: the agent decided (warned first:
:func:`last_hard_bounce`)."""


def _to_a_dead_address(session: Session, row: Outbox, now: datetime) -> str | None:
    """Why the automatic mail ``row`` (:data:`AUTOMATIC_KINDS`) is not to be sent: its
    address bounced for good recently. None when it may go, and for every other kind."""
    if row.kind not in AUTOMATIC_KINDS:
        return None
    return dead_address(session, row.to_addresses, now)


def dead_address(session: Session, address: str, now: datetime) -> str | None:
    """Why no automatic mail goes to ``address`` now (its mail bounced for good within
    :data:`BOUNCE_HOLDS_SURVEYS`: "mail to … bounced (5.1.1)"); None when it may. The rule
    :func:`claim_due` holds every automatic mail to; read beforehand too where the desk
    would otherwise say it sent one (a rule's canned reply, ``routing_apply``)."""
    bounced = last_hard_bounce(session, address, now)
    return None if bounced is None else _bounced(address, bounced.status)


def dead_addresses(session: Session, addresses: Iterable[str], now: datetime) -> dict[str, str]:
    """:func:`dead_address` for many addresses in one read (mail intake's batch decides
    each acknowledgement with it, so none is queued to be withdrawn): each address (as
    given) that no automatic mail goes to, and why."""
    found = hard_bounces_of(session, addresses, now)
    return {b.address: _bounced(b.address, b.status) for b in found}


Held = dict[str, str]
"""Address (lower-case) → why no automatic mail goes to it (:func:`dead_addresses`' words):
the hard bounces a delivery report just kept, handed to a caller that decides more mail in
the same transaction (mail intake's batch: a new message after the report gets no
acknowledgement, without reading the bounces again)."""


def _note_hard_bounce(
    session: Session, address: str, dsn: str | None, now: datetime, held: Held | None
) -> None:
    """Keep that mail to ``address`` bounced for good now (one row per address, the last);
    in ``held`` too, as :func:`dead_address` would say it."""
    key = _key(address)
    if not key or "," in key or len(key) > 320:
        return  # several recipients, and the report did not say which one
    found = session.get(BouncedAddress, key)
    if found is None:
        found = BouncedAddress(address=key, dsn_status=dsn, bounced_at=now)
        session.add(found)
    elif found.bounced_at <= now:
        found.dsn_status, found.bounced_at = dsn, now
        session.add(found)
    session.flush()
    if held is not None:
        held[key] = _bounced(key, found.dsn_status)


BOUNCES_PER_REPORT = 10
"""At most this many addresses' hard bounces are kept from one delivery report that names
no mail the desk sent: a real one lists the recipients of one message; a forged one
listing hundreds would hold the surveys of hundreds of customers."""

_STATUS_CLASS = re.compile(r"([245])\.\d{1,3}\.\d{1,3}\b")


def failed_for_good(action: str | None, status: str | None) -> tuple[bool, str | None]:
    """Whether a per-recipient block of a delivery report says the mail will never reach
    that recipient, and its status code as kept (None: none readable).

    RFC 3464 (2.3.3): ``Action: failed`` means the reporting MTA abandoned delivery to
    that recipient; ``Status`` (2.3.4, RFC 3463) only says why. So a failed action is a
    hard bounce unless its status reads as a transient condition (``4.x.x``: the MTA gave
    up on a server that did not answer, the address itself may be fine) or as a success
    (``2.x.x``, a contradiction); a failed action whose status is missing or unreadable
    (``Status: five``) is a hard bounce kept without a status, as :func:`record_bounce`
    takes a report without one. Any other action (``delayed``, ``delivered``, none) is
    not a failure."""
    if (action or "").strip().lower() != "failed":
        return False, None
    code = _STATUS_CLASS.match((status or "").strip())
    if code is None:
        return True, None
    return code.group(1) == "5", code.group(0)


def hard_bounces(
    recipients: Iterable[ReportedRecipient], *, ours: Collection[str] = ()
) -> list[tuple[str, str | None]]:
    """The recipients of a delivery report that bounced for good, as (address, status):
    :func:`failed_for_good`, one well-formed address each (not one of ``ours``), each
    once, at most :data:`BOUNCES_PER_REPORT`. Delayed, ``4.x.x``, no action, a malformed
    address, a list of addresses: nothing."""
    found: dict[str, str | None] = {}
    for recipient in recipients:
        hard, status = failed_for_good(recipient.action, recipient.status)
        if not hard:
            continue
        value = (recipient.address or "").strip()
        if value.startswith("<") and value.endswith(">"):
            value = value[1:-1]
        try:
            address = normalize_email(value)
        except InvalidValue:
            continue
        if address in ours or address in found:
            continue
        found[address] = status
        if len(found) == BOUNCES_PER_REPORT:
            break
    return list(found.items())


def record_hard_bounces(
    session: Session,
    recipients: Iterable[ReportedRecipient],
    *,
    ours: Collection[str] = (),
    now: datetime,
    held: Held | None = None,
) -> list[str]:
    """A delivery report that names none of our mail still names who it failed for: each
    address that bounced for good (:func:`hard_bounces`) keeps its hard bounce (in
    ``held`` too), and the surveys waiting to go to it are withdrawn, as
    :func:`record_bounce` does for a report on our mail. The addresses recorded."""
    return _keep_hard_bounces(session, hard_bounces(recipients, ours=ours), now, held)


def _keep_hard_bounces(
    session: Session,
    bounced: Iterable[tuple[str, str | None]],
    now: datetime,
    held: Held | None,
) -> list[str]:
    """Each (address, status) keeps its hard bounce, and the automatic mail waiting to go
    to it is withdrawn. The addresses."""
    done = list(bounced)
    for address, status in done:
        _note_hard_bounce(session, address, status, now, held)
    _withdraw_waiting_automatic(session, done, None)
    return [address for address, _ in done]


def withdraw_survey(session: Session, row: Outbox, why: str) -> None:
    """The survey ``row`` is not to be sent: ``withdrawn`` with why, in its ticket's history
    too (event ``survey``, "not sent: <why>")."""
    row.status, row.last_error = OutboxStatus.WITHDRAWN, why[:_MAX_ERROR]
    session.add(row)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None:
        history.record(session, MAIL, ticket, "survey", new=not_sent(why))


def withdraw_automatic(session: Session, row: Outbox, why: str) -> None:
    """The acknowledgement (or canned reply in its place) ``row`` is not to be sent:
    ``withdrawn`` with why, in its ticket's history too (event ``acknowledgement``)."""
    row.status, row.last_error = OutboxStatus.WITHDRAWN, why[:_MAX_ERROR]
    session.add(row)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None:
        history.record(session, MAIL, ticket, "acknowledgement", new=not_sent(why))


def not_sent(why: str) -> str:
    """The history line of automatic mail that does not go (event ``acknowledgement`` or
    ``survey``), whether withdrawn or never queued (intake: "not sent: mail to … bounced")."""
    return f"not sent: {why}"


ANSWER_KINDS = frozenset({REPLY_KIND, ACK_KIND})
"""Outbox kinds that answer the customer's mail: an agent's reply, an acknowledgement (a
routing rule's canned reply goes as one). Every other kind is a message of its own: a
survey to the customer, an SLA alert, a rating concern or a tier move to agents."""


def answers(kind: str) -> bool:
    """Whether mail of this kind answers the customer's mail (``Re:`` on its subject,
    ``Auto-Submitted: auto-replied`` when automatic), or is a message of its own."""
    return kind in ANSWER_KINDS


def mail_subject(row: Outbox, number: int) -> str:
    """The subject ``row`` goes out with on ticket ``number``: ``Re: <subject> [#<number>]``
    on mail that answers the customer's (:func:`answers`); ``<subject> [#<number>]`` on the
    rest, which answers no mail: a survey ("Re: How did we do?" read as if they had asked),
    an alert to agents ("Re: SLA breached" read as a reply to a mail nobody sent them). The
    token stays on both, so a reply to either threads onto the ticket."""
    if answers(row.kind):
        return reply_subject(row.subject, number)
    return token_subject(row.subject, number)


def sendable(session: Session, outbox_id: int) -> tuple[Outbox, Ticket | None] | None:
    """A claimed row and its ticket, while it is still ``sending`` (None: not to send now)."""
    row = session.get(Outbox, outbox_id)
    if row is None or row.status != OutboxStatus.SENDING:
        return None
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    return row, ticket


def record_sent(
    session: Session, outbox_id: int, *, note: str | None, now: datetime
) -> OutboxStatus | None:
    """The server accepted the mail (``note``: recipients it refused, if any)."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        return None
    if row.status == OutboxStatus.WITHDRAWN:
        # Withdrawn while it was on the wire (a bounce came in meanwhile): it went all the
        # same, and the history says so after the withdrawal it recorded.
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
        if ticket is not None:
            history.record(
                session,
                MAIL,
                ticket,
                "survey" if row.kind == SURVEY_KIND else "acknowledgement",
                new=f"sent all the same: on its way when it was withdrawn ({row.last_error})",
            )
    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, note
    session.add(row)
    return OutboxStatus.SENT


def record_failure(
    session: Session,
    outbox_id: int,
    error: str,
    *,
    final: bool,
    max_attempts: int,
    backoff: Callable[[int], timedelta],
    now: datetime,
) -> OutboxStatus | None:
    """A try failed: ``retrying`` later with the error, or ``failed`` once refused for good
    (``final``) or out of tries. Returns the new status (None: no such row)."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        return None
    if row.status == OutboxStatus.WITHDRAWN:
        return OutboxStatus.WITHDRAWN  # withdrawn meanwhile: not to be tried again
    status = OutboxStatus.FAILED if final or row.attempts >= max_attempts else OutboxStatus.RETRYING
    if status is OutboxStatus.FAILED:
        why = error if final else f"gave up: {error}"
        row.status, row.last_error = status, why[:_MAX_ERROR]
    else:
        row.status, row.last_error = status, error[:_MAX_ERROR]
        row.next_attempt_at = now + backoff(row.attempts)
    session.add(row)
    return status


# -- after sending -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bounce:
    """Which outgoing mail a delivery report returned."""

    outbox_id: int
    ticket_id: int | None
    """The ticket the mail is on now: a reply's, where a merge moved it (the outbox row keeps
    the merged, closed ticket's id), else the row's own."""
    message_id: int | None
    previous_status: str


def record_bounce(
    session: Session,
    email_message_id: str,
    *,
    dsn_status: str | None,
    diagnostic: str | None,
    recipient: str | None = None,
    recipients: Sequence[ReportedRecipient] = (),
    ours: Collection[str] = (),
    now: datetime | None = None,
    held: Held | None = None,
) -> Bounce | None:
    """A delivery report names one of our Message-IDs: that mail is ``bounced``, unless
    the report's per-recipient blocks name only others than its ``To`` as failed for good
    (a copy to a colleague whose address is gone: the customer has the mail).

    Keeps the report's ``Status`` (``5.1.1``) and ``Diagnostic-Code``. None when no outgoing
    mail has that Message-ID. A hard bounce (not ``4.x.x``) withdraws the automatic mail
    (:data:`AUTOMATIC_KINDS`) still waiting to go to the bounced mail's address and the
    survey after a bounced reply; a report
    with per-recipient blocks only when they name that address. Each
    address the report names as bounced for good keeps its hard bounce, and the surveys
    waiting to go to it are withdrawn, so that a survey queued to it later is withdrawn too
    (:data:`BOUNCE_HOLDS_SURVEYS`): every one of its per-recipient blocks that
    :func:`hard_bounces` takes (the rule for a report that names none of our mail too);
    a report without such blocks names its ``recipient``, else the bounced mail's address.
    None of ``ours``, ever. Each address whose hard bounce is kept goes into ``held``
    (:data:`Held`). The caller (ingest) records the report itself on the ticket;
    this only moves the outgoing mail's state, in the caller's transaction.
    """
    now = now or utcnow()
    hard = not (dsn_status or "").startswith("4")
    dsn = _one_line(dsn_status, 20)
    row = session.exec(
        select(Outbox)
        .where(col(Outbox.email_message_id) == email_message_id)
        .order_by(col(Outbox.id).desc())
    ).first()
    named: list[tuple[str, str | None]] = []
    if recipients:
        named.extend(hard_bounces(recipients, ours=ours))
    else:
        address = recipient or (row.to_addresses if row is not None else None)
        if hard and address and _key(address) not in ours:
            named.append((address, dsn))
    for address, status in named:
        _note_hard_bounce(session, address, status, now, held)
    if row is None or row.id is None:
        _withdraw_waiting_automatic(session, named, None)
        return None
    previous = row.status
    if recipients:  # its blocks say whom it failed for: the customer, or only a copy
        undelivered = _key(row.to_addresses) in {_key(address) for address, _ in named}
        withdrawn = named
    else:
        undelivered = hard
        withdrawn = [*named, (row.to_addresses, dsn)] if hard else named
    if undelivered or not named:
        row.status = OutboxStatus.BOUNCED
        row.dsn_status = dsn
        row.dsn_diagnostic = _one_line(diagnostic, _MAX_ERROR)
        row.bounced_at = now
        session.add(row)
    reply = row if undelivered and row.kind == "reply" else None
    _withdraw_waiting_automatic(session, withdrawn, reply)
    ticket = ticket_of_mail(session, row)
    return Bounce(row.id, ticket.id if ticket else row.ticket_id, row.message_id, previous)


def _key(address: str) -> str:
    return address.strip().lower()


def _withdraw_waiting_automatic(
    session: Session, bounced: Sequence[tuple[str, str | None]], reply: Outbox | None
) -> None:
    """Withdraw the automatic mail (:data:`AUTOMATIC_KINDS`: an acknowledgement or the
    canned reply in its place, a survey) not sent yet (queued, waiting for a retry — an
    outage holds it there —, or claimed by the sender) to each (address, status) of
    ``bounced``, which bounced for good, and the survey after the bounced ``reply`` on its
    ticket: a bounce that arrives after the mail was queued but before it went stops it
    at once, with the history line :func:`claim_due` would write. One read, each mail
    once, with the first reason that names its address (else: the reply before it was not
    delivered). A claimed one is not sent (:func:`sendable` says no); one already on the
    wire is recorded as sent when the server takes it (:func:`record_sent`), and is never
    tried again when it fails (:func:`record_failure`)."""
    reasons: dict[str, tuple[str, str | None]] = {}
    for address, status in bounced:
        reasons.setdefault(_key(address), (address, status))
    which: list[ColumnElement[bool]] = []
    if reasons:
        which.append(
            and_(
                col(Outbox.kind).in_(AUTOMATIC_KINDS),
                func.lower(col(Outbox.to_addresses)).in_(list(reasons)),
            )
        )
    on = ticket_of_mail(session, reply) if reply is not None else None
    if reply is not None and on is not None:  # (the ticket the reply is on now)
        which.append(
            and_(
                col(Outbox.kind) == SURVEY_KIND,
                col(Outbox.ticket_id) == on.id,
                col(Outbox.id) > reply.id,
            )
        )
    if not which:
        return
    waiting = session.exec(
        select(Outbox).where(col(Outbox.status).in_(DUE), or_(*which)).order_by(col(Outbox.id))
    ).all()
    for row in waiting:
        named = reasons.get(_key(row.to_addresses))
        why = _bounced(*named) if named else _reply_undelivered(OutboxStatus.BOUNCED)
        if row.kind == SURVEY_KIND:
            withdraw_survey(session, row, why)
        else:
            withdraw_automatic(session, row, why)


def _bounced(address: str, dsn: str | None) -> str:
    """Why a survey to ``address`` is withdrawn: mail to it bounced for good."""
    return f"mail to {address} bounced" + (f" ({dsn})" if dsn else "")


def _reply_undelivered(status: str) -> str:
    """Why a survey is withdrawn: the reply that resolved its ticket did not arrive."""
    return f"the reply before it was not delivered ({status})"


def _one_line(value: str | None, limit: int) -> str | None:
    text = " ".join((value or "").split())
    return text[:limit] or None


def ticket_of_mail(session: Session, row: Outbox) -> Ticket | None:
    """The ticket a mail is on now (``ticket_reads.MAIL_TICKET``, the one rule): its
    reply's, which a merge moves to the ticket merged into, else the row's own."""
    found = session.execute(
        sa_select(MAIL_TICKET).select_from(MAIL_WITH_MESSAGE).where(OutboxColumns.id == row.id)
    ).scalar()
    return session.get(Ticket, found) if found is not None else None


def resend(
    session: Session, actor: Actor, outbox_id: int, *, now: datetime | None = None
) -> Delivery:
    """Queue a failed or bounced mail again, now, with fresh tries; the ticket's history
    says who did (``delivery failed → queued``).

    The Message-ID stays: the customer's answer to either copy threads the same way.
    The ticket's version does not move (its fields did not change). A reply a merge moved
    to another ticket is said there, where the reply is now (``ticket_of_mail``).
    """
    now = now or utcnow()
    row = session.exec(select(Outbox).where(col(Outbox.id) == outbox_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"no outgoing mail {outbox_id}")
    if row.status not in RESENDABLE:
        raise InvalidTransition(
            f"outgoing mail {outbox_id} is {row.status}; only failed or bounced mail is re-sent"
        )
    previous = row.status
    row.status = OutboxStatus.QUEUED
    row.attempts = 0
    row.next_attempt_at = now
    row.last_error = row.dsn_status = row.dsn_diagnostic = None
    row.bounced_at = row.sent_at = None
    session.add(row)
    ticket = ticket_of_mail(session, row)
    if ticket is not None:
        history.record(
            session, actor, ticket, "resent", field="delivery", old=previous, new=row.status
        )
    return delivery_of(row, ticket.number if ticket else None)
