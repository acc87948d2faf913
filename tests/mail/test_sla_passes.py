"""The SLA pass runs when it can have something to say, not every few seconds: a terminal
holding the lease on an idle desk (a big one: a second of CPU a pass at 1M tickets) costs
nothing but a look at the desk's change mark."""

from __future__ import annotations

import threading

import pytest

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import sla_alerts
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queue_watch import ChangeProbe
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.mail import service as mail_service
from helpdesk_tui.mail.service import MailService
from helpdesk_tui.storage.database import Database
from tests.mail.mailbuild import mail_settings


def _run_looks(
    db: Database, monkeypatch: pytest.MonkeyPatch, looks: int, on_look: dict[int, object]
) -> list[int]:
    """The SLA worker run for ``looks`` looks at the desk (``on_look[n]`` called before
    look ``n``); the looks at which a pass ran."""
    passes: list[int] = []
    seen = [0]
    done = threading.Event()
    real_pass, real_moved = sla_alerts.run_pass, ChangeProbe.moved

    def counted_pass(*args: object, **kwargs: object) -> sla_alerts.Pass:
        passes.append(seen[0])
        return real_pass(*args, **kwargs)  # type: ignore[arg-type]

    def counted_moved(probe: ChangeProbe) -> bool:
        seen[0] += 1
        if seen[0] in on_look:
            on_look[seen[0]]()  # type: ignore[operator]
        if seen[0] > looks:
            service.stop_event.set()
            done.set()
        return real_moved(probe)

    monkeypatch.setattr(sla_alerts, "run_pass", counted_pass)
    monkeypatch.setattr(ChangeProbe, "moved", counted_moved)
    monkeypatch.setattr(mail_service, "sla_pause", lambda interval, spent: 0.001)
    service = MailService(db, IntakeOptions(mail_settings(lease_seconds=30.0)), mail_jobs=False)
    service.start()
    try:
        assert done.wait(60), "the SLA worker stopped looking"
    finally:
        service.stop()
    return passes


def test_an_idle_desk_gets_one_pass_and_a_change_another(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def new_ticket() -> None:
        with db.write() as session:
            create_ticket(session, admin, subject="Printer", body="x", requester_email="a@x.test")

    assert _run_looks(db, monkeypatch, 40, {}) == [1]  # the first look, then none
    passes = _run_looks(db, monkeypatch, 40, {20: new_ticket})
    assert passes[0] == 1 and 20 in passes and len(passes) <= 3  # (its own alerts: one more)


def test_an_sla_policy_or_calendar_edit_wakes_the_next_look(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin's edit moves open tickets' next-alert times without touching their history:
    the look after it runs a pass (it waited for ``SLA_FULL_PASS``, 5 minutes). An edit
    that moves no ticket's times (a calendar no policy uses yet) wakes it too (every
    settings change is a ``setting_changed`` event, the change mark's), for a pass that
    finds nothing due: one index read."""
    desk = Desk(db, admin)
    with db.write() as session:
        create_ticket(session, admin, subject="Printer", body="x", requester_email="a@x.test")

    def fast(calendar: str | None = None) -> None:
        desk.sla_set_policy(
            "Fast", first_response="10m", next_response="1h", resolution="8h",
            priority="normal", calendar=calendar,
        )  # fmt: skip

    edits = {
        10: fast,
        20: lambda: desk.sla_set_calendar("Office", hours="08:00-18:00"),
        30: lambda: fast("Office"),
    }
    passes = _run_looks(db, monkeypatch, 35, edits)
    assert passes[:3] == [1, 10, 20] and 30 in passes and len(passes) <= 5
