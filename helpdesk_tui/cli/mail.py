"""``helpdesk mail``: check the servers, run the poller and outbox, look after held mail."""

from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.streams import raw_stdout
from helpdesk_tui.desk.mail_holding_service import HeldArea
from helpdesk_tui.desk.values import MAX_NUMBER
from helpdesk_tui.safe_text import clean
from helpdesk_tui.timefmt import stamp

if TYPE_CHECKING:
    from helpdesk_tui.desk.inbound import IngestResult
    from helpdesk_tui.desk.outbox import Delivery


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((now - value).total_seconds())
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return stamp(value)


@click.group()
def mail() -> None:
    """Fetch and send mail: the poller and the outbox."""


@mail.command()
@pass_runtime
def check(runtime: Runtime) -> None:
    """Connect to each mailbox and the SMTP server; name exactly what fails."""
    from helpdesk_tui.mail.api import check_servers

    runtime.desk()
    settings = runtime.settings.mail
    if not settings.mailboxes and settings.smtp is None:
        raise CliError("mail is not configured: no [mail.mailboxes.<name>] and no [mail.smtp]")

    def step(ok: bool, name: str, detail: str) -> None:
        click.echo(f"  {'ok  ' if ok else 'FAIL'} {name:<16} {line(detail)}")

    def show(report: Any) -> None:
        click.echo(line(report.target))
        for each in report.steps:
            step(each.ok, each.name, each.detail)

    # What ``mail run`` and the terminals refuse to start without, beside the servers.
    problems = settings.problems()
    click.echo("Settings")
    for problem in problems:
        step(False, "settings", problem)
    if not problems:
        step(True, "settings", "mail run can start")
    reports = check_servers(settings, on_report=show)
    failed = len([r for r in reports if not r.ok]) + (1 if problems else 0)
    if failed:
        raise CliError(f"{failed} of {len(reports) + 1} checks failed")


@mail.command()
@click.option("-v", "--verbose", is_flag=True, help="Log every step, not just what happens.")
@pass_runtime
def run(runtime: Runtime, verbose: bool) -> None:
    """Run the poller, the outbox sender and the SLA alerts in the foreground, logging to
    stderr.

    Safe to run beside terminals that run them too: database leases let exactly one
    poller per mailbox, one sender and one SLA worker work. On a desk without [mail] it
    runs the SLA alerts (and the reports' catch-up) alone, so they go out with no terminal
    open. Stops cleanly on SIGTERM or Ctrl-C.
    """
    from helpdesk_tui.config import IntakeOptions
    from helpdesk_tui.mail.api import desk_jobs, mail_service

    desk = runtime.desk()
    options = IntakeOptions.from_settings(runtime.settings)
    if runtime.settings.mail.enabled:
        service = mail_service(desk, options)  # (settings that cannot run: refused, one line)
    else:
        service = desk_jobs(desk, options)
        click.echo(
            "mail is not configured (no [mail.mailboxes.<name>], no [mail.smtp]): "
            "running the SLA alerts only",
            err=True,
        )
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    def stop(_signum: int, _frame: object) -> None:
        service.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    what = "mail service" if service.mail_jobs else "SLA alerts"
    logging.getLogger(__name__).info("%s starting as %s", what, service.holder)
    service.run()


@mail.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def status(runtime: Runtime, as_json: bool) -> None:
    """Last poll, last error and backlog of each mailbox; the outbox; who runs what."""
    from helpdesk_tui.desk.mail_reads import MailReads
    from helpdesk_tui.mail.api import read_status

    desk = runtime.service(MailReads)
    state = read_status(desk, runtime.start.mailboxes)
    now = desk.clock()
    if as_json:
        echo_json(
            {
                "folders": [vars(f) for f in state.folders],
                "outbox": state.outbox,
                "backlog": state.backlog,
                "quarantined": state.quarantined,
                "spam": state.spam,
                "undelivered": [vars(d) for d in state.undelivered],
                "machine": state.machine,
                "leases": [vars(lease) for lease in state.leases],
                "sla_alerts": "mail and terminal" if state.alerts_by_mail else "terminal",
            }
        )
        return
    if not state.folders:
        click.echo("no mailbox polled yet")
    for folder in state.folders:
        where = f"{line(folder.mailbox)}/{line(folder.folder)}"
        click.echo(
            f"{where}: last poll {_when(folder.last_poll_at, now)}, "
            f"backlog {folder.backlog}, last UID {folder.last_uid}"
        )
        if folder.last_error:
            click.echo(
                f"  last error {_when(folder.last_error_at, now)}: {line(folder.last_error)}"
            )
    counts = ", ".join(f"{n} {s}" for s, n in sorted(state.outbox.items())) or "empty"
    click.echo(f"outbox: {counts}")
    if state.alerts_by_mail:
        click.echo("SLA alerts: by mail and in the terminal")
    else:
        click.echo(
            "SLA alerts: in the terminal only (no outbox sender ran here for a day: no SMTP)"
        )
    if state.undelivered:
        click.echo("not delivered (helpdesk mail resend ID sends failed or bounced mail again):")
    for delivery in state.undelivered:
        click.echo(f"  {delivery_line(delivery)}")
    click.echo(
        f"held: {state.quarantined} in quarantine, {state.spam} as spam, "
        f"{state.machine} machine mail"
    )
    for lease in state.leases:
        holder = line(lease.holder) if lease.holder else "nobody"
        click.echo(f"{lease.name}: {holder}")


