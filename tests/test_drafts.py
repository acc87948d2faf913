from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_tui.config import data_dir
from helpdesk_tui.drafts import PREVIEW_CHARS, DraftStore, ticket_key


def test_drafts_survive_a_new_store_and_live_in_the_data_dir() -> None:
    DraftStore().save(7, "reply", "Dear Ann,\n\nline two")
    again = DraftStore()
    assert again.load(7, "reply") == "Dear Ann,\n\nline two"
    assert again.load(7, "note") == ""
    assert again.kinds_with_drafts(7) == ["reply"]
    path = data_dir() / "drafts" / "7-reply.txt"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_blank_draft_removes_it(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(3, "note", "keep")
    store.save(3, "note", "  \n ")
    assert store.load(3, "note") == ""
    assert list(tmp_path.iterdir()) == []


def test_overwrite_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(3, "reply", "first")
    store.save(3, "reply", "second")
    assert store.load(3, "reply") == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["3-reply.txt"]


def test_kinds_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown draft kind"):
        DraftStore(tmp_path).save(3, "../../x", "text")  # type: ignore[arg-type]


def test_list_shows_every_draft_newest_first_and_skips_other_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    assert store.list_drafts() == []
    store.save(3, "reply", "\n\n  Dear Ann, the printer is fixed now\nline two")
    store.save(12, "note", "x" * 100)
    os.utime(store.path(3, "reply"), (1_000_000, 1_000_000))
    os.utime(store.path(12, "note"), (2_000_000, 2_000_000))
    (tmp_path / ".3-reply.txt.abc.tmp").write_text("half written")
    (tmp_path / "notes.txt").write_text("not a draft")
    drafts = store.list_drafts()
    assert [(d.number, d.kind) for d in drafts] == [(12, "note"), (3, "reply")]
    assert drafts[1].preview == "Dear Ann, the printer is fixed now"
    assert len(drafts[0].preview) == PREVIEW_CHARS and drafts[0].preview.endswith("…")
    assert drafts[1].saved_at == datetime.fromtimestamp(1_000_000, UTC)


def test_drafts_follow_a_merge_without_overwriting(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(3, "reply", "to Ann")
    store.save(3, "note", "mine")
    store.save(9, "note", "theirs")
    assert store.move(3, 9) == ["reply"]
    assert store.load(9, "reply") == "to Ann" and store.load(3, "reply") == ""
    assert (store.load(3, "note"), store.load(9, "note")) == ("mine", "theirs")
    assert store.move(4, 9) == []


def test_a_desks_drafts_are_its_own_and_each_ticket_s_its_own(tmp_path: Path) -> None:
    """Two desks' #5 and two tickets that had #5 on one desk: each reads only its own; the
    others are listed where they belong (another desk's not at all) and never lost."""
    one, other = DraftStore(tmp_path, desk="a" * 32), DraftStore(tmp_path, desk="b" * 32)
    old, new = ticket_key(5, datetime(2026, 1, 2, 3, 4, 5, 6)), ticket_key(5, datetime(2026, 2, 1))
    assert old == ticket_key(5, datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))  # (naive: UTC)
    one.save(5, "reply", "Dear Ann", old)
    assert other.load(5, "reply", old) == "" and other.list_drafts() == []
    assert other.elsewhere() == 1 and one.elsewhere() == 0
    assert one.load(5, "reply", new) == ""
    one.save(5, "reply", "Dear Bob", new)  # (beside Ann's, not over it)
    assert one.load(5, "reply", old) == "Dear Ann"
    (stranger,) = one.strangers(5, new)
    assert (stranger.ticket, stranger.preview) == (old, "Dear Ann")
    assert not stranger.written_on(5, datetime(2026, 2, 1))
    assert stat.S_IMODE(one.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(one.path(5, "reply", new).stat().st_mode) == 0o600


def test_unclaimed_drafts_are_listed_never_read_and_adopted_without_overwriting(
    tmp_path: Path,
) -> None:
    DraftStore(tmp_path).save(5, "note", "from before")
    desk = DraftStore(tmp_path, desk="c" * 32)
    key = ticket_key(9, datetime(2026, 3, 1))
    assert desk.load(5, "note", key) == ""
    (unclaimed,) = desk.list_drafts()
    assert unclaimed.ticket is None and unclaimed.path == tmp_path / "5-note.txt"
    assert desk.strangers(5, key) == [unclaimed]
    desk.save(5, "note", "today", key)
    assert not desk.adopt(5, "note", key) and desk.load(5, "note", key) == "today"
    desk.delete(5, "note", key)
    assert desk.adopt(5, "note", key) and desk.load(5, "note", key) == "from before"
    assert not (tmp_path / "5-note.txt").exists()


@pytest.mark.parametrize("desk", ["../x", "", "A" * 32, "a/b", "a" * 65])
def test_a_hostile_desk_identity_is_refused(tmp_path: Path, desk: str) -> None:
    with pytest.raises(ValueError, match="not a desk identity"):
        DraftStore(tmp_path, desk=desk)


@pytest.mark.parametrize("ticket", ["../../x", "1-2/../3", "1", "1-2-3", "-1-2"])
def test_a_hostile_ticket_key_is_refused(tmp_path: Path, ticket: str) -> None:
    with pytest.raises(ValueError, match="not a ticket key"):
        DraftStore(tmp_path, desk="d" * 32).save(3, "reply", "text", ticket)


def test_an_editors_draft_is_its_desks_and_its_items_and_an_old_one_is_adopted(
    tmp_path: Path,
) -> None:
    """Article 12's draft on desk A: desk B's article 12 has none (and counts it as
    another desk's); the article that gets id 12 after a deleted one has none either (it is
    told one is kept). A file from before drafts knew their desk is listed as unclaimed,
    never loaded, and adopted without overwriting."""
    desk_a, desk_b = DraftStore(tmp_path, desk="a" * 32), DraftStore(tmp_path, desk="b" * 32)
    first, later = "12-1000", "12-2000"  # (article 12, and the one given id 12 after it)
    desk_a.save_fields("kb", 12, {"title": "VPN"}, first)
    desk_a.save_fields("kb", None, {"title": "Guest Wi-Fi"})
    assert desk_a.load_fields("kb", 12, first) == {"title": "VPN"}
    assert desk_b.load_fields("kb", 12, first) is None and desk_b.load_fields("kb", None) is None
    assert desk_b.editor_drafts() == [] and desk_b.elsewhere() == 2
    assert desk_a.load_fields("kb", 12, later) is None
    assert desk_a.fields_strangers("kb", 12, later) == 1
    assert desk_a.fields_strangers("kb", 12, first) == 0

    (tmp_path / "canned-4.json").write_text('{"name": "Welcome"}', encoding="utf-8")
    (listed,) = desk_b.editor_drafts()
    assert (listed.kind, listed.item, listed.unclaimed) == ("canned", 4, True)
    assert listed.path == tmp_path / "canned-4.json"
    assert desk_b.load_fields("canned", 4, "4-1") is None
    assert desk_b.fields_strangers("canned", 4, "4-1") == 1
    desk_b.save_fields("canned", 4, {"name": "Mine"}, "4-1")
    assert not desk_b.adopt_fields("canned", 4, "4-1")  # (B's response 4 has one already)
    assert desk_b.load_fields("canned", 4, "4-1") == {"name": "Mine"}
    desk_b.delete_fields("canned", 4, "4-1")
    assert desk_b.adopt_fields("canned", 4, "4-1")
    assert desk_b.load_fields("canned", 4, "4-1") == {"name": "Welcome"}
    assert not (tmp_path / "canned-4.json").exists()
    with pytest.raises(ValueError, match="key"):
        desk_b.fields_path("kb", 12, "../x")
