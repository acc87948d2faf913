"""What a ticket list is and what it hands back, as plain values: the filter and the query
(view, search, sort), a row, a page, a place in a list's order, the change mark, who is on
which ticket, and one read of the queue screen.

No database code here: the queue screen, its table and the views import these without
SQLAlchemy, so the TUI can draw its first page before the data layer is loaded. The lister
itself is ``desk/queue.py``'s (``SORT_KEYS`` there has one key per name in ``SORT_ORDER``);
``queries``, ``queue``, ``presence`` and ``tickets_service`` still hand out these names too.
:class:`TicketRow` is ``desk/ticket_row_value``'s (re-exported here): a ticket write hands
one back without importing the queue's other values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.on_ticket import OnTicket as OnTicket
from helpdesk_tui.desk.ticket_row_value import TicketRow as TicketRow


@dataclass(frozen=True)
class TicketFilter:
    """What a list shows. Empty fields do not filter; ``open_only`` keeps unfinished work."""

    statuses: Sequence[str] = ()
    priorities: Sequence[str] = ()
    types: Sequence[str] = ()
    assignee: str | None = None
    unassigned: bool = False
    team: str | None = None
    tag: str | None = None
    category: str | None = None
    requester_id: int | None = None
    requester: str | None = None
    """One customer's tickets by their address (``ticket list --requester``); an address
    the desk has no contact for lists nothing."""
    open_only: bool = False


SORT_ORDER: tuple[str, ...] = (
    "updated",
    "priority",
    "number",
    "subject",
    "requester",
    "status",
    "assignee",
    "sla",
    "created",
)
"""The order a "next sort" key cycles through; also the CLI's ``--sort`` choices."""


@dataclass(frozen=True)
class QueueQuery:
    """Everything that decides which tickets a list shows, and in which order."""

    filter: TicketFilter = field(default_factory=TicketFilter)
    text: str = ""
    sort: str = "updated"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.sort not in SORT_ORDER:
            allowed = ", ".join(SORT_ORDER)
            raise InvalidValue(f"unknown sort {self.sort!r}; allowed: {allowed}")

    def with_sort(self, sort: str, descending: bool | None = None) -> QueueQuery:
        return replace(
            self, sort=sort, descending=self.descending if descending is None else descending
        )


@dataclass(frozen=True)
class Position:
    """A place in a list's order: a row's sort value and ticket id."""

    value: Any
    id: int


@dataclass(frozen=True)
class QueuePage:
    """Rows in list order, and whether more exist before the first and after the last.

    ``positions`` are the rows' places, to page on from (a search's order is its ranking,
    which a row alone does not tell).
    """

    rows: list[TicketRow]
    more_before: bool
    more_after: bool
    positions: list[Position] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeMark:
    """What a list's reader saw: compare two marks to know whether to read again.

    ``events`` moves with every change to any ticket (every change writes an event, and
    only those do); ``presence`` with who is viewing or replying where.
    """

    events: tuple[int, int]
    presence: tuple[Any, ...]
    expires: datetime | None = field(default=None, compare=False)
    """When the first presence row live at the mark's reading expires: its marker goes
    then, with no write to say so (``presence``'s count of live rows drops), so the queue
    looks again at that time rather than at every look. Not compared: a heartbeat pushes
    it on and nothing shown moves."""

    @property
    def anyone_on(self) -> bool:
        """Whether any presence row was live when the mark was read (markers to read)."""
        return bool(self.presence[-1])


PageKind = Literal["first", "last", "after", "before", "from"]
"""Which page of a list: the first, the last, the one after or before a position, or the
rows from a position on, that position included (re-reading a window in place)."""


@dataclass(frozen=True)
class QueueWindow:
    """One read of the queue screen: a page, who is on its tickets, and the change mark
    read just before it (what later checks compare against)."""

    page: QueuePage
    on: dict[int, list[OnTicket]]
    new_desk: bool
    """No rows, and the whole desk has no ticket at all."""
    mark: ChangeMark


@dataclass(frozen=True)
class QueueCheck:
    """A refresh tick's answer: the change mark now, and who is on which ticket (read only
    when presence alone changed since the mark the caller holds)."""

    mark: ChangeMark
    on: dict[int, list[OnTicket]] | None
