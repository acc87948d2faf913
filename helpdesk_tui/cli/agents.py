"""``helpdesk agent`` and ``helpdesk team``: who works the desk, in which role and teams."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.kinds import Role

if TYPE_CHECKING:
    from helpdesk_tui.desk.admin_reads import AdminReads
    from helpdesk_tui.desk.admin_service import AdminService
    from helpdesk_tui.desk.facade import Desk

ROLES = [role.value for role in Role]
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def agent() -> None:
    """Agents are OS logins on this server; an admin adds them."""


@agent.command("add")
@click.argument("login")
@click.option("--name", default="", help="Full name (default: the login).")
@click.option("--email", default=None, help="Email address.")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
@click.option("--team", "teams", multiple=True, help="Member of this (existing) team; repeatable.")
@pass_runtime
def agent_add(
    runtime: Runtime,
    login: str,
    name: str,
    email: str | None,
    role: str,
    teams: tuple[str, ...],
) -> None:
    """Let the OS user LOGIN work the desk (admins only)."""
    added = _admin(runtime).agents_add(login, name=name, email=email, role=role, teams=teams)
    click.echo(f"added {line(added.login)} as {added.role}")


@agent.command("list")
@json_option
@pass_runtime
def agent_list(runtime: Runtime, as_json: bool) -> None:
    """Every agent with role and teams."""
    agents = _reads(runtime).agents_list()
    if as_json:
        echo_json(
            [
                {
                    "login": a.login,
                    "name": a.name,
                    "email": a.email,
                    "role": a.role,
                    "active": a.active,
                    "teams": list(a.teams),
                }
                for a in agents
            ]
        )
        return
    for a in agents:
        teams = a.teams
        email = f" <{line(a.email)}>" if a.email else ""
        inactive = " (deactivated)" if not a.active else ""
        team_text = f"  [{', '.join(line(t) for t in teams)}]" if teams else ""
        click.echo(f"{line(a.login):<16} {a.role:<10} {line(a.name)}{email}{team_text}{inactive}")


@agent.command("set-role")
@click.argument("login")
@click.argument("role", type=click.Choice(ROLES))
@pass_runtime
def agent_set_role(runtime: Runtime, login: str, role: str) -> None:
    """Change an agent's role (admins only)."""
    changed = _admin(runtime).agents_set_role(login, role)
    click.echo(f"{line(changed.login)} is now {changed.role}")


@agent.command("set")
@click.argument("login")
@click.option("--name", default=None, help="Full name.")
@click.option("--email", default=None, help="Email address (where alerts to them go).")
@click.option("--no-email", is_flag=True, help="Remove the email address.")
@pass_runtime
def agent_set(
    runtime: Runtime, login: str, name: str | None, email: str | None, no_email: bool
) -> None:
    """Change LOGIN's name or email address (admins; an agent their own)."""
    if email is not None and no_email:
        raise click.UsageError("give --email or --no-email, not both")
    if name is None and email is None and not no_email:
        raise click.UsageError("say what to change: --name, --email or --no-email")
    changed = _admin(runtime).agents_set_details(login, name=name, email="" if no_email else email)
    address = f" <{line(changed.email)}>" if changed.email else " (no email address)"
    click.echo(f"{line(changed.login)}: {line(changed.name)}{address}")


@agent.command("teams")
@click.argument("login")
@click.argument("teams", nargs=-1)
@click.option("--none", "no_team", is_flag=True, help="Take LOGIN out of every team.")
@pass_runtime
def agent_teams(runtime: Runtime, login: str, teams: tuple[str, ...], no_team: bool) -> None:
    """LOGIN's teams; given TEAMS (each an existing team), LOGIN is in exactly those
    (admins only)."""
    if teams and no_team:
        raise click.UsageError("give TEAMS or --none, not both")
    if teams or no_team:
        changed = _admin(runtime).agents_set_teams(login, teams)
    else:
        found = [a for a in _reads(runtime).agents_list() if a.login == login]
        if not found:
            raise NotFound(f"no agent {login!r}; see: helpdesk agent list")
        changed = found[0]
    names = ", ".join(line(t) for t in changed.teams) or "no team"
    click.echo(f"{line(changed.login)}: {names}")


@agent.command("deactivate")
@click.argument("login")
@click.option(
    "--unassign",
    is_flag=True,
    help="Also take them off their open tickets: back to their teams' unassigned queues.",
)
@pass_runtime
def agent_deactivate(runtime: Runtime, login: str, unassign: bool) -> None:
    """Stop LOGIN from working the desk; their history keeps their name (admins only)."""
    admin = _admin(runtime)
    changed = admin.agents_deactivate(login)
    who = line(changed.login)
    click.echo(f"{who} is deactivated; helpdesk agent reactivate undoes it")
    if unassign:
        handed = admin.agents_hand_back(login)
        if handed:
            click.echo(
                f"unassigned {_tickets(handed)} of {who}; "
                "they wait in their teams' unassigned queues"
            )
        return
    held = admin.agents_open_tickets(login)
    if held:
        click.echo(
            f"{who} still holds {_tickets(held)}, in no one else's queue of their own; "
            f"hand them back with: helpdesk agent deactivate {who} --unassign"
        )


