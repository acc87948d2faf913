"""``helpdesk ticket new``: a ticket from a phone call, a walk-in, or a script."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.output import echo_json, line, row_line, terminal_width
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import json_option, tickets
from helpdesk_tui.cli.ticket.input import read_body

if TYPE_CHECKING:
    from helpdesk_tui.desk.routing import Rules

CHANNELS = ("manual", "phone", "email")


@click.command()
@click.option("--subject", required=True, help="What the ticket is about.")
@click.option("--from", "requester_email", metavar="EMAIL", help="The requester's email address.")
@click.option("--name", "requester_name", default="", help="The requester's name.")
@click.option("--body", default=None, help="The request itself (else stdin, else $EDITOR).")
@click.option("--edit", is_flag=True, help="Write the body in $EDITOR.")
@click.option("--channel", type=click.Choice(CHANNELS), default="manual", show_default=True)
@click.option("--priority", default="normal", show_default=True)
@click.option("--type", "ticket_type", default="question", show_default=True)
@click.option("--category", default=None)
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@json_option
@pass_runtime
def new(
    runtime: Runtime,
    subject: str,
    requester_email: str | None,
    requester_name: str,
    body: str | None,
    edit: bool,
    channel: str,
    priority: str,
    ticket_type: str,
    category: str | None,
    tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """Open a new ticket."""
    limit = runtime.start.max_body_bytes
    text = read_body(body, edit=edit, stdin_free=True, what="request", max_bytes=limit)
    created = tickets(runtime).ticket_create(
        subject=subject,
        body=text,
        channel=channel,
        requester_email=requester_email,
        requester_name=requester_name,
        priority=priority,
        ticket_type=ticket_type,
        category=category,
        tags=tags,
        rules=_rules(runtime),
        desk_name=runtime.start.desk_name,
    )
    row = created.row
    if created.routed is not None:
        for name in created.routed.rules:
            click.echo(f"routed by rule {line(name)}", err=True)
        for problem in created.routed.problems:
            click.echo(f"warning: {line(problem)}", err=True)
    if as_json:
        echo_json(row.as_json())
    else:
        width = terminal_width()
        click.echo(f"created {row_line(row, None if width is None else width - len('created '))}")


def _rules(runtime: Runtime) -> Rules | None:
    """The routing rules, as for a ticket that came by mail.

    A rules file with a fault is a warning here: the ticket is made, unrouted. No rules
    file is no rules (as ``routing.load_rules`` reads it), without importing them.
    """
    path = runtime.start.rules_path()
    if not path.exists():
        return None
    from helpdesk_tui.desk.routing import RulesError
    from helpdesk_tui.desk.routing_reads import RoutingReads

    try:
        return runtime.service(RoutingReads).rules_load(path)
    except RulesError as error:
        click.echo(f"warning: not routed: {line(str(error))}", err=True)
        return None
