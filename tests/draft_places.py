"""Where a test's drafts on a ticket are kept: the desk's own folder, named by the ticket
(``helpdesk_tui.drafts``), as the composer and ``helpdesk drafts`` find them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.drafts import DraftStore, EditorKind
from helpdesk_tui.storage.database import Database


def ticket_drafts(db: Database | None, number: int) -> tuple[DraftStore, str]:
    """This agent's drafts of ``db``'s desk (None: the desk the CLI is pointed at, by
    ``HELPDESK_DATABASE_URL``), and ticket ``number``'s key in it."""
    from helpdesk_tui.desk.tickets_service import TicketsService

    if db is None:
        from helpdesk_tui.cli.runtime import Runtime

        service = Runtime().service(TicketsService)
    else:
        service = TicketsService(db, Actor(name="tests"))
    place = service.draft_place(number)
    assert place.ticket is not None, f"no ticket #{number}"
    return DraftStore(desk=place.desk), place.ticket


def save_draft(db: Database | None, number: int, kind: str, text: str) -> None:
    store, key = ticket_drafts(db, number)
    store.save(number, kind, text, key)  # type: ignore[arg-type]


def load_draft(db: Database | None, number: int, kind: str) -> str:
    store, key = ticket_drafts(db, number)
    return store.load(number, kind, key)  # type: ignore[arg-type]


def draft_kinds(db: Database | None, number: int) -> list[str]:
    store, key = ticket_drafts(db, number)
    return list(store.kinds_with_drafts(number, key))


class DeskFields:
    """This agent's drafts of articles and canned responses on one desk, addressed as the
    editors address them (an existing one's by its key, ``drafts.item_key``)."""

    def __init__(self, db: Database | None) -> None:
        from helpdesk_tui.desk.tickets_service import TicketsService

        if db is None:
            from helpdesk_tui.cli.runtime import Runtime

            self.service = Runtime().service(TicketsService)
        else:
            self.service = TicketsService(db, Actor(name="tests"))
        self.store = DraftStore(desk=self.service.desk_identity())

    def key(self, kind: EditorKind, item: int | None) -> str | None:
        if item is None:
            return None
        key = self.service.editor_draft_key(kind, item)
        assert key is not None, f"no {kind} {item}"
        return key

    def fields_path(self, kind: EditorKind, item: int | None) -> Path:
        return self.store.fields_path(kind, item, self.key(kind, item))

    def load_fields(self, kind: EditorKind, item: int | None) -> dict[str, Any] | None:
        return self.store.load_fields(kind, item, self.key(kind, item))

    def save_fields(self, kind: EditorKind, item: int | None, fields: dict[str, Any]) -> None:
        self.store.save_fields(kind, item, fields, self.key(kind, item))


def editor_drafts(db: Database | None) -> DeskFields:
    """This agent's editors' drafts on ``db``'s desk (None: the CLI's, as ``ticket_drafts``)."""
    return DeskFields(db)
