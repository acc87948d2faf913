"""A draft belongs to the desk and the ticket it was written on: another desk's #5, or the
ticket a restored older backup gives #5 again, never lists it as its own nor opens it in
its composer; the draft is kept, and listed where it belongs (walk5)."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from helpdesk_tui.config import data_dir
from tests.cli.conftest import Invoke, NewDesk
from tests.draft_places import editor_drafts, load_draft, save_draft, ticket_drafts


def _new(invoke: Invoke, subject: str) -> int:
    result = invoke("ticket", "new", "--subject", subject, "--body", "x", "--json")
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["number"])


def _other_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a second desk goes (``new_desk``) on the engine of ``db_url``."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    return str(cluster.url(f"drafts_{os.getpid()}_{uuid.uuid4().hex[:8]}"))


def _draft_files() -> list[Path]:
    return sorted(p for p in (data_dir() / "drafts").rglob("*.txt"))


def test_a_draft_on_one_desk_is_not_another_desks(
    invoke: Invoke,
    use_db: str,
    new_desk: NewDesk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """#1 on the private desk has a reply draft; another desk's #1 (an unrelated ticket)
    neither lists it nor reads it, on SQLite and PostgreSQL; back on the first desk it is
    there, untouched. Each desk keeps its identity (read twice: the same)."""
    first = use_db
    assert _new(invoke, "Printer on fire") == 1
    save_draft(None, 1, "reply", "Dear Ann, your printer")
    first_store, first_key = ticket_drafts(None, 1)
    assert ticket_drafts(None, 1)[0].desk == first_store.desk

    new_desk(_other_url(first, tmp_path, request), second=True)
    assert _new(invoke, "Invoice is wrong") == 1
    store, _key = ticket_drafts(None, 1)
    assert store.desk != first_store.desk
    assert load_draft(None, 1, "reply") == ""
    listed = invoke("drafts")
    assert listed.exit_code == 0, listed.stderr
    assert "Dear Ann" not in listed.stdout and "Printer on fire" not in listed.stdout
    assert "no drafts" in listed.stderr
    assert "1 more draft is kept for other desks" in listed.stderr
    assert json.loads(invoke("drafts", "--json").stdout) == []

    monkeypatch.setenv("HELPDESK_DATABASE_URL", first)  # nothing was lost on the way
    listed = invoke("drafts")
    assert "Dear Ann, your printer" in listed.stdout and "Printer on fire" in listed.stdout
    assert load_draft(None, 1, "reply") == "Dear Ann, your printer"
    (path,) = _draft_files()
    assert path == first_store.path(1, "reply", first_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_restored_older_backup_does_not_give_a_draft_to_its_new_ticket(
    invoke: Invoke, new_desk: NewDesk, tmp_path: Path
) -> None:
    """A backup taken before #2 was made restores into a new desk (the same desk identity:
    a backup carries it), where a new #2 is another customer's: the draft written on the
    old #2 is listed there as written on another ticket, never read as the new #2's, and
    kept."""
    live = f"sqlite:///{tmp_path / 'live.db'}"
    new_desk(live)
    _new(invoke, "Printer on fire")
    backup = tmp_path / "older.db"
    assert invoke("db", "backup", str(backup)).exit_code == 0
    assert _new(invoke, "Alice: VPN drops") == 2
    save_draft(None, 2, "reply", "Dear Alice, about your VPN")
    live_store, live_key = ticket_drafts(None, 2)

    new_desk(f"sqlite:///{tmp_path / 'restored.db'}", second=True)  # (another identity)
    restored = invoke("db", "restore", str(backup))
    assert restored.exit_code == 0, restored.stderr
    assert _new(invoke, "Bob: invoice") == 2
    store, key = ticket_drafts(None, 2)
    assert store.desk == live_store.desk and key != live_key
    assert load_draft(None, 2, "reply") == ""
    listed = invoke("drafts")
    assert listed.exit_code == 0, listed.stderr
    assert "written on another ticket that had #2" in listed.stdout
    (row,) = json.loads(invoke("drafts", "--json").stdout)
    assert row["number"] == 2 and "another ticket" in row["note"]
    assert [p.read_text() for p in _draft_files()] == ["Dear Alice, about your VPN"]


def test_an_unclaimed_draft_is_listed_with_its_file_and_adopted_on_request(
    invoke: Invoke, use_db: str
) -> None:
    """A draft written before drafts knew their desk (``drafts/1-reply.txt``) is listed
    with its file and how to adopt it, read by no ticket; ``drafts adopt`` makes it this
    desk's #1's and never overwrites a draft #1 has."""
    number = _new(invoke, "Printer on fire")
    old = data_dir() / "drafts" / f"{number}-reply.txt"
    old.parent.mkdir(parents=True, mode=0o700)
    old.write_text("Dear Ann, written last week")
    assert load_draft(None, number, "reply") == ""
    listed = invoke("drafts")
    assert "written before drafts knew their desk" in listed.stdout
    assert f"helpdesk drafts adopt {number}" in listed.stdout
    assert str(old) in listed.stdout
    (row,) = json.loads(invoke("drafts", "--json").stdout)
    assert row["unclaimed"] is True and row["path"] == str(old)

    save_draft(None, number, "reply", "Dear Ann, today")
    kept = invoke("drafts", "adopt", str(number))
    assert kept.exit_code == 0, kept.stderr
    assert "has a reply draft already" in kept.stderr and old.exists()
    save_draft(None, number, "reply", "")  # (discarded)
    adopted = invoke("drafts", "adopt", str(number), "reply")
    assert adopted.exit_code == 0, adopted.stderr
    assert load_draft(None, number, "reply") == "Dear Ann, written last week"
    assert not old.exists()
    missing = invoke("drafts", "adopt", "99")
    assert missing.exit_code == 1 and "no such ticket" in missing.stderr


