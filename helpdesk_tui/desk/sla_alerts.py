"""Warning and breach alerts: each clock run alerts once per level, by mail and on screen.

:func:`check` is called by the one process holding the ``sla.alerts`` lease (the mail
service runs it), so alerts go out with no terminal open. A :class:`SlaNotice` row per
(ticket, clock, run start, level) makes each alert happen once: it is written in the same
transaction as the alert's event and outgoing mail, so a process killed at any moment
either sent nothing for it (the next holder sends it) or wrote all three.

A pass reads only the tickets whose next alert has come: each ticket keeps when that is
(``ticket.sla_alert_at``, indexed; ``sla_clock.next_alert_at``), written by the clocks' one
writer whenever the ticket's clocks, policy, pause or status change (a policy's or
calendar's edit recomputes the tickets it can move) and by the pass after alerting it. An
idle desk's pass is an index read that finds nothing, whatever its size; one reply costs
its own ticket's look at most.

An alert owed for longer than :data:`STALE` is recorded as given, not announced: a desk
upgraded from before alerts existed, or whose alerts never ran, must not mail its agents
about months-old breaches at its first pass (:func:`record_past` does the same for a demo
load's story).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from helpdesk_tui.desk import fields, history, sla, sla_clock, tiers
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.escalation import Reason
from helpdesk_tui.desk.outbox import queue_mail
from helpdesk_tui.desk.settings import desk_setting, set_desk_setting
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Agent, Ticket
from helpdesk_tui.storage.sla_models import SlaNotice

SLA_ACTOR = Actor(name="sla")
STALE = timedelta(days=1)
"""An alert owed for longer than this (its warning or due time that long past) is recorded
as given without its event, mail or escalation: a day late it no longer warns of anything
(the queue shows the breach), and a desk that never ran its alerts would announce every
breach of its history at once."""
BATCH = 500
ALERT_EVENTS = {"warning": "sla_warning", "breach": "sla_breach"}
_LEVELS = {sla.ClockState.WARNING: ("warning",), sla.ClockState.BREACHED: ("warning", "breach")}
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
    """The tickets whose next alert has come (``sla_alert_at``, a range of its index).

    A pass explained every running ticket due within 14 days whose clocks were not all
    alerted to the end: ≈ 1 s of CPU on the 1M demo desk (9,851 tickets) for any change
    anywhere, in whichever process held the lease (a terminal's too)."""
    alert_at = col(Ticket.sla_alert_at)
    statement = select(Ticket.id).where(alert_at.is_not(None), alert_at <= now)
    if numbers is not None:
        statement = statement.where(col(Ticket.number).between(*numbers))
    ids = session.exec(statement.order_by(col(Ticket.id))).all()
    return [int(i) for i in ids if i is not None]


@dataclass(frozen=True)
class Pass:
    """What a pass did, and when the next can have anything to say."""

    alerts: list[Alert]
    """The alerts given (a quiet pass's: recorded)."""
    next_at: datetime | None
    """The earliest next alert still to come (``sla_alert_at`` after ``now``); ``None``:
    none. Nothing can alert before it unless the desk changes."""
    late: int = 0
    """Alerts owed for longer than :data:`STALE`, recorded as given without a word."""


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
        ids = _candidates(session, now, numbers)
        if not ids:  # (an idle desk's pass: two reads of one index)
            return Pass([], _next_alert(session, now))
        rules = sla_clock.load_rules(session)
        if auto_escalate is None:
            auto_escalate = auto_escalates(session)
    made: list[Alert] = []
    late: list[Alert] = []
    for start in range(0, len(ids), BATCH):
        with db.write() as session:
            batch = ids[start : start + BATCH]
            made += _check_batch(session, batch, rules, now, auto_escalate, late, quiet)
    with db.read() as session:
        return Pass(made, _next_alert(session, now), len(late))


def _next_alert(session: Session, now: datetime) -> datetime | None:
    """The earliest next alert of any ticket after ``now``."""
    alert_at = col(Ticket.sla_alert_at)
    return session.exec(select(func.min(alert_at)).where(alert_at > now)).one()


def record_past(db: Database, now: datetime, numbers: tuple[int, int]) -> int:
    """The alerts the tickets numbered ``numbers`` had by ``now`` recorded as given, without
    announcing them; how many. A demo load's tickets have their history made up to ``now``,
    their alerts with it: the desk's first pass after the load announced every one of the
    story's breaches at once (68 alerts and their mail on a new admin's 1,000-ticket demo,
    67,000 at 1M), months after they happened."""
    return len(run_pass(db, now, numbers=numbers, quiet=True).alerts)


def _check_batch(
    session: Session,
    ids: list[int],
    rules: tuple[list[sla.Policy], dict[str, sla.Calendar]],
    now: datetime,
    auto_escalate: AutoEscalate,
    late: list[Alert],
    quiet: bool = False,
) -> list[Alert]:
    """The batch's new alerts (``quiet``: their notices alone); those owed longer than
    :data:`STALE` recorded as given into ``late``. Stores each ticket's next alert time."""
    policies, calendars = rules
    # PostgreSQL: the rows locked before their history is read, so a writer's change of one
    # meanwhile waits for this pass, and its recompute then sees these notices (SQLite's
    # writer holds the database's lock).
    locked = select(Ticket.id, Ticket.number).where(col(Ticket.id).in_(ids))
    rows = session.exec(locked.order_by(col(Ticket.id)).with_for_update()).all()
    numbers = {int(i or 0): n for i, n in rows}
    given = sla_clock.alerts_given(session, ids)
    made: list[Alert] = []
    escalated: set[int] = set()
    next_alerts: dict[int, datetime | None] = {}
    for ticket_id, facts in sla_clock.facts(session, ids).items():
        explained = sla.explain(facts, policies, calendars, now)
        done = given[ticket_id]
        for clock in explained.current():
            levels = _LEVELS.get(clock.state, ())
            run = (clock.kind.value, clock.started_at)
            new = [level for level in levels if (*run, level) not in done]
            if not new or clock.due_at is None:
                continue
            done.update((*run, level) for level in new)
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
            moment = clock.due_at if new[-1] == "breach" else clock.warn_at
            stale = moment is not None and moment < now - STALE
            if quiet or stale:  # (no ticket loaded: a demo load records thousands at a time)
                given_now = Alert(numbers[ticket_id], clock.kind.label, new[-1], clock.due_at)
                (made if quiet else late).append(given_now)
                continue
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            alert = Alert(ticket.number, clock.kind.label, new[-1], clock.due_at)
            made.append(alert)
            _announce(session, ticket, alert)
            if auto_escalate.value in new and ticket_id not in escalated:
                escalated.add(ticket_id)  # two clocks alerting at once: one tier up
                _escalate(session, ticket, auto_escalate.reason)
        next_alerts[ticket_id] = sla_clock.next_alert_at(explained, done)
    sla_clock.store_next_alerts(session, next_alerts)
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
