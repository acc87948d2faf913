"""``helpdesk ticket rate``: write down a satisfaction rating a customer gave by phone;
``ticket followed-up``: an agent followed up a rating that needed it."""

from __future__ import annotations

import click

from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.desk.satisfaction_service import SatisfactionService, followed_up_said
from helpdesk_tui.desk.tickets import parse_number


@click.command("rate")
@click.argument("number")
@click.argument("score", type=click.IntRange(1, 5))
@click.option("--comment", default=None, help="What the customer said about it.")
@click.option("--json", "as_json", is_flag=True, help="Print the rating as JSON.")
@pass_runtime
def rate(runtime: Runtime, number: str, score: int, comment: str | None, as_json: bool) -> None:
    """Record the customer's rating of ticket NUMBER, 1 (bad) to 5 (great); the status stays."""
    desk = runtime.service(SatisfactionService, doing="rate a ticket")
    ticket = parse_number(number)
    rating = desk.satisfaction_rate(ticket, score, comment=comment)
    if as_json:
        echo_json({"number": ticket, "score": rating.score, "comment": rating.comment})
        return
    said = f": {line(rating.comment)}" if rating.comment else ""
    click.echo(f"#{ticket} rated {rating.score}/5{said}")


@click.command("followed-up")
@click.argument("number")
@pass_runtime
def followed_up(runtime: Runtime, number: str) -> None:
    """Mark the rating on ticket NUMBER followed up: its follow-up tag comes off (the TUI's
    d in "Ratings to follow up"). The tickets waiting for it: ticket list --tag follow-up."""
    desk = runtime.service(SatisfactionService, doing="follow up a rating")
    ticket = parse_number(number)
    click.echo(followed_up_said(ticket, desk.satisfaction_followed_up(ticket)))
