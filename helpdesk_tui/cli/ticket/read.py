"""``helpdesk ticket list`` and ``show``: reading tickets, for people and for scripts."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from helpdesk_tui.cli.output import echo_json, line, row_line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import json_option, numbers_argument
from helpdesk_tui.cli.ticket.input import number_tokens
from helpdesk_tui.desk.kinds import Priority, Status, TicketType
from helpdesk_tui.desk.limits import human_bytes
from helpdesk_tui.desk.queue_values import SORT_ORDER, QueueQuery, TicketFilter
from helpdesk_tui.desk.values import parse_number
from helpdesk_tui.safe_text import clean

if TYPE_CHECKING:
    from helpdesk_tui.desk.queries import TicketDetail


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
        open_only=open_only,
    )
    query = QueueQuery(spec, sort=sort, descending=not asc)
    found = lister.tickets_rows(query, limit=limit)
    if as_json:
        echo_json([row.as_json() for row in found])
        return
    for row in found:
        click.echo(str(row.number) if ids else row_line(row))


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
    for row in found:
        click.echo(str(row.number) if ids else row_line(row))


def _detail_text(detail: TicketDetail) -> list[str]:
    row = detail.row
    lines = [
        f"#{row.number} {line(row.subject)}",
        f"status {row.status} · priority {row.priority} · type {row.type} · tier {row.tier} · "
        f"version {row.version}",
        f"requester {line(row.requester_name) or '-'} <{line(row.requester_email) or '-'}> · "
        f"assignee {line(row.assignee) or '-'} · team {line(row.team) or '-'} · "
        f"category {line(row.category) or '-'}",
    ]
    if detail.tags:
        lines.append("tags " + ", ".join(line(tag) for tag in detail.tags))
    if detail.links:
        lines.append("links " + ", ".join(f"{kind} #{number}" for kind, number in detail.links))
    if detail.merged_into is not None:
        lines.append(f"merged into #{detail.merged_into}")
    if detail.rating is not None:
        said = f": {line(detail.rating.comment)}" if detail.rating.comment else ""
        lines.append(f"satisfaction {detail.rating.score}/5 (by {line(detail.rating.by)}){said}")
    for message in detail.messages:
        sender = f" from {line(message.from_address)}" if message.from_address else ""
        when = f"{message.created_at:%Y-%m-%d %H:%M}"
        lines += [
            "",
            f"── {message.kind} via {message.channel}{sender} · {when}",
            clean(message.body).rstrip(),
        ]
        lines += [
            f"   [file {a.id}: {line(a.filename)} ({human_bytes(a.size)})]"
            for a in detail.files_of(message.id)
        ]
        delivery = detail.deliveries.get(message.id)
        if delivery is not None:
            lines.append(f"   [mail {delivery.id}: {line(delivery.describe())}]")
    if detail.outgoing:
        lines += ["", "── outgoing mail (helpdesk mail resend ID sends failed mail again)"]
        lines += [
            f"mail {d.id} {d.kind} to {line(d.to)}: {line(d.describe())}" for d in detail.outgoing
        ]
    lines += ["", "── history"]
    lines += [f"{event.created_at:%Y-%m-%d %H:%M} {line(event.text)}" for event in detail.events]
    return lines


@click.command()
@numbers_argument
@json_option
@pass_runtime
def show(runtime: Runtime, numbers: tuple[str, ...], as_json: bool) -> None:
    """Show tickets in full: fields, thread and history (JSON: an array)."""
    tokens = number_tokens(numbers)
    lister = runtime.lister()
    details = [lister.ticket_show(parse_number(token)) for token in tokens]
    if as_json:
        echo_json([detail.as_json() for detail in details])
        return
    for index, detail in enumerate(details):
        if index:
            click.echo("")
        click.echo("\n".join(_detail_text(detail)))
