"""``helpdesk ticket status|priority|type|category|tier|escalate|assign|tag``."""

from __future__ import annotations

from collections.abc import Callable

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.output import line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import (
    expect_version_option,
    json_option,
    numbers_argument,
    run_each,
)
from helpdesk_tui.cli.ticket.input import ask_first, number_tokens
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.desk.statuses import asks_before, parse_status, require_reopener
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_tier, parse_type
from helpdesk_tui.drafts import DraftStore

Setter = Callable[[Desk, int, str, int | None], TicketRow]
"""Sets one field of ticket NUMBER to VALUE (at the expected version, when given)."""


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

        def act(desk: Desk, number: int) -> TicketRow:
            return setter(desk, number, value, expect_version)

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


yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")


def confirm_closing(numbers: tuple[str, ...]) -> None:
    """Closing is final for an agent: ask, naming any reply draft that stays behind."""
    tokens = number_tokens(numbers) if "-" not in numbers else []
    closing = [int(t.lstrip("#")) for t in tokens if t.lstrip("#").isdigit()]
    store = DraftStore()
    drafts = [f"#{number}" for number in closing if store.kinds_with_drafts(number)]
    kept = f" Your drafts on {', '.join(drafts)} are kept (helpdesk drafts)." if drafts else ""
    listed = ", ".join(f"#{number}" for number in closing)
    ask_first(
        f"Close {listed}? A closed ticket takes no replies; only a supervisor or an admin "
        f"can reopen it.{kept}",
        numbers=numbers,
        refusal="closing needs confirmation and there is no terminal to ask on; "
        "pass --yes to close anyway",
    )


@click.command()
@numbers_argument
@click.argument("value")
@yes_option
@expect_version_option
@json_option
@pass_runtime
def status(
    runtime: Runtime,
    numbers: tuple[str, ...],
    value: str,
    yes: bool,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Set the status of tickets (`-` reads their numbers from stdin).

    Closing asks first (--yes does not): only a supervisor or an admin can reopen.
    """
    if asks_before(parse_status(value)) and not yes:
        confirm_closing(numbers)

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_set_status(number, value, expected_version=expect_version)

    run_each(
        runtime,
        numbers,
        act,
        as_json=as_json,
        expected_version=expect_version,
        describe=lambda row: f"#{row.number} status {line(row.status)}",
    )


@click.command()
@numbers_argument
@click.option("--reason", required=True, help="Why it opens again (kept in the history).")
@expect_version_option
@json_option
@pass_runtime
def reopen(
    runtime: Runtime,
    numbers: tuple[str, ...],
    reason: str,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Open closed tickets again (supervisors and admins), saying why."""
    require_reopener(runtime.actor())  # one line, not one per ticket

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_reopen(number, reason=reason, expected_version=expect_version)

    run_each(
        runtime,
        numbers,
        act,
        as_json=as_json,
        expected_version=expect_version,
        describe=lambda row: f"#{row.number} reopened: status {line(row.status)}",
    )


@click.command()
@numbers_argument
@click.option("--email", required=True, metavar="ADDRESS", help="The requester's address.")
@expect_version_option
@json_option
@pass_runtime
def requester(
    runtime: Runtime,
    numbers: tuple[str, ...],
    email: str,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Give the requester of tickets an email address, so replies reach them."""

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_set_requester_email(number, email, expected_version=expect_version)

    run_each(
        runtime,
        numbers,
        act,
        as_json=as_json,
        expected_version=expect_version,
        describe=lambda row: f"#{row.number} requester {line(row.requester_email)}",
    )


priority = _field_command(
    "priority",
    lambda desk, n, value, version: desk.ticket_set_priority(n, value, expected_version=version),
    parse_priority,
    lambda r: r.priority,
)
type_ = _field_command(
    "type",
    lambda desk, n, value, version: desk.ticket_set_type(n, value, expected_version=version),
    parse_type,
    lambda r: r.type,
)
category = _field_command(
    "category",
    lambda desk, n, value, version: desk.ticket_set_category(n, value, expected_version=version),
    str,
    lambda r: r.category,
)
tier = _field_command(
    "tier",
    lambda desk, n, value, version: desk.ticket_set_tier(n, value, expected_version=version),
    parse_tier,
    lambda r: r.tier,
)
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
    """Move tickets one tier up (at most tier 4), to the next tier's team (or --team)."""

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_escalate(number, team=team, expected_version=expect_version)

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
@click.option("--team", metavar="NAME", help="Hand the tickets to this team too.")
@expect_version_option
@json_option
@pass_runtime
def deescalate(
    runtime: Runtime,
    numbers: tuple[str, ...],
    team: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Move tickets one tier down (at least tier 1), to the previous tier's team."""

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_deescalate(number, team=team, expected_version=expect_version)

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

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_assign(
            number, agent=agent, team=team, unassign=unassign, expected_version=expect_version
        )

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

    def act(desk: Desk, number: int) -> TicketRow:
        return desk.ticket_tag(number, add=added, remove=removed, expected_version=expect_version)

    run_each(runtime, numbers, act, as_json=as_json, expected_version=expect_version)
