"""The mail screen, held mail and the queue's mail line, driven by keys (no mail service runs)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import machine, quarantine, spam, thread
from helpdesk_tui.mail.ingest import IngestConfig, ingest
from helpdesk_tui.screens.held_mail import HeldMailScreen
from helpdesk_tui.screens.mail import MailScreen
from helpdesk_tui.screens.pickers import PickScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.storage.models import Contact, Outbox, Ticket
from helpdesk_tui.widgets.mail_indicator import MailIndicator
from helpdesk_tui.widgets.thread import MessageView
from tests.mail.mailbuild import email
from tests.mail.test_intake_scenarios import delivery_report
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.mail_scenes import (
    BOUNCE_DIAGNOSTIC,
    BOUNCE_ID,
    REJECTED,
    bounced_reply,
    desk_mail,
    failed_reply,
    held_mail,
    mail_app_settings,
)
from tests.screens.ticket_helpers import notifications, open_ticket, screen_lines, settle, until


def _text(app: HelpdeskApp) -> str:
    return "\n".join(screen_lines(app))


async def _mail_screen(pilot: object, app: HelpdeskApp) -> MailScreen:
    await until(pilot, lambda: app.mail_link.status is not None)  # type: ignore[arg-type]
    await pilot.press("at")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, MailScreen))  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, MailScreen)
    return screen


async def test_queue_mail_line_shows_the_held_mail_and_spam_is_released_after_asking(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run: the queue's mail line shows the poll, the backlog, the held mail and the
    error; then on the mail screen, releasing spam asks first, then lets it through; then
    an open ticket shows its reply failing while it is open."""
    held_mail(desk_data)
    app = make_test_app(settings=mail_app_settings(desk_data))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.mail_link.status is not None)
        await settle(pilot)
        indicator = app.queue.query_one(MailIndicator)
        assert indicator.display and indicator.has_class("-attention")
        line = str(indicator.render())
        assert "polled 3 min ago" in line and "2 waiting in the inbox" in line
        assert "2 in quarantine" in line and "1 spam" in line
        assert "error: support: cannot connect to imap.exam" in line
        assert line.endswith(" · alerts: terminal only · @ details"), "no SMTP: no alert mail"
        assert any("Connection refused" in n for n in notifications(app)), "a new error is told"
        assert not app.mail_link.running, "run_in_tui is off: this terminal runs no service"
        # Releasing spam from the mail screen.
        screen = await _mail_screen(pilot, app)
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert screen.query_one("#mail-spam", DataTable).row_count == 1, "Escape released nothing"
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: screen.query_one("#mail-spam", DataTable).row_count == 0)
        assert any(n.startswith("ticket: now in #") for n in notifications(app))
        with desk_data.db.read() as session:
            assert spam.list_held(session) == []
        # An open ticket shows a reply failing while it is open.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        number = desk_data.numbers["vpn"]
        with desk_data.db.write() as session:
            reply = thread.reply(session, desk_data.ada, number, body="Try the other gateway.")
        await open_ticket(pilot, number)
        assert "… Queued to send" in _text(app)
        with desk_data.db.write() as session:
            row = session.exec(select(Outbox).where(Outbox.message_id == reply)).one()
            row.status, row.last_error = "failed", REJECTED
            session.add(row)
        await until(pilot, lambda: "✗ Not delivered after 0 tries: 550 5.1.1" in _text(app))


async def _held_message(pilot: Pilot[None]) -> None:
    """Inspect the held message under the cursor."""
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, HeldMailScreen))
    await settle(pilot)


