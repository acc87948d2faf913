"""Queueing a mail in the outbox, in the caller's transaction, on Core tables: the one
writer of a new outbox row (``desk/outbox.py`` owns every later move of it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select, text

from helpdesk_tui.desk.subjects import reply_subject
from helpdesk_tui.storage.core_tables import MailBouncedAddress, Message, outbox
from helpdesk_tui.storage.core_text import insert_returning_id
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import OutboxStatus
from helpdesk_tui.timefmt import relative

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

REPLY_KIND = "reply"
"""Outbox kind of an agent's reply to the customer (``desk/thread``): the one kind a person
wrote; every other is automatic mail."""
SLA_ALERT_KIND = "sla_alert"
"""Outbox kind of an SLA alert's mail to agents (``desk/sla_alerts``), a summary's too."""
RATING_CONCERN_KIND = "rating_concern"
"""Outbox kind of a rating that needs follow-up's mail to the assignee or the team's
supervisors (``desk/satisfaction``)."""
AGENT_ALERT_KINDS = (SLA_ALERT_KIND, RATING_CONCERN_KIND)
"""Machine mail to agents that goes stale: an alert the terminal's alert line shows too,
withdrawn rather than sent late (``outbox.withdraw_alert_mail``). Never mail to a customer."""
ALERT_STALE = timedelta(days=1)
"""An SLA alert owed, or alert mail to agents (:data:`AGENT_ALERT_KINDS`) unsent, for longer
than this no longer warns of anything: the pass records the alert as given
(``sla_alerts.STALE``) and the sender withdraws the mail (``outbox.claim_due``)."""
SURVEY_KIND = "survey"
"""Outbox kind of a satisfaction survey (automatic mail: ``Auto-Submitted: auto-generated``);
the sender holds it back behind the reply before it (``desk/outbox.claim_due``)."""


class Subject(Protocol):
    """What a mail about a ticket needs of it."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> int: ...
    @property
    def subject(self) -> str: ...


def ticket_subject(ticket: Subject) -> str:
    """The subject every outgoing mail carries, with the token that threads replies."""
    return reply_subject(ticket.subject, ticket.number)


def thread_headers(reader: Reader, ticket_id: int | None) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for mail to the customer on this ticket, so the customer's
    client threads it under the conversation: an agent's reply (when it is queued) and the
    survey (when it goes, after the reply that resolved the ticket: ``outbox.claim_due``).

    Only the conversation counts: the customer's messages and our replies. Machine mail
    kept as system notes (a read receipt, an out-of-office, a bounce) is not part of the
    customer's thread; answering it put our reply under their auto-reply."""
    found = connection_of(reader).scalars(_THREAD_IDS, {"ticket_id": ticket_id})
    ids = [mid for mid in found.all() if mid]
    return (ids[-1] if ids else None), ids[-20:]


_THREAD_IDS = text(
    "SELECT email_message_id FROM message"
    " WHERE ticket_id = :ticket_id AND email_message_id IS NOT NULL"
    " AND kind IN ('customer', 'reply')"
    " ORDER BY created_at, id"
).columns(Message.email_message_id)
"""A ticket's Message-IDs in thread order: SQL text, which a reply's process does not
compile (SQLAlchemy compiled the Core statement anew in every command, ≈ 0.6 ms)."""


def queue_mail(
    reader: Reader,
    ticket: Subject,
    *,
    now: datetime,
    kind: str,
    to: Sequence[str],
    body: str,
    subject: str | None = None,
    message_id: int | None = None,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> int:
    """Queue one mail about ``ticket`` (sent by the outbox's sender), due ``now`` (the
    caller's clock: a desk's, an intake's); the row's id."""
    values = {
        "ticket_id": ticket.id,
        "message_id": message_id,
        "kind": kind,
        "to_addresses": ", ".join(to),
        "cc_addresses": ", ".join(cc) or None,
        "subject": subject or ticket_subject(ticket),
        "body": body,
        "in_reply_to": in_reply_to,
        "references": " ".join(references) or None,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    # (SQL text made once: ``storage/core_text``)
    conn = connection_of(reader)
    statement = insert_returning_id(conn.dialect, outbox, tuple(values))
    row_id = conn.execute(statement, values).scalar_one()
    return int(row_id)


BOUNCE_HOLDS_SURVEYS = timedelta(days=30)
"""How long a hard bounce to an address holds the automatic mail to it (``withdrawn``, or
never queued: ``outbox.dead_address``): however the delivery report named it (one of our
mails, or only the recipient). Long enough to cover any survey the same ticket or the next
one queues; short enough that an address that was full or mistyped and has been fixed since
is asked again next month."""


@dataclass(frozen=True)
class HardBounce:
    """The last hard bounce of an address, while it holds automatic mail to it."""

    address: str
    """As asked for (the case the ticket has it in)."""
    status: str | None
    """The delivery report's ``Status`` (``5.1.1``), when it gave one."""
    at: datetime
    now: datetime
    """When it was read (the desk's clock): :meth:`warning` says how long before."""

    def warning(self, address_width: int = 320) -> str:
        """What an agent about to reply to the address reads (the composer, ``helpdesk
        ticket reply``): one line, how long ago it bounced and its code; the reply still
        goes. The time is worded as the TUI words every time (``timefmt.relative``: "3 d
        ago"), which holds in any zone the agent is in: no zone is read here (a UTC date
        was a day off for an agent east or west of it). The address is cut to
        ``address_width`` (in its middle) so that a narrow line keeps the time and code.
        (The address came from outside: shown as plain text.)"""
        address = self.address
        if len(address) > address_width:
            half = max(1, (address_width - 1) // 2)
            address = f"{address[:half]}…{address[len(address) - half :]}"
        code = f" ({self.status})" if self.status else ""
        return f"mail to {address} bounced for good {relative(self.at, self.now)}{code}"


def hard_bounces_of(reader: Reader, addresses: Iterable[str], now: datetime) -> list[HardBounce]:
    """The hard bounces within :data:`BOUNCE_HOLDS_SURVEYS` of ``now`` of any of
    ``addresses``: the one rule that holds automatic mail to an address, read for many in
    one statement on Core tables (a reply's CLI verb loads no ORM). On Core tables."""
    given = {a.strip().lower()[:320]: a for a in addresses if a and a.strip()}
    if not given:
        return []
    rows = connection_of(reader).execute(
        select(
            MailBouncedAddress.address, MailBouncedAddress.dsn_status, MailBouncedAddress.bounced_at
        ).where(
            MailBouncedAddress.address.in_(sorted(given)),
            MailBouncedAddress.bounced_at >= now - BOUNCE_HOLDS_SURVEYS,
        )
    )
    return [HardBounce(given[key], status, at, now) for key, status, at in rows]


def last_hard_bounce(reader: Reader, address: str | None, now: datetime) -> HardBounce | None:
    """The hard bounce that holds automatic mail to ``address`` now (None: none does)."""
    found = hard_bounces_of(reader, [address] if address else [], now)
    return found[0] if found else None
