"""``helpdesk ticket reply|note|call``: adding to a ticket's conversation."""

from __future__ import annotations

from pathlib import Path

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.batch import (
    expect_version_option,
    json_option,
    numbers_argument,
    run_each,
)
from helpdesk_tui.cli.ticket.fields import confirm_closing
from helpdesk_tui.cli.ticket.input import body_from_editor, numbers_use_stdin, read_body
from helpdesk_tui.desk.attachments import read_attachments
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.statuses import asks_before, parse_status
from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.desk.tickets import NewAttachment
from helpdesk_tui.desk.tickets_service import TicketsService
from helpdesk_tui.drafts import DraftStore
from helpdesk_tui.safe_text import clean

body_option = click.option("--body", default=None, help="The text (else stdin, else $EDITOR).")
edit_option = click.option("--edit", is_flag=True, help="Write the text in $EDITOR.")
attach_option = click.option(
    "--attach",
    "attach",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Attach FILE; repeatable (limits.max_attachment_bytes each).",
)

GO_AHEAD = "run it again with --anyway"
"""How ``ticket reply`` goes ahead on a ticket someone else is replying to."""


def _files(runtime: Runtime, paths: tuple[Path, ...]) -> list[NewAttachment]:
    """The files to attach, read and checked before anything is saved."""
    return read_attachments(paths, runtime.settings.limits) if paths else []


def _body(
    runtime: Runtime, body: str | None, edit: bool, numbers: tuple[str, ...], what: str
) -> str:
    text = read_body(
        body,
        edit=edit,
        stdin_free=not numbers_use_stdin(numbers),
        what=what,
        max_bytes=runtime.start.max_body_bytes,
    )
    if not text.strip():
        raise CliError(f"an empty {what} was not saved")
    return text


@click.command()
@numbers_argument
@body_option
@edit_option
@click.option(
    "--cc",
    multiple=True,
    metavar="EMAIL",
    help="Copy this reply to EMAIL too (the ticket's copies always are); repeatable.",
)
@click.option(
    "--to",
    metavar="EMAIL",
    default=None,
    help="Send this reply to EMAIL instead of the requester (say, one without an address).",
)
@click.option("--status", "status_after", default=None, help="Set this status with the reply.")
@click.option("--yes", is_flag=True, help="With --status closed: close without asking.")
@click.option(
    "--anyway", is_flag=True, help="Reply even while another agent is replying to the ticket."
)
@attach_option
@expect_version_option
@json_option
@pass_runtime
def reply(
    runtime: Runtime,
    numbers: tuple[str, ...],
    body: str | None,
    edit: bool,
    cc: tuple[str, ...],
    to: str | None,
    status_after: str | None,
    yes: bool,
    anyway: bool,
    attach: tuple[Path, ...],
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Answer the customer; the email goes out through the outbox.

    A requester without an email address gets nothing: give one with
    `helpdesk ticket requester NUMBER --email ADDRESS`, or send this reply with --to.

    A ticket another agent is replying to right now (in the terminal) is refused with a
    line naming who; --anyway replies all the same. A note never collides.
    """
    status = parse_status(status_after) if status_after else None
    if status is not None and asks_before(status) and not yes:
        confirm_closing(runtime, numbers)
    files = _files(runtime, attach)
    text = _body(runtime, body, edit, numbers, "reply")
    typed = body_from_editor(body, edit=edit)

    def keep(desk: TicketsService, number: int) -> None:
        if typed:  # what was written in the editor is not lost: `helpdesk drafts`
            place = desk.draft_place(number)
            DraftStore(desk=place.desk).save(number, "reply", text, place.ticket)
            click.echo(f"note: your reply is kept as a draft on #{number}", err=True)

    def act(desk: TicketsService, number: int) -> TicketRow:
        collision = None if anyway else desk.reply_collision(number, go_ahead=GO_AHEAD)
        if collision is not None:  # nobody answers what someone else is answering
            keep(desk, number)
            raise DeskError(clean(collision, single_line=True))
        bounce = desk.reply_bounce(number, to=to)
        if bounce is not None:  # it goes all the same: the agent decided
            said = clean(bounce.warning(), single_line=True)
            click.echo(f"warning: #{number}: {said}; the reply goes all the same", err=True)
        for left_out in desk.reply_recipients(number).bounced:  # (the ticket's copies)
            said = clean(left_out.warning(), single_line=True)
            click.echo(f"warning: #{number}: {said}; left out of the Cc", err=True)
        try:
            return desk.ticket_reply(
                number,
                body=text,
                cc=cc,
                to=to,
                status_after=status,
                expected_version=expect_version,
                attachments=files,
            )
        except DeskError:
            keep(desk, number)
            raise

    run_each(runtime, numbers, act, as_json=as_json, expected_version=expect_version)


@click.command()
@numbers_argument
@body_option
@edit_option
@attach_option
@expect_version_option
@json_option
@pass_runtime
def note(
    runtime: Runtime,
    numbers: tuple[str, ...],
    body: str | None,
    edit: bool,
    attach: tuple[Path, ...],
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Add an internal note: agents see it, the customer never does."""
    files = _files(runtime, attach)
    text = _body(runtime, body, edit, numbers, "note")

    def act(desk: TicketsService, number: int) -> TicketRow:
        return desk.ticket_note(
            number, body=text, expected_version=expect_version, attachments=files
        )

    run_each(runtime, numbers, act, as_json=as_json, expected_version=expect_version)


@click.command()
@numbers_argument
@body_option
@edit_option
@expect_version_option
@json_option
@pass_runtime
def call(
    runtime: Runtime,
    numbers: tuple[str, ...],
    body: str | None,
    edit: bool,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Write down a phone call with the customer (not emailed)."""
    text = _body(runtime, body, edit, numbers, "call log")

    def act(desk: TicketsService, number: int) -> TicketRow:
        return desk.ticket_log_call(number, body=text, expected_version=expect_version)

    run_each(runtime, numbers, act, as_json=as_json, expected_version=expect_version)