async def test_mail_screen_from_the_key_and_the_palette_and_a_held_message_retried(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The mail screen opens by ``@`` and from the palette; the held message inspected from
    it shows the reason and the source as plain text; retried from there, it makes the
    ticket, and the unparseable one stays held, saying so (one app run)."""
    ids = held_mail(desk_data)
    app = make_test_app(settings=mail_app_settings(desk_data))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _mail_screen(pilot, app)
        assert screen.query_one("#mail-quarantine", DataTable).row_count == 2
        assert screen.query_one("#mail-spam", DataTable).row_count == 1
        text = _text(app)
        assert "support/INBOX  last poll 3 min ago · backlog 2" in text
        assert "Outbox  empty" in text and "poll.support: nobody" in text
        assert "[bold red]Pay now[/]" in text, "markup in a subject stays literal"
        assert "\x1b" not in text
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        [command] = [c for c in app.get_system_commands(app.screen) if c.title == "Mail"]
        command.callback()
        await pilot.pause()
        assert isinstance(app.screen, MailScreen)
        await settle(pilot)
        # The held message under the cursor, inspected.
        await _held_message(pilot)
        text = _text(app)
        assert "Quarantined message" in text
        assert "the ticket store is having a bad day" in text
        assert "Subject: [bold red]Pay now[/]" in text, "the raw source, markup literal"
        assert "\x1b" not in text and "\x07" not in text
        # Retried from the held message: the ticket is made.
        screen = app.screen_stack[-2]
        assert isinstance(screen, MailScreen)
        await pilot.press("r")
        await until(pilot, lambda: screen.query_one("#mail-quarantine", DataTable).row_count == 1)
        assert any(n.startswith("ticket: now in #") for n in notifications(app))
        with desk_data.db.read() as session:
            [left] = quarantine.list_held(session)
        assert left.id == ids["dolls"]
        # The unparseable one stays held, and says so.
        await pilot.press("r")
        await until(pilot, lambda: any("still quarantined" in n for n in notifications(app)))
        assert screen.query_one("#mail-quarantine", DataTable).row_count == 1


async def test_misconfigured_mail_is_said_not_crashed_on(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    held_mail(desk_data)
    settings = mail_app_settings(desk_data, message_id_secret="short", run_in_tui=True)
    app = make_test_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _mail_screen(pilot, app)
        assert any("message_id_secret" in n for n in notifications(app))
        assert not app.mail_link.running
        await pilot.press("r")
        await until(pilot, lambda: sum("message_id_secret" in n for n in notifications(app)) == 2)
        assert screen.query_one("#mail-quarantine", DataTable).row_count == 2


async def test_mail_kept_off_says_so_in_a_line_that_fits_80_columns(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Mail kept off by a setting, in a terminal that runs the SLA pass (as the CLI's app
    does): the queue's mail line said only "Mail · @ details" (the SLA pass counted as mail
    running) and, once it said why, the reason ran past 80 columns with "@ details". It says
    the reason's first clause, cut to fit, and where the whole of it is; the mail screen
    has it whole."""
    settings = mail_app_settings(desk_data, message_id_secret="short", run_in_tui=True)
    app = make_test_app(settings=settings)
    app.desk_jobs = True
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.mail_link._service is not None)
        await until(pilot, lambda: "Mail off" in _text(app))
        [line] = [line for line in screen_lines(app) if line.startswith(" Mail")]
        assert line.startswith(" Mail off here: mail.message_id_secret is ")
        assert line.endswith("… · alerts: terminal only · @ details") and len(line) <= 80
        await pilot.press("at")
        await until(pilot, lambda: isinstance(app.screen, MailScreen))
        await settle(pilot)
        assert "Not running in this terminal: mail.message_id_secret" in _text(app)
        assert "token_hex(32)" in _text(app)


def test_the_mail_line_keeps_the_error_and_at_details_in_sight_as_it_narrows() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from helpdesk_tui.widgets.mail_indicator import mail_summary

    status = SimpleNamespace(
        last_error="support: cannot connect to imap.example.com:993: Connection refused",
        last_poll_at=None,
        folders=[SimpleNamespace(backlog=2)],
        outbox_backlog=3,
        undelivered_count=1,
        quarantined=2,
        spam=1,
        alerts_by_mail=True,
    )
    link = cast(Any, SimpleNamespace(problem=None, running=True, status=status))
    whole = mail_summary(link, FROZEN_NOW).plain
    assert whole.startswith("Mail · error: support: cannot connect to imap.example.com:993")
    assert whole.endswith("· 2 in quarantine · 1 spam · @ details")
    for width in (120, 80, 60, 40):
        line = mail_summary(link, FROZEN_NOW, width).plain
        assert len(line) <= width and line.endswith(" · @ details"), (width, line)
        assert line.startswith("Mail · error: support: cann"), (width, line)
    assert mail_summary(link, FROZEN_NOW, 80).plain == (
        "Mail · error: support: cannot connect to imap.exam… · not polled yet · @ details"
    )


