"""A terminal on a desk whose mail does not run still raises the SLA alerts: the SLA pass
(warning and breach alerts, auto-escalation) ran only beside the mail poller, so on a desk
without ``[mail]`` — or with mail that cannot start — no alert was ever recorded or shown,
however late the tickets were."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_reads import current_holder
from helpdesk_tui.mail.service import SLA_LEASE
from helpdesk_tui.storage.sla_models import SlaNotice
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.mail_scenes import mail_app_settings
from tests.screens.ticket_helpers import settle, until


def _breaches_recorded(desk_data: DeskData) -> bool:
    with desk_data.db.read() as session:
        return (
            session.exec(select(SlaNotice).where(SlaNotice.level == "breach")).first() is not None
        )


def _sla_lease_held(desk_data: DeskData) -> bool:
    """(A lease given back stays as a row that expired when it was.)"""
    with desk_data.db.read() as session:
        return current_holder(session, SLA_LEASE) is not None


@pytest.mark.parametrize("mail", ["none", "not-startable"])
async def test_a_terminal_without_mail_records_the_breaches(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData, mail: str
) -> None:
    """The seeded tickets were opened around the frozen time; the app's clock (the desk's,
    which the SLA pass reads) is two months on: each open one is breached — for over a day,
    so the pass says them once, in one summary, not one by one (``sla_alerts.STALE``)."""
    settings = None
    if mail == "not-startable":  # (mail.message_id_secret too short: mail is not started)
        settings = mail_app_settings(desk_data, message_id_secret="short", run_in_tui=True)
    app = make_test_app(settings=settings, clock=lambda: FROZEN_NOW + timedelta(days=60))
    app.desk_jobs = True  # (as the CLI's app: the tests' apps, on a frozen clock, run none)
    desk = Desk(desk_data.db, desk_data.ada)
    assert desk.sla_alerts_since(0) == [] and not _breaches_recorded(desk_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: _breaches_recorded(desk_data))
        # (each batch commits its notices; the summary is written after the last batch)
        await until(pilot, lambda: bool(desk.sla_alerts_since(0)))
        [summary] = desk.sla_alerts_since(0)  # (all long past: one line for them all)
        assert summary.number == 0 and summary.breach
        assert "tickets breached while SLA alerts were not running (since" in summary.text
        assert _sla_lease_held(desk_data)
        await pilot.press("ctrl+q")
    assert not _sla_lease_held(desk_data), "given back on leaving"


def test_the_sla_pass_takes_at_most_a_tenth_of_a_core() -> None:
    """At 1M tickets one pass took 8 s of CPU and the next began 5 s later: a core taken,
    in whichever process holds the lease — a terminal's too. The pause follows the pass."""
    from helpdesk_tui.mail.service import sla_pause

    assert sla_pause(5.0, 0.01) == 5.0  # a small desk: every 5 s, as before
    assert sla_pause(5.0, 8.0) == pytest.approx(72.0)  # 8 s of 80
