"""An SLA breach alert reaches a real SMTP server exactly once, across a SIGKILL and restart."""

from __future__ import annotations

import email as email_lib
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from helpdesk_tui.desk.actors import Actor, os_login
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.fields import assign
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.mail.service import OUTBOX_LEASE, SLA_LEASE, poller_lease
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Outbox, utcnow

from .mailbuild import sqlite_database
from .servers import ImapAccount, SmtpServer
from .test_poller import wait_until
from .test_poller_recovery import leases_of, start_mail_run, write_config

pytestmark = pytest.mark.slow
LEASES = {poller_lease("support"), OUTBOX_LEASE, SLA_LEASE}


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    yield from sqlite_database(tmp_path, _migrated_sqlite)


def _late_ticket(db: Database, actor: Actor, subject: str) -> int:
    """An urgent ticket from two hours ago (a round-the-clock calendar), assigned, never
    answered: its first response is breached an hour ago (its resolution target is set far
    away, so one alert is expected; one owed for over a day would be recorded, not sent)."""
    with time_machine.travel(utcnow() - timedelta(hours=2), tick=False), db.write() as session:
        number = create_ticket(
            session, actor, subject=subject, body="x", requester_email="kim@example.com",
            priority="urgent",
        ).number  # fmt: skip
        assign(session, actor, number, agent=actor.name)
    return number


def _breach_mail(smtp: SmtpServer) -> list[str]:
    subjects = [str(email_lib.message_from_bytes(m.raw)["Subject"]) for m in smtp.messages]
    return [s for s in subjects if "SLA breached" in s]


def _sent(db: Database) -> int:
    with db.read() as session:
        rows = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
    return sum(1 for row in rows if row.status == OutboxStatus.SENT)


def test_a_breach_alert_is_delivered_once_across_a_sigkill(
    sqlite_db: Database, dovecot: ImapAccount, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config_dir = tmp_path / "run-config"
    # Leases far longer than the hang guard: the restart takes them over, never waits.
    write_config(config_dir, sqlite_db, dovecot, lease_seconds=600, smtp=smtp_server)
    with sqlite_db.write() as session:
        agent = add_agent(
            session, None, os_login(), name="Agent", email="agent@example.com", role="admin"
        )
        me = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
    Desk(sqlite_db, me).sla_set_calendar("allday", days="mon-sun", hours="00:00-24:00")
    Desk(sqlite_db, me).sla_set_policy(
        "urgent", priority="urgent", first_response="1h", next_response="1h",
        resolution="2000h", calendar="allday",
    )  # fmt: skip
    first_number = _late_ticket(sqlite_db, me, "Payroll failed")

    first = start_mail_run(config_dir, tmp_path / "first.log")
    try:
        wait_until(lambda: _sent(sqlite_db) == 1, timeout=60, what="the first alert sent")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert len(_breach_mail(smtp_server)) == 1
    # While nobody runs, a second ticket breaches: its alert shows the restarted process
    # made a whole pass (which looked at the first ticket again).
    second_number = _late_ticket(sqlite_db, me, "VPN down")

    second_log = tmp_path / "second.log"
    second = start_mail_run(config_dir, second_log)
    try:
        wait_until(
            lambda: set(leases_of(sqlite_db, second.pid)) == LEASES,
            what=f"the leases taken over (log: {second_log})",
        )
        wait_until(lambda: _sent(sqlite_db) == 2, timeout=60, what="the second alert sent")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, second_log.read_text()[-3000:]

    breaches = _breach_mail(smtp_server)
    assert len([s for s in breaches if f"#{first_number}]" in s]) == 1, breaches
    assert len([s for s in breaches if f"#{second_number}]" in s]) == 1, breaches
    assert all(m.rcpt_tos == ("agent@example.com",) for m in smtp_server.messages)
