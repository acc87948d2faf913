"""``helpdesk sla``: service-level policies and business calendars; ``helpdesk ticket sla``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.desk.kinds import Priority, Role, TicketType
from helpdesk_tui.desk.values import parse_number
from helpdesk_tui.timefmt import stamp

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.sla_reads import SlaReads
    from helpdesk_tui.desk.sla_service import SlaSaved

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _desk(runtime: Runtime, role: Role = Role.AGENT, doing: str = "do that") -> Desk:
    return runtime.desk(role, doing)


def _reads(runtime: Runtime) -> SlaReads:
    """The policies', calendars' and tiers' lists alone: read on Core tables, without the
    ORM (the quickest start)."""
    with loading():
        from helpdesk_tui.desk.sla_reads import SlaReads

    return runtime.service(SlaReads)


def _when(value: datetime | None) -> str:
    return stamp(value) if value is not None else "—"


def _say_saved(what: str, saved: SlaSaved) -> None:
    """Whether ``set`` added the policy (calendar), replaced one (and what it replaced) or
    left it as it was, as every front door says it (``SlaSaved.lines``)."""
    _say(saved.lines(what))


def _say(lines: tuple[str, ...]) -> None:
    for said in lines:
        indent = len(said) - len(said.lstrip(" "))
        click.echo(" " * indent + line(said))


@click.group()
def sla() -> None:
    """Service levels: response and resolution targets, and the hours that count."""


@sla.group()
def policy() -> None:
    """Targets per priority, optionally per organization, type or category."""


@policy.command("list")
@json_option
@pass_runtime
def policy_list(runtime: Runtime, as_json: bool) -> None:
    """The desk's policies, then the built-in ones every desk falls back on."""
    policies = _reads(runtime).sla_policies()
    if as_json:
        echo_json(
            [{"name": p.name, "built_in": p.built_in, "rule": p.description} for p in policies]
        )
        return
    for p in policies:
        click.echo(line(p.description))


@policy.command("set")
@click.argument("name")
@click.option("--first", "first_response", required=True, help="First response target: 4h, 90m.")
@click.option("--next", "next_response", help="Next response target (default: --first).")
@click.option("--resolve", "resolution", required=True, help="Resolution target: 40h.")
@click.option("--priority", type=click.Choice([p.value for p in Priority]))
@click.option("--organization", help="Only tickets of this organization's requesters.")
@click.option("--type", "ticket_type", type=click.Choice([t.value for t in TicketType]))
@click.option("--category", help="Only tickets of this category.")
@click.option("--calendar", help="Business calendar (default: the built-in business hours).")
@click.option(
    "--warn",
    "warn_percent",
    type=int,
    default=75,
    show_default=True,
    help="Warn when this share (%) of a target has elapsed.",
)
@pass_runtime
def policy_set(
    runtime: Runtime,
    name: str,
    first_response: str,
    next_response: str | None,
    resolution: str,
    priority: str | None,
    organization: str | None,
    ticket_type: str | None,
    category: str | None,
    calendar: str | None,
    warn_percent: int,
) -> None:
    """Add or replace policy NAME (admins); open tickets' clocks are recomputed."""
    desk = _desk(runtime, Role.ADMIN, "change SLA policies")
    saved = desk.sla_set_policy(
        name,
        first_response=first_response,
        next_response=next_response or first_response,
        resolution=resolution,
        priority=priority,
        organization=organization,
        ticket_type=ticket_type,
        category=category,
        calendar=calendar,
        warn_percent=warn_percent,
    )
    _say_saved("policy", saved)


@policy.command("remove")
@click.argument("name")
@pass_runtime
def policy_remove(runtime: Runtime, name: str) -> None:
    """Remove policy NAME (admins); open tickets' clocks are recomputed."""
    changed = _desk(runtime, Role.ADMIN, "change SLA policies").sla_remove_policy(name)
    click.echo(f"policy {line(name)} removed; {changed} open ticket(s) have new due times")


@sla.group()
def calendar() -> None:
    """Business calendars: time zone, working days and hours, holidays, closed days."""


@calendar.command("list")
@pass_runtime
def calendar_list(runtime: Runtime) -> None:
    """Every calendar, the built-in one first."""
    for c in _reads(runtime).sla_calendars():
        click.echo(line(c.description))


@calendar.command("set")
@click.argument("name")
@click.option("--tz", "timezone", default="UTC", show_default=True, help="Europe/Berlin, …")
@click.option("--days", default="mon-fri", show_default=True, help="Working days.")
@click.option("--hours", default="09:00-17:00", show_default=True, help="Working hours.")
@click.option("--holidays", help="Public holidays of a country[-subdivision]: DE, DE-BY, US-CA.")
@click.option("--closed", multiple=True, help="An extra closed day (ISO date); repeatable.")
@pass_runtime
def calendar_set(
    runtime: Runtime,
    name: str,
    timezone: str,
    days: str,
    hours: str,
    holidays: str | None,
    closed: tuple[str, ...],
) -> None:
    """Add or replace calendar NAME (admins); open tickets' clocks are recomputed."""
    desk = _desk(runtime, Role.ADMIN, "change SLA calendars")
    saved = desk.sla_set_calendar(
        name, timezone=timezone, days=days, hours=hours, holidays=holidays, closed=closed
    )
    _say_saved("calendar", saved)


