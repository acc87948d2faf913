"""Printing results: compact lines for people, JSON for scripts.

Every text that came from outside (subjects, names, bodies) goes through ``safe_text.clean``
so escape sequences never reach the terminal; JSON is written ASCII-only, so control
characters arrive escaped (``\\u001b``), never raw.

That does not rest on each ``echo`` remembering it: ``streams.clean_streams`` cleans every
write of every command (see there).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from helpdesk_tui.safe_text import clean

if TYPE_CHECKING:
    from helpdesk_tui.desk.ticket_row_value import TicketRow


def line(text: str | None) -> str:
    return clean(text or "", single_line=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True, default=str))


def row_line(row: TicketRow) -> str:
    """``#1042  open         high    bob      Printer on fire  <ann@example.com>``."""
    requester = line(row.requester_email or row.requester_name)
    who = f"  <{requester}>" if requester else ""
    return (
        f"#{row.number:<6} {row.status:<12} {row.priority:<7} "
        f"{line(row.assignee) or '-':<10} {line(row.subject)}{who}"
    )
