"""Where a test's drafts on a ticket are kept: the desk's own folder, named by the ticket
(``helpdesk_tui.drafts``), as the composer and ``helpdesk drafts`` find them."""

from __future__ import annotations

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.drafts import DraftStore
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
