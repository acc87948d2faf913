"""The mail state as the desk has it, read on Core tables (``storage/core_tables``): the
folders' positions and errors, the outbox by state and what is not getting through, the
held mail's counts, the leases of the mail jobs.

The one place it is read: :class:`MailReads` is the base of the facade's
``MailHoldingService`` (the terminal's status line and mail screen, through the mail layer)
and alone is what ``helpdesk mail status`` holds, so that verb imports neither the ORM nor
SQLModel. The functions take a session as well (the poller and tests read in their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.ticket_reads import (
    DUE,
    MAIL_TICKET,
    MAIL_WITH_MESSAGE,
    UNDELIVERED,
    Delivery,
    delivery_of,
)
from helpdesk_tui.storage.core_tables import (
    Lease,
    MailFolderState,
    MailMachine,
    MailQuarantine,
    MailSpam,
    Outbox,
    Ticket,
    lease,
    mail_folder_state,
    outbox,
    ticket,
)
from helpdesk_tui.storage.enums import OutboxStatus, utcnow

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

OUTBOX_LEASE = "mail.outbox"
"""The outbox sender's lease (``mail/service``): its row says when one last ran."""
SLA_LEASE = "sla.alerts"
"""The lease of the one process that runs the SLA alert passes (``sla_alerts``)."""
SENDER_GONE = timedelta(days=1)
"""How long after the last outbox sender stopped the desk still counts as sending mail."""


def sends_mail(reader: Reader, now: datetime) -> bool:
    """Whether this desk sends mail: an outbox sender (a mail service with ``[mail.smtp]``)
    holds its lease, or held it within :data:`SENDER_GONE` (a restart, a short outage).

    A desk without SMTP never had one, so it must not queue mail that can never go (SLA
    alerts are then shown in the terminal only, ``sla_alerts``). Read from the desk, not from
    the settings of the process asking: a terminal whose own config holds no SMTP password
    may run the SLA pass for a desk whose server sends mail."""
    found = reader.execute(
        select(Lease.expires_at).where(
            Lease.name == OUTBOX_LEASE, Lease.expires_at > now - SENDER_GONE
        )
    ).first()
    return found is not None


@dataclass(frozen=True)
class FolderStatus:
    mailbox: str
    folder: str
    last_uid: int
    backlog: int
    last_poll_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class LeaseView:
    name: str
    holder: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class MailState:
    """What the TUI's status line, the mail screen and ``helpdesk mail status`` show."""

    folders: list[FolderStatus]
    outbox: dict[str, int]
    """Outgoing mail by :class:`~helpdesk_tui.storage.enums.OutboxStatus` value."""
    leases: list[LeaseView]
    undelivered: list[Delivery] = field(default_factory=list)
    """Outgoing mail not getting through (failed, bounced, retrying), with the reasons."""
    quarantined: int = 0
    """Messages in quarantine, waiting for someone to look (and retry)."""
    spam: int = 0
    """Messages held as spam, not released."""
    machine: int = 0
    """Machine mail (bounces, receipts, reports, auto-replies) that matched no ticket."""
    running_here: list[str] = field(default_factory=list)
    """Leases this process holds right now (the mail layer fills it in)."""
    alerts_by_mail: bool = True
    """Whether SLA alerts are mailed (:func:`sends_mail`), or shown in the terminal only."""

    @property
    def backlog(self) -> int:
        """Incoming mail not imported yet plus outgoing mail not sent yet."""
        return sum(f.backlog for f in self.folders) + self.outbox_backlog

    @property
    def outbox_backlog(self) -> int:
        return sum(self.outbox.get(status, 0) for status in DUE)

    @property
    def undelivered_count(self) -> int:
        """Outgoing mail given up or bounced: someone should look (and re-send)."""
        return sum(self.outbox.get(status, 0) for status in UNDELIVERED)

    @property
    def last_error(self) -> str | None:
        errors = [(f.last_error_at, f) for f in self.folders if f.last_error and f.last_error_at]
        if not errors:
            return None
        _, latest = max(errors, key=lambda pair: pair[0])
        return f"{latest.mailbox}: {latest.last_error}"

    @property
    def last_poll_at(self) -> datetime | None:
        times = [f.last_poll_at for f in self.folders if f.last_poll_at]
        return max(times) if times else None


def current_holder(session: Reader, name: str, *, now: datetime | None = None) -> Any:
    """The live lease on ``name`` (its row), or None when it is free or expired."""
    now = now or utcnow()
    return session.execute(select(lease).where(Lease.name == name, Lease.expires_at > now)).first()


def folder_statuses(session: Reader) -> list[FolderStatus]:
    """Every polled folder's position, backlog and last error, by mailbox and folder."""
    rows = session.execute(
        select(mail_folder_state).order_by(MailFolderState.mailbox, MailFolderState.folder)
    )
    return [
        FolderStatus(
            s.mailbox,
            s.folder,
            s.last_uid,
            s.backlog,
            s.last_poll_at,
            s.last_error,
            s.last_error_at,
        )
        for s in rows
    ]


def outbox_counts(session: Reader) -> dict[str, int]:
    """Outgoing mail by status (an :class:`OutboxStatus` value each)."""
    rows = session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    return {status: int(count) for status, count in rows}


def undelivered(session: Reader, *, limit: int = 50) -> list[Delivery]:
    """Mail that is not getting through: given up, bounced, or retrying; worst first.
    Each names the ticket it is on now (``ticket_reads.MAIL_TICKET``): a reply's, which a
    merge moves to the ticket merged into, not the merged, closed one its row keeps.

    Index walk on ``ix_outbox_status_next`` per state (a handful of rows each).
    """
    found: list[Delivery] = []
    for status in (*UNDELIVERED, OutboxStatus.RETRYING):
        rows = session.execute(
            select(outbox, Ticket.number)
            .select_from(MAIL_WITH_MESSAGE.outerjoin(ticket, Ticket.id == MAIL_TICKET))
            .where(Outbox.status == status)
            .order_by(Outbox.next_attempt_at.desc(), Outbox.id.desc())
            .limit(limit - len(found))
        ).all()
        found += [delivery_of(row, row.number) for row in rows]
        if len(found) >= limit:
            break
    return found


def held_counts(session: Reader) -> tuple[int, int, int]:
    """Mail held and not dealt with: quarantined (no retry resolved it), spam and machine
    mail (not released)."""
    return (
        _count(session, MailQuarantine.resolved_at.is_(None)),
        _count(session, MailSpam.released_at.is_(None)),
        _count(session, MailMachine.released_at.is_(None)),
    )


def _count(session: Reader, held: Any) -> int:
    return int(session.execute(select(func.count()).where(held)).scalar_one())


class MailReads(DeskService):
    """The mail state, read."""

    def mail_state(self, lease_names: Sequence[str]) -> MailState:
        """One read of everything ``helpdesk mail status`` shows; ``lease_names`` to report."""
        with self._read_rows() as session:
            leases = []
            for name in lease_names:
                lease = current_holder(session, name)
                leases.append(
                    LeaseView(
                        name, lease.holder if lease else None, lease.expires_at if lease else None
                    )
                )
            quarantined, spam, machine = held_counts(session)
            return MailState(
                folders=folder_statuses(session),
                outbox=outbox_counts(session),
                leases=leases,
                undelivered=undelivered(session),
                quarantined=quarantined,
                spam=spam,
                machine=machine,
                alerts_by_mail=sends_mail(session, self.clock()),
            )
