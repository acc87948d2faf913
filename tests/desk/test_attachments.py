from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.attachments import (
    MAX_NAME_BYTES,
    TargetExists,
    list_attachments,
    safe_filename,
    save_attachment,
)
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.thread import add_customer_message
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment, create_ticket
from helpdesk_tui.storage.database import Database


def _ticket_with(db: Database, actor: Actor, *names: str) -> int:
    files = tuple(NewAttachment(name, f"content of {name}".encode()) for name in names)
    with db.write() as s:
        number = create_ticket(s, actor, subject="Files", body="see attached").number
        add_customer_message(s, MAIL, number, body="more", email=EmailMeta(attachments=files))
        return number


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/etc/shadow", "shadow"),
        (".bashrc", "bashrc"),
        ("..", "attachment"),
        ("", "attachment"),
        ("evil\x1b[2J\x1b]52;c;aGk=\x07name.txt", "evilname.txt"),
        ("invoice\u202etxt.exe", "invoicetxt.exe"),
        ('a:b*c?"d<e>f|g.txt', "a_b_c__d_e_f_g.txt"),
        ("line\nbreak.txt", "line break.txt"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = safe_filename("é" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= MAX_NAME_BYTES


def test_lists_with_sizes_and_saves_safely(db: Database, admin: Actor, tmp_path: Path) -> None:
    number = _ticket_with(db, admin, "report.pdf", "../../escape.sh")
    with db.read() as s:
        found = list_attachments(s, number)
    assert [(a.filename, a.size) for a in found] == [
        ("report.pdf", len(b"content of report.pdf")),
        ("../../escape.sh", len(b"content of ../../escape.sh")),
    ]
    out = tmp_path / "out"
    out.mkdir()
    with db.read() as s:
        saved = save_attachment(s, number, found[1].id, out)
    assert saved == out / "escape.sh"
    assert saved.read_bytes() == b"content of ../../escape.sh"
    assert sorted(p.name for p in out.iterdir()) == ["escape.sh"]  # no temp file left
    assert not (tmp_path / "escape.sh").exists()


def test_never_overwrites_without_being_told(db: Database, admin: Actor, tmp_path: Path) -> None:
    number = _ticket_with(db, admin, "report.pdf")
    (tmp_path / "report.pdf").write_bytes(b"mine")
    secret = tmp_path / "secret"
    secret.write_bytes(b"keep")
    (tmp_path / "link.pdf").symlink_to(secret)
    with db.read() as s:
        attachment = list_attachments(s, number)[0]
        with pytest.raises(TargetExists) as caught:
            save_attachment(s, number, attachment.id, tmp_path)
        assert caught.value.path == tmp_path / "report.pdf"
        assert (tmp_path / "report.pdf").read_bytes() == b"mine"
        with pytest.raises(TargetExists):
            save_attachment(s, number, attachment.id, tmp_path, name="link.pdf")
        save_attachment(s, number, attachment.id, tmp_path, overwrite=True)
        save_attachment(s, number, attachment.id, tmp_path, name="link.pdf", overwrite=True)
    assert (tmp_path / "report.pdf").read_bytes() == b"content of report.pdf"
    assert secret.read_bytes() == b"keep"  # the link itself was replaced, not its target
    assert not (tmp_path / "link.pdf").is_symlink()


def test_attachment_of_another_ticket_is_not_found(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    first = _ticket_with(db, admin, "a.txt")
    second = _ticket_with(db, admin, "b.txt")
    with db.read() as s:
        other = list_attachments(s, second)[0]
        with pytest.raises(NotFound):
            save_attachment(s, first, other.id, tmp_path)


def test_a_directory_no_file_can_be_made_in_is_one_line(db: Database, admin: Actor) -> None:
    """Where the temporary file cannot be made (a directory the agent may not write to; /proc
    refuses root too) the agent reads where and why, not an OSError naming that temp file."""
    number = _ticket_with(db, admin, "log.txt")
    with db.read() as s:
        attachment = list_attachments(s, number)[0]
        with pytest.raises(InvalidValue) as caught:
            save_attachment(s, number, attachment.id, Path("/proc"))
    assert str(caught.value) == "cannot save to /proc/log.txt: No such file or directory"
