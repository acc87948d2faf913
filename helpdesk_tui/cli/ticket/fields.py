"""``helpdesk ticket status|priority|type|category|tier|escalate|assign|tag``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.output import line, row_line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import (
    expect_version_option,
    json_option,
    numbers_argument,
    run_each,
    tickets,
)
from helpdesk_tui.cli.ticket.input import ask_first, number_tokens
from helpdesk_tui.desk.statuses import asks_before, parse_status, require_reopener
from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.desk.tickets_service import TicketsService
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_tier, parse_type
from helpdesk_tui.drafts import DraftStore

Change = Callable[[TicketsService, int, int | None], TicketRow]
"""Changes ticket NUMBER (at the expected version, when given); returns its row."""
Describe = Callable[[TicketRow], str]
"""The line printed for a changed ticket (without --json)."""


def _on_each(
    describe: Describe = row_line,
) -> Callable[[Callable[..., Change]], Callable[..., None]]:
    """The body of a ``ticket VERB NUMBER...`` command, with ``--expect-version`` and ``--json``
    as its last options (the decorators above it add the numbers and its own).

    The decorated function gets the runtime, the numbers and the command's own options,
    checks what is wrong for every ticket alike (one error, not one per ticket), and returns
    the change; it is made on each ticket in turn, each printed with ``describe``.
    """

    def decorate(plan: Callable[..., Change]) -> Callable[..., None]:
        @functools.wraps(plan)
        def body(
            runtime: Runtime,
            numbers: tuple[str, ...],
            expect_version: int | None,
            as_json: bool,
            **options: Any,
        ) -> None:
            change = plan(runtime, numbers, **options)
            run_each(
                runtime,
                numbers,
                lambda desk, number: change(desk, number, expect_version),
                as_json=as_json,
                expected_version=expect_version,
                describe=describe,
            )

        return expect_version_option(json_option(pass_runtime(body)))

    return decorate


def _field_command(
    name: str, change: Callable[..., TicketRow], parse: Callable[[str], object]
) -> click.Command:
    """``ticket NAME NUMBER... VALUE``: the field NAME set to one value on each ticket;
    ``change`` is the desk's method that sets it."""

    @click.command(name, help=f"Set the {name} of tickets (`-` reads their numbers from stdin).")
    @numbers_argument
    @click.argument("value")
    @_on_each(lambda row: f"#{row.number} {name} {line(str(getattr(row, name) or '-'))}")
    def command(runtime: Runtime, numbers: tuple[str, ...], value: str) -> Change:
        parse(value)  # a bad value is one error, not one per ticket
        return lambda desk, number, version: change(desk, number, value, expected_version=version)

    return command


def _has_drafts(runtime: Runtime, number: int) -> bool:
    """Whether this agent keeps a draft written on this desk's ticket ``number``."""
    place = tickets(runtime).draft_place(number)
    if place.ticket is None:
        return False
    return bool(DraftStore(desk=place.desk).kinds_with_drafts(number, place.ticket))


yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")


def confirm_closing(runtime: Runtime, numbers: tuple[str, ...]) -> None:
    """Closing is final for an agent: ask, naming any reply draft that stays behind."""
    tokens = number_tokens(numbers) if "-" not in numbers else []
    closing = [int(t.lstrip("#")) for t in tokens if t.lstrip("#").isdigit()]
    drafts = [f"#{number}" for number in closing if _has_drafts(runtime, number)]
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
@_on_each(lambda row: f"#{row.number} status {line(row.status)}")
def status(runtime: Runtime, numbers: tuple[str, ...], value: str, yes: bool) -> Change:
    """Set the status of tickets (`-` reads their numbers from stdin).

    Closing asks first (--yes does not): only a supervisor or an admin can reopen.
    """
    if asks_before(parse_status(value)) and not yes:
        confirm_closing(runtime, numbers)
    return lambda desk, number, version: desk.ticket_set_status(
        number, value, expected_version=version
    )


