"""App-wide messages any screen may send the app (screen-local ones nest in their screen)."""

from __future__ import annotations

from textual.message import Message
from textual.worker import Worker


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
