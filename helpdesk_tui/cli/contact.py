"""``helpdesk contact``: a customer's data — who they are (any agent), everything the desk
holds on them, and forgetting them (admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import json_option
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.kinds import Role
from helpdesk_tui.timefmt import day, stamp

if TYPE_CHECKING:
    from helpdesk_tui.desk.contact_service import ContactService


def _contacts(runtime: Runtime, role: Role = Role.AGENT, doing: str = "do that") -> ContactService:
    with loading():
        from helpdesk_tui.desk.contact_service import ContactService

    return runtime.service(ContactService, role, doing)


def _numbers(numbers: tuple[int, ...]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


@click.group("contact")
def contact() -> None:
    """A customer's data: show it, export it, forget it (admins)."""


WHOLE_DESK = "reading the whole desk (every message, mail and ticket): a while on a big desk"
COPIES = "reading the whole desk (every message, mail and ticket) for copies: a while on a big desk"


@contact.command("show")
@click.argument("address")
@click.option(
    "--copies",
    is_flag=True,
    help="Also the other tickets whose messages name them (To/Cc, Reply-To, a message they "
    "sent there): reads the whole desk, seconds on a big one. The tickets that copy them "
    "are listed without it.",
)
@json_option
@pass_runtime
def show(runtime: Runtime, address: str, copies: bool, as_json: bool) -> None:
    """Who the customer at ADDRESS is, their tickets and what else the desk keeps about
    them, with the tickets that copy them (at once); with --copies, the other tickets whose
    messages name them too."""
    desk = _contacts(runtime, doing="read a contact")
    if copies:
        click.echo(COPIES, err=True)
    try:
        card = desk.contact_show(address, copies=copies)
    except NotFound as error:
        if copies:
            raise
        raise NotFound(f"{error}; --copies reads them") from None
    if as_json:
        echo_json(card.as_json())
        return
    name = line(card.name) if card.name is not None else "(no contact: only rows naming it)"
    click.echo(f"{line(card.address)}  {name or '-'}")
    if card.phone or card.organization:
        click.echo(
            f"phone {line(card.phone) or '-'} · organization {line(card.organization) or '-'}"
        )
    if card.created_at is not None:
        click.echo(f"contact since {stamp(card.created_at)}")
    kept = [f"{card.acknowledgements} acknowledgement(s) counted"]
    if card.survey_opt_out:
        kept.append("opted out of surveys")
    if card.bounced_at is not None:
        status = f" ({line(card.bounce_status)})" if card.bounce_status else ""
        kept.append(f"mail bounced for good {day(card.bounced_at)}{status}")
    if card.held_mail:
        kept.append(f"{card.held_mail} held mail (spam, machine mail, quarantine)")
    click.echo("; ".join(kept))
    if not card.tickets:
        click.echo("no tickets")
    for ticket in card.tickets:
        click.echo(
            f"#{ticket.number:<6} {ticket.status:<12} {ticket.role:<9} {line(ticket.subject)}"
        )
    if not card.copies_read:
        click.echo(
            "other tickets whose messages name them (To/Cc, Reply-To) not looked for: "
            "--copies reads the desk"
        )


@contact.command("export")
@click.argument("address")
@pass_runtime
def export(runtime: Runtime, address: str) -> None:
    """Everything the desk holds on ADDRESS as one JSON document (admins): the contact,
    their tickets in full, other tickets' messages and mail naming them, the history that
    names them, the rows kept about the address; files by name, type and size."""
    desk = _contacts(runtime, Role.ADMIN, "export a contact's data")
    click.echo(WHOLE_DESK, err=True)
    echo_json(desk.contact_export(address))


@contact.command("forget")
@click.argument("address")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_runtime
def forget(runtime: Runtime, address: str, yes: bool, as_json: bool) -> None:
    """Forget the customer at ADDRESS (admins): delete their tickets, take them out of
    other tickets' copies, erase their contact and the rows naming them, scrub their
    address and name from the history. README's "A customer's data" says what stays."""
    desk = _contacts(runtime, Role.ADMIN, "forget a contact")
    click.echo(WHOLE_DESK, err=True)
    plan = None
    if not yes:
        from helpdesk_tui.cli.ticket.input import ask_first

        plan = desk.contact_forget_plan(address)
        who = f"{plan.address} ({plan.name})" if plan.name else plan.address
        question = f"forget {who} for good: delete {len(plan.tickets)} ticket(s)"
        question += f" ({_numbers(plan.tickets)})" if plan.tickets else ""
        if plan.copies:
            question += f", take them out of {_numbers(plan.copies)}"
        ask_first(
            line(question) + "?",
            numbers=(),
            refusal="forgetting needs confirmation and there is no terminal to ask on; "
            "nothing was changed — pass --yes to forget anyway",
        )
    result = desk.contact_forget(address, plan)
    if as_json:
        echo_json(
            {
                "tickets_deleted": list(result.tickets_deleted),
                "tickets_scrubbed": list(result.tickets_scrubbed),
                "messages_scrubbed": result.messages_scrubbed,
                "mail_scrubbed": result.mail_scrubbed,
                "events_scrubbed": result.events_scrubbed,
                "rows_erased": result.rows_erased,
                "opt_out_kept": result.opt_out_kept,
            }
        )
        return
    deleted = len(result.tickets_deleted)
    text = f"forgotten: {deleted} ticket(s) deleted"
    text += f" ({_numbers(result.tickets_deleted)})" if deleted else ""
    if result.tickets_scrubbed:
        text += f"; taken out of {_numbers(result.tickets_scrubbed)}"
    if result.opt_out_kept:
        text += "; their survey opt-out is kept as a hash"
    click.echo(text)


@contact.command("forgotten")
@pass_runtime
def forgotten(runtime: Runtime) -> None:
    """Who forgot a contact, when, and how many tickets went (admins); newest first."""
    desk = _contacts(runtime, Role.ADMIN, "read the record of forgotten contacts")
    entries = desk.contacts_forgotten()
    if not entries:
        click.echo("no contact was forgotten")
    for entry in entries:
        click.echo(f"{stamp(entry.created_at)}  {line(entry.text)}")
