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

An alert owed for longer than :data:`STALE` is not announced one by one: a desk whose
alerts were not running for 30 hours, upgraded from before alerts existed, or whose alerts
never ran, must not mail its agents one mail per breach at its first pass. The breaches
among them (tickets still running and still breached) are announced once, as one summary —
"12 tickets breached while SLA alerts were not running (since …)" — an event on no ticket
per agent whose tickets they are and one for supervisors (the terminal's alert line), and
one mail per person its tickets' alerts go to (:func:`_summarize`). Each batch keeps its part of
the summary in its own transaction, beside its notices (``PENDING``); the summary says what
every batch kept, and a pass that failed between batches leaves its part to the next pass's
summary: a breach is never recorded as given and left unsaid. A late warning of a ticket not
breached yet is recorded as given (its breach is announced when it comes). :func:`record_past`
records a demo load's story without a word.

Alert mail is queued only while the desk sends mail (``mail_reads.sends_mail``: an outbox
sender ran within a day, or the process running the pass has one): on a desk without SMTP
alerts are events the terminal shows, and what such a desk queued before is withdrawn
(:func:`withdraw_unsendable`), so SMTP configured later sends no backlog of old alerts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from helpdesk_tui.desk import fields, history, sla, sla_clock, tiers
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.escalation import Reason
from helpdesk_tui.desk.kinds import SLA_ALERT_KINDS
from helpdesk_tui.desk.mail_reads import sends_mail
from helpdesk_tui.desk.outbox import NO_SMTP_ALERT_MAIL, queue_mail, withdraw_alert_mail
from helpdesk_tui.desk.outbox_rows import ALERT_STALE, SLA_ALERT_KIND
from helpdesk_tui.desk.settings import desk_setting, set_desk_setting
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import clock_of
from helpdesk_tui.storage.models import Event, Ticket
from helpdesk_tui.storage.sla_models import SlaNotice
from helpdesk_tui.storage.survey_models import DeskSetting
from helpdesk_tui.timefmt import stamp

SLA_ACTOR = Actor(name="sla")
STALE: timedelta = ALERT_STALE
"""An alert owed for longer than this (its warning or due time that long past) is recorded
as given without its own event, mail or escalation: a day late it no longer warns of
anything, and a desk that never ran its alerts would announce every breach of its history
at once. Breaches among them are in the pass's one summary (:func:`_summarize`)."""
OVERDUE_EVENT = "sla_overdue"
"""The summary's event, on no ticket: ``field`` is ``desk`` (supervisors and admins see it)
or ``agent:<id>`` (that agent's tickets), ``new_value`` its text."""
SUMMARY_LINES = 50
"""Tickets listed one per line in a summary's mail; the rest are counted."""
BATCH = 500
ALERT_EVENTS = SLA_ALERT_KINDS
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
    """Alerts owed for longer than :data:`STALE`, recorded as given without their own word."""
    overdue: int = 0
    """Tickets breached while alerts were not running, announced in one summary."""


@dataclass(frozen=True)
class _Overdue:
    """A breach owed for longer than :data:`STALE`, for the pass's summary."""

    number: int
    subject: str
    assignee_id: int | None
    team_id: int | None
    clock: str
    due_at: datetime


@dataclass(frozen=True)
class _NoTicket:
    """What ``queue_mail`` needs of a ticket, for a summary about many."""

    id: int | None = None
    number: int = 0
    subject: str = ""


def check(
    db: Database,
    now: datetime,
    *,
    auto_escalate: AutoEscalate | None = None,
    sends_here: bool = False,
) -> list[Alert]:
    """Alert every running clock that reached its warning or breach and was not alerted yet.

    With ``auto_escalate`` at ``warning`` (or ``breach``) a new alert of that level also moves
    the ticket one tier up (to that tier's team), once per alert; ``None`` (what the mail
    service passes): as the desk's setting says (:func:`auto_escalates`). ``sends_here``:
    the caller runs an outbox sender (the alerts' mail goes whatever the desk says).
    """
    return run_pass(db, now, auto_escalate=auto_escalate, sends_here=sends_here).alerts


def run_pass(
    db: Database,
    now: datetime,
    *,
    auto_escalate: AutoEscalate | None = None,
    numbers: tuple[int, int] | None = None,
    quiet: bool = False,
    sends_here: bool = False,
) -> Pass:
    """:func:`check`, and when the next pass can have anything to say (``Pass.next_at``).

    ``numbers``: only the tickets numbered from the first to the last; ``quiet``: the alerts
    recorded as given (their notices) without their events, mail or escalation
    (:func:`record_past`). Each batch keeps the breaches it found owed too long in the same
    transaction as their notices (:func:`_keep_pending`); the pass's summary then says them
    all once (:func:`_summarize_pending`), with any a crashed pass left behind. What it
    writes (events, tier moves, mail) is stamped at ``now``."""
    with clock_of(lambda: now):
        return _run_pass(db, now, auto_escalate, numbers, quiet, sends_here)


def _run_pass(
    db: Database,
    now: datetime,
    auto_escalate: AutoEscalate | None,
    numbers: tuple[int, int] | None,
    quiet: bool,
    sends_here: bool,
) -> Pass:
    with db.read() as session:
        ids = _candidates(session, now, numbers)
        pending = not quiet and _has_pending(session)
        previous = last_pass(session)
        noted = quiet or numbers is not None or _recent(previous, now)
        idle = not ids and not pending
        next_at = _next_alert(session, now) if idle else None
    if idle:  # (an idle desk's pass: reads of two indexes and two keys)
        if not noted:  # (an idle pass: at most once a minute)
            with db.write() as session:
                set_desk_setting(session, LAST_PASS, now.isoformat())
        return Pass([], next_at)
    with db.read() as session:
        rules = sla_clock.load_rules(session)
        if auto_escalate is None:
            auto_escalate = auto_escalates(session)
        mails = sends_here or sends_mail(session, now)
    made: list[Alert] = []
    late: list[Alert] = []
    for start in range(0, len(ids), BATCH):
        with db.write() as session:
            batch = ids[start : start + BATCH]
            overdue: list[_Overdue] = []
            made += _check_batch(
                session, batch, rules, now, auto_escalate, (late, overdue), quiet, mails
            )
            if overdue and not quiet:
                _keep_pending(session, batch[0], overdue)
                pending = True
    summarized = 0
    if pending or not noted:  # (noted once its batches are in: a failed pass is no pass)
        with db.write() as session:
            if pending:
                summarized = _summarize_pending(session, now, mails, previous)
            if not noted:
                set_desk_setting(session, LAST_PASS, now.isoformat())
    with db.read() as session:
        return Pass(made, _next_alert(session, now), len(late), summarized)


LAST_PASS = "sla.last_pass"
"""The desk setting that says when a pass last ran (``helpdesk sla status``), to within
:data:`LAST_PASS_EVERY`: an idle pass writes it no oftener. A pass that alerts writes it
after its batches: one that failed leaves the pass before it, when the breaches a summary
says began to go unsaid (:func:`_summarize`'s "since")."""
LAST_PASS_EVERY = timedelta(minutes=1)


def _recent(previous: datetime | None, now: datetime) -> bool:
    """Whether the last pass's time is recent enough to leave as it is."""
    return previous is not None and previous > now - LAST_PASS_EVERY


def last_pass(reader: Session) -> datetime | None:
    """When a pass last ran (:data:`LAST_PASS`, to within :data:`LAST_PASS_EVERY`)."""
    value = desk_setting(reader, LAST_PASS)
    return datetime.fromisoformat(value) if value is not None else None


def next_alert_due(session: Session) -> datetime | None:
    """The earliest alert any ticket has coming or owed (a past time: owed, the passes
    are not running or behind)."""
    return session.exec(select(func.min(col(Ticket.sla_alert_at)))).one()


PENDING = "sla.overdue."
"""Desk settings named ``sla.overdue.<ticket id>``: a batch's breaches owed too long, kept
with their notices until the pass's summary says them (:func:`_keep_pending`). The summary
was written with the pass's last batch: a pass that failed between batches left the earlier
batches' breaches recorded as given and never said."""


def _pending_rows() -> Any:
    return select(DeskSetting.name, DeskSetting.value).where(
        col(DeskSetting.name).like(f"{PENDING}%")
    )


def _has_pending(session: Session) -> bool:
    return session.exec(_pending_rows().limit(1)).first() is not None


def _keep_pending(session: Session, first_id: int, overdue: list[_Overdue]) -> None:
    """The batch's breaches for the summary, in the batch's transaction (added to what a
    failed pass's batch starting at the same ticket left)."""
    name = f"{PENDING}{first_id}"
    kept = json.loads(desk_setting(session, name) or "[]")
    kept += [{**asdict(item), "due_at": item.due_at.isoformat()} for item in overdue]
    set_desk_setting(session, name, json.dumps(kept))


def _summarize_pending(
    session: Session, now: datetime, mails: bool, stopped: datetime | None = None
) -> int:
    """Every kept batch's breaches said in one summary (:func:`_summarize`), in the
    transaction that removes them: said once, whatever failed before. How many tickets.
    ``stopped``: the last pass before this one (None: none ever ran)."""
    rows = session.exec(_pending_rows().with_for_update()).all()
    overdue = [
        _Overdue(**{**item, "due_at": datetime.fromisoformat(item["due_at"])})
        for _, value in rows
        for item in json.loads(value)
    ]
    if overdue:
        _summarize(session, overdue, now, mails, stopped)
    names = [name for name, _ in rows]
    session.execute(sa_delete(DeskSetting).where(col(DeskSetting.name).in_(names)))
    return len({item.number for item in overdue})


def withdraw_unsendable(db: Database, now: datetime, *, sends_here: bool = False) -> int:
    """On a desk that sends no mail (``mail_reads.sends_mail``), the SLA alert mail it queued
    before (a desk upgraded from when alerts were queued without SMTP) is withdrawn with a
    one-line reason: it could never go, and SMTP configured later must not send a backlog of
    old alerts. How many (the SLA worker calls it once when it takes the lease)."""
    if sends_here:
        return 0
    with db.read() as session:
        if sends_mail(session, now):
            return 0
    with db.write() as session:
        return withdraw_alert_mail(session, None, NO_SMTP_ALERT_MAIL)


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
    owed: tuple[list[Alert], list[_Overdue]],
    quiet: bool = False,
    mails: bool = True,
) -> list[Alert]:
    """The batch's new alerts (``quiet``: their notices alone); those owed longer than
    :data:`STALE` recorded as given into ``owed[0]``, the breaches among them into
    ``owed[1]`` (the summary's). Stores each ticket's next alert time. ``mails``: the
    alerts' mail is queued too."""
    late, overdue = owed
    policies, calendars = rules
    # PostgreSQL: the rows locked before their history is read, so a writer's change of one
    # meanwhile waits for this pass, and its recompute then sees these notices (SQLite's
    # writer holds the database's lock).
    locked = sa_select(
        col(Ticket.id), col(Ticket.number), col(Ticket.subject), col(Ticket.assignee_id),
        col(Ticket.team_id),
    ).where(col(Ticket.id).in_(ids))  # fmt: skip
    rows = session.execute(locked.order_by(col(Ticket.id)).with_for_update()).all()
    numbers = {int(i or 0): n for i, n, *_ in rows}
    owners = {int(i or 0): (subject, assignee, team) for i, _, subject, assignee, team in rows}
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
                if stale and not quiet and new[-1] == "breach":  # (running, still breached)
                    subject, assignee, team = owners[ticket_id]
                    overdue.append(
                        _Overdue(
                            numbers[ticket_id],
                            subject,
                            assignee,
                            team,
                            clock.kind.label,
                            clock.due_at,
                        )
                    )
                continue
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            alert = Alert(ticket.number, clock.kind.label, new[-1], clock.due_at)
            made.append(alert)
            _announce(session, ticket, alert, now, mails)
            if auto_escalate.value in new and ticket_id not in escalated:
                escalated.add(ticket_id)  # two clocks alerting at once: one tier up
                _escalate(session, ticket, auto_escalate.reason)
        next_alerts[ticket_id] = sla_clock.next_alert_at(explained, done)
    sla_clock.store_next_alerts(session, next_alerts)
    return made


