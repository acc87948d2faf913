"""``helpdesk drafts``: the replies, notes and call logs you started and have not sent,
and the knowledge-base articles and canned responses you were writing.

Drafts are files in your own data directory (``helpdesk locate data``), so each agent sees
only their own. Open one again in the terminal UI: ctrl+p, then "Drafts" (an article or a
canned response: open its editor again, or a new one's).
"""

from __future__ import annotations

import click

from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.drafts import EDITOR_NAMES, DraftStore, EditorDraft


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def drafts(runtime: Runtime, as_json: bool) -> None:
    """List your unsent drafts, newest first, with their tickets' state."""
    desk = runtime.desk()
    store = DraftStore()
    kept = store.list_drafts()
    editors = store.editor_drafts()
    if not kept and not editors:
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
            + [
                {
                    "number": None,
                    "kind": draft.kind,
                    "item": draft.item,
                    "saved_at": draft.saved_at.isoformat(),
                    "preview": draft.preview,
                    "status": None,
                    "note": None,
                }
                for draft in editors
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
    for editor in editors:
        click.echo(_editor_line(editor))


def _editor_line(draft: EditorDraft) -> str:
    """``new article 2026-12-06 15:07  Guest Wi-Fi`` / ``canned response 4 …``."""
    which = (
        "new " + EDITOR_NAMES[draft.kind]
        if draft.item is None
        else (f"{EDITOR_NAMES[draft.kind]} {draft.item}")
    )
    saved = draft.saved_at.strftime("%Y-%m-%d %H:%M")
    return f"{which}  {saved}  {line(draft.preview) or '(untitled)'}"
