"""Mail running inside the app: real servers in, tickets in the queue; a dead server is no crash."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from sqlmodel import select

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import Settings
from helpdesk_tui.desk.leases import current_holder
from helpdesk_tui.mail.service import OUTBOX_LEASE, poller_lease
from helpdesk_tui.mail_settings import MailboxSettings
from helpdesk_tui.screens.mail import MailScreen
from helpdesk_tui.storage.models import Ticket
from helpdesk_tui.widgets.mail_indicator import MailIndicator
from tests.mail import conftest as mail_fixtures
from tests.mail.mailbuild import email, mail_settings, server_settings
from tests.mail.servers import ImapAccount, SmtpServer, free_port
from tests.screens import conftest as screen_fixtures
from tests.screens.conftest import DeskData
from tests.screens.test_queue import shown
from tests.screens.ticket_helpers import notifications, settle, until

# The screen tests' seeded desk and app factory, and the mail tests' real servers.
screen_db = screen_fixtures.screen_db
desk_data = screen_fixtures.desk_data
_seeded_sqlite = screen_fixtures._seeded_sqlite
frozen_clock = screen_fixtures.frozen_clock
make_test_app = screen_fixtures.make_test_app
dovecot_server = mail_fixtures.dovecot_server
dovecot = mail_fixtures.dovecot
_smtp_session = mail_fixtures._smtp_session
smtp_server = mail_fixtures.smtp_server


def _mail_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mail-") and t.is_alive()]


def _last_error(app: HelpdeskApp) -> str | None:
    status = app.mail_link.status
    return status.last_error if status else None


def _polled(app: HelpdeskApp) -> bool:
    status = app.mail_link.status
    return status is not None and status.last_poll_at is not None


def _lease_holders(desk: DeskData) -> list[str | None]:
    with desk.db.read() as session:
        leases = [current_holder(session, n) for n in (poller_lease("support"), OUTBOX_LEASE)]
    return [lease.holder if lease else None for lease in leases]


async def test_a_dead_imap_server_is_a_notice_not_a_crash_and_quit_stops_mail(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    box = MailboxSettings(
        host="127.0.0.1", port=free_port(), security="none", user="nobody", timeout=2
    )
    settings = Settings(
        database_url=desk_data.db.url, mail=mail_settings(mailboxes={"support": box})
    )
    app = make_test_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.mail_link.running)
        await until(pilot, lambda: _last_error(app) is not None)
        # The error reaches the notice and the indicator by messages: wait for them to land.
        await until(pilot, lambda: any(n.startswith("support: ") for n in notifications(app)))
        indicator = app.queue.query_one(MailIndicator)
        await until(pilot, lambda: "error: support:" in str(indicator.render()))
        assert _lease_holders(desk_data)[0] is not None, "this terminal holds the poller lease"
        await pilot.press("at")
        await until(pilot, lambda: isinstance(app.screen, MailScreen))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+q")
    assert not app.mail_link.running
    assert _lease_holders(desk_data) == [None, None], "leases given back on quit"
    assert _mail_threads() == []


@pytest.mark.dovecot
async def test_mail_becomes_a_ticket_in_the_queue_and_none_runs_once_access_ended(
    desk_data: DeskData, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """One app run, two facts. Mail in the inbox becomes a ticket in the queue while the
    app runs (IDLE brings it at once; its acknowledgement is sent). Then bob's terminal,
    which polls and sends: an admin deactivates bob, the terminal's mail threads stop and
    give their leases back (a message arriving meanwhile stays in the inbox, for another
    terminal or ``helpdesk mail run``); reactivated, mail runs there again and the message
    becomes a ticket."""
    from helpdesk_tui.app import make_app
    from helpdesk_tui.desk.actors import actor_of
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.screens.access_ended import AccessEndedScreen
    from helpdesk_tui.storage.database import Database

    mail = server_settings(dovecot, smtp_server, poll_interval=300)
    settings = Settings(database_url=desk_data.db.url, mail=mail)
    app = make_app(settings, desk_data.db, desk_data.bob, clock=lambda: screen_fixtures.FROZEN_NOW)
    other = Database(desk_data.db.url)
    admins = Desk(other, actor_of(other, "ada"))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("3")  # All open: the new ticket is nobody's yet
            await until(pilot, lambda: _polled(app))
            dovecot.append("INBOX", email(subject="Coffee machine leaks", body="All over."))

            def new_number() -> int | None:
                with desk_data.db.read() as session:
                    ticket = session.exec(
                        select(Ticket).where(Ticket.subject == "Coffee machine leaks")
                    ).first()
                return ticket.number if ticket else None

            await until(pilot, lambda: new_number() is not None)
            number = new_number()
            await until(pilot, lambda: number in shown(app))
            [ack] = smtp_server.wait_for(1)
            assert f"[#{number}]" in ack.raw.decode(), "mail in the inbox"
            await until(pilot, lambda: dovecot.list_uids("INBOX") == [])
            # Access ended: no mail runs until it is back.
            await until(pilot, lambda: None not in _lease_holders(desk_data))
            admins.agents_deactivate("bob")
            await asyncio.to_thread(app.desk.agent_check)  # (the app's next look)
            await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
            await until(pilot, lambda: _lease_holders(desk_data) == [None, None])
            await until(pilot, lambda: _mail_threads() == [])
            assert not app.mail_link.running
            dovecot.append("INBOX", email(subject="Badge reader dead", body="Door 3."))
            await settle(pilot)
            assert _mail_threads() == [] and len(dovecot.list_uids("INBOX")) == 1

            admins.agents_reactivate("bob")
            await asyncio.to_thread(app.desk.agent_check)  # (the cover's next check)
            await until(pilot, lambda: app.refused is None and app.mail_link.running)
            await until(pilot, lambda: dovecot.list_uids("INBOX") == [])
            with desk_data.db.read() as session:
                subjects = set(session.exec(select(Ticket.subject)).all())
            assert "Badge reader dead" in subjects
            await pilot.press("ctrl+q")
    finally:
        other.dispose()
    assert _mail_threads() == []
