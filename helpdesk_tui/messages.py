"""App-wide messages any screen may send the app (screen-local ones nest in their screen)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import Worker

if TYPE_CHECKING:
    from helpdesk_tui.desk.mail_holding_service import MailState


class OpenTicket(Message):
    """Show ticket ``number`` (from the queue, the palette, or a link on another ticket)."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number


class TicketChanged(Message):
    """This terminal changed ticket ``number``: lists showing it re-read at once."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number


class WorkerFailed(Message):
    """A background job (a database read, a mail poll) failed; the app shows why."""

    def __init__(self, worker: Worker[object]) -> None:
        super().__init__()
        self.worker = worker


class AgentChecked(Message):
    """The desk read this terminal's agent again (a change, a heartbeat, the queue's check,
    the access check: ``Desk.on_agent_seen``): the app follows what the latest read found
    (``Desk.agent_seen``)."""


class MailPolled(Message):
    """A fresh read of the mail state (``status``), or why it could not be read (``problem``)."""

    def __init__(self, status: MailState | None, problem: str | None = None) -> None:
        super().__init__()
        self.status = status
        self.problem = problem


class OutboxMoved(Message):
    """Outgoing mail was sent or given up: a screen showing replies' delivery reads again.

    Delivery does not change a ticket's version, so a screen's own change check would not
    notice it; the mail link posts this to every screen on the stack, and those that show
    deliveries handle it.
    """
