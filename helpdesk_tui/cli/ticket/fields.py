"""``helpdesk ticket status|priority|type|category|tier|escalate|assign|tag``."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlmodel import Session

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.output import line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import (
    expect_version_option,
    json_option,
    numbers_argument,
    run_each,
)
from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.desk.statuses import parse_status
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_tier, parse_type
from helpdesk_tui.storage.models import Ticket

Setter = Callable[..., Ticket]


def _field_command(
    name: str, setter: Setter, parse: Callable[[str], object], shown: Callable[[TicketRow], object]
) -> click.Command:
    """``ticket NAME NUMBER... VALUE``: one field set to one value on each ticket."""

    @click.command(name)
    @numbers_argument
    @click.argument("value")
    @expect_version_option
    @json_option
    @pass_runtime
    def command(
        runtime: Runtime,
        numbers: tuple[str, ...],
        value: str,
        expect_version: int | None,
        as_json: bool,
    ) -> None:
        parse(value)  # a bad value is one error, not one per ticket

        def act(session: Session, actor: Actor, number: int) -> int:
            setter(session, actor, number, value, expected_version=expect_version)
            return number

        run_each(
            runtime,
            numbers,
            act,
            as_json=as_json,
            expected_version=expect_version,
            describe=lambda row: f"#{row.number} {name} {line(str(shown(row) or '-'))}",
        )

    command.help = f"Set the {name} of tickets (`-` reads their numbers from stdin)."
    return command


status = _field_command("status", fields.set_status, parse_status, lambda r: r.status)
priority = _field_command("priority", fields.set_priority, parse_priority, lambda r: r.priority)
type_ = _field_command("type", fields.set_type, parse_type, lambda r: r.type)
category = _field_command("category", fields.set_category, str, lambda r: r.category)
tier = _field_command("tier", fields.set_tier, parse_tier, lambda r: r.tier)
category.help = "Set the category of tickets (an empty VALUE clears it)."


@click.command()
@numbers_argument
@click.option("--team", metavar="NAME", help="Hand the tickets to this team too.")
@expect_version_option
@json_option
@pass_runtime
def escalate(
    runtime: Runtime,
    numbers: tuple[str, ...],
    team: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Move tickets one tier up (at most tier 4), optionally to another team."""

    def act(session: Session, actor: Actor, number: int) -> int:
        fields.escalate(session, actor, number, team=team, expected_version=expect_version)
        return number

    run_each(
        runtime,
        numbers,
        act,
        as_json=as_json,
        expected_version=expect_version,
        describe=lambda row: f"#{row.number} tier {row.tier} team {line(row.team) or '-'}",
    )


@click.command()
@numbers_argument
@click.option("--to", "login", metavar="LOGIN", help="Assign to this agent.")
@click.option("--me", is_flag=True, help="Assign to yourself.")
@click.option("--team", metavar="NAME", help="Assign to this team.")
@click.option("--unassign", is_flag=True, help="Take the agent off the tickets.")
@expect_version_option
@json_option
@pass_runtime
def assign(
    runtime: Runtime,
    numbers: tuple[str, ...],
    login: str | None,
    me: bool,
    team: str | None,
    unassign: bool,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Assign tickets to an agent and/or a team, or unassign them."""
    if sum((bool(login), me, unassign)) > 1:
        raise CliError("give only one of --to, --me and --unassign")
    if not (login or me or team or unassign):
        raise CliError("say whom to assign to: --to LOGIN, --me, --team NAME or --unassign")
    agent = runtime.actor().name if me else login

    def act(session: Session, actor: Actor, number: int) -> int:
        fields.assign(
            session,
            actor,
            number,
            agent=agent,
            team=team,
            unassign=unassign,
            expected_version=expect_version,
        )
        return number

    run_each(
        runtime,
        numbers,
        act,
        as_json=as_json,
        expected_version=expect_version,
        describe=lambda row: (
            f"#{row.number} assignee {line(row.assignee) or '-'} team {line(row.team) or '-'}"
        ),
    )


@click.command()
@numbers_argument
@click.option("--add", "added", multiple=True, metavar="TAG", help="Add TAG; repeatable.")
@click.option("--remove", "removed", multiple=True, metavar="TAG", help="Remove TAG; repeatable.")
@expect_version_option
@json_option
@pass_runtime
def tag(
    runtime: Runtime,
    numbers: tuple[str, ...],
    added: tuple[str, ...],
    removed: tuple[str, ...],
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Add and remove tags on tickets."""
    if not (added or removed):
        raise CliError("say which tags: --add TAG and/or --remove TAG")
    for name in (*added, *removed):
        parse_tag(name)

    def act(session: Session, actor: Actor, number: int) -> int:
        fields.set_tags(
            session, actor, number, add=added, remove=removed, expected_version=expect_version
        )
        return number

    run_each(runtime, numbers, act, as_json=as_json, expected_version=expect_version)
