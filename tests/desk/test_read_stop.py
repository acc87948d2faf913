"""Leaving a screen ends its long read: the statement in flight is interrupted (SQLite's
``interrupt()`` and progress handler, PostgreSQL's cancel) and the read says so."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from helpdesk_tui.desk import contact_service
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.contact_service import ReadStop, ReadStopped
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.storage.database import Database

ENDLESS_SQLITE = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
)
ENDLESS_POSTGRES = "SELECT pg_sleep(600)"


def endless_reads(db: Database, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """``contact_show`` runs a statement that never ends; the event is set once it runs."""
    running = threading.Event()

    def card(session: Session, *_args: Any, **_kw: Any) -> None:
        session.exec(text(ENDLESS_SQLITE if db.is_sqlite else ENDLESS_POSTGRES))  # type: ignore[call-overload]

    monkeypatch.setattr(contact_service, "contact_card", card)
    return running


def wait_running(db: Database, started: threading.Event) -> None:
    """Until the endless statement runs (PostgreSQL: the server says it is active)."""
    assert started.wait(30)
    if db.is_sqlite:
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
        " AND query LIKE 'SELECT pg_sleep%' AND datname = current_database()"
    )
    with db.engine.connect() as watch:
        for _ in range(3000):
            seen = watch.execute(query).scalar_one()
            watch.rollback()
            if seen:
                return
            threading.Event().wait(0.01)
    pytest.fail("the endless statement did not start")


def test_stop_ends_the_read_in_flight(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = endless_reads(db, monkeypatch)
    event.listen(db.engine, "before_cursor_execute", lambda *_a: started.set())
    stop = ReadStop()
    results: list[object] = []

    def read() -> None:
        try:
            results.append(Desk(db, admin).contact_show("ann@example.com", stop=stop))
        except Exception as error:  # (asserted below)
            results.append(error)

    worker = threading.Thread(target=read)
    worker.start()
    wait_running(db, started)
    stop.stop()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the read went on after the stop"
    [result] = results
    assert isinstance(result, ReadStopped), result
    with pytest.raises(ReadStopped):  # (a read that starts after the stop does not run)
        Desk(db, admin).contact_show("ann@example.com", stop=stop)
