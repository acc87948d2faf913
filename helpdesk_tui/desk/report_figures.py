"""One ticket's figures, from its history: its ``report_ticket`` row (:func:`ticket_figures`),
the rule the catch-up's replay and the demo loader write the report tables by.

Apart from :mod:`reports` (the figures of a report, read from those rows): a report on a
caught-up desk imports neither this module nor what it needs (the tier moves, the SLA
calendar), nor makes its records' classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from helpdesk_tui.desk.escalation import TierMove
from helpdesk_tui.desk.kinds import RATED
from helpdesk_tui.desk.reports import DONE, day_number, duration_step
from helpdesk_tui.desk.sla import PAUSING

if TYPE_CHECKING:
    from helpdesk_tui.desk.sla import Calendar


def minutes_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


class _OurTime:
    """The business time a ticket was ours to work, as the SLA clocks count it: the
    calendar's hours while its status is not one that pauses them (``sla.PAUSING``: waiting
    on the customer, resolved, closed). A report's business minutes are this, so they
    compare with the SLA's; its wall-clock minutes are the elapsed time."""

    def __init__(self, calendar: Calendar | None, start: datetime) -> None:
        self.calendar = calendar
        self.running: datetime | None = start
        self.used = timedelta()

    def restart(self, start: datetime) -> None:
        self.running, self.used = start, timedelta()

    def status(self, status: str | None, at: datetime) -> None:
        if self.calendar is None:
            return
        if status in PAUSING and self.running is not None:
            self.used += self.calendar.between(self.running, at)
            self.running = None
        elif status not in PAUSING and self.running is None:
            self.running = at

    def minutes_at(self, at: datetime) -> int | None:
        if self.calendar is None:
            return None
        used = self.used
        if self.running is not None:
            used += self.calendar.between(self.running, at)
        return int(used.total_seconds() // 60)


# ---------------------------------------------------------------------------------------
# The SLA source. Until SLA policies exist, a ticket's own due times say what was promised;
# this is the one place that reads them, so policies can replace it.


def sla_met(due: datetime | None, done: datetime | None) -> int | None:
    """1 if ``done`` came by ``due``, 0 if not, None when nothing was promised or done."""
    if due is None or done is None:
        return None
    return 1 if done <= due else 0


class HistoryEvent(NamedTuple):
    """What :func:`ticket_figures` needs of one event (in the order they were recorded).

    A named tuple, not a dataclass: a catch-up or a demo load makes one per event, ten
    million at a million tickets, and a tuple is made several times faster."""

    kind: str
    field: str | None
    old: str | None
    new: str | None
    agent_id: int | None
    at: datetime


@dataclass(frozen=True)
class TicketNow:
    """The ticket row as it is now (dimensions a report filters on, due times)."""

    number: int
    ticket_id: int | None
    created_at: datetime
    team_id: int | None
    assignee_id: int | None
    channel: str
    category: str | None
    type: str
    priority: str
    status: str
    merged: bool
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_due_at: datetime | None


@dataclass(frozen=True)
class TicketFigures:
    """One ticket's row in the report tables (``report_ticket``)."""

    number: int
    ticket_id: int | None
    created_day: int
    team_id: int | None
    agent_id: int | None
    channel: str
    category: str | None
    type: str
    priority: str
    status: str
    open: int
    merged: int
    response_day: int | None
    response_mins: int | None
    responder_id: int | None
    response_met: int | None
    resolved_day: int | None
    """The day of the last resolution: of a ticket reopened since and open again too (its
    ``resolution_mins`` None), for the reopen rate (``reports.UNDONE``)."""
    resolution_mins: int | None
    resolution_met: int | None
    reopens: int
    rating: int | None
    rated_day: int | None
    sla_due_at: datetime | None
    response_bmins: int | None = None
    """Business minutes (the ticket's SLA calendar) to the first response / resolution,
    without the time the SLA clocks pause (waiting on the customer, resolved before a
    reopening): our time, comparable with the SLA targets (:class:`_OurTime`)."""
    resolution_bmins: int | None = None


def ticket_figures(
    now: TicketNow,
    events: Iterable[HistoryEvent],
    agent_ids: Mapping[str, int],
    calendar: Calendar | None = None,
) -> TicketFigures:
    """Replay one ticket's history.

    ``agent_ids`` maps logins to agent ids (assignee events name logins); ``calendar`` is the
    business calendar of the ticket's SLA policy (business minutes are left out without
    one). The handler is
    the assignee at the moment of the final resolution (or the agent who resolved it when
    nobody was assigned); a ticket merged into another is neither resolved nor in the
    backlog — its conversation continues in the other ticket.
    """
    created = now.created_at
    assignee = None
    first_reply: tuple[datetime, int] | None = None
    resolved: tuple[datetime, int | None] | None = None
    last_done: datetime | None = None
    reopens = 0
    rating: tuple[int, datetime] | None = None
    ours = _OurTime(calendar, created)
    response_bmins = resolution_bmins = None
    for event in events:
        if event.kind == "created":
            created = event.at
            ours.restart(created)
        elif event.field == "assignee":
            assignee = agent_ids.get(event.new) if event.new else None
        elif (move := TierMove.from_event(event.kind, event.field, event.old, event.new)) and (
            move.team_changed
        ):
            assignee = None  # a move to another team's tier leaves the ticket unassigned
        elif event.kind == "reply" and event.agent_id is not None and first_reply is None:
            first_reply = (event.at, event.agent_id)
            response_bmins = ours.minutes_at(event.at)
        elif event.field == "status":
            ours.status(event.new, event.at)
            was_done, is_done = event.old in DONE, event.new in DONE
            if is_done and not was_done:
                resolved = (event.at, assignee if assignee is not None else event.agent_id)
                last_done = event.at
                resolution_bmins = ours.minutes_at(event.at)
            elif was_done and not is_done:
                reopens += 1
                resolved = None
        elif event.kind == RATED and event.new and event.new.isdigit():
            rating = (int(event.new), event.at)
    if now.merged or now.status not in DONE:
        resolved = None
    # Resolved, then reopened and open again: the day of the resolution undone, with no
    # resolution figures (the reopen rate counts it in that day's range at once).
    undone = last_done if resolved is None and reopens and not now.merged else None
    handler = resolved[1] if resolved else now.assignee_id
    return TicketFigures(
        number=now.number,
        ticket_id=now.ticket_id,
        created_day=day_number(created),
        team_id=now.team_id,
        agent_id=handler,
        channel=now.channel,
        category=now.category,
        type=now.type,
        priority=now.priority,
        status=now.status,
        open=int(now.status not in DONE and not now.merged),
        merged=int(now.merged),
        response_day=day_number(first_reply[0]) if first_reply else None,
        response_mins=duration_step(minutes_between(created, first_reply[0]))
        if first_reply
        else None,
        responder_id=first_reply[1] if first_reply else None,
        response_met=sla_met(now.response_due_at, first_reply[0] if first_reply else None),
        resolved_day=day_number(resolved[0])
        if resolved
        else (day_number(undone) if undone else None),
        resolution_mins=duration_step(minutes_between(created, resolved[0])) if resolved else None,
        resolution_met=sla_met(now.resolution_due_at, resolved[0] if resolved else None),
        reopens=reopens,
        rating=rating[0] if rating else None,
        rated_day=day_number(rating[1]) if rating else None,
        sla_due_at=now.sla_due_at,
        response_bmins=duration_step(response_bmins) if response_bmins is not None else None,
        resolution_bmins=duration_step(resolution_bmins)
        if resolved and resolution_bmins is not None
        else None,
    )
