"""``helpdesk ticket merge|link|delete``: tickets and each other."""

from __future__ import annotations

import click

from helpdesk_tui.cli.output import line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import (
    expect_version_option,
    json_option,
    numbers_argument,
    run_each,
    tickets,
)
from helpdesk_tui.cli.ticket.input import ask_first, number_tokens
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.kinds import Role
from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.desk.tickets import parse_number
from helpdesk_tui.desk.tickets_service import TicketsService
from helpdesk_tui.drafts import DraftStore


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...|-")
@click.argument("target", metavar="INTO_TARGET")
@click.option("--yes", is_flag=True, help="Merge different requesters' tickets without asking.")
@expect_version_option
@json_option
@pass_runtime
def merge(
    runtime: Runtime,
    sources: tuple[str, ...],
    target: str,
    yes: bool,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Merge tickets into INTO_TARGET: their thread moves there and they close.

    When a ticket's requester is not INTO_TARGET's, it asks first (--yes does not).
    """
    runtime.actor()  # before the requesters' addresses are shown in a warning
    into = parse_number(target)
    tokens = number_tokens(sources)
    confirmed = _confirm_requesters(runtime, tokens, into, sources) if not yes else None

    def act(desk: TicketsService, number: int) -> TicketRow:
        return desk.ticket_merge(
            number,
            into,
            expected_version=expect_version,
            different_requesters=confirmed is None or number in confirmed,
        )

    try:
        run_each(
            runtime,
            tokens,
            act,
            as_json=as_json,
            expected_version=expect_version,
            describe=lambda row: f"merged into #{row.number} (version {row.version})",
        )
    finally:
        _drafts_follow(runtime, tokens, into)


def _drafts_follow(runtime: Runtime, tokens: list[str], into: int) -> None:
    """Your drafts on tickets now merged into ``into`` move there (as in the terminal UI)."""
    desk = tickets(runtime)
    target = desk.draft_place(into)
    if target.ticket is None:
        return
    store = DraftStore(desk=target.desk)
    numbers = [int(t.lstrip("#")) for t in tokens if t.lstrip("#").isdigit()]
    places = {number: desk.draft_place(number).ticket for number in numbers}
    with_drafts = [
        number
        for number, key in places.items()
        if key is not None and store.kinds_with_drafts(number, key)
    ]
    if not with_drafts:
        return
    merged = desk.drafts_tickets(with_drafts)
    for number in with_drafts:
        if merged[number].merged_into == into:
            for kind in store.move(number, into, places[number], target.ticket):
                click.echo(f"your {kind} draft on #{number} moved to #{into}", err=True)


def _confirm_requesters(
    runtime: Runtime, tokens: list[str], into: int, sources: tuple[str, ...]
) -> set[int]:
    """Warn about each merge that joins two requesters and ask once; the ones agreed to.

    A ticket that cannot be read here is left to the merge itself to report.
    """
    warnings: dict[int, str] = {}
    desk = tickets(runtime)
    for token in tokens:
        try:
            number = parse_number(token)
            plan = desk.ticket_merge_plan(number, into)
        except DeskError:
            continue
        if plan.different_requesters:
            warnings[number] = plan.warning
    if not warnings:
        return set()
    for warning in warnings.values():
        click.echo(f"warning: {line(warning)}", err=True)
    listed = ", ".join(f"#{number}" for number in warnings)
    ask_first(
        f"Merge {listed} into #{into} anyway?",
        numbers=sources,
        refusal="these tickets have different requesters and there is no terminal to ask on; "
        "nothing was merged — pass --yes to merge anyway",
    )
    return set(warnings)


@click.command()
@numbers_argument
@click.argument("other", metavar="OTHER")
@click.option(
    "--kind",
    type=click.Choice(["related", "follow_up"]),
    default="related",
    show_default=True,
)
@json_option
@pass_runtime
def link(runtime: Runtime, numbers: tuple[str, ...], other: str, kind: str, as_json: bool) -> None:
    """Link tickets to OTHER (shown on both)."""
    target = parse_number(other)

    def act(desk: TicketsService, number: int) -> TicketRow:
        return desk.ticket_link(number, target, kind=kind)

    run_each(
        runtime,
        numbers,
        act,
        as_json=as_json,
        describe=lambda row: f"#{row.number} linked ({kind}) to #{target}",
    )


@click.command()
@numbers_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_runtime
def delete(runtime: Runtime, numbers: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Delete tickets for good (admins only; the audit trail keeps a record)."""
    runtime.actor().require(Role.ADMIN, "delete a ticket")
    if not yes:
        listed = ", ".join(f"#{number.lstrip('#')}" for number in numbers)
        ask_first(
            f"delete {listed} for good?",
            numbers=numbers,
            refusal="deleting needs confirmation and there is no terminal to ask on; "
            "nothing was deleted — pass --yes to delete anyway",
        )
    tokens = number_tokens(numbers)

    def act(desk: TicketsService, number: int) -> None:
        desk.ticket_delete(number)

    run_each(runtime, tokens, act, as_json=as_json)
