"""``helpdesk survey``: the desk's satisfaction surveys, on or off, and who never gets one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.runtime import Runtime, pass_runtime

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk


def _desk(runtime: Runtime) -> Desk:
    return runtime.desk(doing="manage satisfaction surveys")


@click.group("survey")
def survey() -> None:
    """Satisfaction surveys: sent when a ticket is resolved, once per ticket."""


@survey.command("status")
@pass_runtime
def status(runtime: Runtime) -> None:
    """Say whether this desk sends surveys."""
    with loading():
        from helpdesk_tui.desk.survey_reads import SurveyReads

    on = runtime.service(SurveyReads, doing="read the survey switch").satisfaction_surveys_on()
    click.echo(f"surveys are {'on' if on else 'off'} for this desk")


@survey.command("on")
@pass_runtime
def on(runtime: Runtime) -> None:
    """Send a survey when a ticket is resolved (admins)."""
    _desk(runtime).satisfaction_surveys(True)
    click.echo("surveys are on for this desk")


@survey.command("off")
@pass_runtime
def off(runtime: Runtime) -> None:
    """Send no surveys from this desk (admins)."""
    _desk(runtime).satisfaction_surveys(False)
    click.echo("surveys are off for this desk")


@survey.command("opt-out")
@click.argument("address")
@click.option("--undo", is_flag=True, help="Send this requester surveys again.")
@pass_runtime
def opt_out(runtime: Runtime, address: str, undo: bool) -> None:
    """Never send a survey to the requester at ADDRESS."""
    _desk(runtime).satisfaction_opt_out(address, not undo)
    click.echo(f"{address} {'gets' if undo else 'gets no'} surveys")