def _announce(
    session: Session, ticket: Ticket, alert: Alert, now: datetime, mails: bool = True
) -> None:
    """The alert's event (the TUI notices it) and, while the desk sends mail, its mail to
    whom alerts to agents go (:func:`~.tiers.alert_recipients`)."""
    what = "breached" if alert.level == "breach" else "nearly due"
    detail = f"{alert.clock} {what} (due {said_at(alert.due_at)})"
    history.record(session, SLA_ACTOR, ticket, ALERT_EVENTS[alert.level], new=detail)
    if not mails:
        return
    to = tiers.alert_recipients(session, ticket.assignee_id, ticket.team_id)
    if to:
        queue_mail(
            session,
            ticket,
            now=now,
            kind=SLA_ALERT_KIND,
            to=to,
            subject=f"[#{ticket.number}] SLA {what}: {alert.clock}",
            body=f'#{ticket.number} "{ticket.subject}": {detail}.\n',
        )


def said_at(moment: datetime) -> str:
    """A moment as an alert says it (its stored event, its mail): ``timefmt.stamp``, the
    one rule for a time people read, in the zone of the machine that runs the alert pass,
    named ("2026-12-07 13:40 CET"): its mail may be read in another zone, and the desk
    keeps no zone of its own (an SLA calendar's is a policy's, not the desk's)."""
    return stamp(moment)


