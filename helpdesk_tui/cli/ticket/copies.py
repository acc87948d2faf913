"""``helpdesk ticket cc``: the people a ticket's replies copy (its "copies")."""

from __future__ import annotations

import click

from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import expect_version_option, json_option, tickets
from helpdesk_tui.desk.values import parse_number


@click.command()
@click.argument("number")
@click.option("--add", "added", multiple=True, metavar="EMAIL", help="Copy EMAIL; repeatable.")
@click.option(
    "--remove", "removed", multiple=True, metavar="EMAIL", help="Stop copying EMAIL; repeatable."
)
@expect_version_option
@json_option
@pass_runtime
def cc(
    runtime: Runtime,
    number: str,
    added: tuple[str, ...],
    removed: tuple[str, ...],
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Show, add and remove who the replies on ticket NUMBER copy (Cc).

    The customer's colleagues in To/Cc of their mail are kept by themselves; the desk's
    own addresses, the requester and no-reply addresses are never copied.
    """
    changed = tickets(runtime).ticket_copies(
        parse_number(number),
        add=added,
        remove=removed,
        ours=runtime.settings.mail.desk_addresses,
        expected_version=expect_version,
    )
    if as_json:
        echo_json(
            {
                "number": changed.number,
                "version": changed.version,
                "copies": list(changed.copies),
                "added": list(changed.added),
                "removed": list(changed.removed),
            }
        )
        return
    for address in changed.added:
        click.echo(f"#{changed.number}: copying {line(address)}")
    for address in changed.removed:
        click.echo(f"#{changed.number}: no longer copying {line(address)}")
    if (added or removed) and not (changed.added or changed.removed):
        click.echo(f"#{changed.number}: nothing to change")
    shown = ", ".join(line(a) for a in changed.copies) or "nobody"
    click.echo(f"#{changed.number} cc {shown}")
