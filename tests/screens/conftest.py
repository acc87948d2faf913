"""Shared fixtures for screen tests: a seeded SQLite desk, a frozen clock, and the app factory.

Everything shown is fixed: tickets are created at set times (time-machine), the app's clock
is ``FROZEN_NOW``, presence rows are written at that instant, and config/data dirs live in
``tmp_path`` (tests/conftest.py). Screen tests run on SQLite only; desk tests cover PostgreSQL.

Use::

    async def test_x(make_test_app, desk_data):
        app = make_test_app()                      # ada, the seeded desk, frozen clock
        async with app.run_test(size=(120, 40)) as pilot: ...

    def test_snap(snap_compare, make_test_app):
        assert snap_compare(make_test_app(), terminal_size=(80, 24))
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk import fields, presence
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Activity
from tests.screens.ticket_helpers import record_notifications

FROZEN_NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)

HOSTILE_SUBJECTS = {
    "markup": "[bold red]pwn[/]",
    "link": "[link=file:///etc/passwd]x[/link]",
    "clear": "Clear\x1b[2J screen \x1b]52;c;aGVsbG8=\x07copied",
    "bidi": "Invoice \u202eexe.fdp",
}


@dataclass(frozen=True)
class SeedTicket:
    key: str
    subject: str
    minutes_ago: int
    requester: tuple[str, str]
    body: str = "Please help."
    priority: str = "normal"
    status: str | None = None
    assignee: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()


SEED: tuple[SeedTicket, ...] = (
    SeedTicket(
        "printer",
        "Printer on fire",
        300,
        ("ann@example.com", "Ann Archer"),
        "It smokes badly.",
        "urgent",
        "open",
        "ada",
        "Support",
        ("hardware",),
    ),
    SeedTicket(
        "vpn",
        "VPN drops every hour",
        240,
        ("ben@example.com", "Ben Baker"),
        "The tunnel resets since Monday.",
        "high",
    ),
    SeedTicket(
        "invoice",
        "Invoice charged twice",
        200,
        ("carla@example.com", "Carla Díaz"),
        "My card was charged twice.",
        status="waiting",
        assignee="cy",
        team="Billing",
    ),
    SeedTicket(
        "markup",
        HOSTILE_SUBJECTS["markup"],
        150,
        ("mallory@example.com", "Mallory \x1b[31mRed[/]"),
        priority="low",
    ),
    SeedTicket("link", HOSTILE_SUBJECTS["link"], 120, ("mallory@example.com", "")),
    SeedTicket("clear", HOSTILE_SUBJECTS["clear"], 90, ("mallory@example.com", "")),
    SeedTicket("bidi", HOSTILE_SUBJECTS["bidi"], 60, ("mallory@example.com", "")),
    SeedTicket(
        "password",
        "Password reset for new starter",
        45,
        ("dan@example.com", "Dan Dunn"),
        status="on_hold",
        assignee="bob",
        team="Support",
    ),
    SeedTicket(
        "laptop",
        "Laptop will not boot",
        30,
        ("ann@example.com", "Ann Archer"),
        "Black screen after the update.",
        "high",
        "in_progress",
        "ada",
        "Support",
        ("hardware",),
    ),
    SeedTicket("thanks", "Thank you!", 20, ("eve@example.com", "Eve Evans"), status="resolved"),
    SeedTicket("wifi", "Wi-Fi slow in meeting room 3", 5, ("eve@example.com", "Eve Evans")),
)


@dataclass(frozen=True)
class DeskData:
    db: Database
    ada: Actor
    bob: Actor
    cy: Actor
    numbers: dict[str, int]


def _actor(db: Database, admin: Actor | None, login: str, name: str, role: str, team: str) -> Actor:
    with db.write() as session:
        agent = add_agent(session, admin, login, name=name, role=role, teams=[team])
        return Actor(name=agent.login, agent_id=agent.id, role=agent.role)


def seed_desk(db: Database) -> DeskData:
    """The fixed desk every screen test and snapshot sees."""
    with time_machine.travel(FROZEN_NOW - timedelta(days=1), tick=False):
        ada = _actor(db, None, "ada", "Ada Admin", "admin", "Support")
        bob = _actor(db, ada, "bob", "Bob Agent", "agent", "Support")
        cy = _actor(db, ada, "cy", "Cy Cashier", "agent", "Billing")
        # No satisfaction surveys: the mail and queue pictures show this desk's own mail.
        Desk(db, ada).satisfaction_surveys(False)
    numbers: dict[str, int] = {}
    for seed in SEED:
        with time_machine.travel(FROZEN_NOW - timedelta(minutes=seed.minutes_ago), tick=False):
            with db.write() as session:
                email, name = seed.requester
                ticket = create_ticket(
                    session,
                    ada,
                    subject=seed.subject,
                    body=seed.body,
                    requester_email=email,
                    requester_name=name,
                    priority=seed.priority,
                    tags=seed.tags,
                )
                numbers[seed.key] = ticket.number
            with db.write() as session:
                if seed.assignee or seed.team:
                    fields.assign(session, ada, ticket.number, agent=seed.assignee, team=seed.team)
                if seed.status:
                    fields.set_status(session, ada, ticket.number, seed.status)
    with db.write() as session:
        presence.heartbeat(
            session, bob, "term-bob", numbers["printer"], Activity.VIEWING, now=FROZEN_NOW
        )
        presence.heartbeat(
            session, cy, "term-cy", numbers["vpn"], Activity.REPLYING, now=FROZEN_NOW
        )
    return DeskData(db=db, ada=ada, bob=bob, cy=cy, numbers=numbers)


@pytest.fixture
def frozen_clock() -> Callable[[], datetime]:
    return lambda: FROZEN_NOW


@pytest.fixture
def screen_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    """An empty, migrated SQLite desk in a file (so a second Database can share it)."""
    path = tmp_path / "screens.db"
    shutil.copy(_migrated_sqlite, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def _seeded_sqlite(
    _migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, DeskData]:
    """The seeded desk, made once per session (per xdist worker): ``desk_data`` copies it.

    Seeding takes two dozen transactions; the result is the same every time (fixed times,
    fixed data), so every test may start from a copy of the same file.
    """
    path = tmp_path_factory.mktemp("seeded") / "screens.db"
    shutil.copy(_migrated_sqlite, path)
    database = Database(f"sqlite:///{path}")
    data = seed_desk(database)
    database.dispose()
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path, data


@pytest.fixture
def desk_data(screen_db: Database, _seeded_sqlite: tuple[Path, DeskData]) -> DeskData:
    """The seeded desk in ``screen_db``'s file."""
    seeded, data = _seeded_sqlite
    path = screen_db.sqlite_path
    assert path is not None
    screen_db.dispose()  # nothing is open on the file while it is replaced
    shutil.copy(seeded, path)
    return dataclasses.replace(data, db=screen_db)


@pytest.fixture
def markers_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quitting waits for this terminal's presence markers to go for as long as a test
    waits for anything (``HANG_SECONDS``), not the app's ``LEAVE_SECONDS`` (2 s): for the
    tests that check they are gone once the app has ended. Under load the removal took
    longer than 2 s now and then, the app ended without it (as it must on a database that
    does not answer), and the markers were read before the removal's thread had written."""
    from helpdesk_tui import app as app_module
    from tests.conftest import HANG_SECONDS

    monkeypatch.setattr(app_module, "LEAVE_SECONDS", HANG_SECONDS)


@pytest.fixture
def make_test_app(
    desk_data: DeskData, frozen_clock: Callable[[], datetime]
) -> Callable[..., HelpdeskApp]:
    """Build the app as the CLI does: defaults are ada on the seeded desk at FROZEN_NOW."""

    def factory(
        *,
        actor: Actor | None = None,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> HelpdeskApp:
        app = make_app(
            settings or Settings(database_url=desk_data.db.url),
            desk_data.db,
            actor or desk_data.ada,
            clock=clock or frozen_clock,
        )
        record_notifications(app)
        return app

    return factory
