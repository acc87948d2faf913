"""``helpdesk ticket show``: tickets in full, for people and for scripts.

A module of its own: it needs none of the lister's values (``queue_values``) that
``list`` and ``search`` build their options from.

A message's quoted history and signature are folded as the terminal UI folds them (one
rule: the mail layer's ``split_reply``), with a line saying how many lines; ``--unfold``
prints them whole. ``--json`` always carries the whole text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.output import echo_json, line, terminal_width
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import json_option, numbers_argument
from helpdesk_tui.cli.ticket.input import number_tokens
from helpdesk_tui.desk.limits import human_bytes
from helpdesk_tui.desk.values import parse_number
from helpdesk_tui.safe_text import clean
from helpdesk_tui.timefmt import stamp

if TYPE_CHECKING:
    from helpdesk_tui.desk.queries import TicketDetail


FIELD_LINES = 3
"""Terminal lines a field line of ``ticket show`` may take (a subject, the people, the tags,
a history entry); a body is shown whole."""


Splitter = Callable[[str], tuple[str, str]]


def _split_reply() -> Splitter | None:
    """The quote folder the terminal UI uses (``widgets.thread``), when mail is installed."""
    try:
        from helpdesk_tui.mail.api import split_reply
    except ImportError:
        return None
    return split_reply


def _body(body: str, kind: str, split: Splitter | None) -> str:
    """A message's text as the terminal UI shows it: quoted history folded into one line
    (``split`` None: whole). A system entry is never folded."""
    if split is None or kind == "system":
        return clean(body).rstrip()
    visible, folded = split(body)
    if not folded.strip():
        return clean(body).rstrip()
    count = len(folded.strip("\n").splitlines())
    shown = clean(visible).rstrip("\n") or "(no text)"
    return f"{shown}\n… {count} quoted line{'s' * (count != 1)} folded (--unfold shows)"


def _detail_text(
    detail: TicketDetail, width: int | None = None, *, unfold: bool = False
) -> list[str]:
    """The ticket as lines; on a terminal of ``width`` columns each line but the bodies is
    cut to :data:`FIELD_LINES` of it (a 10,000-character name took 125 lines of 80). Quoted
    history is folded unless ``unfold``."""
    fit = _fitting(width)
    split = None if unfold else _split_reply()
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
    if detail.copies:
        lines.append("cc " + ", ".join(line(address) for address in detail.copies))
    if detail.links:
        lines.append("links " + ", ".join(f"{kind} #{number}" for kind, number in detail.links))
    if detail.merged_into is not None:
        lines.append(f"merged into #{detail.merged_into}")
    if detail.rating is not None:
        said = f": {line(detail.rating.comment)}" if detail.rating.comment else ""
        lines.append(f"satisfaction {detail.rating.score}/5 (by {line(detail.rating.by)}){said}")
    lines = [fit(text) for text in lines]
    for message in detail.messages:
        sender = f" from {line(message.from_address)}" if message.from_address else ""
        # Who wrote it, as the TUI's thread names them ("Reply · bob"): the agent's login, the
        # customer's name (their address is the sender already).
        author = line(message.author)
        by = f" · {author}" if author and message.author != message.from_address else ""
        when = stamp(message.created_at)
        delivery = detail.deliveries.get(message.id)
        to, cc = detail.recipients(message)
        recipients = "".join(
            f" · {label} {line(value)}" for label, value in (("to", to), ("cc", cc)) if value
        )
        lines += [
            "",
            fit(f"── {message.kind} via {message.channel}{sender}{by} · {when}{recipients}"),
            _body(message.body, message.kind, split),
        ]
        lines += [
            fit(f"   [file {a.id}: {line(a.filename)} ({human_bytes(a.size)})]")
            for a in detail.files_of(message.id)
        ]
        if delivery is not None:
            lines.append(fit(f"   [mail {delivery.id}: {line(delivery.describe())}]"))
    if detail.outgoing:
        lines += ["", "── outgoing mail (helpdesk mail resend ID sends failed mail again)"]
        lines += [
            fit(f"mail {d.id} {d.kind} to {line(d.to)}: {line(d.describe())}")
            for d in detail.outgoing
        ]
    lines += ["", "── history"]
    lines += [fit(f"{stamp(event.created_at)} {line(event.text)}") for event in detail.events]
    return lines


def _fitting(width: int | None) -> Callable[[str], str]:
    """A line as it is (a pipe), or cut to :data:`FIELD_LINES` lines of ``width``."""
    if width is None:
        return lambda text: text

    def fit(text: str) -> str:
        from rich.text import Text

        from helpdesk_tui.safe_text import clamped

        return clamped(Text(text), width, FIELD_LINES).plain

    return fit


@click.command()
@numbers_argument
@json_option
@click.option(
    "--unfold",
    is_flag=True,
    help="Print messages' quoted history and signatures whole (folded as in the terminal UI).",
)
@pass_runtime
def show(runtime: Runtime, numbers: tuple[str, ...], as_json: bool, unfold: bool) -> None:
    """Show tickets in full: fields, thread and history (JSON: an array, whole texts)."""
    tokens = number_tokens(numbers)
    lister = runtime.lister()
    details = [lister.ticket_show(parse_number(token)) for token in tokens]
    if as_json:
        echo_json([detail.as_json() for detail in details])
        return
    width = terminal_width()
    for index, detail in enumerate(details):
        if index:
            click.echo("")
        click.echo("\n".join(_detail_text(detail, width, unfold=unfold)))
