"""Routing rules applied to tickets: the database side of :mod:`helpdesk_tui.desk.routing`.

Each matching rule's actions are written through the ordinary field writers
(:mod:`helpdesk_tui.desk.fields`) by an actor named after the rule, so the ticket's history
says which rule changed what (``rule Invoices: team — → Billing``), and a ``routed`` event
names every rule that fired. Then, when the ticket has a team with an assignment strategy
and no assignee, :func:`helpdesk_tui.desk.assignment.auto_assign` hands it out.

A rule that cannot be carried out (a team deleted since the file was checked, a business
calendar the desk does not have) leaves a ``routing_failed`` event naming the rule; it never
stops the message from being stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from helpdesk_tui.desk import fields, history, outbox, sla_clock
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.assignment import Assigned, auto_assign
from helpdesk_tui.desk.canned import greeting_name
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.inbound import ACK_KIND
from helpdesk_tui.desk.outbox_rows import thread_headers
from helpdesk_tui.desk.routing import (
    Actions,
    Arrival,
    Evaluation,
    Facts,
    Rule,
    Rules,
    RulesError,
    Trigger,
    calendar_problems,
    evaluate,
    load_rules,
)
from helpdesk_tui.desk.settings import DEFAULT_DESK_NAME, desk_name
from helpdesk_tui.desk.subjects import base_subject
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.desk.thread import reply_address
from helpdesk_tui.desk.ticket_record import TicketState
from helpdesk_tui.desk.tickets import add_message
from helpdesk_tui.desk.values import is_noreply
from helpdesk_tui.storage.db_errors import Failure, failure_of
from helpdesk_tui.storage.enums import OutboxStatus
from helpdesk_tui.storage.models import (
    Agent,
    Channel,
    Contact,
    Message,
    MessageKind,
    Organization,
    Outbox,
    Status,
    Team,
    Ticket,
)

log = logging.getLogger(__name__)

ROUTING = Actor(name="routing")
"""Who hands tickets out automatically (assignment by a team's strategy)."""


def rule_actor(rule: Rule) -> Actor:
    """The author of a rule's changes in the history: ``rule <name>``."""
    return Actor(name=f"rule {rule.name}"[:100])


@dataclass(frozen=True)
class Routed:
    """What routing did to one ticket (or, in a dry run, would do)."""

    number: int | None
    rules: tuple[str, ...]
    actions: tuple[str, ...]
    assigned: str | None = None
    not_assigned: str | None = None
    problems: tuple[str, ...] = ()


def new_ticket_arrival(session: Session, ticket: TicketState) -> Arrival:
    """A ticket an agent just created, as routing sees a new ticket: its first customer
    message and its requester's address."""
    assert ticket.id is not None
    first = session.exec(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.CUSTOMER)
        .order_by(col(Message.id))
    ).first()
    requester = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    return Arrival(
        ticket.id,
        Trigger.NEW,
        ticket.channel,
        ticket.subject,
        first.body if first else "",
        requester.email if requester else None,
    )


def check_names(session: Session, rules: Rules) -> list[str]:
    """Rules that name a team, agent or business calendar this desk does not have: one line
    each."""
    teams = set(session.exec(select(Team.name)).all())
    agents = {login: active for login, active in session.exec(select(Agent.login, Agent.active))}
    problems = []
    for rule in rules.rules:
        where = f"{rules.source}: rule {rule.name!r}"
        team = rule.actions.team
        if team is not None and team not in teams:
            problems.append(f"{where}: no team {team!r} (see: helpdesk team list)")
        login = rule.actions.assignee
        if login is not None and login not in agents:
            problems.append(f"{where}: no agent {login!r} (see: helpdesk agent list)")
        elif login is not None and not agents[login]:
            problems.append(f"{where}: agent {login!r} is deactivated")
    for team in rules.strategies:
        if team not in teams:
            problems.append(f"{rules.source}: [teams.{team}]: no team {team!r}")
    return problems + calendar_problems(rules, sla_clock.load_calendars(session))


def facts_for(session: Session, ticket: Ticket, arrival: Arrival, at: datetime) -> Facts:
    """The rules' view of a ticket and the message that just reached it."""
    organization = None
    if ticket.requester_id is not None:
        organization = session.exec(
            select(Organization.name)
            .join(Contact, col(Contact.organization_id) == Organization.id)
            .where(Contact.id == ticket.requester_id)
        ).first()
    team = session.get(Team, ticket.team_id) if ticket.team_id else None
    assert ticket.id is not None
    return Facts(
        trigger=arrival.trigger,
        at=at,
        channel=arrival.channel,
        sender=(arrival.sender or "").lower() or None,
        organization=organization,
        subject=arrival.subject,
        arrived_subject=arrival.arrived_subject,
        body=arrival.body,
        type=ticket.type,
        category=ticket.category,
        priority=ticket.priority,
        tags=tuple(ticket_tags(session, ticket.id)),
        team=team.name if team else None,
    )


