"""Printing results: compact lines for people, JSON for scripts.

Every text that came from outside (subjects, names, bodies) goes through ``safe_text.clean``
so escape sequences never reach the terminal; JSON is written ASCII-only, so control
characters arrive escaped (``\\u001b``), never raw.

That does not rest on each ``echo`` remembering it: ``streams.clean_streams`` cleans every
write of every command (see there).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from helpdesk_tui.safe_text import clean

if TYPE_CHECKING:
    from helpdesk_tui.desk.ticket_row_value import TicketRow


def line(text: str | None) -> str:
    return clean(text or "", single_line=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True, default=str))


def row_line(row: TicketRow, width: int | None = None) -> str:
    """``#1042  open         high    bob      Printer on fire  <ann@example.com>``.

    ``width``: the line is cut to that many cells, the subject and the requester ending in
    "…" (the requester gets a third of the room a long subject leaves; what a short one leaves)."""
    requester = line(row.requester_email or row.requester_name)
    who = f"  <{requester}>" if requester else ""
    head = f"#{row.number:<6} {row.status:<12} {row.priority:<7} {line(row.assignee) or '-':<10} "
    subject = line(row.subject)
    if width is not None:
        from rich.cells import cell_len  # (only for a terminal: a pipe gets whole lines)

        room = max(width - cell_len(head), 0)
        if cell_len(subject) + cell_len(who) > room:
            who = _cut(who, max(room // 3, room - cell_len(subject)))
            subject = _cut(subject, room - cell_len(who))
    return f"{head}{subject}{who}"


def _cut(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells, ending in "…" where it was cut."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, cells - 1).rstrip() + "…" if cells > 0 else ""


def echo_rows(rows: Iterable[TicketRow], *, ids: bool = False) -> None:
    """Each ticket as a line (``row_line``), or its number with ``ids``; on a terminal each
    line is cut to its width: a 500-character subject took seven lines of an 80-column one.
    """
    width = terminal_width()
    for row in rows:
        click.echo(str(row.number) if ids else row_line(row, width))


def terminal_width() -> int | None:
    """The terminal's columns when the output goes to one; None for a pipe or a file."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns
