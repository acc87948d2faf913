"""``helpdesk drafts``: the replies, notes and call logs you started and have not sent,
and the knowledge-base articles and canned responses you were writing.

Drafts are files in your own data directory (``helpdesk locate data``), so each agent sees
only their own, kept per desk (the desk's identity) and per ticket, article or canned
response (the one each was written on), so a draft never opens on another desk's ticket or
article, or on another that has its number or id now: such a draft is listed saying so, and
kept. Drafts written before drafts knew their desk are listed as unclaimed, with their file;
``helpdesk drafts adopt NUMBER`` (``kb:12``, ``canned:new``…) makes one this desk's. Open
one again in the terminal UI: ctrl+p, then "Drafts" (an article or a canned response: open
its editor again, or a new one's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.drafts import (
    DRAFT_KINDS,
    EDITOR_KINDS,
    EDITOR_NAMES,
    DraftKind,
    DraftStore,
    EditorDraft,
    EditorKind,
    stranger_note,
    unclaimed_note,
)
from helpdesk_tui.timefmt import stamp

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def drafts(context: click.Context, as_json: bool) -> None:
    """List your unsent drafts, newest first, with their tickets' state."""
    if context.invoked_subcommand is None:
        _list(as_json=as_json)


@pass_runtime
def _list(runtime: Runtime, as_json: bool) -> None:
    desk = runtime.desk()
    store = DraftStore(desk=desk.desk_identity())
    kept = store.list_drafts()
    editors = store.editor_drafts()
    elsewhere = store.elsewhere()
    if not kept and not editors:
        if as_json:
            echo_json([])
        else:
            click.echo("no drafts", err=True)
        _elsewhere(elsewhere, as_json)
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
                    "note": ticket.note_for(draft.ticket) or None,
                    "unclaimed": draft.ticket is None,
                    "path": str(draft.path),
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
                    "note": _editor_note(desk, draft) or None,
                    "unclaimed": draft.unclaimed,
                    "path": str(draft.path),
                }
                for draft in editors
            ]
        )
        _elsewhere(elsewhere, as_json)
        return
    for draft in kept:
        ticket = tickets[draft.number]
        status = ticket.row.status if ticket.row is not None else "-"
        subject = line(ticket.row.subject) if ticket.row is not None else ""
        said = ticket.note_for(draft.ticket)
        note = f"  ({said})" if said else ""
        saved = stamp(draft.saved_at)
        where = f"\n        file: {line(str(draft.path))}" if draft.ticket is None else ""
        click.echo(
            f"#{draft.number:<6} {draft.kind:<5} {saved}  {status:<11} {subject}{note}"
            f"\n        {line(draft.preview)}{where}"
        )
    for editor in editors:
        click.echo(_editor_line(editor, _editor_note(desk, editor)))
    _elsewhere(elsewhere, as_json)


def _elsewhere(count: int, as_json: bool) -> None:
    if count and not as_json:
        what = "draft is" if count == 1 else "drafts are"
        click.echo(f"({count} more {what} kept for other desks: listed there)", err=True)


@drafts.command()
@click.argument("which", metavar="NUMBER")
@click.argument("kind", type=click.Choice(DRAFT_KINDS), required=False)
@pass_runtime
def adopt(runtime: Runtime, which: str, kind: DraftKind | None) -> None:
    """Make an unclaimed draft on NUMBER (written before drafts knew their desk) this desk's
    ticket NUMBER's: read it first (`helpdesk drafts` shows it, its file, and the subject of
    the ticket that has the number here). Nothing is overwritten. An article's or a canned
    response's: kb:ID, canned:ID, kb:new, canned:new."""
    desk = runtime.desk()
    head, colon, tail = which.partition(":")
    if colon:
        if head not in EDITOR_KINDS or not (tail == "new" or tail.isdigit()) or kind:
            raise CliError(f"{which!r}: say a ticket number, or kb:ID, canned:ID, kb:new")
        _adopt_editor(desk, cast(EditorKind, head), None if tail == "new" else int(tail))
        return
    if not which.lstrip("#").isdigit() or int(which.lstrip("#")) < 1:
        raise CliError(f"{which!r}: say a ticket number, or kb:ID, canned:ID, kb:new")
    number = int(which.lstrip("#"))
    place = desk.draft_place(number)
    if place.ticket is None:
        raise CliError(f"#{number}: no such ticket on this desk; the draft is kept")
    store = DraftStore(desk=place.desk)
    kinds = [kind] if kind is not None else list(DRAFT_KINDS)
    unclaimed = [k for k in kinds if store.path(number, k).exists()]
    if not unclaimed:
        raise CliError(f"#{number}: no unclaimed {kind or ''} draft".replace("  ", " "))
    for each in unclaimed:
        if store.adopt(number, each, place.ticket):
            click.echo(f"your {each} draft is now #{number}'s on this desk", err=True)
        else:
            click.echo(
                f"#{number} has a {each} draft already: the unclaimed one is kept "
                f"({line(str(store.path(number, each)))})",
                err=True,
            )


def _adopt_editor(desk: Desk, kind: EditorKind, item: int | None) -> None:
    name = EDITOR_NAMES[kind] if item is None else f"{EDITOR_NAMES[kind]} {item}"
    key = desk.editor_draft_key(kind, item) if item is not None else None
    if item is not None and key is None:
        raise CliError(f"{name}: there is no such one on this desk; the draft is kept")
    store = DraftStore(desk=desk.desk_identity())
    source = store.unclaimed_fields(kind, item)
    if not source.exists():
        raise CliError(f"no unclaimed draft of {'a new ' if item is None else ''}{name}")
    if store.adopt_fields(kind, item, key):
        click.echo(
            f"your draft of {'a new ' if item is None else ''}{name} is now this desk's", err=True
        )
    else:
        click.echo(
            f"this desk has a draft of {'a new ' if item is None else ''}{name} already: "
            f"the unclaimed one is kept ({line(str(source))})",
            err=True,
        )


def _editor_note(desk: Desk, draft: EditorDraft) -> str:
    """Why an editor's draft is not offered in the editor, if it is not."""
    if draft.unclaimed:
        return unclaimed_note(draft.kind, draft.item)
    if draft.item is not None and desk.editor_draft_key(draft.kind, draft.item) != draft.key:
        return stranger_note(draft.kind, draft.item)
    return ""


def _editor_line(draft: EditorDraft, note: str = "") -> str:
    """``new article 2026-12-06 15:07  Guest Wi-Fi`` / ``canned response 4 …``; unclaimed
    ones (or another's that had the id) say so, and where the file is."""
    which = (
        "new " + EDITOR_NAMES[draft.kind]
        if draft.item is None
        else (f"{EDITOR_NAMES[draft.kind]} {draft.item}")
    )
    saved = stamp(draft.saved_at)
    said = f"  ({note})" if note else ""
    shown = f"{which}  {saved}  {line(draft.preview) or '(untitled)'}{said}"
    if note:
        shown += f"\n        file: {line(str(draft.path))}"
    return shown
