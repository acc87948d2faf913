"""``helpdesk rules``: list and check the routing rules, try them on a message, hand out work."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.routing import Rules
    from helpdesk_tui.desk.routing_reads import RoutingReads

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
MAX_EML_BYTES = 50_000_000


def _desk_and_rules(runtime: Runtime) -> tuple[Desk, Rules]:
    from helpdesk_tui.desk.facade import Desk

    desk = Desk(runtime.database(), runtime.actor())
    return desk, desk.rules_load(runtime.start.rules_path())


def _reads_and_rules(runtime: Runtime) -> tuple[RoutingReads, Rules]:
    """The rules with their reader alone (no database read: the ORM is not loaded)."""
    with loading():
        from helpdesk_tui.desk.routing_reads import RoutingReads

    reads = runtime.service(RoutingReads)
    return reads, reads.rules_load(runtime.start.rules_path())


@click.group()
def rules() -> None:
    """Routing rules: a TOML file (rules.toml beside the site or user config, or the
    rules_file setting) that sets team, category, priority… of new tickets and follow-ups."""


@rules.command("list")
@json_option
@pass_runtime
def rules_list(runtime: Runtime, as_json: bool) -> None:
    """Every rule in order, with its conditions and actions."""
    desk, loaded = _reads_and_rules(runtime)
    views = desk.rules_list(loaded)
    if as_json:
        echo_json(
            {
                "file": loaded.source,
                "rules": [
                    {
                        "name": v.name,
                        "set": v.set_name,
                        "match": v.match,
                        "on": list(v.on),
                        "if": v.conditions,
                        "then": list(v.actions),
                    }
                    for v in views
                ],
            }
        )
        return
    click.echo(f"rules from {line(loaded.source)}")
    if not views:
        click.echo("no rules: new tickets are not routed")
    for v in views:
        click.echo(f"{line(v.set_name)} ({v.match} match) · {line(v.name)}  on {', '.join(v.on)}")
        click.echo(f"    if   {line(v.conditions)}")
        click.echo(f"    then {line('; '.join(v.actions))}")
    for team, strategy in loaded.strategies.items():
        click.echo(f"team {line(team)}: assigned by {strategy.value.replace('_', '-')}")


@rules.command("check")
@pass_runtime
def rules_check(runtime: Runtime) -> None:
    """Check the rules file: its form, and that every team, agent and business calendar it
    names exists."""
    from helpdesk_tui.desk.routing_reads import usable_rules

    desk, loaded = _desk_and_rules(runtime)
    problems = desk.rules_check(loaded)
    if problems:
        raise CliError("; ".join(problems))
    click.echo(f"{line(loaded.source)}: {usable_rules(len(loaded.rules))}")


@rules.command("test")
@click.argument("message", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--at", "at", default=None, help="When it arrives (ISO time; default: now).")
@click.option("--follow-up", is_flag=True, help="As a follow-up on an existing ticket.")
@click.option("--channel", default="email", show_default=True)
@json_option
@pass_runtime
def rules_test(
    runtime: Runtime,
    message: Path,
    at: str | None,
    follow_up: bool,
    channel: str,
    as_json: bool,
) -> None:
    """Which rule would fire for MESSAGE (an .eml file) and what it would do; changes nothing."""
    from helpdesk_tui.desk.routing_service import MessageFields

    desk, loaded = _desk_and_rules(runtime)
    fields = _read_eml(runtime, message)
    when = _when(at)
    routed = desk.rules_test(
        loaded,
        MessageFields(
            sender=fields[0],
            subject=fields[1],
            body=fields[2],
            ticket_subject=fields[3],
            channel=channel,
            at=when,
            follow_up=follow_up,
        ),
    )
    if as_json:
        echo_json(
            {
                "rules": list(routed.rules),
                "actions": list(routed.actions),
                "problems": list(routed.problems),
            }
        )
        return
    if not routed.rules:
        click.echo("no rule fires: the ticket stays as it comes")
    for name in routed.rules:
        click.echo(f"fires: {line(name)}")
    for action in routed.actions:
        click.echo(f"  would set {line(action)}")
    for problem in routed.problems:
        click.echo(f"warning: {line(problem)}", err=True)


@rules.command("assign")
@click.argument("team")
@pass_runtime
def rules_assign(runtime: Runtime, team: str) -> None:
    """Hand out TEAM's unassigned tickets by its strategy (supervisors and admins)."""
    from helpdesk_tui.desk.assignment import Assigned

    desk, loaded = _desk_and_rules(runtime)
    for result in desk.assign_backlog(loaded, team):
        if isinstance(result, Assigned):
            click.echo(f"#{result.number} → {line(result.login)}")
        else:
            click.echo(f"#{result.number} not assigned: {line(result.reason)}")


def _when(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise CliError(f"--at {at!r}: not an ISO time (2026-12-07T10:30+01:00)") from None
    if moment.tzinfo is None:
        raise CliError(f"--at {at!r}: give a time zone (…+01:00 or …Z)")
    return moment


def _read_eml(runtime: Runtime, path: Path) -> tuple[str | None, str, str, str]:
    """Sender, subject, text and the ticket's subject (a mailing list's tag its headers
    name left out) of a message file, read as the poller reads mail."""
    from helpdesk_tui.mail.api import ParseError, list_subject, parse_message

    if path.stat().st_size > MAX_EML_BYTES:
        raise CliError(f"{path}: larger than {MAX_EML_BYTES // 1_000_000} MB")
    mail = runtime.settings.mail
    try:
        parsed = parse_message(
            path.read_bytes(),
            max_attachment_bytes=mail.max_attachment_bytes,
            max_body_bytes=mail.max_body_bytes,
        )
    except ParseError as error:
        raise CliError(f"{path}: cannot be read as mail: {error}") from None
    return (
        parsed.from_address or parsed.reply_to,
        parsed.subject,
        parsed.body_text,
        list_subject(parsed).subject,
    )