def delivery_line(delivery: Delivery) -> str:
    """``mail 7 #12 reply to ann@example.org: failed after 8 tries: 451 …``."""
    ticket = f" #{delivery.ticket_number}" if delivery.ticket_number is not None else ""
    return (
        f"mail {delivery.id}{ticket} {delivery.kind} to {line(delivery.to)}: "
        f"{line(delivery.describe())}"
    )


@mail.command()
@click.argument("outbox_id", metavar="ID", type=click.IntRange(1, MAX_NUMBER))
@pass_runtime
def resend(runtime: Runtime, outbox_id: int) -> None:
    """Send a failed or bounced mail again (ID: from ``mail status`` or ``ticket show``).

    It goes out with fresh tries at the sender's next pass; the ticket's history records
    who re-sent it.
    """
    delivery = runtime.desk().mail_outbox_resend(outbox_id)
    click.echo(f"{delivery_line(delivery)}; the sender picks it up on its next pass")


def _run_again_command(area: HeldArea, name: str, help: str) -> click.Command:
    """``mail AREA NAME ID``: run a held message through ingest again, say what came of it."""

    @click.command(name, help=help)
    @click.argument("entry_id", type=click.IntRange(1, MAX_NUMBER))
    @pass_runtime
    def command(runtime: Runtime, entry_id: int) -> None:
        from helpdesk_tui.config import IntakeOptions
        from helpdesk_tui.mail.api import run_again

        desk = runtime.desk()
        result = run_again(desk, area, entry_id, IntakeOptions.from_settings(runtime.settings))
        if area is HeldArea.QUARANTINE and result.reason and result.outcome == "quarantine":
            raise CliError(f"still quarantined: {line(result.reason)}")
        click.echo(_result_line(result))

    return command


# --- quarantine -----------------------------------------------------------------------