def canned_text(
    rules: Rules, name: str, ticket: Ticket, *, to_name: str, desk: str
) -> tuple[str, str]:
    """The subject and body of canned reply ``name`` for this ticket.

    The one place a rule's "send a canned reply" gets its text: today a template of the
    rules file (``[canned.NAME]``); canned responses kept by the desk replace it here.
    """
    template = rules.canned[name]
    values = {
        "number": ticket.number,
        "subject": base_subject(ticket.subject),
        "name": to_name,
        "desk": desk,
    }
    return template.subject.format_map(values), template.body.format_map(values)


@dataclass
class _Answer:
    """The one automatic answer a new ticket gets: the acknowledgement mail intake queued,
    or a rule's canned reply in its place, which goes only where the acknowledgement would
    have (not to machine mail, a no-reply or bounced address, past the hourly limit) and as
    it would have (threaded, Auto-Submitted)."""

    acknowledged: bool | None
    """Intake queued the acknowledgement (None: no intake decided, as for an agent's ticket)."""
    no_ack: str | None
    sent: str | None = None
    """The canned reply that answered, once one has."""


def _queued_ack(session: Session, ticket: Ticket) -> Outbox | None:
    return session.exec(
        select(Outbox)
        .where(
            Outbox.ticket_id == ticket.id,
            Outbox.kind == ACK_KIND,
            Outbox.status == OutboxStatus.QUEUED,
        )
        .order_by(col(Outbox.id).desc())
    ).first()


def _send_canned(
    session: Session,
    actor: Actor,
    rules: Rules,
    name: str,
    ticket: Ticket,
    desk: str,
    answer: _Answer,
    now: datetime,
) -> str | None:
    """Queue canned reply ``name`` to the ticket's customer, in the place of its queued
    acknowledgement when it has one; why not, when it cannot go."""
    address = reply_address(session, ticket)
    if address is None or is_noreply(address):
        return f"canned reply {name!r} not sent: no address a person reads"
    if answer.sent is not None:
        return f"canned reply {name!r} not sent: canned reply {answer.sent!r} answered already"
    if answer.acknowledged is False:
        return f"canned reply {name!r} not sent: no acknowledgement ({answer.no_ack})"
    ack = _queued_ack(session, ticket) if answer.acknowledged else None
    if ack is not None:
        address = ack.to_addresses
    dead = outbox.dead_address(session, address, now)
    if dead is not None:  # (the sender would withdraw it: no note that says it went)
        return f"canned reply {name!r} not sent: {dead}"
    contact = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    subject, body = canned_text(
        rules,
        name,
        ticket,
        to_name=greeting_name(contact.name if contact else "", address),
        desk=desk,
    )
    history.bump(ticket)
    add_message(
        session,
        actor,
        ticket,
        kind=MessageKind.SYSTEM,
        body=f"Canned reply {name!r} sent to {address}:\n\n{body}",
        channel=Channel.EMAIL,
    )
    answer.sent = name
    if ack is not None:  # the acknowledgement's mail, to its address and threaded as it is
        ack.subject, ack.body = subject, body
        session.add(ack)
    else:
        # An answer to the customer's mail: it threads under it in her client, as the
        # acknowledgement and every reply do (the system note above is not in her thread).
        in_reply_to, references = thread_headers(session, ticket.id)
        outbox.queue_mail(
            session,
            ticket,
            now=now,
            kind=ACK_KIND,
            to=[address],
            subject=subject,
            body=body,
            in_reply_to=in_reply_to,
            references=references,
        )
    history.record(session, actor, ticket, "canned_reply", new=f"{name} to {address}")
    return None


def _apply(
    session: Session,
    rules: Rules,
    rule: Rule,
    number: int,
    desk: str,
    answer: _Answer,
    now: datetime,
) -> list[str]:
    """Carry out one rule's actions; the problems, one line each."""
    actor = rule_actor(rule)
    act: Actions = rule.actions
    problems = []
    session.flush()  # (the rules' changes below read and write the ticket on Core tables)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("team", lambda: fields.assign(session, actor, number, team=act.team)),
        ("category", lambda: fields.set_category(session, actor, number, act.category)),
        ("type", lambda: fields.set_type(session, actor, number, act.type or "")),
        ("priority", lambda: fields.set_priority(session, actor, number, act.priority or "")),
        ("tags", lambda: fields.set_tags(session, actor, number, add=act.tags)),
        ("assignee", lambda: fields.assign(session, actor, number, agent=act.assignee)),
        ("tier", lambda: fields.set_tier(session, actor, number, act.tier or 1)),
    ]
    for name, step in steps:
        if not getattr(act, name):
            continue
        try:
            with session.begin_nested():
                step()
        except DeskError as error:
            problems.append(f"rule {rule.name!r}: {name}: {error}")
    ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
    session.refresh(ticket)  # what those changes wrote
    if act.canned_reply is not None:
        problem = _send_canned(session, actor, rules, act.canned_reply, ticket, desk, answer, now)
        if problem is not None:
            problems.append(f"rule {rule.name!r}: {problem}")
        session.flush()
    return problems


