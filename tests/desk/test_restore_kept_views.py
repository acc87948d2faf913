"""A restore in the same process as a search's kept small views (``queue.kept_small_view``):
the restored desk's change mark may be one the desk before it had, and what was counted
there must not answer for it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from helpdesk_tui.desk.admin_service import actor_of, ensure_first_admin
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.settings import record_desk_event
from helpdesk_tui.storage.core_tables import event
from helpdesk_tui.storage.database import Database
from tests.desk.conftest import on_sqlite_only

NOW = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def _newest_event(db: Database) -> int:
    with db.read_rows() as conn:
        return int(conn.execute(select(func.max(event.c.id))).scalar_one() or 0)


@on_sqlite_only(
    "tests/desk/test_tickets_service.py::test_a_search_in_a_view_counts_the_view_once_per_change_mark"
)
def test_a_restore_drops_the_views_counted_on_the_desk_before_it(
    db: Database, _migrated_sqlite: Path, tmp_path: Path
) -> None:
    """The empty desk's search counted its view (nothing in it) at a change mark the
    restored desk has too (the same newest event and count): the search on the restored
    desk found nothing until the next change. A restore drops what was kept for its
    database."""
    shutil.copy(_migrated_sqlite, tmp_path / "source.db")
    source = Database(f"sqlite:///{tmp_path / 'source.db'}")
    try:
        ensure_first_admin(source, "ada")
        kept = Desk(source, actor_of(source, "ada"), clock=lambda: NOW)
        kept.ticket_create(subject="Printer jam", body="b")
        kept.admin_backup(tmp_path / "backup.db")
        restored_mark = _newest_event(source) + 1  # (and the restore's own record)
    finally:
        source.dispose()
    ensure_first_admin(db, "ada")
    ada = actor_of(db, "ada")
    with db.write_rows() as conn:  # (an empty desk's settings changed, up to that mark)
        for _ in range(restored_mark - _newest_event(db)):
            record_desk_event(conn, ada, NOW, "setting", field="desk.name", new="Desk")
    desk = Desk(db, ada, clock=lambda: NOW)
    query = QueueQuery(TicketFilter(statuses=("new", "resolved")), text="printer")
    assert desk.list_window(query, 5).page.rows == []

    desk.admin_restore(tmp_path / "backup.db")

    assert _newest_event(db) == restored_mark
    assert [r.subject for r in desk.list_window(query, 5).page.rows] == ["Printer jam"]
