"""Warning and breach alerts: each clock run alerts once per level, by mail and on screen.

:func:`check` is called by the one process holding the ``sla.alerts`` lease (the mail
service runs it), so alerts go out with no terminal open. A :class:`SlaNotice` row per
(ticket, clock, run start, level) makes each alert happen once: it is written in the same
transaction as the alert's event and outgoing mail, so a process killed at any moment
either sent nothing for it (the next holder sends it) or wrote all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlmodel import Session, col, select

from helpdesk_tui.desk import fields, history, sla, sla_clock, tiers
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.escalation import Reason
from helpdesk_tui.desk.outbox import queue_mail
from helpdesk_tui.desk.settings import desk_setting, set_desk_setting
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Agent, Ticket
from helpdesk_tui.storage.sla_models import SlaNotice

SLA_ACTOR = Actor(name="sla")
HORIZON = timedelta(days=14)
"""Tickets due later than this are not looked at (no target warns this far ahead)."""
BATCH = 500
ALERT_EVENTS = {"warning": "sla_warning", "breach": "sla_breach"}
_LEVELS = {sla.ClockState.WARNING: ("warning",), sla.ClockState.BREACHED: ("warning", "breach")}
_RUNNING = [s for s in OPEN_STATUSES if s not in sla.PAUSING]
AUTO_ESCALATE = "sla.auto_escalate"
"""The desk's setting (``helpdesk sla auto-escalate off|warning|breach``): at which alert a
ticket moves one tier up. Off until an admin turns it on."""


class AutoEscalate(StrEnum):
    """At which alert a ticket moves one tier up by itself (once per clock run and level)."""

    OFF = "off"
    WARNING = "warning"
    BREACH = "breach"

    @property
    def reason(self) -> Reason:
        return Reason.AUTO_WARNING if self is AutoEscalate.WARNING else Reason.AUTO_BREACH


_STORED = {"yes": AutoEscalate.BREACH, "no": AutoEscalate.OFF}
"""What an older desk stored (an on/off switch: on was at breach)."""


def auto_escalates(session: Session) -> AutoEscalate:
    value = desk_setting(session, AUTO_ESCALATE) or AutoEscalate.OFF.value
    return _STORED.get(value) or AutoEscalate(value)


def set_auto_escalate(session: Session, at: AutoEscalate) -> None:
    set_desk_setting(session, AUTO_ESCALATE, AutoEscalate(at).value)


@dataclass(frozen=True)
class Alert:
    number: int
    clock: str
    level: str
    due_at: datetime


def _candidates(
    session: Session, now: datetime, numbers: tuple[int, int] | None = None
) -> list[int]:
    """The running tickets due within ``HORIZON`` with a clock that may still alert.

    A clock whose breach was alerted has nothing more to say until its run changes, and
    its due time with it; an answered clock is not alerted. So a ticket whose every clock
    still counting has a breach notice at its due time is not explained again. On a big
    desk most running tickets due "soon" are long overdue (54,000 of the 1M demo desk's):
    explaining them all took every pass 6.5 s of CPU, every few seconds, in whichever
    process held the lease (a terminal's too); now 1.1 s (the 9,900 not yet breached)."""
    horizon = now + HORIZON

    def may_alert(due: Any, *counting: ColumnElement[bool]) -> ColumnElement[bool]:
        breached = exists().where(
            col(SlaNotice.ticket_id) == Ticket.id,
            col(SlaNotice.level) == "breach",
            col(SlaNotice.due_at) == due,
        )
        return and_(due <= horizon, *counting, ~breached)

    answering = col(Ticket.first_response_at).is_(None)  # an answered clock is not alerted
    statement = select(Ticket.id).where(
        col(Ticket.status).in_(_RUNNING),
        col(Ticket.sla_due_at) <= horizon,  # the earliest pending target of each
        or_(
            may_alert(col(Ticket.response_due_at), answering),
            may_alert(col(Ticket.reply_due_at)),
            may_alert(col(Ticket.resolution_due_at)),
        ),
    )
    if numbers is not None:
        statement = statement.where(col(Ticket.number).between(*numbers))
    ids = session.exec(statement.order_by(col(Ticket.id))).all()
    return [int(i) for i in ids if i is not None]


@dataclass(frozen=True)
class Pass:
    """What a pass did, and when the next can have anything to say."""

    alerts: list[Alert]
    next_at: datetime | None
    """The earliest warning or due time still to come of a running clock (those of tickets
    due beyond ``HORIZON`` as the earliest moment one of them comes within it); ``None``:
    no running clock. Nothing can alert before it unless the desk changes."""


def check(db: Database, now: datetime, *, auto_escalate: AutoEscalate | None = None) -> list[Alert]:
    """Alert every running clock that reached its warning or breach and was not alerted yet.

    With ``auto_escalate`` at ``warning`` (or ``breach``) a new alert of that level also moves
    the ticket one tier up (to that tier's team), once per alert; ``None`` (what the mail
    service passes): as the desk's setting says (:func:`auto_escalates`).
    """
    return run_pass(db, now, auto_escalate=auto_escalate).alerts


def run_pass(
    db: Database,
    now: datetime,
    *,
    auto_escalate: AutoEscalate | None = None,
    numbers: tuple[int, int] | None = None,
    quiet: bool = False,
) -> Pass:
    """:func:`check`, and when the next pass can have anything to say (``Pass.next_at``).

    ``numbers``: only the tickets numbered from the first to the last; ``quiet``: the alerts
    recorded as given (their notices) without their events, mail or escalation
    (:func:`record_past`)."""
    with db.read() as session:
        rules = sla_clock.load_rules(session)
        ids = _candidates(session, now, numbers)
        beyond = _first_due_beyond(session, now)
        if auto_escalate is None:
            auto_escalate = auto_escalates(session)
    made: list[Alert] = []
    upcoming: list[datetime] = [beyond - HORIZON] if beyond is not None else []
    for start in range(0, len(ids), BATCH):
        with db.write() as session:
            batch = ids[start : start + BATCH]
            made += _check_batch(session, batch, rules, now, auto_escalate, upcoming, quiet)
    return Pass(made, min(upcoming, default=None))


def record_past(db: Database, now: datetime, numbers: tuple[int, int]) -> int:
    """The alerts the tickets numbered ``numbers`` had by ``now`` recorded as given, without
    announcing them; how many. A demo load's tickets have their history made up to ``now``,
    their alerts with it: the desk's first pass after the load announced every one of the
    story's breaches at once (68 alerts and their mail on a new admin's 1,000-ticket demo,
    67,000 at 1M), months after they happened."""
    return len(run_pass(db, now, numbers=numbers, quiet=True).alerts)


def _first_due_beyond(session: Session, now: datetime) -> datetime | None:
    """The earliest due time of a running ticket not yet within ``HORIZON`` (an index read
    per status)."""
    horizon = now + HORIZON
    firsts = [
        session.exec(
            select(func.min(Ticket.sla_due_at)).where(
                Ticket.status == status, col(Ticket.sla_due_at) > horizon
            )
        ).one()
        for status in _RUNNING
    ]
    return min((f for f in firsts if f is not None), default=None)


def _check_batch(
    session: Session,
    ids: list[int],
    rules: tuple[list[sla.Policy], dict[str, sla.Calendar]],
    now: datetime,
    auto_escalate: AutoEscalate,
    upcoming: list[datetime],
    quiet: bool = False,
) -> list[Alert]:
    """The batch's new alerts (``quiet``: their notices alone); adds to ``upcoming`` each
    running clock's next warning or due time after ``now``."""
    policies, calendars = rules
    done = {
        (n.ticket_id, n.clock, n.started_at, n.level)
        for n in session.exec(select(SlaNotice).where(col(SlaNotice.ticket_id).in_(ids))).all()
    }
    made: list[Alert] = []
    escalated: set[int] = set()
    numbers: dict[int, int] = {}
    if quiet:
        rows = session.exec(select(Ticket.id, Ticket.number).where(col(Ticket.id).in_(ids)))
        numbers = {int(i or 0): n for i, n in rows}
    for ticket_id, facts in sla_clock.facts(session, ids).items():
        explained = sla.explain(facts, policies, calendars, now)
        for clock in explained.current():
            if clock.stopped_at is None:
                upcoming += [t for t in (clock.warn_at, clock.due_at) if t is not None and t > now]
            levels = _LEVELS.get(clock.state, ())
            new = [
                level
                for level in levels
                if (ticket_id, clock.kind.value, clock.started_at, level) not in done
            ]
            if not new or clock.due_at is None:
                continue
            for level in new:
                session.add(
                    SlaNotice(
                        ticket_id=ticket_id,
                        clock=clock.kind.value,
                        level=level,
                        started_at=clock.started_at,
                        due_at=clock.due_at,
                        created_at=now,
                    )
                )
            if quiet:  # (no ticket loaded: a demo load records a thousand at a time)
                made.append(Alert(numbers[ticket_id], clock.kind.label, new[-1], clock.due_at))
                continue
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            alert = Alert(ticket.number, clock.kind.label, new[-1], clock.due_at)
            made.append(alert)
            _announce(session, ticket, alert)
            if auto_escalate.value in new and ticket_id not in escalated:
                escalated.add(ticket_id)  # two clocks alerting at once: one tier up
                _escalate(session, ticket, auto_escalate.reason)
    return made


def _announce(session: Session, ticket: Ticket, alert: Alert) -> None:
    """The alert's event (the TUI notices it) and its mail to the assignee and supervisors."""
    what = "breached" if alert.level == "breach" else "nearly due"
    detail = f"{alert.clock} {what} (due {alert.due_at:%Y-%m-%d %H:%M} UTC)"
    history.record(session, SLA_ACTOR, ticket, ALERT_EVENTS[alert.level], new=detail)
    to = set(tiers.team_addresses(session, ticket.team_id, supervisors_only=True))
    assignee = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
    if assignee is not None and assignee.email and assignee.active:
        to.add(assignee.email)
    if to:
        queue_mail(
            session,
            ticket,
            kind="sla_alert",
            to=sorted(to),
            subject=f"[#{ticket.number}] SLA {what}: {alert.clock}",
            body=f'#{ticket.number} "{ticket.subject}": {detail}.\n',
        )


def _escalate(session: Session, ticket: Ticket, reason: Reason) -> None:
    savepoint = session.begin_nested()
    try:
        fields.escalate(session, SLA_ACTOR, ticket.number, reason=reason)
    except DeskError:  # already at the top tier: the alert stands on its own
        savepoint.rollback()
    else:
        savepoint.commit()
    session.expire(ticket)  # (the escalation wrote its row on Core tables)
