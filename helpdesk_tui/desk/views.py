"""Named queue views: "My open", "Unassigned", … and the ones saved in config.

A view is a name, a title and a ``QueueQuery`` (filter, search, sort). Saved views are
checked here, when they are built, so a typo in config is reported once, by name, at start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.queue_values import QueueQuery, TicketFilter
from helpdesk_tui.desk.statuses import parse_status
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_type
from helpdesk_tui.storage.enums import Status

ME = "me"
"""In a saved view's ``assignee``: whoever runs the app."""


@dataclass(frozen=True)
class View:
    name: str
    title: str
    query: QueueQuery


def builtin_views(login: str) -> list[View]:
    """The seven views every agent has, in the order of keys 1 to 7."""
    return [
        View("mine", "My open", QueueQuery(TicketFilter(assignee=login, open_only=True))),
        View("unassigned", "Unassigned", QueueQuery(TicketFilter(unassigned=True, open_only=True))),
        View("open", "All open", QueueQuery(TicketFilter(open_only=True))),
        View("waiting", "Waiting", QueueQuery(TicketFilter(statuses=(Status.WAITING.value,)))),
        View("on_hold", "On hold", QueueQuery(TicketFilter(statuses=(Status.ON_HOLD.value,)))),
        View(
            "resolved",
            "Recently resolved",
            QueueQuery(TicketFilter(statuses=(Status.RESOLVED.value, Status.CLOSED.value))),
        ),
        View("all", "All tickets", QueueQuery(TicketFilter())),
    ]


def custom_view(
    name: str,
    login: str,
    *,
    title: str = "",
    statuses: Sequence[str] = (),
    priorities: Sequence[str] = (),
    types: Sequence[str] = (),
    assignee: str | None = None,
    unassigned: bool = False,
    team: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    open_only: bool = False,
    search: str | None = None,
    sort: str = "updated",
    descending: bool = True,
) -> View:
    """A view from config, its values checked; InvalidValue names the view and the problem."""
    try:
        spec = TicketFilter(
            statuses=tuple(parse_status(s).value for s in statuses),
            priorities=tuple(parse_priority(p).value for p in priorities),
            types=tuple(parse_type(t).value for t in types),
            assignee=login if assignee == ME else assignee or None,
            unassigned=unassigned,
            team=team or None,
            tag=parse_tag(tag) if tag else None,
            category=category or None,
            open_only=open_only,
        )
        query = QueueQuery(spec, text=search or "", sort=sort, descending=descending)
    except InvalidValue as error:
        raise InvalidValue(f"view {name!r}: {error}") from None
    return View(name, title or name, query)