@mail.group()
def quarantine() -> None:
    """Mail that could not be processed, kept raw with the reason."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include entries a retry resolved.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def quarantine_list(runtime: Runtime, show_all: bool, as_json: bool) -> None:
    """Quarantined messages, newest first."""
    entries = runtime.desk().mail_quarantine_list(include_resolved=show_all)
    if as_json:
        echo_json([e.as_json() for e in entries])
        return
    if not entries:
        click.echo("quarantine is empty")
    for e in entries:
        state = "resolved" if e.resolved_at else f"{e.attempts} tries"
        click.echo(
            f"{e.id:>5}  {stamp(e.created_at)}  {state:<9} "
            f"{line(e.from_hint) or '?':<30} {line(e.subject_hint) or '(no subject)'}"
        )
        click.echo(f"       {line(e.reason)}")


@quarantine.command("show")
@click.argument("entry_id", type=click.IntRange(1, MAX_NUMBER))
@click.option("--raw", is_flag=True, help="Write the raw bytes (only into a pipe or file).")
@pass_runtime
def quarantine_show(runtime: Runtime, entry_id: int, raw: bool) -> None:
    """One quarantined message: the reason and the message source."""
    entry, content = runtime.desk().mail_quarantine_show(entry_id)
    if raw:
        _write_raw(content)
        return
    click.echo(f"id:       {entry.id}")
    click.echo(f"reason:   {line(entry.reason)}")
    click.echo(f"from:     {line(entry.from_hint) or '?'}")
    click.echo(f"subject:  {line(entry.subject_hint) or '?'}")
    click.echo(f"received: {stamp(entry.created_at, seconds=True)}, tries: {entry.attempts}")
    if entry.resolved_at:
        click.echo(f"resolved: {stamp(entry.resolved_at, seconds=True)}")
    click.echo("")
    click.echo(clean(content.decode("utf-8", "replace")))


quarantine.add_command(
    _run_again_command(
        HeldArea.QUARANTINE, "retry", "Run a quarantined message through ingest again."
    )
)


# --- spam -------------------------------------------------------------------------------


@mail.group()
def spam() -> None:
    """Mail held as spam (X-Spam-Flag or the block list)."""


@spam.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include released messages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def spam_list(runtime: Runtime, show_all: bool, as_json: bool) -> None:
    """Held spam, newest first."""
    entries = runtime.desk().mail_spam_list(include_released=show_all)
    if as_json:
        echo_json([e.as_json() for e in entries])
        return
    if not entries:
        click.echo("no spam held")
    for e in entries:
        state = f"released by {line(e.released_by)}" if e.released_at else line(e.reason)
        click.echo(
            f"{e.id:>5}  {stamp(e.created_at)}  {line(e.from_address) or '?':<30} "
            f"{line(e.subject) or '(no subject)'}  [{state}]"
        )


spam.add_command(
    _run_again_command(
        HeldArea.SPAM,
        "release",
        "Let a held message through: it becomes the ticket or follow-up it would have been.",
    )
)


# --- machine mail -------------------------------------------------------------------------


@mail.group("machine")
def machine_mail() -> None:
    """Bounces, read receipts, reports, auto-replies and mail from our own address (not sent
    by this desk) that matched no ticket."""


@machine_mail.command("list")
@click.option(
    "--kind",
    type=click.Choice(["bounce", "receipt", "report", "auto_reply", "own_address"]),
    help="Only this kind.",
)
@click.option("--all", "show_all", is_flag=True, help="Include released messages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def machine_list(runtime: Runtime, kind: str | None, show_all: bool, as_json: bool) -> None:
    """Held machine mail, newest first."""
    entries = runtime.desk().mail_machine_list(kind=kind, include_released=show_all)
    if as_json:
        echo_json([e.as_json() for e in entries])
        return
    if not entries:
        click.echo("no machine mail held")
    for e in entries:
        click.echo(
            f"{e.id:>5}  {stamp(e.created_at)}  {e.kind:<10} "
            f"{line(e.from_address) or '?':<30} {line(e.subject) or '(no subject)'}"
        )
        click.echo(f"       {line(e.reason)}")
        if e.released_at:
            click.echo(f"       released by {line(e.released_by)}")


machine_mail.add_command(
    _run_again_command(
        HeldArea.MACHINE,
        "release",
        "A person's mail held as machine mail by mistake: make it the ticket or follow-up.",
    )
)


@machine_mail.command("show")
@click.argument("entry_id", type=click.IntRange(1, MAX_NUMBER))
@click.option("--raw", is_flag=True, help="Write the raw bytes (only into a pipe or file).")
@pass_runtime
def machine_show(runtime: Runtime, entry_id: int, raw: bool) -> None:
    """One held machine message: what it is, what it says, and its source."""
    entry, content = runtime.desk().mail_machine_show(entry_id)
    if raw:
        _write_raw(content)
        return
    click.echo(f"id:        {entry.id}")
    click.echo(f"kind:      {entry.kind}")
    click.echo(f"reason:    {line(entry.reason)}")
    click.echo(f"from:      {line(entry.from_address) or '?'}")
    click.echo(f"subject:   {line(entry.subject) or '?'}")
    if entry.status:
        click.echo(f"status:    {line(entry.status)}")
    if entry.diagnostic:
        click.echo(f"diagnostic: {line(entry.diagnostic)}")
    if entry.about_message_id:
        click.echo(f"about:     {line(entry.about_message_id)}")
    click.echo(f"received:  {stamp(entry.created_at, seconds=True)}")
    click.echo("")
    click.echo(clean(content.decode("utf-8", "replace")))


def _result_line(result: IngestResult) -> str:
    from helpdesk_tui.mail.api import result_text

    return line(result_text(result))


def _write_raw(content: bytes) -> None:
    stream = raw_stdout()
    if stream.isatty():
        raise CliError("refusing to write raw mail to a terminal; redirect it to a file")
    stream.write(content)
    stream.flush()