def _tickets(numbers: list[int]) -> str:
    """ "3 open tickets (#4, #9, #12)", the first ten numbers said."""
    shown = ", ".join(f"#{n}" for n in numbers[:10]) + (", …" if len(numbers) > 10 else "")
    noun = "open ticket" if len(numbers) == 1 else "open tickets"
    return f"{len(numbers)} {noun} ({shown})"


@agent.command("reactivate")
@click.argument("login")
@pass_runtime
def agent_reactivate(runtime: Runtime, login: str) -> None:
    """Let a deactivated agent work the desk again (admins only)."""
    changed = _admin(runtime).agents_reactivate(login)
    click.echo(f"{line(changed.login)} is active again as {changed.role}")


def _admin(runtime: Runtime) -> AdminService:
    """Agents and teams alone, not the whole facade (a quicker start)."""
    with loading():
        from helpdesk_tui.desk.admin_service import AdminService

    return runtime.service(AdminService)


def _reads(runtime: Runtime) -> AdminReads:
    """The agents' and teams' lists alone: read on Core tables, without the ORM."""
    with loading():
        from helpdesk_tui.desk.admin_reads import AdminReads

    return runtime.service(AdminReads)


def _desk(runtime: Runtime) -> Desk:
    from helpdesk_tui.desk.facade import Desk

    return Desk(runtime.database(), runtime.actor())


@agent.command("away")
@pass_runtime
def agent_away(runtime: Runtime) -> None:
    """You are away: no tickets are assigned to you automatically until `agent back`."""
    _desk(runtime).shift_away()
    click.echo(f"{line(runtime.login)} is away; helpdesk agent back undoes it")


@agent.command("back")
@pass_runtime
def agent_back(runtime: Runtime) -> None:
    """You are back: automatic assignment counts you again while your terminal runs."""
    _desk(runtime).shift_back()
    click.echo(f"{line(runtime.login)} is back")


@agent.command("capacity")
@click.argument("login")
@click.argument("limit", required=False, type=click.IntRange(min=0, max=100_000))
@pass_runtime
def agent_capacity(runtime: Runtime, login: str, limit: int | None) -> None:
    """At most LIMIT open tickets for LOGIN by automatic assignment; no LIMIT: no limit."""
    _desk(runtime).assign_set_capacity(login, limit)
    said = f"at most {limit} open tickets" if limit is not None else "no limit"
    click.echo(f"{line(login)}: {said} by automatic assignment")


@agent.command("skills")
@click.argument("login")
@click.argument("skills", nargs=-1)
@pass_runtime
def agent_skills(runtime: Runtime, login: str, skills: tuple[str, ...]) -> None:
    """Set LOGIN's skills (matched against tickets' tags and category); none clears them."""
    _desk(runtime).assign_set_skills(login, list(skills))
    click.echo(f"{line(login)}: skills {line(', '.join(skills)) or 'none'}")


@agent.command("shifts")
@json_option
@pass_runtime
def agent_shifts(runtime: Runtime, as_json: bool) -> None:
    """Who is on shift or away, their open tickets and capacity."""
    views = _desk(runtime).shift_list()
    if as_json:
        echo_json([vars(v) | {"skills": list(v.skills)} for v in views])
        return
    for v in views:
        state = "away" if v.away else "on shift" if v.on_shift else "off shift"
        cap = f"/{v.capacity}" if v.capacity is not None else ""
        skills = f"  [{line(', '.join(v.skills))}]" if v.skills else ""
        click.echo(f"{line(v.login):<16} {state:<10} {v.open_tickets}{cap} open{skills}")


@click.group()
def team() -> None:
    """Teams group agents and own tickets."""


@team.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the team does.")
@pass_runtime
def team_add(runtime: Runtime, name: str, description: str) -> None:
    """Add a team (admins only); an existing team is left as it is."""
    added = _admin(runtime).teams_add(name, description)
    click.echo(f"team {line(added.name)}")


@team.command("list")
@json_option
@pass_runtime
def team_list(runtime: Runtime, as_json: bool) -> None:
    """Every team."""
    teams = _reads(runtime).teams_list()
    if as_json:
        echo_json([{"name": t.name, "description": t.description} for t in teams])
        return
    for t in teams:
        description = f"  {line(t.description)}" if t.description else ""
        click.echo(f"{line(t.name)}{description}")
