"""Outlook's winmail.dat (application/ms-tnef): the files inside it are the attachments, its
text the body of a message that has no other; a broken one is kept as it came, with a note.
They were one opaque ``winmail.dat`` attachment nobody outside Outlook can open."""

from __future__ import annotations

import base64
import time

import pytest
from sqlmodel import col, select

from helpdesk_tui.mail import tnef
from helpdesk_tui.mail.parse import ParsedMessage, parse_message
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Attachment

from .mailbuild import messages, server_settings, tickets
from .servers import ImapAccount
from .test_poller import poller

_MESSAGE, _ATTACHMENT = 1, 2


def _object(level: int, name: int, data: bytes, kind: int = 0x0006) -> bytes:
    return (
        bytes([level])
        + name.to_bytes(2, "little")
        + kind.to_bytes(2, "little")
        + len(data).to_bytes(4, "little")
        + data
        + (sum(data) & 0xFFFF).to_bytes(2, "little")
    )


def winmail(files: list[tuple[str, bytes]], body: bytes | None = None) -> bytes:
    """A TNEF file as Outlook writes it: version, code page, body, then each attachment."""
    parts = [
        b"\x78\x9f\x3e\x22\x01\x00",
        _object(_MESSAGE, 0x9006, (0x10000).to_bytes(4, "little"), 0x0008),
        _object(_MESSAGE, 0x9007, (1252).to_bytes(4, "little") + bytes(4), 0x0006),
    ]
    if body is not None:
        parts.append(_object(_MESSAGE, 0x800C, body, 0x0002))
    for name, data in files:
        parts.append(_object(_ATTACHMENT, 0x9002, bytes(14), 0x0006))  # rendering: starts one
        parts.append(_object(_ATTACHMENT, 0x8010, name.encode() + b"\x00", 0x0001))
        parts.append(_object(_ATTACHMENT, 0x800F, data, 0x0006))
    return b"".join(parts)


_BROKEN = b"\x78\x9f\x3e\x22\x01\x00" + _object(_ATTACHMENT, 0x8010, b"x.txt\x00")
"""An attachment's attribute before any attachment started: the reader fails."""


def outlook_mail(tnef_bytes: bytes, *, text: str | None = "See the attached files.") -> bytes:
    encoded = base64.encodebytes(tnef_bytes).decode().replace("\n", "\r\n")
    text_part = f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n" if text else ""
    return (
        "From: Olga Outlook <olga@example.org>\r\nTo: support@desk.test\r\n"
        "Subject: Quarterly figures\r\nMessage-ID: <tnef-1@example.org>\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"{text_part}"
        '--b\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
        'Content-Disposition: attachment; filename="winmail.dat"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--b--\r\n"
    ).encode()


def _parse(raw: bytes, limit: int = 10_000) -> ParsedMessage:
    return parse_message(raw, max_attachment_bytes=limit)


def test_the_files_inside_winmail_dat_are_the_attachments() -> None:
    pdf = b"%PDF-1.4 figures" * 20
    parsed = _parse(outlook_mail(winmail([("Q3 figures.pdf", pdf), ("notes.txt", b"ok")])))

    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("Q3 figures.pdf", "application/pdf", pdf),
        ("notes.txt", "text/plain", b"ok"),
    ]
    assert parsed.body_text == "See the attached files."
    assert parsed.notes == ()


def test_the_text_inside_winmail_dat_is_the_body_of_a_message_without_other_text() -> None:
    raw = outlook_mail(winmail([], body=b"Die Zahlen f\xfcr Q3.\x00"), text=None)

    parsed = _parse(raw)

    assert parsed.body_text == "Die Zahlen für Q3."
    assert parsed.attachments == []