def route(
    session: Session, rules: Rules, arrival: Arrival, now: datetime, *, desk: str = "Helpdesk"
) -> Routed:
    """Evaluate the rules for one arrival and write what they say; then auto-assign.

    The ticket is locked by then (and, from mail, others with it), so auto-assignment does
    not wait for a team row another assigner holds (:func:`auto_assign`'s ``wait``): the
    ticket stays unassigned instead, for ``helpdesk rules assign`` or its next message.
    """
    ticket = session.get(Ticket, arrival.ticket_id)
    if ticket is None or ticket.status == Status.CLOSED:
        return Routed(None, (), ())
    number = ticket.number
    try:
        outcome = evaluate(
            rules, facts_for(session, ticket, arrival, now), sla_clock.load_calendars(session)
        )
    except RulesError as error:  # a business calendar the desk does not have
        history.record(session, ROUTING, ticket, "routing_failed", new=str(error)[:1000])
        return Routed(number, (), (), problems=(str(error),))
    problems: list[str] = []
    answer = _Answer(arrival.acknowledged, arrival.no_ack)
    if arrival.answer_only:
        return _answer_again(session, rules, outcome, ticket, desk, answer, now)
    for rule in outcome.matches:
        history.record(
            session,
            rule_actor(rule),
            ticket,
            "routed",
            new=f"by rule {rule.name!r} (set {rule.set_name!r})",
        )
        problems += _apply(session, rules, rule, number, desk, answer, now)
    for problem in problems:
        history.record(session, ROUTING, ticket, "routing_failed", new=problem[:1000])
    assigned, not_assigned = _auto_assign(session, rules, ticket, now)
    session.flush()
    return Routed(
        number,
        tuple(rule.name for rule in outcome.matches),
        tuple(a for rule in outcome.matches for a in rule.actions.describe()),
        assigned,
        not_assigned,
        tuple(problems),
    )


def _answer_again(
    session: Session,
    rules: Rules,
    outcome: Evaluation,
    ticket: Ticket,
    desk: str,
    answer: _Answer,
    now: datetime,
) -> Routed:
    """The sender's own copy of the list's post that opened ``ticket``: the canned reply
    the first matching rule gives takes the place of the acknowledgement her copy brought,
    as it would have had her copy come first (the list's copy got none: a list's mail gets
    no automatic answer); nothing else of the rules is done again."""
    problems: list[str] = []
    for rule in outcome.matches:
        name = rule.actions.canned_reply
        if name is None:
            continue
        problem = _send_canned(session, rule_actor(rule), rules, name, ticket, desk, answer, now)
        if problem is not None:
            problems.append(f"rule {rule.name!r}: {problem}")
    for problem in problems:
        history.record(session, ROUTING, ticket, "routing_failed", new=problem[:1000])
    session.flush()
    return Routed(ticket.number, (), (), problems=tuple(problems))


def _auto_assign(
    session: Session, rules: Rules, ticket: Ticket, now: datetime
) -> tuple[str | None, str | None]:
    if ticket.team_id is None or ticket.assignee_id is not None:
        return None, None
    team = session.get(Team, ticket.team_id)
    strategy = rules.strategies.get(team.name) if team else None
    if strategy is None:
        return None, None
    result = auto_assign(session, ROUTING, ticket.number, strategy, now, wait=False)
    if isinstance(result, Assigned):
        return result.login, None
    return None, result.reason


def dry_run(session: Session, rules: Rules, facts: Facts) -> Routed:
    """What the rules would do with ``facts``; reads only (``helpdesk rules test``)."""
    outcome: Evaluation = evaluate(rules, facts, sla_clock.load_calendars(session))
    return Routed(
        None,
        tuple(rule.name for rule in outcome.matches),
        tuple(a for rule in outcome.matches for a in rule.actions.describe()),
        problems=tuple(check_names(session, rules)),
    )


class IntakeRouter:
    """The hook mail intake calls after writing a group of messages (``IntakeConfig.router``).

    The rules file is read again when it changes (one ``stat`` per group), so a running
    poller follows edits; a file with a fault is logged once and the last good rules stay.
    Each ticket is routed in a savepoint of its own: a routing fault is logged and the
    message stays stored, never quarantined for it.
    """

    def __init__(self, path: Path, *, desk: str = DEFAULT_DESK_NAME) -> None:
        self.path = path
        self.desk = desk
        """The config's ``desk_name``: the fallback of a desk an admin never named."""
        self.rules = Rules(source=str(path))
        self._stamp: tuple[int, int] | None = None
        self.current()

    def current(self) -> Rules:
        """The rules as the file says now (the last good ones if it has a fault)."""
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = (0, 0)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self.rules = load_rules(self.path)
            except RulesError as error:
                log.error("routing rules not changed: %s", error)
        return self.rules

    def __call__(self, session: Session, arrivals: Sequence[Arrival], now: datetime) -> None:
        if not self.current().rules:
            return
        desk = desk_name(session, self.desk)  # (as the acknowledgements: once a group)
        for arrival in arrivals:
            try:
                with session.begin_nested():
                    route(session, self.rules, arrival, now, desk=desk)
            except Exception as error:
                if failure_of(error) is Failure.TROUBLE:
                    raise  # the database itself: the batch it routes for fails with it
                log.exception("routing ticket id %s failed; it stays as it came", arrival.ticket_id)
