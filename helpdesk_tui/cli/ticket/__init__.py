"""``helpdesk ticket``: the desk's ticket operations, scriptable.

Verbs that take ticket numbers take several, or ``-`` to read them from stdin, so
``helpdesk ticket list --ids --status waiting | helpdesk ticket status - open`` works.
Each ticket changes in its own transaction; a failure on one is reported and the rest go on.
"""

from __future__ import annotations

import click

from helpdesk_tui.cli.ticket import create, fields, read, relations, thread


@click.group()
def ticket() -> None:
    """Create, list, show and change tickets.

    Verbs that take ticket numbers take several, or - to read them from stdin
    (helpdesk ticket list --ids --status waiting | helpdesk ticket status - open).
    Each ticket changes on its own; a failure is reported for that ticket and the
    exit status is then 1. --json prints a JSON array (new: one object).
    """


for _command in (
    create.new,
    read.list_,
    read.search,
    read.show,
    thread.reply,
    thread.note,
    thread.call,
    fields.assign,
    fields.status,
    fields.reopen,
    fields.requester,
    fields.priority,
    fields.type_,
    fields.category,
    fields.tier,
    fields.escalate,
    fields.tag,
    relations.merge,
    relations.link,
    relations.delete,
):
    ticket.add_command(_command)