def test_a_winmail_dat_over_the_limit_is_left_out_whole() -> None:
    """(What is inside is never bigger than the file: its files are within the limit too.)"""
    parsed = _parse(outlook_mail(winmail([("big.bin", bytes(5000))])), 4000)

    assert parsed.attachments == []
    assert [s.filename for s in parsed.skipped_attachments] == ["winmail.dat"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"MZ not tnef at all", "not a TNEF file (wrong signature)"),
        (_BROKEN, "Error"),
    ],
    ids=["not-tnef", "broken"],
)
def test_a_broken_winmail_dat_is_kept_as_it_came_with_a_note(data: bytes, reason: str) -> None:
    parsed = _parse(outlook_mail(data))

    assert [(a.filename, a.content) for a in parsed.attachments] == [("winmail.dat", data)]
    [note] = parsed.notes
    assert note.startswith("winmail.dat (Outlook's TNEF) could not be unpacked: ")
    assert reason in note and note.endswith("; it is kept as it came.")
    assert "\n" not in note


def test_a_file_that_keeps_the_reader_busy_is_given_up_after_the_timeout() -> None:
    """4,294,967,295 MAPI properties in eight bytes: the reader would count them all."""
    endless = (
        b"\x78\x9f\x3e\x22\x01\x00"
        + _object(_MESSAGE, 0x9003, b"\xff\xff\xff\xff" + bytes(8))
        + _object(_MESSAGE, 0x800C, b"padding to keep the loop going")
    )
    started = time.monotonic()
    # (A fifth of a second: the input never ends, so any timeout is reached; a second's
    # was a second of the worker's time spent waiting.)
    with pytest.raises(tnef.TnefError, match=r"longer than 0\.2 s"):
        tnef.unpack(endless, timeout=0.2)
    assert time.monotonic() - started < 20, "the child was stopped"


def test_an_outlook_mail_through_the_poller_gets_the_files(
    db: Database, dovecot: ImapAccount
) -> None:
    dovecot.append("INBOX", outlook_mail(winmail([("Q3.xlsx", b"PK\x03\x04 sheet")])))
    dovecot.append(
        "INBOX",
        outlook_mail(_BROKEN).replace(b"tnef-1@", b"tnef-2@"),
    )
    assert poller(db, server_settings(dovecot)).run_once() == 2

    first, second = tickets(db)
    with db.read() as session:
        files = [
            (a.filename, a.content)
            for a in session.exec(select(Attachment).order_by(col(Attachment.id)))
        ]
    assert files == [("Q3.xlsx", b"PK\x03\x04 sheet"), ("winmail.dat", _BROKEN)]
    assert all("could not be unpacked" not in m.body for m in messages(db, first.number))
    [note] = [m for m in messages(db, second.number) if m.kind == "system"]
    assert note.body.startswith("winmail.dat (Outlook's TNEF) could not be unpacked: ")


def _mapi(props: list[tuple[int, int, bytes]]) -> bytes:
    """MAPI properties (type, id, value) as TNEF stores them: a variable-length value has a
    count of 1, its length, and the bytes padded to four."""
    out = [len(props).to_bytes(4, "little")]
    for kind, name, value in props:
        padded = value + bytes(-len(value) % 4)
        out.append(kind.to_bytes(2, "little") + name.to_bytes(2, "little"))
        out.append((1).to_bytes(4, "little") + len(value).to_bytes(4, "little") + padded)
    return b"".join(out)


_PT_BINARY, _PT_OBJECT = 0x0102, 0x000D
_RTF = (
    rb"{\rtf1\ansi\ansicpg1252\fromtext \deff0{\fonttbl{\f0\fswiss Arial;}}"
    rb"{\colortbl\red0\green0\blue0;}{\*\generator Riched20 16.0;}"
    rb"\uc1\pard\f0\fs20 Hello Desk,\par the VPN drops every hour \endash  since Friday."
    rb"\par Caf\'e9 \u8364? 10\par "
    rb'{\field{\*\fldinst{HYPERLINK "http://x"}}'
    rb"{\fldrslt{our wiki}}}\par Olga\par}"
)