def test_the_mail_line_says_alerts_stay_in_the_terminal_on_a_desk_that_sends_no_mail() -> None:
    """No outbox sender ran for a day (no SMTP): SLA alerts are not mailed, and the mail
    line says so — only ``helpdesk mail status`` did — within 80 columns, as it narrows."""
    from types import SimpleNamespace
    from typing import Any, cast

    from helpdesk_tui.widgets.mail_indicator import mail_summary

    status = SimpleNamespace(
        last_error=None, last_poll_at=FROZEN_NOW, folders=[SimpleNamespace(backlog=1234)],
        outbox_backlog=12, undelivered_count=3, quarantined=2, spam=5, alerts_by_mail=False,
    )  # fmt: skip
    link = cast(Any, SimpleNamespace(problem=None, running=True, status=status))
    for width in (160, 80, 60, 40):
        line = mail_summary(link, FROZEN_NOW, width).plain
        assert len(line) <= width and line.endswith(" · alerts: terminal only · @ details")
    assert mail_summary(link, FROZEN_NOW, 80).plain == (
        "Mail · polled just now · alerts: terminal only · @ details"
    )
    status.alerts_by_mail = True
    assert "alerts" not in mail_summary(link, FROZEN_NOW, 80).plain


async def test_no_mail_line_while_mail_is_not_configured_and_a_failed_reply_says_why(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run: the queue has no mail line while mail is not configured; a failed
    reply says so on its ticket with the server's reason."""
    number = failed_reply(desk_data)
    app = make_test_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        assert not app.queue.query_one(MailIndicator).display, "no mail line"
        assert app.mail_link.status is None and not app.mail_link.running, "no mail line"
        screen = await open_ticket(pilot, number)
        views = list(screen.query(MessageView))
        [failed] = [v for v in views if v.has_class("-failed")]
        console = Console(width=1000, color_system=None, record=True)
        console.print(failed.content)  # (a header line and the text: a Group, not one Text)
        assert REJECTED in console.export_text()
        text = _text(app)
        assert "✗ Not delivered after 8 tries: 550 5.1.1" in text
        assert "✓ Sent 44 min ago" in text
        assert "… Queued to send" in text, "the first reply has not gone out yet"


async def test_a_bounce_shows_the_dsn_and_r_sends_it_again(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    number = bounced_reply(desk_data)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, number)
        assert f"✗ Bounced: 5.1.1 {BOUNCE_DIAGNOSTIC} · R re-sends" in _text(app)
        assert len([v for v in screen.query(MessageView) if v.has_class("-failed")]) == 1

        await pilot.press("R")
        await until(pilot, lambda: "… Queued to send" in _text(app))
        await settle(pilot)
        assert not [v for v in screen.query(MessageView) if v.has_class("-failed")]
        assert "ada: delivery bounced → queued" in _text(app)
        assert any("queued to send again" in n for n in notifications(app))
        with desk_data.db.read() as session:
            resent = session.exec(select(Outbox).where(Outbox.email_message_id == BOUNCE_ID)).one()
        assert (resent.status, resent.attempts, resent.dsn_status) == ("queued", 0, None)

        await pilot.press("R")
        await until(
            pilot, lambda: any("no failed or bounced mail" in n for n in notifications(app))
        )


async def test_r_asks_which_mail_when_several_did_not_get_through(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    number = failed_reply(desk_data)
    with desk_data.db.write() as session:
        second = thread.reply(session, desk_data.ada, number, body="Hello?")
        row = session.exec(select(Outbox).where(Outbox.message_id == second)).one()
        row.status, row.attempts, row.last_error = "failed", 1, REJECTED
        session.add(row)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await settle(pilot)
        assert "Send mail of #" in _text(app) and "failed after 1 try" in _text(app)
        await pilot.press("enter")
        await until(pilot, lambda: any("queued to send again" in n for n in notifications(app)))
    with desk_data.db.read() as session:
        states = {r.id: r.status for r in session.exec(select(Outbox)).all()}
    assert sorted(states.values()) == ["failed", "queued", "queued", "sent"], "one re-sent"


async def test_the_mail_screen_lists_mail_that_did_not_get_through_and_counts_machine_mail(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run: the mail screen lists the mail that did not get through, and counts
    the machine mail held apart (a bounce for a message this desk never sent)."""
    number = failed_reply(desk_data)
    config = IngestConfig.from_options(IntakeOptions(desk_mail(), "Desk Support"))
    with desk_data.db.write() as session:
        ingest(session, delivery_report("<backscatter@elsewhere.example>"), config)
    app = make_test_app(settings=mail_app_settings(desk_data))
    async with app.run_test(size=(160, 40)) as pilot:
        await _mail_screen(pilot, app)
        await until(pilot, lambda: "machine mail · 1 held" in _text(app))
        text = _text(app)
    assert "Outbox  1 failed, 1 queued, 1 sent" in text
    assert f"#{number} reply to ann@example.com: failed after 8 tries: {REJECTED}" in text


async def test_machine_mail_is_listed_inspected_and_released_from_the_mail_screen(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """A web form that sends as the desk is held as machine mail: the screen only counted
    machine mail, so an agent in the terminal could neither read nor release it."""
    config = IngestConfig.from_options(IntakeOptions(desk_mail(), "Desk Support"))
    form = email(
        sender="Website <support@desk.test>",
        subject="Contact form: cannot log in",
        headers=["Reply-To: Wanda <wanda@example.net>"],
        body="I cannot log in since this morning.",
    )
    with desk_data.db.write() as session:
        ingest(session, form, config)
    with desk_data.db.read() as session:
        [held] = machine.list_held(session)
    app = make_test_app(settings=mail_app_settings(desk_data))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _mail_screen(pilot, app)
        spam_list = screen.query_one("#mail-spam", DataTable)
        await until(pilot, lambda: spam_list.row_count == 1)
        text = _text(app)
        assert f"m{held.id}" in text and "Contact form: cannot log in" in text
        assert "from our own address: not sent by this desk" in text
        spam_list.focus()
        await _held_message(pilot)
        text = _text(app)
        assert f"Machine mail {held.id}" in text and "I cannot log in" in text
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, MailScreen))
        await until(pilot, lambda: spam_list.row_count == 0)
        [done] = [n for n in notifications(app) if n.startswith("ticket: now in #")]
    with desk_data.db.read() as session:
        assert machine.list_held(session) == []
        number = int(done.removeprefix("ticket: now in #"))
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "wanda@example.net"


def test_a_long_source_names_the_command_that_writes_it_whole_for_its_kind() -> None:
    """It named ``helpdesk mail quarantine show`` for spam and machine mail too."""
    from helpdesk_tui.screens.held_mail import SHOWN_BYTES, source_text

    big = b"x" * (SHOWN_BYTES + 10)
    assert "(helpdesk mail machine show 5 --raw > file)" in source_text(big, "machine", 5).plain
    assert "(helpdesk mail quarantine show 2 --raw" in source_text(big, "quarantine", 2).plain
    spam = source_text(big, "spam", 3).plain
    assert spam.endswith("10 more bytes not shown") and "quarantine" not in spam
    named = source_text(big, "machine", 5, "~/hd/.venv/bin/helpdesk").plain
    assert "(~/hd/.venv/bin/helpdesk mail machine show 5 --raw > file)" in named
