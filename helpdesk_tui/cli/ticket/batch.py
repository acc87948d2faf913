"""Applying one change to each of several tickets, each in its own transaction.

A failure on one ticket is reported (one line naming it) and the others still go ahead;
the command then exits non-zero: the desk's rule for changing many tickets
(``desk.batch.change_each``), which the queue's marks follow too. ``--json`` prints one
array of the changed tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, row_line
from helpdesk_tui.cli.runtime import Runtime
from helpdesk_tui.cli.ticket.input import number_tokens
from helpdesk_tui.desk.batch import Target, change_each
from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.desk.values import MAX_NUMBER

if TYPE_CHECKING:
    from helpdesk_tui.desk.tickets_service import TicketsService

Action: TypeAlias = "Callable[[TicketsService, int], TicketRow | None]"
"""Changes one ticket (one transaction); returns the row to report, None when it is gone."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
expect_version_option = click.option(
    "--expect-version",
    type=click.IntRange(0, MAX_NUMBER),
    default=None,
    metavar="N",
    help="Refuse the change if the ticket is no longer at version N.",
)
numbers_argument = click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...|-")


def one_ticket_only(tokens: Sequence[str], expected_version: int | None) -> None:
    if expected_version is not None and len(tokens) != 1:
        raise CliError("--expect-version needs exactly one ticket number")


def tickets(runtime: Runtime) -> TicketsService:
    """The tickets' area of the desk alone (the facade's ``TicketsService``): a ticket verb
    changes tickets with the facade's own operations, without loading the other areas."""
    with loading():
        from helpdesk_tui.desk.tickets_service import TicketsService

    return runtime.service(TicketsService)


def run_each(
    runtime: Runtime,
    values: Sequence[str],
    action: Action,
    *,
    as_json: bool,
    describe: Callable[[TicketRow], str] = row_line,
    expected_version: int | None = None,
) -> None:
    tokens = number_tokens(values)
    one_ticket_only(tokens, expected_version)
    desk = tickets(runtime)
    results: list[dict[str, object]] = []
    failed = 0
    targets = (Target(token, expected_version) for token in tokens)
    for outcome in change_each(targets, lambda number, _version: action(desk, number)):
        if outcome.refusal is not None:
            failed += 1
            click.echo(f"error: {outcome.refusal}", err=True)
        elif outcome.row is None:
            results.append({"number": outcome.number, "deleted": True})
            if not as_json:
                click.echo(f"deleted #{outcome.number}")
        else:
            results.append(outcome.row.as_json())
            if not as_json:
                click.echo(describe(outcome.row))
    if as_json:
        echo_json(results)
    if failed:
        raise click.exceptions.Exit(1)