def rtf_only_winmail(rtf: bytes = _RTF, files: list[tuple[str, bytes]] | None = None) -> bytes:
    """Outlook's TNEF with no text but compressed RTF (PR_RTF_COMPRESSED)."""
    from compressed_rtf import compress

    props = _mapi([(_PT_BINARY, 0x1009, compress(rtf, compressed=True))])
    return winmail(files or []) + _object(_MESSAGE, 0x9003, props)


def test_an_rtf_only_body_is_read_as_text() -> None:
    """Outlook sends some messages with their text only as compressed RTF inside TNEF:
    the ticket had no text at all."""
    parsed = _parse(outlook_mail(rtf_only_winmail(), text=None))

    assert parsed.body_text == (
        "Hello Desk,\nthe VPN drops every hour \u2013 since Friday.\nCafé € 10\nour wiki\nOlga"
    )
    assert parsed.notes == ()


def test_a_broken_rtf_body_keeps_the_files_with_a_note() -> None:
    broken = winmail([("a.txt", b"ok")]) + _object(
        _MESSAGE, 0x9003, _mapi([(_PT_BINARY, 0x1009, b"\x20\x00\x00\x00garbage-not-lzfu" * 2)])
    )
    parsed = _parse(outlook_mail(broken, text=None))

    assert [a.filename for a in parsed.attachments] == ["a.txt"]
    [note] = parsed.notes
    assert note.startswith("winmail.dat (Outlook's TNEF): its text (RTF) could not be read: ")


def _with_attached_message(inner: bytes) -> bytes:
    """TNEF whose one attachment is a message (PR_ATTACH_DATA_OBJ: IMessage + its TNEF)."""
    signature = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
    props = _mapi([(_PT_OBJECT, 0x3701, signature + inner)])
    return (
        winmail([])
        + _object(_ATTACHMENT, 0x9002, bytes(14), 0x0006)
        + _object(_ATTACHMENT, 0x9005, props, 0x0006)
    )


def test_a_message_attached_inside_winmail_dat_is_kept_as_an_eml_file(
    db: Database, dovecot: ImapAccount
) -> None:
    """An Outlook mail forwarding another as an attachment: the attached message was a
    file with no name and TNEF inside, that nothing but Outlook opens."""
    inner = winmail([("invoice.pdf", b"%PDF-1.4 4711")], body=b"Please pay invoice 4711.\x00")
    inner += _object(_MESSAGE, 0x8004, b"Invoice 4711\x00", 0x0001)
    dovecot.append("INBOX", outlook_mail(_with_attached_message(inner)))
    assert poller(db, server_settings(dovecot)).run_once() == 1

    [ticket] = tickets(db)
    with db.read() as session:
        [eml] = session.exec(select(Attachment)).all()
    assert (eml.filename, eml.content_type) == ("Invoice 4711.eml", "message/rfc822")
    attached = parse_message(eml.content, max_attachment_bytes=10_000)
    assert attached.subject == "Invoice 4711"
    assert attached.body_text.rstrip() == "Please pay invoice 4711."
    assert [(a.filename, a.content) for a in attached.attachments] == [
        ("invoice.pdf", b"%PDF-1.4 4711")
    ]
    assert all(m.kind != "system" for m in messages(db, ticket.number)), "no note: all read"


def test_an_rtf_only_outlook_mail_through_the_poller_has_its_text(
    db: Database, dovecot: ImapAccount
) -> None:
    dovecot.append("INBOX", outlook_mail(rtf_only_winmail(files=[("a.txt", b"ok")]), text=None))
    assert poller(db, server_settings(dovecot)).run_once() == 1
    [ticket] = tickets(db)
    [first] = messages(db, ticket.number)
    assert first.body.startswith("Hello Desk,\nthe VPN drops every hour")


