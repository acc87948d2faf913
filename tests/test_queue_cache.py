"""The queue's kept first page: only for its user on its desk, and checked when read back."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_tui import queue_cache
from helpdesk_tui.desk.queue_values import QueueQuery, TicketFilter, TicketRow

AS_OF = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
URL = "sqlite:////srv/desk/helpdesk.db"
MINE = QueueQuery(TicketFilter(assignee="ada", open_only=True))
VIEWS = {"mine": MINE, "open": QueueQuery(TicketFilter(open_only=True))}


def row(number: int, subject: str = "Printer on fire") -> TicketRow:
    return TicketRow(
        id=number,
        number=number,
        subject=subject,
        status="open",
        priority="urgent",
        type="incident",
        category=None,
        tier=1,
        requester_name="Ann Archer",
        requester_email="ann@example.com",
        assignee="ada",
        team="Support",
        created_at=AS_OF,
        updated_at=AS_OF,
        response_due_at=None,
        resolution_due_at=AS_OF,
        first_response_at=None,
        version=3,
    )


def keep(rows: list[TicketRow], *, url: str = URL, sqlite_path: Path | None = None) -> None:
    queue_cache.keep(
        url=url,
        login="ada",
        sqlite_path=sqlite_path,
        view="mine",
        query=MINE,
        rows=rows,
        as_of=AS_OF,
    )


def test_a_kept_page_comes_back_as_it_was_kept() -> None:
    rows = [row(1), row(2, "[bold]VPN[/] \x1b[2J drops")]
    keep(rows)
    kept = queue_cache.recall(url=URL, login="ada", views=VIEWS)
    assert kept == queue_cache.KeptPage(view="mine", rows=rows, as_of=AS_OF)
    mode = queue_cache.cache_file().stat().st_mode & 0o777
    assert mode == 0o600
    assert "srv/desk" not in queue_cache.cache_file().read_text(), "the URL is kept as a hash"


def test_only_for_the_same_desk_user_and_view_query() -> None:
    keep([row(1)])
    assert queue_cache.recall(url="sqlite:////other/helpdesk.db", login="ada", views=VIEWS) is None
    assert queue_cache.recall(url=URL, login="bob", views=VIEWS) is None
    other_mine = {"mine": QueueQuery(TicketFilter(assignee="bob", open_only=True))}
    assert queue_cache.recall(url=URL, login="ada", views=other_mine) is None
    assert queue_cache.recall(url=URL, login="ada", views={"open": VIEWS["open"]}) is None


def test_not_once_the_database_file_is_out_of_reach(tmp_path: Path) -> None:
    database = tmp_path / "helpdesk.db"
    database.write_bytes(b"")
    keep([row(1)], sqlite_path=database)
    assert queue_cache.recall(url=URL, login="ada", views=VIEWS) is not None
    database.unlink()
    assert queue_cache.recall(url=URL, login="ada", views=VIEWS) is None


def test_not_when_others_could_have_written_it() -> None:
    keep([row(1)])
    os.chmod(queue_cache.cache_file(), 0o620)
    assert queue_cache.recall(url=URL, login="ada", views=VIEWS) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "1; DROP TABLE"),
        ("number", True),
        ("status", "pwned"),
        ("priority", None),
        ("subject", ["a", "list"]),
        ("updated_at", "yesterday"),
        ("updated_at", "2025-03-14T09:30:00"),  # no zone
    ],
)
def test_a_tampered_row_is_not_shown(field: str, value: object) -> None:
    keep([row(1)])
    path = queue_cache.cache_file()
    data = json.loads(path.read_text())
    data["rows"][0][field] = value
    path.write_text(json.dumps(data))
    assert queue_cache.recall(url=URL, login="ada", views=VIEWS) is None


def test_garbage_is_no_page() -> None:
    path = queue_cache.cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    for text in ("", "[]", "{", '{"rows": 1}'):
        path.write_text(text)
        assert queue_cache.recall(url=URL, login="ada", views=VIEWS) is None


def test_the_same_rows_are_not_rewritten() -> None:
    keep([row(1)])
    before = queue_cache.cache_file().stat().st_mtime_ns
    queue_cache.keep(
        url=URL,
        login="ada",
        sqlite_path=None,
        view="mine",
        query=MINE,
        rows=[row(1)],
        as_of=datetime(2025, 3, 14, 10, 0, tzinfo=UTC),
    )
    assert queue_cache.cache_file().stat().st_mtime_ns == before
    kept = queue_cache.recall(url=URL, login="ada", views=VIEWS)
    assert kept is not None and kept.as_of == AS_OF
