"""The Textual app: wires screens, modes and global bindings. Kept thin on purpose."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from textual.app import App
from textual.binding import Binding

from helpdesk_tui.config import Settings
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import utcnow


class HelpdeskApp(App[None]):
    """One agent's terminal on the desk."""

    TITLE = "helpdesk"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        actor: Actor,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.db = db
        self.actor = actor
        self.clock = clock
        self.session_id = uuid.uuid4().hex
        """Identifies this terminal in presence rows, so two terminals of one agent differ."""
        self.sub_title = f"{settings.desk_name} — {actor.name}"


def make_app(
    settings: Settings,
    db: Database,
    actor: Actor,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> HelpdeskApp:
    """The one factory the CLI and the tests use to build the app."""
    return HelpdeskApp(settings=settings, db=db, actor=actor, clock=clock)
