"""``helpdesk ticket``: the desk's ticket operations, scriptable.

Verbs that take ticket numbers take several, or ``-`` to read them from stdin, so
``helpdesk ticket list --ids --status waiting | helpdesk ticket status - open`` works.
Each ticket changes in its own transaction; a failure on one is reported and the rest go on.
"""

from __future__ import annotations

import click

from helpdesk_tui.cli.lazy import LazyGroup

VERBS = {
    "new": "helpdesk_tui.cli.ticket.create:new",
    "list": "helpdesk_tui.cli.ticket.read:list_",
    "search": "helpdesk_tui.cli.ticket.read:search",
    "show": "helpdesk_tui.cli.ticket.show:show",
    "reply": "helpdesk_tui.cli.ticket.thread:reply",
    "note": "helpdesk_tui.cli.ticket.thread:note",
    "call": "helpdesk_tui.cli.ticket.thread:call",
    "cc": "helpdesk_tui.cli.ticket.copies:cc",
    "assign": "helpdesk_tui.cli.ticket.fields:assign",
    "status": "helpdesk_tui.cli.ticket.fields:status",
    "reopen": "helpdesk_tui.cli.ticket.fields:reopen",
    "requester": "helpdesk_tui.cli.ticket.fields:requester",
    "priority": "helpdesk_tui.cli.ticket.fields:priority",
    "type": "helpdesk_tui.cli.ticket.fields:type_",
    "category": "helpdesk_tui.cli.ticket.fields:category",
    "tier": "helpdesk_tui.cli.ticket.fields:tier",
    "escalate": "helpdesk_tui.cli.ticket.fields:escalate",
    "deescalate": "helpdesk_tui.cli.ticket.fields:deescalate",
    "sla": "helpdesk_tui.cli.sla:ticket_sla",
    "tag": "helpdesk_tui.cli.ticket.fields:tag",
    "merge": "helpdesk_tui.cli.ticket.relations:merge",
    "link": "helpdesk_tui.cli.ticket.relations:link",
    "delete": "helpdesk_tui.cli.ticket.relations:delete",
    "rate": "helpdesk_tui.cli.ticket.rate:rate",
    "followed-up": "helpdesk_tui.cli.ticket.rate:followed_up",
}
"""Each verb's module is imported only when it runs (or its own help is asked for)."""

VERB_HELP = {
    "new": "Open a new ticket.",
    "list": "List tickets, newest change first.",
    "search": "Find tickets by number, words, requester, organization or email domain.",
    "show": "Show tickets in full: fields, thread and history (JSON: an array).",
    "reply": "Answer the customer; the email goes out through the outbox.",
    "note": "Add an internal note: agents see it, the customer never does.",
    "call": "Write down a phone call with the customer (not emailed).",
    "cc": "Show, add and remove who a ticket's replies copy (Cc).",
    "assign": "Assign tickets to an agent and/or a team, or unassign them.",
    "status": "Set the status of tickets (`-` reads their numbers from stdin).",
    "reopen": "Open closed tickets again (supervisors and admins), saying why.",
    "requester": "Give the requester of tickets an email address, so replies reach them.",
    "priority": "Set the priority of tickets (`-` reads their numbers from stdin).",
    "type": "Set the type of tickets (`-` reads their numbers from stdin).",
    "category": "Set the category of tickets (an empty VALUE clears it).",
    "tier": "Set the tier of tickets (`-` reads their numbers from stdin).",
    "escalate": "Move tickets one tier up (at most tier 4), to the next tier's team.",
    "deescalate": "Move tickets one tier down (at least tier 1), to the previous tier's team.",
    "sla": "Explain a ticket's SLA clocks: policy, calendar, started, paused, due, met.",
    "tag": "Add and remove tags on tickets.",
    "merge": "Merge tickets into INTO_TARGET: their thread moves there and they close.",
    "link": "Link tickets to OTHER (shown on both).",
    "delete": "Delete tickets for good (admins only; the audit trail keeps a record).",
    "rate": "Record a satisfaction rating (1-5) the customer gave, e.g. by phone.",
    "followed-up": "Mark a ticket's rating followed up: its follow-up tag comes off.",
}


@click.group(cls=LazyGroup, lazy_subcommands=VERBS, lazy_help=VERB_HELP)
def ticket() -> None:
    """Create, list, show and change tickets.

    Verbs that take ticket numbers take several, or - to read them from stdin
    (helpdesk ticket list --ids --status waiting | helpdesk ticket status - open).
    Each ticket changes on its own; a failure is reported for that ticket and the
    exit status is then 1. --json prints a JSON array (new: one object).
    """
