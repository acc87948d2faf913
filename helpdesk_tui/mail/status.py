"""The leases the mail service holds, by name, and the mail state as the database has it.

Light to import: ``helpdesk mail status`` and the terminal's status line read the state
without loading the poller, the outbox sender or the IMAP and SMTP clients.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from helpdesk_tui.desk.mail_reads import OUTBOX_LEASE as OUTBOX_LEASE
from helpdesk_tui.desk.mail_reads import SLA_LEASE as SLA_LEASE

if TYPE_CHECKING:
    from helpdesk_tui.desk.mail_reads import MailReads, MailState


def poller_lease(mailbox: str) -> str:
    return f"mail.poll.{mailbox}"


def read_status(
    desk: MailReads, mailboxes: Iterable[str], *, running_here: list[str] | None = None
) -> MailState:
    """The desk's mail state, with the leases of the mailboxes named and the outbox."""
    names = [poller_lease(name) for name in mailboxes] + [OUTBOX_LEASE]
    state = desk.mail_state(names)
    return dataclasses.replace(state, running_here=running_here or [])