@sla.command("tier")
@click.argument("team", required=False)
@click.argument("tier", required=False)
@pass_runtime
def tier(runtime: Runtime, team: str | None, tier: str | None) -> None:
    """Set which support tier (1-4) TEAM works (admins); without arguments, list every team
    by the tier it works, those without one last."""
    if team is None:
        teams = _reads(runtime).sla_tiers()
        for view in sorted(teams, key=lambda v: (v.tier is None, v.tier or 0, v.team)):
            worked = "no tier" if view.tier is None else f"tier {view.tier}"
            click.echo(f"{worked:<7}  {line(view.team)}")
        return
    if tier is None:
        raise click.UsageError("say which tier: helpdesk sla tier TEAM 1..4")
    saved = _desk(runtime, Role.ADMIN, "set team tiers").sla_set_team_tier(team, tier)
    _say(saved.lines())


@sla.command("auto-escalate")
@click.argument("switch", type=click.Choice(["off", "warning", "breach", "on"]), required=False)
@pass_runtime
def auto_escalate(runtime: Runtime, switch: str | None) -> None:
    """At which SLA alert a ticket moves to the next tier's team by itself: off, warning or
    breach (``on`` is breach; admins); without an argument, say which."""
    if switch is None:
        at = _desk(runtime).sla_auto_escalate()
    else:
        desk = _desk(runtime, Role.ADMIN, "switch automatic escalation")
        at = desk.sla_auto_escalate(switch)
    if at == "off":
        click.echo("automatic escalation is off: alerts are sent, the ticket stays")
    else:
        click.echo(f"automatic escalation is at {at}: a {at} alert moves the ticket one tier up")


@sla.command("status")
@json_option
@pass_runtime
def status(runtime: Runtime, as_json: bool) -> None:
    """One line: policies, the next alert, where alerts go, the last pass, escalation."""
    state = _desk(runtime).sla_status()
    where = "mail and terminal" if state.alerts_by_mail else "terminal only"
    if as_json:
        echo_json(
            {
                "policies": state.policies,
                "next_alert_at": _iso(state.next_alert_at),
                "overdue": state.overdue,
                "alerts": where,
                "last_pass_at": _iso(state.last_pass_at),
                "runner": state.runner,
                "auto_escalate": state.auto_escalate,
                "unaddressed": state.unaddressed,
            }
        )
        return
    policies = "1 policy" if state.policies == 1 else f"{state.policies} policies"
    last = _when(state.last_pass_at) if state.last_pass_at else "never"
    upcoming = _when(state.next_alert_at) if state.next_alert_at else "none"
    if state.overdue:
        upcoming = f"overdue since {upcoming}: run `helpdesk mail run` or open the TUI"
    runner = f" by {line(state.runner)}" if state.runner else ", none running now"
    click.echo(
        f"SLA: {policies} (and the built-in ones); next alert {upcoming}; "
        f"alerts: {where}; last pass {last}{runner}; auto-escalation {state.auto_escalate}"
    )
    if state.unaddressed:
        click.echo(f"warning: {state.unaddressed}")


@sla.command("recompute")
@pass_runtime
def recompute(runtime: Runtime) -> None:
    """Recompute every open ticket's clocks from its history (admins)."""
    changed = _desk(runtime, Role.ADMIN, "recompute SLA clocks").sla_recompute()
    click.echo(f"{changed} open ticket(s) had new due times")


@click.command("sla")
@click.argument("number")
@json_option
@pass_runtime
def ticket_sla(runtime: Runtime, number: str, as_json: bool) -> None:
    """The SLA timeline of ticket NUMBER: policy, calendar, each clock's run."""
    timeline = _desk(runtime).sla_explain(parse_number(number))
    if as_json:
        echo_json(
            {
                "number": timeline.number,
                "policy": timeline.policy,
                "calendar": timeline.calendar,
                "response_due_at": _iso(timeline.response_due_at),
                "resolution_due_at": _iso(timeline.resolution_due_at),
                "reply_due_at": _iso(timeline.reply_due_at),
                "due_at": _iso(timeline.due_at),
                "due_clock": timeline.due_clock,
                "clocks": [
                    {
                        "clock": c.clock,
                        "state": c.state,
                        "target": c.target,
                        "started_at": _iso(c.started_at),
                        "due_at": _iso(c.due_at),
                        "stopped_at": _iso(c.stopped_at),
                        "remaining": c.remaining,
                        "pauses": [
                            {"start": _iso(p.start), "end": _iso(p.end), "status": p.status}
                            for p in c.pauses
                        ],
                    }
                    for c in timeline.clocks
                ],
            }
        )
        return
    click.echo(f"#{timeline.number}")
    click.echo(f"policy   {line(timeline.policy)}")
    click.echo(f"calendar {line(timeline.calendar)}")
    for c in timeline.clocks:
        click.echo(f"{c.clock} (target {c.target}): {c.state}")
        click.echo(f"  started  {_when(c.started_at)}")
        for p in c.pauses:
            click.echo(f"  paused   {_when(p.start)} ({p.status.replace('_', ' ')})")
            if p.end is not None:
                click.echo(f"  resumed  {_when(p.end)}")
        paused = "  (paused: moves on resume)" if c.due_at is None else ""
        click.echo(f"  due      {_when(c.due_at)}{paused}")
        late = c.remaining.lstrip("-")
        if c.stopped_at is not None:
            if c.state == "met":
                click.echo(f"  met      {_when(c.stopped_at)} ({c.remaining} to spare)")
            else:
                click.echo(f"  breached {_when(c.stopped_at)} (late by {late})")
        elif c.due_at is not None:
            left = f"overdue by {late}" if c.remaining_minutes < 0 else f"{c.remaining} left"
            click.echo(f"  now      {left}")
    if timeline.due_at is not None:
        click.echo(f"due      {_when(timeline.due_at)} ({timeline.due_clock}: the earliest)")
    else:
        click.echo("due      none running (paused, or nothing pending)")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
