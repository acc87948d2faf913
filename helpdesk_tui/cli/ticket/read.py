"""``helpdesk ticket list`` and ``search``: listing tickets, for people and for scripts."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import click
from click.shell_completion import CompletionItem

from helpdesk_tui.cli.output import echo_json, echo_rows
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import json_option
from helpdesk_tui.desk.kinds import Priority, Status, TicketType
from helpdesk_tui.desk.queue_values import SORT_ORDER, QueueQuery, TicketFilter


def _completes(values: type[StrEnum]) -> Callable[..., list[CompletionItem]]:
    """Shell completion of an option from the desk's fixed values."""

    def complete(
        _ctx: click.Context, _param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return [CompletionItem(value) for value in values if value.startswith(incomplete)]

    return complete


@click.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    shell_complete=_completes(Status),
    help="Only this status; repeat for more.",
)
@click.option(
    "--priority",
    "priorities",
    multiple=True,
    shell_complete=_completes(Priority),
    help="Only this priority; repeatable.",
)
@click.option(
    "--type",
    "types",
    multiple=True,
    shell_complete=_completes(TicketType),
    help="Only this type; repeatable.",
)
@click.option("--assignee", metavar="LOGIN", help="Only tickets assigned to LOGIN.")
@click.option("--unassigned", is_flag=True, help="Only tickets nobody is assigned to.")
@click.option("--team", metavar="NAME", help="Only this team's tickets.")
@click.option("--tag", metavar="TAG", help="Only tickets with this tag.")
@click.option("--category", help="Only this category.")
@click.option("--requester", metavar="ADDRESS", help="Only the tickets this customer asked.")
@click.option("--open", "open_only", is_flag=True, help="Only tickets that still need somebody.")
@click.option("--sort", type=click.Choice(SORT_ORDER), default="updated", show_default=True)
@click.option("--asc", is_flag=True, help="Oldest/lowest first (default: newest/highest).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0: all.")
@click.option("--ids", is_flag=True, help="Print only ticket numbers, one per line.")
@json_option
@pass_runtime
def list_(
    runtime: Runtime,
    statuses: tuple[str, ...],
    priorities: tuple[str, ...],
    types: tuple[str, ...],
    assignee: str | None,
    unassigned: bool,
    team: str | None,
    tag: str | None,
    category: str | None,
    requester: str | None,
    open_only: bool,
    sort: str,
    asc: bool,
    limit: int,
    ids: bool,
    as_json: bool,
) -> None:
    """List tickets, newest change first."""
    lister = runtime.lister()
    spec = TicketFilter(
        statuses=statuses,
        priorities=priorities,
        types=types,
        assignee=assignee,
        unassigned=unassigned,
        team=team,
        tag=tag,
        category=category,
        requester=requester,
        open_only=open_only,
    )
    query = QueueQuery(spec, sort=sort, descending=not asc)
    found = lister.tickets_rows(query, limit=limit)
    if as_json:
        echo_json([row.as_json() for row in found])
        return
    echo_rows(found, ids=ids)


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--open", "open_only", is_flag=True, help="Only tickets that still need somebody.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0: all.")
@click.option("--ids", is_flag=True, help="Print only ticket numbers, one per line.")
@json_option
@pass_runtime
def search(
    runtime: Runtime,
    query: tuple[str, ...],
    open_only: bool,
    limit: int,
    ids: bool,
    as_json: bool,
) -> None:
    """Find tickets by number, words of the subject or messages, requester, organization or
    email domain; best matches first (whole words before word starts), newest first."""
    lister = runtime.lister()
    spec = QueueQuery(TicketFilter(open_only=open_only), text=" ".join(query))
    found = lister.tickets_rows(spec, limit=limit)
    if as_json:
        echo_json([row.as_json() for row in found])
        return
    echo_rows(found, ids=ids)
