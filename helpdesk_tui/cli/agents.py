"""``helpdesk agent`` and ``helpdesk team``: who works the desk, in which role and teams."""

from __future__ import annotations

import click

from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.desk.kinds import Role

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
@click.option("--team", "teams", multiple=True, help="Member of this team; repeatable.")
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
    added = runtime.desk().agents_add(login, name=name, email=email, role=role, teams=teams)
    click.echo(f"added {line(added.login)} as {added.role}")


@agent.command("list")
@json_option
@pass_runtime
def agent_list(runtime: Runtime, as_json: bool) -> None:
    """Every agent with role and teams."""
    agents = runtime.desk().agents_list()
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
    changed = runtime.desk().agents_set_role(login, role)
    click.echo(f"{line(changed.login)} is now {changed.role}")


@agent.command("deactivate")
@click.argument("login")
@pass_runtime
def agent_deactivate(runtime: Runtime, login: str) -> None:
    """Stop LOGIN from working the desk; their history keeps their name (admins only)."""
    changed = runtime.desk().agents_deactivate(login)
    click.echo(f"{line(changed.login)} is deactivated; helpdesk agent reactivate undoes it")


@agent.command("reactivate")
@click.argument("login")
@pass_runtime
def agent_reactivate(runtime: Runtime, login: str) -> None:
    """Let a deactivated agent work the desk again (admins only)."""
    changed = runtime.desk().agents_reactivate(login)
    click.echo(f"{line(changed.login)} is active again as {changed.role}")


@click.group()
def team() -> None:
    """Teams group agents and own tickets."""


@team.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the team does.")
@pass_runtime
def team_add(runtime: Runtime, name: str, description: str) -> None:
    """Add a team (admins only); an existing team is left as it is."""
    added = runtime.desk().teams_add(name, description)
    click.echo(f"team {line(added.name)}")


@team.command("list")
@json_option
@pass_runtime
def team_list(runtime: Runtime, as_json: bool) -> None:
    """Every team."""
    teams = runtime.desk().teams_list()
    if as_json:
        echo_json([{"name": t.name, "description": t.description} for t in teams])
        return
    for t in teams:
        description = f"  {line(t.description)}" if t.description else ""
        click.echo(f"{line(t.name)}{description}")
