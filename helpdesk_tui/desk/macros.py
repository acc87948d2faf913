"""Macros: a canned text plus field changes, applied to a ticket as ONE change.

Applying a macro is one transaction on the locked ticket: the version is checked once (a
macro made against an older version is refused like any stale write), bumped once, and
every event it writes — the ``macro`` event naming it, the reply or note, each field — carries
that one new version, so the history shows them as one group. Any refusal (a closed ticket,
a transition the status rules forbid, an agent who left) saves nothing.

The reply and the status change go through ``desk/thread.py``, the one writer of replies and
notes; this module only adds the fields ``desk/fields.py`` would set one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from helpdesk_tui.desk import history, thread, tiers
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.canned import check_body, parse_name, render
from helpdesk_tui.desk.canned_reads import MacroSpec as MacroSpec
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue
from helpdesk_tui.desk.fields import find_agent, find_team
from helpdesk_tui.desk.statuses import parse_status
from helpdesk_tui.desk.tags import apply_tags
from helpdesk_tui.desk.tickets import NewAttachment, load_ticket
from helpdesk_tui.desk.values import parse_priority, parse_tag, text_value
from helpdesk_tui.safe_text import clean
from helpdesk_tui.storage.models import PRIORITY_RANK, Agent, Status, Team, Ticket

BODY_KINDS = ("reply", "note")


def checked(session: Session, spec: MacroSpec) -> MacroSpec:
    """``spec`` with its values in the desk's words, or InvalidValue naming the bad one."""
    if spec.body_kind not in BODY_KINDS:
        raise InvalidValue(f"a macro's text is a reply or a note, not {spec.body_kind!r}")
    check_body(spec.body)
    result = MacroSpec(
        name=parse_name(spec.name),
        body=clean(text_value(spec.body, "macro text")) if spec.body.strip() else "",
        body_kind=spec.body_kind,
        status=parse_status(spec.status).value if spec.status else None,
        priority=parse_priority(spec.priority).value if spec.priority else None,
        tags_add=tuple(sorted({parse_tag(t) for t in spec.tags_add})),
        tags_remove=tuple(sorted({parse_tag(t) for t in spec.tags_remove})),
        assignee=find_agent(session, spec.assignee).login if spec.assignee else None,
        team=find_team(session, spec.team).name if spec.team else None,
    )
    if result.does_nothing:
        raise InvalidValue(f"macro {result.name!r} would change nothing: give a text or a field")
    return result


def apply(
    session: Session,
    actor: Actor,
    number: int,
    spec: MacroSpec,
    *,
    expected_version: int | None,
    values: Mapping[str, str],
    attachments: Sequence[NewAttachment] = (),
    text_to_draft: bool = False,
) -> Ticket:
    """Apply ``spec`` to ticket ``number`` as one change (see the module's docstring).

    ``values`` fill the text's placeholders; an unknown one refuses the whole macro.
    ``text_to_draft``: the text is not written to the thread (the agent's composer puts it
    in the draft it holds, sent with it); the fields change all the same.
    """
    text = render(spec.body, values) if spec.body and not text_to_draft else ""
    ticket = load_ticket(session, number, for_update=True)
    history.check_version(session, ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(f"#{number} is closed; a macro does not change a closed ticket")
    agent = find_agent(session, spec.assignee) if spec.assignee else None
    team = find_team(session, spec.team) if spec.team else None
    status = parse_status(spec.status) if spec.status else None
    if text and spec.body_kind == "reply":
        # The one writer of replies: checks, bumps the version once, queues the mail.
        thread.reply(
            session,
            actor,
            number,
            body=text,
            expected_version=expected_version,
            status_after=status,
            attachments=attachments,
        )
        session.refresh(ticket)  # (the reply wrote its row on Core tables)
    elif text:
        thread.add_note(
            session,
            actor,
            number,
            body=text,
            expected_version=expected_version,
            attachments=attachments,
        )
        session.refresh(ticket)  # (the note wrote its row on Core tables)
        if status is not None:
            thread.change_status(session, actor, ticket, status)
    else:
        history.bump(ticket)
        if status is not None:
            thread.change_status(session, actor, ticket, status)
    history.record(session, actor, ticket, "macro", new=spec.name)
    if spec.priority and ticket.priority != spec.priority:
        _record(session, actor, ticket, "priority", ticket.priority, spec.priority)
        ticket.priority = spec.priority
        ticket.priority_rank = PRIORITY_RANK[spec.priority]
    if agent is not None and ticket.assignee_id != agent.id:
        _record(
            session, actor, ticket, "assignee", _login(session, ticket.assignee_id), agent.login
        )
        ticket.assignee_id = agent.id
    if team is not None and ticket.team_id != team.id:
        _record(session, actor, ticket, "team", _team(session, ticket.team_id), team.name)
        ticket.team_id = team.id
        tier = tiers.tier_given_to(session, team.id, ticket.tier)
        if tier != ticket.tier:
            _record(session, actor, ticket, "tier", ticket.tier, tier)
            ticket.tier = tier
    apply_tags(session, actor, ticket, add=spec.tags_add, remove=spec.tags_remove, bump=False)
    session.add(ticket)
    return ticket


def _record(
    session: Session, actor: Actor, ticket: Ticket, field: str, old: object, new: object
) -> None:
    history.record(session, actor, ticket, field, field=field, old=old, new=new)


def _login(session: Session, agent_id: int | None) -> str | None:
    agent = session.get(Agent, agent_id) if agent_id is not None else None
    return agent.login if agent is not None else None


def _team(session: Session, team_id: int | None) -> str | None:
    team = session.get(Team, team_id) if team_id is not None else None
    return team.name if team is not None else None