def summary_text(count: int, since: datetime) -> str:
    """The one line a summary says (the terminal's alert line, the mail's subject)."""
    tickets = "1 ticket" if count == 1 else f"{count} tickets"
    return f"{tickets} breached while SLA alerts were not running (since {said_at(since)})"


def _summarize(
    session: Session,
    overdue: list[_Overdue],
    now: datetime,
    mails: bool,
    stopped: datetime | None = None,
) -> None:
    """The breaches owed longer than :data:`STALE` said once: an event for supervisors (the
    desk's), one per assignee (theirs), and while the desk sends mail one mail per address —
    each ticket in the mail of whom its alert goes to (:func:`~.tiers.alert_recipients`: an
    assignee's tickets, a team supervisor's team's, the desk's supervisors' tickets nobody
    holds) — never one per breach.

    "Since" is when the alerts stopped running: ``stopped``, the last pass before this one
    (:data:`LAST_PASS`). It said the earliest breach among them, which read as the time the
    passes stopped, days or weeks off (a ticket breached long after). A desk whose alerts
    never ran says its earliest breach (they were not running then either), and so does a
    summary of a breach older than that pass (a ticket that breached back then by a policy
    changed since, or an import)."""
    first: dict[int, _Overdue] = {}
    for item in sorted(overdue, key=lambda o: o.due_at):
        first.setdefault(item.number, item)  # (two clocks breached: the ticket once)
    tickets = list(first.values())

    def said(items: list[_Overdue]) -> str:
        first = min(item.due_at for item in items)
        return summary_text(len(items), min(stopped, first) if stopped else first)

    def event(field: str, items: list[_Overdue]) -> None:
        session.add(
            Event(
                actor=SLA_ACTOR.name,
                kind=OVERDUE_EVENT,
                field=field,
                new_value=said(items),
                created_at=now,
            )
        )

    event("desk", tickets)
    theirs: dict[int, list[_Overdue]] = {}
    for item in tickets:
        if item.assignee_id is not None:
            theirs.setdefault(item.assignee_id, []).append(item)
    for agent_id, items in sorted(theirs.items()):
        event(f"agent:{agent_id}", items)
    if not mails:
        return
    to: dict[str, dict[int, _Overdue]] = {}
    heard: dict[tuple[int | None, int | None], list[str]] = {}
    for item in tickets:  # (each ticket's alert's people: tiers.alert_recipients)
        whose = (item.assignee_id, item.team_id)
        if whose not in heard:
            heard[whose] = tiers.alert_recipients(session, *whose)
        for address in heard[whose]:
            to.setdefault(address, {})[item.number] = item
    for address, found in sorted(to.items()):
        items = sorted(found.values(), key=lambda o: o.number)
        lines = [
            f'#{i.number} "{i.subject}": {i.clock} breached (due {said_at(i.due_at)})'
            for i in items[:SUMMARY_LINES]
        ]
        if len(items) > SUMMARY_LINES:
            lines.append(f"… and {len(items) - SUMMARY_LINES} more.")
        queue_mail(
            session,
            _NoTicket(),
            now=now,
            kind=SLA_ALERT_KIND,
            to=[address],
            subject=f"SLA: {said(items)}",
            body=f"{said(items)}:\n\n" + "\n".join(lines) + "\n",
        )


def _escalate(session: Session, ticket: Ticket, reason: Reason) -> None:
    """One tier up to the team that works it; past the last tier a team works, no move: the
    alert stands on its own (a "tier 3" nobody works, and an "escalated" mail to the team
    that holds the ticket already, would change nothing but the number)."""
    from helpdesk_tui.desk import tiers  # (the tiers' table: only a move between tiers)

    if tiers.team_of_tier(session, ticket.tier + 1) is None:
        return
    savepoint = session.begin_nested()
    try:
        fields.escalate(session, SLA_ACTOR, ticket.number, reason=reason)
    except DeskError:  # already at the top tier: the alert stands on its own
        savepoint.rollback()
    else:
        savepoint.commit()
    session.expire(ticket)  # (the escalation wrote its row on Core tables)
