"""The mail holding area on the `Desk`: quarantine, spam, machine mail, the outbox, mail state.

What the mail screen and ``helpdesk mail …`` show and do to mail the desk kept back. Every
method returns frozen views (never the rows of ``storage.mail_models``); the raw source of a
held message comes as bytes beside its view, to be cleaned by whoever shows it.

The mail tables load with the first method called, not with the facade (start-up of the
CLI's other commands).

Running a held message through ingest again (retry, release) parses mail, so it is the mail
layer's (``helpdesk_tui.mail.api``); the desk never imports mail.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import ModuleType
from typing import Any, ClassVar, Self, TypeVar

from helpdesk_tui.desk.mail_reads import LeaseView, MailReads, MailState, held_counts
from helpdesk_tui.desk.ticket_reads import Delivery

__all__ = [
    "Delivery",
    "HeldArea",
    "HeldMachine",
    "HeldQuarantine",
    "HeldSpam",
    "LeaseView",
    "MailHoldingService",
    "MailState",
]


class HeldArea(StrEnum):
    """Where the desk keeps mail back (each a ``desk`` module of the same name)."""

    QUARANTINE = "quarantine"
    SPAM = "spam"
    MACHINE = "machine"


@dataclass(frozen=True)
class _Held:
    """A held message as shown; each kind names the area that holds it."""

    area: ClassVar[HeldArea]

    @classmethod
    def of(cls, row: Any) -> Self:
        """The view of a held row: each field is the row's column of the same name."""
        assert row.id is not None
        return cls(**{f.name: getattr(row, f.name) for f in dataclasses.fields(cls)})

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


H = TypeVar("H", bound=_Held)


def _store(area: HeldArea) -> ModuleType:
    """The module that keeps ``area``'s rows: ``list_held``, ``get``, ``count_held``."""
    from helpdesk_tui.desk import machine, quarantine, spam

    stores = {HeldArea.QUARANTINE: quarantine, HeldArea.SPAM: spam, HeldArea.MACHINE: machine}
    return stores[area]


@dataclass(frozen=True)
class HeldQuarantine(_Held):
    """A message that could not be processed, kept raw with the reason."""

    area = HeldArea.QUARANTINE

    id: int
    raw_message_id: int
    reason: str
    mailbox: str | None
    from_hint: str | None
    subject_hint: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    ticket_id: int | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class HeldSpam(_Held):
    """A message held as spam (X-Spam-Flag or the block list)."""

    area = HeldArea.SPAM

    id: int
    raw_message_id: int
    reason: str
    mailbox: str | None
    from_address: str | None
    subject: str
    created_at: datetime
    released_at: datetime | None
    released_by: str | None
    ticket_id: int | None

    @property
    def is_open(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class HeldMachine(_Held):
    """A bounce, read receipt, report, auto-reply or mail from our own address (not sent by
    the desk) that matched no ticket."""

    area = HeldArea.MACHINE

    id: int
    raw_message_id: int
    kind: str
    reason: str
    mailbox: str | None
    from_address: str | None
    subject: str
    status: str | None
    diagnostic: str | None
    about_message_id: str | None
    created_at: datetime
    released_at: datetime | None
    released_by: str | None
    ticket_id: int | None

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class MailHoldingService(MailReads):
    """The mail the desk held back, the outbox, and the mail state (one read: ``MailReads``)."""

    # -- quarantine, spam, machine mail --------------------------------------------------------

    def _held_list(self, view: type[H], **filters: object) -> list[H]:
        """``view.area``'s held mail, newest first, filtered by its ``list_held``."""
        with self._read() as session:
            return [view.of(row) for row in _store(view.area).list_held(session, **filters)]

    def _held_show(self, view: type[H], entry_id: int) -> tuple[H, bytes]:
        """One held message of ``view.area`` and its raw source."""
        with self._read() as session:
            row, content = _store(view.area).get(session, entry_id)
            return view.of(row), content

    def mail_quarantine_list(self, *, include_resolved: bool = False) -> list[HeldQuarantine]:
        """Quarantined messages, newest first."""
        return self._held_list(HeldQuarantine, include_resolved=include_resolved)

    def mail_quarantine_show(self, entry_id: int) -> tuple[HeldQuarantine, bytes]:
        """One quarantined message and its raw source."""
        return self._held_show(HeldQuarantine, entry_id)

    def mail_spam_list(self, *, include_released: bool = False) -> list[HeldSpam]:
        """Held spam, newest first."""
        return self._held_list(HeldSpam, include_released=include_released)

    def mail_spam_show(self, entry_id: int) -> tuple[HeldSpam, bytes]:
        return self._held_show(HeldSpam, entry_id)

    def mail_machine_list(
        self, *, kind: str | None = None, include_released: bool = False
    ) -> list[HeldMachine]:
        """Held machine mail, newest first; ``kind`` keeps one kind (bounce, receipt …)."""
        return self._held_list(HeldMachine, kind=kind, include_released=include_released)

    def mail_machine_show(self, entry_id: int) -> tuple[HeldMachine, bytes]:
        return self._held_show(HeldMachine, entry_id)

    def mail_machine_count(self) -> int:
        with self._read_rows() as conn:
            return held_counts(conn)[2]

    # -- the outbox ---------------------------------------------------------------------------

    def mail_outbox_resend(self, outbox_id: int) -> Delivery:
        """Send a failed or bounced mail again at the sender's next pass (the history says who)."""
        with self._write() as session:
            from helpdesk_tui.desk import outbox

            return outbox.resend(session, self.actor, outbox_id, now=self.clock())