@pytest.mark.postgres
def test_a_desk_moved_to_postgresql_keeps_its_drafts(
    invoke: Invoke, new_desk: NewDesk, pg_cluster: object, tmp_path: Path
) -> None:
    """The same desk, moved from SQLite to PostgreSQL through its backup (README "Moving to
    PostgreSQL"): the same identity and the same tickets, so its drafts are still theirs."""
    from tests.pg_cluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    new_desk(f"sqlite:///{tmp_path / 'team.db'}")
    number = _new(invoke, "Printer on fire")
    save_draft(None, number, "note", "Checked the toner")
    copy = tmp_path / "team-backup.db"
    assert invoke("db", "backup", str(copy)).exit_code == 0
    new_desk(pg_cluster.url(f"moved_{uuid.uuid4().hex[:8]}"), second=True)
    moved = invoke("db", "restore", str(copy))
    assert moved.exit_code == 0, moved.stderr
    assert load_draft(None, number, "note") == "Checked the toner"
    listed = invoke("drafts")
    assert "Checked the toner" in listed.stdout and "another ticket" not in listed.stdout


def _article(invoke: Invoke, title: str) -> int:
    result = invoke("kb", "new", "--title", title, "--body", "x", "--json")
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def test_an_articles_draft_is_its_desks_and_an_unclaimed_one_is_adopted(
    invoke: Invoke,
    use_db: str,
    new_desk: NewDesk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """Changes to article 1 kept on one desk: another desk's article 1 neither lists nor
    reads them (SQLite and PostgreSQL); a draft from before drafts knew their desk is listed
    there as unclaimed with its file and how to adopt it, and ``drafts adopt kb:1`` makes
    it that desk's article 1's. Back on the first desk, its draft is as it was."""
    first = use_db
    assert _article(invoke, "VPN on hotel Wi-Fi") == 1
    editor_drafts(None).save_fields("kb", 1, {"title": "VPN, port 443", "body": "Ask IT."})

    new_desk(_other_url(first, tmp_path, request), second=True)
    assert _article(invoke, "Printer jams") == 1
    fields = editor_drafts(None)
    assert fields.load_fields("kb", 1) is None
    listed = invoke("drafts")
    assert "VPN" not in listed.stdout and "1 more draft is kept for other desks" in listed.stderr
    legacy = fields.store.unclaimed_fields("kb", 1)
    legacy.write_text('{"title": "Printer, tray 2", "body": "Open it."}', encoding="utf-8")
    listed = invoke("drafts")
    assert "article 1" in listed.stdout and "Printer, tray 2" in listed.stdout
    assert "helpdesk drafts adopt kb:1" in listed.stdout and str(legacy) in listed.stdout
    assert fields.load_fields("kb", 1) is None  # (listed, never offered back)
    adopted = invoke("drafts", "adopt", "kb:1")
    assert adopted.exit_code == 0, adopted.stderr
    assert (fields.load_fields("kb", 1) or {}).get("title") == "Printer, tray 2"
    assert not legacy.exists()

    monkeypatch.setenv("HELPDESK_DATABASE_URL", first)
    assert (editor_drafts(None).load_fields("kb", 1) or {}).get("title") == "VPN, port 443"
