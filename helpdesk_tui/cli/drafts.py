"""``helpdesk drafts``: the replies, notes and call logs you started and have not sent.

Drafts are files in your own data directory (``helpdesk locate data``), so each agent sees
only their own. Open one again in the terminal UI: ctrl+p, then "Drafts".
"""

from __future__ import annotations

import click

from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.drafts import DraftStore


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def drafts(runtime: Runtime, as_json: bool) -> None:
    """List your unsent drafts, newest first, with their tickets' state."""
    desk = runtime.desk()
    kept = DraftStore().list_drafts()
    if not kept:
        if as_json:
            echo_json([])
        else:
            click.echo("no drafts", err=True)
        return
    tickets = desk.drafts_tickets(draft.number for draft in kept)
    if as_json:
        echo_json(
            [
                {
                    "number": draft.number,
                    "kind": draft.kind,
                    "saved_at": draft.saved_at.isoformat(),
                    "preview": draft.preview,
                    "status": ticket.row.status if ticket.row else None,
                    "note": ticket.note or None,
                }
                for draft in kept
                for ticket in (tickets[draft.number],)
            ]
        )
        return
    for draft in kept:
        ticket = tickets[draft.number]
        status = ticket.row.status if ticket.row is not None else "-"
        subject = line(ticket.row.subject) if ticket.row is not None else ""
        note = f"  ({ticket.note})" if ticket.note else ""
        saved = draft.saved_at.strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"#{draft.number:<6} {draft.kind:<5} {saved}  {status:<11} {subject}{note}"
            f"\n        {line(draft.preview)}"
        )
