"""Snapshots of the mail screen, a held message, the queue's mail line and a failed reply."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.held_mail import HeldMailScreen
from helpdesk_tui.screens.mail import MailScreen
from tests.screens.conftest import DeskData
from tests.screens.mail_scenes import (
    bounced_reply,
    failed_reply,
    held_machine_mail,
    held_mail,
    mail_app_settings,
)
from tests.screens.snapshot_setup import show_ticket
from tests.screens.ticket_helpers import settle, until

SIZES = [(80, 24), (120, 40)]


async def _mail_read(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await until(pilot, lambda: app.mail_link.status is not None)
    await settle(pilot)
    app.clear_notifications()  # the toast of the new IMAP error would hide the picture
    await settle(pilot)


async def _open_mail(pilot: Pilot[None]) -> None:
    await _mail_read(pilot)
    await pilot.press("at")
    await until(pilot, lambda: isinstance(pilot.app.screen, MailScreen))
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_mail_screen(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    held_mail(desk_data)
    app = make_test_app(settings=mail_app_settings(desk_data))
    assert snap_compare(app, terminal_size=size, run_before=_open_mail)


def test_mail_screen_with_machine_mail(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    """Spam and machine mail share the lower list; machine mail's ids read m5."""
    held_machine_mail(desk_data)
    app = make_test_app(settings=mail_app_settings(desk_data))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_mail)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_quarantined_message(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    held_mail(desk_data)
    app = make_test_app(settings=mail_app_settings(desk_data))

    async def run_before(pilot: Pilot[None]) -> None:
        await _open_mail(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, HeldMailScreen))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_queue_with_mail_line(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    held_mail(desk_data)
    app = make_test_app(settings=mail_app_settings(desk_data))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_mail_read)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_ticket_with_failed_reply(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    number = failed_reply(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("resent", [False, True], ids=["bounced", "resent"])
def test_ticket_with_bounced_reply(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    resent: bool,
) -> None:
    """The bounce's DSN on the reply; after R, queued again and the history line."""
    number = bounced_reply(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)
        if resent:
            await pilot.press("R")
            await settle(pilot)
            pilot.app.clear_notifications()
            await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