HTML_IN_RTF = (
    rb"{\rtf1\ansi\ansicpg1252\fromhtml1 \fbidis \deff0{\fonttbl{\f0\fswiss Arial;}}"
    rb"{\colortbl\red0\green0\blue0;\red0\green0\blue255;}\uc1\pard\plain\f0\fs24 "
    b"\r\n"
    rb"{\*\htmltag19 <html>}{\*\htmltag34 <head>}{\*\htmltag161 <style>}"
    rb"{\*\htmltag241 p \{ margin: 0 \}}{\*\htmltag201 </style>}{\*\htmltag41 </head>}"
    b"\r\n"
    rb"{\*\htmltag50 <body>}\htmlrtf {\htmlrtf0 {\*\htmltag64 <p>}\htmlrtf {\htmlrtf0 "
    rb"Hello Desk, the VPN drops every hour \'96 see "
    rb'{\*\htmltag84 <a href="http://wiki.example.org/vpn">}\htmlrtf {\field{\*\fldinst'
    rb'{HYPERLINK "http://wiki.example.org/vpn"}}{\fldrslt\cf1\ul \htmlrtf0 our wiki'
    rb"\htmlrtf }\htmlrtf0 \htmlrtf }\htmlrtf0 {\*\htmltag92 </a>}"
    rb"{\*\htmltag84 &lt;}\htmlrtf <\htmlrtf0 Caf\'e9 \u8364?{\*\htmltag84 &gt;}"
    rb"\htmlrtf >\htmlrtf0 \htmlrtf\par}\htmlrtf0 {\*\htmltag72 </p>}"
    b"\r\n"
    rb"{\*\htmltag64 <ul>}{\*\htmltag64 <li>}\htmlrtf {{\pntext \'b7\tab}\htmlrtf0 "
    rb"first{\*\htmltag72 </li>}\htmlrtf\par}\htmlrtf0 {\*\htmltag72 </ul>}"
    rb'{\*\mhtmltag84 <img src="http://tracker.example/x.png" alt="tracked">}'
    rb'{\*\htmltag84 <img src="cid:image001.png" alt="logo">}'
    rb"\htmlrtf }\htmlrtf0 {\*\htmltag58 </body>}{\*\htmltag27 </html>}}"
)
"""Outlook's RTF that wraps an HTML message (\\fromhtml1, as MS-OXRTFEX describes it)."""


def test_rtf_that_wraps_html_is_read_as_that_html() -> None:
    """Outlook keeps an HTML message as RTF that wraps it: read as RTF text, the link's
    address was lost (a field's instruction) and the RTF-only renderings were mixed in."""
    parsed = _parse(outlook_mail(rtf_only_winmail(HTML_IN_RTF), text=None))

    assert parsed.body_text == (
        "Hello Desk, the VPN drops every hour \u2013 see "
        "[our wiki](http://wiki.example.org/vpn)<Café €>\n\n  * first\n\nlogo"
    )
    assert parsed.notes == ()


def test_an_outlook_mail_with_html_in_rtf_through_the_poller_has_its_text(
    db: Database, dovecot: ImapAccount
) -> None:
    raw = outlook_mail(rtf_only_winmail(HTML_IN_RTF, files=[("a.txt", b"ok")]), text=None)
    dovecot.append("INBOX", raw)
    assert poller(db, server_settings(dovecot)).run_once() == 1
    [ticket] = tickets(db)
    [first] = messages(db, ticket.number)
    assert "[our wiki](http://wiki.example.org/vpn)" in first.body
    assert "margin" not in first.body and "tracked" not in first.body


def test_the_child_starts_without_the_parents_imports() -> None:
    """A new interpreter per file: what it imports before reading is its start-up cost
    (the parent module's dataclasses, subprocess and typing, and runpy for ``-m``, were
    some 15 ms of it, A B A B on a loaded machine: 123-157 against 103-122 ms)."""
    import subprocess
    import sys

    heavy = ("dataclasses", "subprocess", "typing", "runpy", "email.utils", "compressed_rtf")
    probe = (
        "import sys; from helpdesk_tui.mail import tnef_child; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, check=True)
    assert done.stdout.strip() == b""