@click.command()
@numbers_argument
@click.option("--reason", required=True, help="Why it opens again (kept in the history).")
@_on_each(lambda row: f"#{row.number} reopened: status {line(row.status)}")
def reopen(runtime: Runtime, numbers: tuple[str, ...], reason: str) -> Change:
    """Open closed tickets again (supervisors and admins), saying why."""
    require_reopener(runtime.actor())  # one line, not one per ticket
    return lambda desk, number, version: desk.ticket_reopen(
        number, reason=reason, expected_version=version
    )


@click.command()
@numbers_argument
@click.option("--email", required=True, metavar="ADDRESS", help="The requester's address.")
@_on_each(lambda row: f"#{row.number} requester {line(row.requester_email)}")
def requester(runtime: Runtime, numbers: tuple[str, ...], email: str) -> Change:
    """Give the requester of tickets an email address, so replies reach them."""
    return lambda desk, number, version: desk.ticket_set_requester_email(
        number, email, expected_version=version
    )


priority = _field_command("priority", TicketsService.ticket_set_priority, parse_priority)
type_ = _field_command("type", TicketsService.ticket_set_type, parse_type)
category = _field_command("category", TicketsService.ticket_set_category, str)
tier = _field_command("tier", TicketsService.ticket_set_tier, parse_tier)
category.help = "Set the category of tickets (an empty VALUE clears it)."


def _tier_command(name: str, move: Callable[..., TicketRow], help: str) -> click.Command:
    """``ticket escalate|deescalate NUMBER... [--team NAME]``: ``move`` is the desk's method."""

    @click.command(name, help=help)
    @numbers_argument
    @click.option("--team", metavar="NAME", help="Hand the tickets to this team too.")
    @_on_each(lambda row: f"#{row.number} tier {row.tier} team {line(row.team) or '-'}")
    def command(runtime: Runtime, numbers: tuple[str, ...], team: str | None) -> Change:
        return lambda desk, number, version: move(desk, number, team=team, expected_version=version)

    return command


escalate = _tier_command(
    "escalate",
    TicketsService.ticket_escalate,
    "Move tickets one tier up (at most tier 4), to the next tier's team (or --team).",
)
deescalate = _tier_command(
    "deescalate",
    TicketsService.ticket_deescalate,
    "Move tickets one tier down (at least tier 1), to the previous tier's team.",
)


@click.command()
@numbers_argument
@click.option("--to", "login", metavar="LOGIN", help="Assign to this agent.")
@click.option("--me", is_flag=True, help="Assign to yourself.")
@click.option("--team", metavar="NAME", help="Assign to this team.")
@click.option("--unassign", is_flag=True, help="Take the agent off the tickets.")
@_on_each(
    lambda row: f"#{row.number} assignee {line(row.assignee) or '-'} team {line(row.team) or '-'}"
)
def assign(
    runtime: Runtime,
    numbers: tuple[str, ...],
    login: str | None,
    me: bool,
    team: str | None,
    unassign: bool,
) -> Change:
    """Assign tickets to an agent and/or a team, or unassign them."""
    if sum((bool(login), me, unassign)) > 1:
        raise CliError("give only one of --to, --me and --unassign")
    if not (login or me or team or unassign):
        raise CliError("say whom to assign to: --to LOGIN, --me, --team NAME or --unassign")
    agent = runtime.actor().name if me else login
    return lambda desk, number, version: desk.ticket_assign(
        number, agent=agent, team=team, unassign=unassign, expected_version=version
    )


@click.command()
@numbers_argument
@click.option("--add", "added", multiple=True, metavar="TAG", help="Add TAG; repeatable.")
@click.option("--remove", "removed", multiple=True, metavar="TAG", help="Remove TAG; repeatable.")
@_on_each()
def tag(
    runtime: Runtime, numbers: tuple[str, ...], added: tuple[str, ...], removed: tuple[str, ...]
) -> Change:
    """Add and remove tags on tickets."""
    if not (added or removed):
        raise CliError("say which tags: --add TAG and/or --remove TAG")
    for name in (*added, *removed):
        parse_tag(name)
    return lambda desk, number, version: desk.ticket_tag(
        number, add=added, remove=removed, expected_version=version
    )
