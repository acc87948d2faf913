"""parse_message: every odd message we could think of, then real mail caught in spam traps."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email import headerregistry
from email.message import EmailMessage
from email.policy import Policy
from pathlib import Path

import html2text
import pytest

from helpdesk_tui.mail import parse
from helpdesk_tui.mail.parse import (
    ParsedMessage,
    ParseError,
    decode_bytes,
    decode_words,
    mailboxes,
    parse_message,
    safe_filename,
)

from .big_path import both_ways

LIMIT = 1_000_000


def lines(*text: str) -> bytes:
    """Raw message bytes with CRLF line ends, written exactly as given (non-ASCII as UTF-8)."""
    return "".join(f"{line}\r\n" for line in text).encode("utf-8", "surrogateescape")


def parsed(raw: bytes | EmailMessage, limit: int = LIMIT) -> ParsedMessage:
    """The message parsed, after checking that the big-message path reads it the same."""
    data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
    both_ways(data, max_attachment_bytes=limit)
    return parse_message(data, max_attachment_bytes=limit)


def message(subject: str = "Printer on fire", body: str = "It still burns.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ada Lovelace <Ada@Example.ORG>"
    msg["To"] = "support@example.com, Second <second@example.com>"
    msg["Cc"] = "boss@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = "<m1@example.org>"
    msg["Date"] = "Tue, 05 Mar 2024 10:30:00 +0100"
    msg.set_content(body)
    return msg


# --- envelope headers ------------------------------------------------------------------


def test_plain_message() -> None:
    result = parsed(message())

    assert result.message_id == "<m1@example.org>"
    assert result.dedupe_key == "<m1@example.org>"
    assert result.subject == "Printer on fire"
    assert result.from_address == "ada@example.org"
    assert result.from_name == "Ada Lovelace"
    assert result.to == ["support@example.com", "second@example.com"]
    assert result.cc == ["boss@example.org"]
    assert result.date == datetime(2024, 3, 5, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert result.body_text == "It still burns.\n"
    assert result.body_html is None
    assert result.attachments == []
    assert not result.is_delivery_report


def test_threading_headers() -> None:
    raw = lines(
        "From: a@example.org",
        "Message-ID: m2@example.org",
        "In-Reply-To: <m1@example.org> (Ada's message of Tuesday)",
        "References: <m0@example.org>",
        "  <m1@example.org> <m0@example.org>",
        "",
        "hi",
    )
    result = parsed(raw)

    assert result.message_id == "<m2@example.org>"
    assert result.in_reply_to == "<m1@example.org>"
    assert result.references == ["<m0@example.org>", "<m1@example.org>"]


def test_missing_message_id_dedupes_on_hash() -> None:
    raw = lines("From: a@example.org", "Subject: no id", "", "hello")
    result = parsed(raw)

    assert result.message_id is None
    assert result.raw_sha256 == hashlib.sha256(raw).hexdigest()
    assert result.dedupe_key == f"sha256:{result.raw_sha256}"


def test_display_name_that_is_an_address_does_not_fool_us() -> None:
    raw = lines(
        "From: boss@example.com <attacker@evil.example>",
        "Reply-To: help@example.com <trap@evil.example>",
        'To: "Charlie Brown" <charlie@example.com>, dave@example.com, not an address',
        "Cc: undisclosed-recipients:;",
        "",
        "pay now",
    )
    result = parsed(raw)

    assert result.from_address == "attacker@evil.example"
    assert result.from_name == ""  # (shown as the requester's name, it said the boss wrote)
    assert parsed(lines("From: a@example.org <A@example.org>", "", "x")).from_name == (
        "a@example.org"  # (the sender's own address: no one else named)
    )
    assert result.reply_to == "trap@evil.example"
    assert result.to == ["charlie@example.com", "dave@example.com"]
    assert result.cc == []


def test_a_quoted_address_keeps_its_display_name() -> None:
    """Python 3.11.2's ``email`` writes some senders with the whole address quoted inside
    the brackets; the name was lost and the acknowledgement said "Hello jose@cliente.test,"."""
    result = parsed(lines('From: =?utf-8?q?Jos=C3=A9?= <"jose@cliente.test">', "", "x"))
    assert (result.from_address, result.from_name) == ("jose@cliente.test", "José")
    quoted_local_part = parsed(lines('From: Ann <"ann"@example.org>', "", "x"))
    assert (quoted_local_part.from_address, quoted_local_part.from_name) == (
        "ann@example.org",
        "Ann",
    )


def test_no_usable_sender() -> None:
    result = parsed(lines("From: MAILER-DAEMON", "Subject: x", "", "body"))

    assert result.from_address is None
    assert result.headers["from"] == "MAILER-DAEMON"


def test_mailboxes_reads_quotes_comments_and_groups() -> None:
    assert mailboxes('"Brown, Charlie" <c@x.org>, d@x.org (Dave), team: e@x.org;') == [
        ("Brown, Charlie", "c@x.org"),
        ("Dave", "d@x.org"),
        ("", "e@x.org"),
    ]
    assert mailboxes('"Evil <ceo@x.org>" <evil@y.org>') == [("Evil <ceo@x.org>", "evil@y.org")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Tue, 05 Mar 2024 10:30:00 -0000", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        ("yesterday at noon", None),
        ("Tue, 99 Foo 2024 99:99:99 +0100", None),
    ],
)
def test_dates(header: str, expected: datetime | None) -> None:
    result = parsed(lines("From: a@example.org", f"Date: {header}", "", "x"))

    assert result.date == expected


# --- RFC 2047 and charsets -------------------------------------------------------------


def encoded_word(data: bytes, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def test_subject_with_multibyte_character_split_across_encoded_words() -> None:
    text = "Grüße aus Köln, ✓".encode()
    split = text.index("ü".encode()) + 1  # in the middle of ü
    subject = f"{encoded_word(text[:split])}\r\n {encoded_word(text[split:])}"
    result = parsed(lines("From: a@example.org", f"Subject: {subject}", "", "x"))

    assert result.subject == "Grüße aus Köln, ✓"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("=?iso-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"),
        ("Re: =?windows-1251?B?z/Do4uXy?= =?koi8-r?Q?=CD=C9=D2?=", "Re: Приветмир"),
        ("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"),
        ("=?utf-8*de?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        # Unknown and lying charsets fall back instead of failing.
        ("=?x-no-such-charset?Q?Caf=C3=A9?=", "Café"),
        ("=?us-ascii?Q?Caf=E9?=", "Café"),
        ("=?base64?Q?plain?=", "plain"),
        # Broken words stay as written.
        ("=?utf-8?B?%%%?= ok", "=?utf-8?B?%%%?= ok"),
        ("word=?utf-8?Q?s_glued?=together", "words gluedtogether"),
        ("  lots   of\t whitespace  ", "lots of whitespace"),
    ],
)
def test_subject_decoding(subject: str, expected: str) -> None:
    result = parsed(lines("From: a@example.org", f"Subject: {subject}", "", "x"))

    assert result.subject == expected


def test_raw_8bit_headers() -> None:
    raw = b"From: J\xf6rg <j@example.de>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nx\r\n"
    result = parsed(raw)

    assert result.from_name == "Jörg"
    assert result.subject == "Grüße"


@pytest.mark.parametrize(
    ("charset", "subject", "name"),
    [
        ("koi8-r", "Принтер сломан", "Иван"),
        ("gb2312", "打印机坏了", "王伟"),
        ("iso-8859-15", "Drucker kaputt €", "Jörg"),
    ],
)
def test_raw_8bit_headers_in_the_charset_the_message_declares(
    charset: str, subject: str, name: str
) -> None:
    """An old mailer wrote the subject and name as raw bytes in the charset of its text:
    they were read as Windows-1252 ("ðÒÉÎÔÅÒ" in the queue for a Russian subject). Not
    UTF-8, they are read in the charset the message declares for its text (the top level's,
    else its first part's), and UTF-8 still comes first."""
    raw = (
        b"From: "
        + name.encode(charset)
        + b" <x@example.org>\r\nSubject: "
        + subject.encode(charset)
        + b"\r\nMIME-Version: 1.0\r\n"
        + b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
        + f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode()
        + subject.encode(charset)
        + b"\r\n--b--\r\n"
    )
    result = parsed(raw)

    assert (result.subject, result.from_name) == (subject, name)
    assert result.body_text.strip() == subject
    utf8 = raw.replace(subject.encode(charset), subject.encode("utf-8"), 1)
    assert parsed(utf8).subject == subject


def test_control_characters_never_reach_the_subject_or_name() -> None:
    raw = lines(
        "From: =?utf-8?Q?Evil=1B[31m=E2=80=AEname?= <e@example.org>",
        "Subject: =?utf-8?Q?red=1B[2J=07bell=00nul=0D=0Anext?=",
        "",
        "x",
    )
    result = parsed(raw)

    assert result.subject == "redbellnul next"
    assert result.from_name == "Evilname"


def test_escape_sequences_leave_no_visible_remnants() -> None:
    """An escape sequence goes whole: stripping only its ESC left ``[31m``, ``[2J[H`` or an
    OSC 8 link's ``]8;;http://…`` on the agent's screen and in the acknowledgement."""

    def word(text: str) -> str:
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="

    body = "See \x1b]8;;http://evil.example\x1b\\this link\x1b]8;;\x1b\\ in \x1b[31mred\x1b[0m."
    name = word("Evil \x1b]0;pwned\x07Eve")
    subject = word("Hi \x1b[2J\x1b[Hthere \x9b31mnow")
    filename = word("\x1b[31mred\x1b[0m.txt")
    raw = lines(
        f"From: {name} <eve@example.org>",
        f"Subject: {subject}",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "--b",
        "Content-Type: text/plain",
        f'Content-Disposition: attachment; filename="{filename}"',
        "",
        "x",
        "--b--",
    )

    result = parsed(raw)

    assert result.subject == "Hi there now"
    assert result.from_name == "Evil Eve"
    assert result.body_text.strip() == "See this link in red."
    assert [a.filename for a in result.attachments] == ["red.txt"]


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("Grüße".encode(), "utf-8", "Grüße"),
        ("Grüße".encode("cp1252"), "utf-8", "Grüße"),  # declared wrong
        ("Grüße".encode(), "x-bogus", "Grüße"),  # unknown
        ("Grüße".encode(), "base64", "Grüße"),  # a codec, but not a charset
        ("€uro".encode("cp1252"), "iso-8859-1", "€uro"),  # as mail clients read latin-1
        (b"\x81\x8d\x8f", None, "\x81\x8d\x8f"),  # undefined in cp1252: latin-1
        ("文字".encode("gb18030"), "gb2312", "文字"),
        # UTF-8 with one broken sequence among many good ones: UTF-8, not cp1252 mojibake
        ("Профиль " * 3 + "Сообщения", "utf-8", "Профиль " * 3 + "Сообщения"),
        ("Профиль".encode() * 4 + b"\xd1f", "utf-8", "Профиль" * 4 + "\ufffdf"),
        (b"Profil" + b"\xd1f", None, "ProfilÑf"),  # (no good ones: cp1252)
        ("Grüße".encode() + "Café".encode("cp1252"), "utf-8", "GrÃ¼ÃŸeCafé"),
        # UTF-8 labelled with a one-byte charset (a real Outlook part, mail-corpus
        # mail_test_4): UTF-8, where its "ó" read as two Cyrillic letters
        ("Parque Tecnológico".encode(), "Windows-1251", "Parque Tecnológico"),
        ("Grüße".encode(), "ISO-8859-1", "Grüße"),
        ("Grüße".encode(), "koi8-r", "Grüße"),
        # text really in that charset stays in it
        ("Привет, коллеги! Счёт №5".encode("cp1251"), "windows-1251", "Привет, коллеги! Счёт №5"),
        ("Grüße à côté".encode("cp1252"), "iso-8859-1", "Grüße à côté"),
        ("Ελληνικά".encode("iso8859-7"), "iso-8859-7", "Ελληνικά"),
        ("日本語".encode("shift_jis"), "shift_jis", "日本語"),  # (not a one-byte charset)
    ],
)
def test_decode_bytes_falls_back(data: bytes | str, declared: str | None, expected: str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    assert decode_bytes(raw, declared) == expected


def test_body_with_wrong_charset_declared() -> None:
    raw = lines(
        "From: a@example.org",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
    ) + "Café au lait\r\n".encode("cp1252")
    assert parsed(raw).body_text == "Café au lait\n"


def test_body_with_unknown_charset() -> None:
    raw = lines(
        "From: a@example.org",
        'Content-Type: text/plain; charset="x-unheard-of"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Gr=C3=BC=C3=9Fe",
    )
    assert parsed(raw).body_text == "Grüße\n"


def test_control_characters_are_removed_from_bodies() -> None:
    msg = message(body="line one\x1b[2J\x00\r\nline\ttwo\x07\n")
    assert parsed(msg).body_text == "line one\nline\ttwo\n"


def test_decode_words_keeps_plain_text() -> None:
    assert decode_words("no encoded words here") == "no encoded words here"


# --- bodies ----------------------------------------------------------------------------


def test_multipart_alternative_keeps_both() -> None:
    msg = message(body="Plain version\n")
    msg.add_alternative("<p>HTML <b>version</b></p>", subtype="html")
    result = parsed(msg)

    assert result.body_text == "Plain version\n"
    assert result.body_html == "<p>HTML <b>version</b></p>\n"
    assert result.attachments == []


def test_html_only_becomes_readable_text() -> None:
    msg = message()
    msg.set_content(
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head>"
        "<body><p>Hello&nbsp;<b>there</b> &amp; welcome</p><p>See <a href='https://x.test/'>"
        "the manual</a></p><img src='cid:logo' alt='Logo'></body></html>",
        subtype="html",
    )
    result = parsed(msg)

    assert result.body_html is not None and "<p>" in result.body_html
    assert "Hello\xa0there & welcome" in result.body_text
    assert "the manual" in result.body_text
    assert "<" not in result.body_text
    assert "alert" not in result.body_text
    assert "color" not in result.body_text


def test_html_converter_failure_falls_back_to_stripping_tags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: html2text.HTML2Text, data: str) -> str:
        raise AssertionError("html2text gave up")

    monkeypatch.setattr(html2text.HTML2Text, "handle", broken)
    msg = message()
    msg.set_content("<p>Hello &amp; goodbye</p>", subtype="html")

    assert parsed(msg).body_text == "Hello & goodbye"


def test_empty_plain_part_falls_back_to_html() -> None:
    msg = message(body="\n")
    msg.add_alternative("<p>Only here</p>", subtype="html")

    assert parsed(msg).body_text == "Only here"


def test_text_split_around_an_inline_image_is_joined() -> None:
    raw = lines(
        "From: a@example.org",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "Before the picture.",
        "--b",
        "Content-Type: image/png",
        "Content-Disposition: inline",
        "Content-Transfer-Encoding: base64",
        "",
        "iVBORw0KGgo=",
        "--b",
        "Content-Type: text/plain",
        "",
        "After the picture.",
        "--b--",
    )
    result = parsed(raw)

    assert result.body_text == "Before the picture.\nAfter the picture."
    [image] = result.attachments
    assert image.inline and image.filename == "attachment.png"


def test_multipart_without_boundary_is_read_as_text() -> None:
    raw = lines("From: a@example.org", "Content-Type: multipart/mixed", "", "just text")
    result = parsed(raw)

    assert result.body_text == "just text\n"
    assert result.attachments == []


def test_deeply_nested_mime_is_refused() -> None:
    depth = 60
    head = [
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    ]
    tail = [f"\r\n--b{i}--\r\n" for i in reversed(range(depth))]
    raw = b"From: a@example.org\r\n" + "".join(head).encode() + b"\r\nx" + "".join(tail).encode()

    with pytest.raises(ParseError, match="nested"):
        parsed(raw)


# --- attachments -----------------------------------------------------------------------


def test_attachment_kept() -> None:
    msg = message()
    msg.add_attachment(b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="a.pdf")
    [attachment] = parsed(msg).attachments

    assert attachment.filename == "a.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.content == b"%PDF-1.4 data"
    assert attachment.size == len(b"%PDF-1.4 data")
    assert attachment.content_id is None
    assert not attachment.inline


def test_rfc2231_filenames() -> None:
    raw = lines(
        "From: a@example.org",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "see attached",
        "--b",
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20rates.txt",
        "",
        "1",
        "--b",
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment;",
        " filename*0*=iso-8859-1''R%E9sum%E9%20of;",
        " filename*1*=%20the%20year.txt",
        "",
        "2",
        "--b",
        'Content-Type: application/octet-stream; name="=?utf-8?B?w6lsw6hWZS5kb2N4?="',
        "Content-Disposition: attachment",
        "",
        "3",
        "--b--",
    )
    names = [attachment.filename for attachment in parsed(raw).attachments]

    assert names == ["€ rates.txt", "Résumé of the year.txt", "élèVe.docx"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\evil.exe", "evil.exe"),
        ("/absolute/path.txt", "path.txt"),
        ("bell\x07tab\tnul\x00.txt", "belltab nul.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override trick
        ("..", "attachment.bin"),
        ("   ", "attachment.bin"),
        ("dir/", "attachment.bin"),
        (None, "attachment.bin"),
        (".hidden", "hidden"),
    ],
)
def test_hostile_filenames(name: str | None, expected: str) -> None:
    assert safe_filename(name, "application/octet-stream") == expected


def test_hostile_filename_in_a_message() -> None:
    msg = message()
    msg.add_attachment(b"root:x:0:0", maintype="text", subtype="plain", filename="../../etc/passwd")
    [attachment] = parsed(msg).attachments

    assert attachment.filename == "passwd"


def test_long_filename_keeps_its_extension() -> None:
    name = safe_filename("x" * 500 + ".pdf", "application/pdf")

    assert len(name) == 200
    assert name.endswith("x.pdf")


def test_nameless_attachment_is_named_by_type() -> None:
    assert safe_filename("", "image/png") == "attachment.png"


def test_inline_image_with_content_id() -> None:
    msg = message(body="See the picture.\n")
    msg.add_alternative('<p>See <img src="cid:logo123@example.org"></p>', subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(
        b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", cid="<logo123@example.org>"
    )
    result = parsed(msg)

    [image] = result.attachments
    assert image.content_id == "logo123@example.org"
    assert image.inline
    assert image.content_type == "image/png"
    assert image.content == b"\x89PNG\r\n\x1a\n"
    assert result.body_text == "See the picture.\n"


def test_attachment_over_the_limit_is_skipped_but_noted() -> None:
    msg = message()
    msg.add_attachment(b"x" * 2000, maintype="application", subtype="zip", filename="big.zip")
    msg.add_attachment(b"y" * 10, maintype="text", subtype="csv", filename="small.csv")
    result = parsed(msg, limit=1000)

    assert [a.filename for a in result.attachments] == ["small.csv"]
    [skipped] = result.skipped_attachments
    assert (skipped.filename, skipped.content_type, skipped.size) == (
        "big.zip",
        "application/zip",
        2000,
    )


def test_attached_message_is_kept_whole() -> None:
    inner = message(subject="Forwarded original")
    outer = message(body="FYI, see attached.\n")
    outer.add_attachment(inner)
    result = parsed(outer)

    [attachment] = result.attachments
    assert attachment.content_type == "message/rfc822"
    assert attachment.filename == "Forwarded original.eml"
    assert b"Subject: Forwarded original" in attachment.content
    assert result.body_text == "FYI, see attached.\n"
    assert result.bounced_message_id is None


# --- delivery reports ------------------------------------------------------------------


def dsn(original_part: list[str]) -> bytes:
    return lines(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        "To: support@example.com",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <bounce-1@mx.example.net>",
        'Content-Type: multipart/report; report-type="delivery-status"; boundary="r"',
        "",
        "--r",
        "Content-Type: text/plain",
        "",
        "I'm sorry to have to inform you that your message could not be delivered.",
        "--r",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.net",
        "",
        "Final-Recipient: rfc822; gone@example.org",
        "Action: failed",
        "Status: 5.1.1",
        "",
        "--r",
        *original_part,
        "--r--",
    )


def test_delivery_report_with_original_message() -> None:
    raw = dsn(
        [
            "Content-Type: message/rfc822",
            "",
            "From: support@example.com",
            "To: gone@example.org",
            "Message-ID: <reply-42@helpdesk.example.com>",
            "Subject: Re: [#42] Printer",
            "",
            "Our answer.",
        ]
    )
    result = parsed(raw)

    assert result.is_delivery_report
    assert result.bounced_message_id == "<reply-42@helpdesk.example.com>"
    assert result.message_id == "<bounce-1@mx.example.net>"
    assert result.body_text.startswith("I'm sorry")


def test_delivery_report_with_headers_only() -> None:
    raw = dsn(
        [
            "Content-Type: text/rfc822-headers",
            "",
            "From: support@example.com",
            "Message-ID:",
            " <reply-43@helpdesk.example.com>",
        ]
    )
    result = parsed(raw)

    assert result.is_delivery_report
    assert result.bounced_message_id == "<reply-43@helpdesk.example.com>"


def test_delivery_report_quoting_headers_in_its_text_only() -> None:
    raw = lines(
        "From: MAILER-DAEMON@mx.example.net",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        "",
        "--r",
        "Content-Type: text/plain",
        "",
        "Delivery failed. Original headers:",
        "Message-Id: <reply-44@helpdesk.example.com>",
        "--r",
        "Content-Type: message/delivery-status",
        "",
        "Action: failed",
        "--r--",
    )
    assert parsed(raw).bounced_message_id == "<reply-44@helpdesk.example.com>"


# --- our own headers -------------------------------------------------------------------


def test_internal_headers_are_kept_apart() -> None:
    msg = message()
    msg["X-Helpdesk-Loop"] = "helpdesk.example.com"
    msg["X-Helpdesk-Ticket"] = "1042"
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Spam-Flag"] = "NO"
    result = parsed(msg)

    assert result.internal_headers == {
        "x-helpdesk-loop": "helpdesk.example.com",
        "x-helpdesk-ticket": "1042",
    }
    assert not any(name.startswith("x-helpdesk") for name in result.headers)
    assert result.headers["auto-submitted"] == "auto-replied"
    assert result.headers["x-spam-flag"] == "NO"


# --- never anything but ParseError -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\r\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00binary", "an Outlook item (.msg file)"),
        ("From: a@example.org\r\n\r\nx", "expected bytes"),
    ],
)
def test_unparseable_input(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as error:
        parse_message(raw, max_attachment_bytes=LIMIT)

    assert reason in error.value.reason


def test_unexpected_failure_becomes_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object) -> ParsedMessage:
        raise IndexError("deep inside the email package")

    monkeypatch.setattr(parse, "_parse", explode)
    with pytest.raises(ParseError) as error:
        parsed(message())

    assert error.value.reason == "unexpected IndexError: deep inside the email package"


def test_compat32_takes_over_when_the_default_policy_chokes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_extract = parse._Body.extract.__func__

    def choosy(
        cls: type[parse._Body], raw: bytes, parse_policy: Policy, limit: int, runs: object
    ) -> parse._Body:
        if parse_policy is parse.policy.default:
            raise ValueError("header parser choked")
        return real_extract(cls, raw, parse_policy, limit, runs)

    monkeypatch.setattr(parse._Body, "extract", classmethod(choosy))
    msg = message()
    msg.add_attachment(b"data", maintype="application", subtype="pdf", filename="a.pdf")
    result = parsed(msg)

    assert result.body_text == "It still burns.\n"
    assert [a.filename for a in result.attachments] == ["a.pdf"]


def test_garbage_never_raises_anything_else() -> None:
    samples = [
        b"\x00" * 100,
        b"From: \r\n" * 50 + b"\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Subject: =?utf-8?B?====?= =?x?Q?=ZZ?=\r\n\r\n",
        b"Content-Type: text/plain; charset*=''\r\nContent-Transfer-Encoding: base64\r\n\r\n!!",
        b"Content-Type: message/rfc822\r\n\r\nnot a message",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n",
        b"Date: Mon, 31 Feb 99999 25:61:61 +9999\r\nMessage-ID: <>\r\n\r\n",
    ]
    for raw in samples:
        try:
            parse_message(raw, max_attachment_bytes=10)
        except ParseError as error:
            assert error.reason


# --- real mail -------------------------------------------------------------------------


def test_mail_parser_corpus(mail_parser_file: Path) -> None:
    """Spam-trap mail nobody on this project wrote parses, or is refused with a reason."""
    try:
        result = parse_message(mail_parser_file.read_bytes(), max_attachment_bytes=100_000)
    except ParseError as error:
        assert error.reason
        return
    assert result.dedupe_key
    for attachment in result.attachments:
        assert attachment.filename and "/" not in attachment.filename
        assert attachment.size <= 100_000
    for text in (result.subject, result.from_name, result.body_text):
        assert "\x1b" not in text and "\x00" not in text


def test_outlook_msg_file_is_refused(mail_corpus: Path) -> None:
    raw = (mail_corpus / "mail-parser" / "mail_outlook_1").read_bytes()  # Outlook .msg, not MIME

    with pytest.raises(ParseError, match=re.escape("an Outlook item (.msg file)")):
        parse_message(raw, max_attachment_bytes=LIMIT)


def test_bounce_with_nonstandard_headers_part(mail_corpus: Path) -> None:
    raw = (mail_corpus / "mail-parser" / "mail_malformed_2").read_bytes()
    result = parse_message(raw, max_attachment_bytes=LIMIT)

    assert result.is_delivery_report
    assert result.bounced_message_id == "<004801d1fc84$01c934ac$b247f0b7$@infospacemail.com>"
    assert result.headers["return-path"] == "<>"


def test_display_names_that_are_addresses(mail_corpus: Path) -> None:
    raw = (mail_corpus / "mail-parser" / "mail_test_19").read_bytes()
    result = parse_message(raw, max_attachment_bytes=LIMIT)

    assert result.from_address == "bob@example.com"
    assert result.to == ["charlie@example.com", "dave@example.com"]
    assert result.cc == ["frank@example.com"]
    assert result.reply_to == "ivan@example.com"


def test_encoded_names_with_commas(mail_corpus: Path) -> None:
    raw = (mail_corpus / "mail-parser" / "mail_test_18").read_bytes()
    result = parse_message(raw, max_attachment_bytes=LIMIT)

    assert result.from_name == "LastßlName, FirstName"
    assert result.to == ["tony.stark@example.com"]
    assert result.cc == ["simple@example.net", "john.doe@example.com"]


def test_huge_html_only_has_its_tags_dropped() -> None:
    msg = message()
    msg.set_content("<p>Hello &amp; welcome</p>" * 30_000, subtype="html")
    text = parsed(msg).body_text

    assert text.startswith("Hello & welcome")
    assert "<p>" not in text


# --- what a lenient reader recovers ----------------------------------------------------


def test_several_addresses_in_from_the_first_usable_is_the_requester() -> None:
    raw = lines(
        "From: Undisclosed, Ann Customer <Ann@Example.org>, bob@example.org,",
        " =?utf-8?Q?Zo=C3=AB?= <zoe@example.net>",
        "To: support@example.com",
        "Subject: Printer",
        "",
        "We all agree.",
    )
    result = parsed(raw)

    assert result.from_address == "ann@example.org"
    assert result.from_name == "Ann Customer"
    assert result.from_addresses == ["ann@example.org", "bob@example.org", "zoe@example.net"]


def test_obsolete_syntax_with_space_before_the_colon() -> None:
    raw = lines(
        "From  : Ann Customer <ann@example.org>",
        "To\t: support@example.com",
        "Subject : Printer on fire",
        "Message-ID : <obs-1@example.org>",
        "Date: Tue, 05 Mar 2024 10:30:00 +0100",
        "MIME-Version: 1.0",
        "Content-Type : text/plain; charset=utf-8",
        "",
        "Subject : this line is body text and stays so",
    )
    result = parsed(raw)

    assert (result.from_address, result.from_name) == ("ann@example.org", "Ann Customer")
    assert result.to == ["support@example.com"]
    assert result.subject == "Printer on fire"
    assert result.message_id == "<obs-1@example.org>"
    assert result.body_text == "Subject : this line is body text and stays so\n"
    assert result.raw_sha256 == hashlib.sha256(raw).hexdigest(), "the raw bytes are kept as-is"


@pytest.mark.parametrize(
    ("header", "address"),
    [
        ("Ann Customer <ann@example.org", "ann@example.org"),  # no closing bracket
        ("Ann <ann(home)@example.org>", "ann@example.org"),  # comment inside the address
        ("Ann <ann @ example.org>", "ann@example.org"),  # spaces around the @
        ("Ann <mailto:ann@example.org>", "ann@example.org"),
        ("Ann Customer ann@example.org", "ann@example.org"),  # no brackets at all
        ('"Ann <ann@example.org>', "ann@example.org"),  # unterminated quote
        ("Ann [ann@example.org]", "ann@example.org"),
        # A strict reading that finds an address is never overridden:
        ("boss@example.com <attacker@example.net>", "attacker@example.net"),
        ("Ann at example dot org", None),
        # Nor taken from a quoted string or a comment: no server routes there. This is mail
        # for evil.example whose local part is a quoted string, not boss@example.com's:
        ('B <"boss@example.com"@evil.example>', None),
        ('"boss@example.com"@evil.example', None),
        ("Ann (boss@example.com) <nobody>", None),
    ],
)
def test_from_a_lenient_reader_can_read(header: str, address: str | None) -> None:
    result = parsed(lines(f"From: {header}", "Subject: x", "", "hi"))

    assert result.from_address == address


def test_reply_to_cc_and_to_are_read_leniently_too() -> None:
    raw = lines(
        "From: ann@example.org",
        "Reply-To: Ann <mailto:ann.private@example.org>",
        "To: Support <support@example.com",
        "Cc: Boss <boss(at work)@example.org>",
        "",
        "hi",
    )
    result = parsed(raw)

    assert result.reply_to == "ann.private@example.org"
    assert result.to == ["support@example.com"]
    assert result.cc == ["boss@example.org"]


def test_mixed_case_content_types_and_parameters() -> None:
    raw = lines(
        "From: Ann <ann@example.org>",
        "MIME-Version: 1.0",
        'Content-Type: Multipart/Mixed; BOUNDARY="Outer"',
        "",
        "--Outer",
        'Content-Type: Multipart/Alternative; Boundary="inner"',
        "",
        "--inner",
        'Content-Type: TEXT/PLAIN; CHARSET="UTF-8"',
        "Content-Transfer-Encoding: QUOTED-PRINTABLE",
        "",
        "Gr=C3=BC=C3=9Fe",
        "--inner",
        "Content-Type: Text/HTML; Charset=utf-8",
        "Content-Transfer-Encoding: Base64",
        "",
        base64.b64encode("<p>Grüße</p>".encode()).decode(),
        "--inner--",
        "--Outer",
        'Content-Type: Application/PDF; Name="Rechnung.pdf"',
        "Content-Disposition: ATTACHMENT",
        "Content-Transfer-Encoding: BASE64",
        "",
        base64.b64encode(b"%PDF-1.4").decode(),
        "--Outer--",
    )
    result = parsed(raw)

    assert result.body_text == "Grüße"
    assert result.body_html == "<p>Grüße</p>"
    [pdf] = result.attachments
    assert (pdf.filename, pdf.content_type, pdf.content) == (
        "Rechnung.pdf",
        "application/pdf",
        b"%PDF-1.4",
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("=?utf-8?B?SGVsbG8gV29ybGQ===?=", "Hello World"),  # over-padded
        ("=?utf-8?B?SGVsbG8gV29ybGQ=====?=", "Hello World"),
        ("=?utf-8?B?SGVsbG8gV29ybGQ?=", "Hello World"),  # padding left out
        ("=?utf-8?B?SGVsb?= =?utf-8?B?G8gV29ybGQ=?=", "Hello World"),  # split mid-group
        ("=?UTF-8?B?0J/RgN?=\r\n =?UTF-8?B?C40LLQtdGCINC80LjRgA==?=", "Привет мир"),  # mid-char
        ("=?utf-8?B?w6k?= =?utf-8?B?w6k?=", "éé"),  # two words without padding
        ("Re: =?utf-8?B?w6k=?= =?utf-8?B?w6k=?= [#4]", "Re: éé [#4]"),
        ("=?iso-8859-1?Q?caf=E9?= =?utf-8?B?IMOpdMOp?=", "café été"),
        ("=?utf-8?B?SGk*?=", "=?utf-8?B?SGk*?="),  # not base64: kept as written
    ],
)
def test_encoded_words_over_padded_or_split(subject: str, expected: str) -> None:
    raw = f"From: a@example.org\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()
    assert parsed(raw).subject == expected


def attachment_message(*part_headers: str, content: str = "cGRm") -> bytes:
    return lines(
        "From: a@example.org",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "see attached",
        "--b",
        *part_headers,
        "",
        content,
        "--b--",
    )


@pytest.mark.parametrize(
    ("part_headers", "expected"),
    [
        (  # unquoted encoded word: policy.default reads no filename at all
            [
                "Content-Type: application/pdf; name==?UTF-8?B?UmVjaG51bmcgTcOkcnoucGRm?=",
                "Content-Disposition: attachment; filename==?UTF-8?B?UmVjaG51bmcgTcOkcnoucGRm?=",
                "Content-Transfer-Encoding: base64",
            ],
            "Rechnung März.pdf",
        ),
        (  # quoted encoded word (not RFC 2231, but what Outlook and Gmail send)
            [
                "Content-Type: application/pdf",
                'Content-Disposition: attachment; filename="=?utf-8?Q?Rechnung_M=C3=A4rz.pdf?="',
                "Content-Transfer-Encoding: base64",
            ],
            "Rechnung März.pdf",
        ),
        (  # unquoted 8-bit name with a space: policy.default stops at the space
            [
                "Content-Type: application/pdf",
                "Content-Disposition: attachment; filename=Rechnung März.pdf",
                "Content-Transfer-Encoding: base64",
            ],
            "Rechnung März.pdf",
        ),
        (  # RFC 2231 continuations with a gap: policy.default keeps the first piece only
            [
                "Content-Type: application/pdf",
                "Content-Disposition: attachment; filename*0=Rech; filename*2=nung.pdf",
                "Content-Transfer-Encoding: base64",
            ],
            "Rechnung.pdf",
        ),
        (  # RFC 2231 with charset and language, folded
            [
                "Content-Type: application/pdf",
                "Content-Disposition: attachment;",
                " filename*0*=utf-8'de'Rechnung%20M%C3%A4;",
                " filename*1*=rz.pdf",
                "Content-Transfer-Encoding: base64",
            ],
            "Rechnung März.pdf",
        ),
        (  # a semicolon missing before the parameter
            [
                "Content-Type: application/pdf",
                "Content-Disposition: attachment filename=Rechnung.pdf",
                "Content-Transfer-Encoding: base64",
            ],
            "Rechnung.pdf",
        ),
    ],
)
def test_encoded_filenames_are_kept(part_headers: list[str], expected: str) -> None:
    result = parsed(attachment_message(*part_headers))

    [attachment] = result.attachments
    assert attachment.filename == expected
    assert attachment.content == b"pdf"
    assert result.body_text == "see attached"


@pytest.mark.parametrize(
    "part_headers",
    [
        [
            'Content-Type: text/plain; charset=utf-8; name=""',
            'Content-Disposition: inline; filename=""',
        ],
        ['Content-Type: text/plain; charset=utf-8; name="  "'],
        ["Content-Type: text/plain; charset=utf-8; name=", "Content-Disposition: inline"],
    ],
)
def test_inline_text_part_with_a_blank_name_stays_body(part_headers: list[str]) -> None:
    result = parsed(attachment_message(*part_headers, content="and the rest of the text"))

    assert result.attachments == []
    assert result.body_text == "see attached\nand the rest of the text"


def test_named_text_attachment_stays_an_attachment() -> None:
    result = parsed(
        attachment_message(
            'Content-Type: text/plain; name="log.txt"',
            "Content-Disposition: attachment",
            content="error at line 1",
        )
    )

    assert [a.filename for a in result.attachments] == ["log.txt"]


def test_multipart_report_keeps_its_human_readable_part_as_body() -> None:
    # A read receipt as Outlook sends it: the text part carries a name.
    raw = lines(
        "From: Ann Customer <ann@example.org>",
        "To: support@example.com",
        "Subject: Read: Printer on fire [#12]",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=disposition-notification;",
        '\tboundary="----=_NextPart_000"',
        "",
        "------=_NextPart_000",
        'Content-Type: text/plain; charset="utf-8"; name="notification.txt"',
        "Content-Disposition: inline",
        "",
        "Your message was read on Tuesday, March 5, 2024 10:42 AM.",
        "------=_NextPart_000",
        "Content-Type: message/disposition-notification",
        "",
        "Reporting-UA: ann-laptop; Microsoft Outlook 16.0",
        "Final-Recipient: rfc822;ann@example.org",
        "Original-Message-ID: <hd.12.abc@desk.example.com>",
        "Disposition: manual-action/MDN-sent-manually; displayed",
        "------=_NextPart_000--",
    )
    result = parsed(raw)

    assert result.report_type == "disposition-notification"
    assert result.disposition == "manual-action/MDN-sent-manually; displayed"
    assert result.reported_message_id == "<hd.12.abc@desk.example.com>"
    assert result.body_text == "Your message was read on Tuesday, March 5, 2024 10:42 AM."
    assert [(a.filename, a.content_type) for a in result.attachments] == [
        ("disposition-notification.txt", "message/disposition-notification")
    ]
    assert not result.is_delivery_report and result.delivery_status is None


def test_report_whose_text_comes_in_plain_and_html_keeps_both_as_body() -> None:
    # Exchange's non-delivery reports: the human-readable part is multipart/alternative.
    raw = lines(
        "From: postmaster@corp.example.org",
        "Subject: Undeliverable: Printer",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        "",
        "--r",
        'Content-Type: multipart/alternative; boundary="a"',
        "",
        "--a",
        'Content-Type: text/plain; charset="us-ascii"; name="ndr.txt"',
        "",
        "Your message couldn't be delivered.",
        "--a",
        'Content-Type: text/html; charset="us-ascii"; name="ndr.htm"',
        "",
        "<p>Your message couldn't be delivered.</p>",
        "--a--",
        "--r",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns;corp.example.org",
        "",
        "Final-Recipient: rfc822;gone@corp.example.org",
        "Action: failed",
        "Status: 5.1.10",
        "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
        "--r--",
    )
    result = parsed(raw)

    assert result.body_text == "Your message couldn't be delivered."
    assert result.body_html == "<p>Your message couldn't be delivered.</p>"
    assert [a.filename for a in result.attachments] == ["delivery-status.txt"]
    assert result.delivery_status is not None
    status = result.delivery_status
    assert (status.action, status.status, status.final_recipient) == (
        "failed",
        "5.1.10",
        "gone@corp.example.org",
    )
    assert (
        status.diagnostic_code == "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found"
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Invoice: March/April <urgent>?", "Invoice_ March_April _urgent.eml"),
        ("=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "Grüße aus Köln.eml"),
        ("../../etc/passwd", "etc_passwd.eml"),
        ("bell\x07 and \x1b[31mred", "bell and red.eml"),
        (None, "message.eml"),
    ],
)
def test_attached_message_is_named_after_its_subject(subject: str | None, expected: str) -> None:
    inner = ["From: c@example.org", *([f"Subject: {subject}"] if subject else []), "", "inner"]
    raw = lines(
        "From: a@example.org",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "forwarding this",
        "--b",
        "Content-Type: message/rfc822",
        "",
        *inner,
        "--b--",
    )
    [attachment] = parsed(raw).attachments

    assert attachment.filename == expected
    assert attachment.content_type == "message/rfc822"


def test_attached_message_with_its_own_filename_keeps_it() -> None:
    raw = attachment_message(
        "Content-Type: message/rfc822",
        'Content-Disposition: attachment; filename="original.eml"',
        content="Subject: Something else\r\n\r\nbody",
    )
    [attachment] = parsed(raw).attachments

    assert attachment.filename == "original.eml"


def test_delivery_status_fields_explain_a_bounce() -> None:
    raw = lines(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        "To: support@example.com",
        "Subject: Undelivered Mail Returned to Sender",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
        "",
        "--B1",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the mail system at host mx.example.net.",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients.",
        "--B1",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.net",
        "X-Postfix-Queue-ID: 4BX2Q71FQRz9sPf",
        "Arrival-Date: Tue,  5 Mar 2024 10:30:02 +0100 (CET)",
        "",
        "Final-Recipient: rfc822; ann@example.org",
        "Original-Recipient: rfc822;ann@example.org",
        "Action: delivered",
        "Status: 2.0.0",
        "",
        "Final-Recipient: rfc822; gone@example.org",
        "Original-Recipient: rfc822;gone@example.org",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mail.example.org",
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address",
        "    rejected: User unknown in virtual mailbox table",
        "",
        "--B1",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        "From: Desk Support <support@example.com>",
        "To: gone@example.org",
        "Subject: Re: Printer on fire [#12]",
        "Message-ID: <hd.12.0123456789abcdef.abcdefghijklmnop@example.com>",
        "",
        "--B1--",
    )
    result = parsed(raw)
    status = result.delivery_status

    assert result.is_delivery_report and result.report_type == "delivery-status"
    assert status is not None
    assert status.reporting_mta == "mx.example.net"
    assert (status.action, status.status, status.final_recipient) == (
        "failed",
        "5.1.1",
        "gone@example.org",
    )
    assert status.diagnostic_code == (
        "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual "
        "mailbox table"
    )
    assert status.original_message_id == result.bounced_message_id
    assert status.original_message_id == "<hd.12.0123456789abcdef.abcdefghijklmnop@example.com>"
    assert [(r.final_recipient, r.action) for r in status.recipients] == [
        ("ann@example.org", "delivered"),
        ("gone@example.org", "failed"),
    ]
    assert status.recipients[1].remote_mta == "mail.example.org"
    assert (status.action, status.status, status.final_recipient) == (
        "failed",
        "5.1.1",
        "gone@example.org",
    )
    assert result.body_text.startswith("This is the mail system")
    assert [a.filename for a in result.attachments] == ["delivery-status.txt", "headers.txt"]


def test_returned_headers_with_8bit_bytes_do_not_quarantine_the_bounce() -> None:
    # Found by fuzzing the corpus's bounce: the generator that writes the returned
    # headers back out choked on the 8-bit bytes and the whole bounce was quarantined.
    raw = b"\r\n".join(
        [
            b"From: MAILER-DAEMON@mx.example.net",
            b"Subject: Delivery failure",
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
            b"",
            b"--r",
            b"Content-Type: text/plain",
            b"",
            b"Mailbox full.",
            b"--r",
            b"Content-Type: message/rfc822-headers",
            b"",
            b"From: Ana <ana@example.org>",
            b"Message-ID: <orig-9@example.org>",
            b"Content-Type: multipart/a\xfflternative;",
            b"T\xffhread-Index: Ac1doyjrxh5tdsxl1doyjrxh5tdsxl==",
            b"",
            b"--r--",
            b"",
        ]
    )
    result = parsed(raw)

    assert result.body_text == "Mailbox full."
    assert result.bounced_message_id == "<orig-9@example.org>"
    [headers] = result.attachments
    assert headers.filename == "headers.txt" and b"orig-9@example.org" in headers.content


def test_delivery_status_with_original_message_id_and_a_status_comment() -> None:
    # Exchange-style: Original-Message-ID in the report, status text after the code,
    # the delivery-status part base64-encoded.
    fields = (
        "Reporting-MTA: dns;EXCH01.corp.example.org\r\n"
        "Original-Message-ID: <reply-77@helpdesk.example.com>\r\n"
        "\r\n"
        "Final-Recipient: rfc822;full@example.org\r\n"
        "Action: delayed\r\n"
        "Status: 4.2.2 (mailbox full)\r\n"
    )
    raw = lines(
        "From: postmaster@corp.example.org",
        "Subject: Delivery delayed: Printer",
        'Content-Type: multipart/report; report-type="delivery-status"; boundary="x"',
        "",
        "--x",
        "Content-Type: text/plain",
        "",
        "Delivery is delayed to these recipients.",
        "--x",
        "Content-Type: message/global-delivery-status",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(fields.encode()).decode(),
        "--x--",
    )
    status = parsed(raw).delivery_status

    assert status is not None
    assert status.original_message_id == "<reply-77@helpdesk.example.com>"
    assert (status.action, status.status, status.diagnostic_code) == ("delayed", "4.2.2", None)
    assert status.recipients[0].status_text == "mailbox full"
    assert status.final_recipient == "full@example.org"
    assert parsed(raw).bounced_message_id == "<reply-77@helpdesk.example.com>"


def test_each_mime_header_falls_back_to_compat32_on_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """policy.default choking on Content-Disposition costs neither that header nor others."""

    def choke(cls: type, value: str, kwds: dict[str, object]) -> None:
        raise IndexError("header parser choked")

    msg = message(subject="Grüße")
    msg.add_attachment(b"data", maintype="application", subtype="pdf", filename="a b.pdf")
    raw = msg.as_bytes()
    monkeypatch.setattr(headerregistry.ContentDispositionHeader, "parse", classmethod(choke))
    result = parsed(raw)

    assert result.subject == "Grüße"
    assert result.body_text == "It still burns.\n"
    [attachment] = result.attachments
    assert (attachment.filename, attachment.content_type) == ("a b.pdf", "application/pdf")
    assert not attachment.inline


# --- the whole corpus ------------------------------------------------------------------


def header_block(raw: bytes) -> list[bytes]:
    """The message's leading header lines, read as loosely as RFC 5322 4.5 allows."""
    block: list[bytes] = []
    for line in raw.splitlines():
        if re.match(rb"[!-9;-~]+[ \t]*:", line) or (block and line[:1] in (b" ", b"\t")):
            block.append(line)
        else:
            break
    return block


def test_whole_corpus_parses_and_every_recoverable_sender_is_found(mail_corpus: Path) -> None:
    """Every file parses or is refused with a reason (never another exception); every
    message whose header block has a From with an address (encoded or not) gets one."""
    files = sorted(path for path in mail_corpus.rglob("*") if path.is_file())
    files = [path for path in files if path.name != "README.md"]
    assert len(files) > 40
    with_sender = 0
    for path in files:
        raw = path.read_bytes()
        from_lines = [
            line for line in header_block(raw) if line.split(b":", 1)[0].strip().lower() == b"from"
        ]
        try:
            result = parse_message(raw, max_attachment_bytes=100_000)
        except ParseError as error:
            refused = ("no header fields", "no mail header", "an Outlook item")
            assert error.reason.startswith(refused), (path.name, error.reason)
            assert not from_lines, path.name
            continue
        if any("@" in decode_words(line.decode("latin-1")) for line in from_lines):
            with_sender += 1
            assert result.from_address, path.name
            assert result.from_addresses[0] == result.from_address
        for text in (result.subject, result.from_name, result.body_text):
            assert "\x1b" not in text and "\x00" not in text
    assert with_sender >= 22


def test_format_flowed_text_is_read_as_its_paragraphs() -> None:
    """Apple Mail and Thunderbird send ``format=flowed``: shown as it came, every paragraph
    broke at the sender's 72 columns and again at the screen's."""
    raw = lines(
        "From: Ann <ann@example.org>",
        "Subject: VPN",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        "",
        "The VPN client stops after a minute and says that the certificate is ",
        "not valid any more. ",
        " From there nothing works.",
        "",
        "> On Monday you wrote that the new ",
        "> certificate was installed.",
        "",
        "-- ",
        "Ann",
    )

    assert parsed(raw).body_text == (
        "The VPN client stops after a minute and says that the certificate is not valid any "
        "more. From there nothing works.\n\n"
        "> On Monday you wrote that the new certificate was installed.\n\n-- \nAnn\n"
    )


def test_flowed_with_delsp_joins_without_the_marking_space() -> None:
    raw = lines(
        "From: Ann <ann@example.org>",
        "Subject: VPN",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset=utf-8; format="flowed"; delsp="yes"',
        "",
        "Der Zugang funktioniert nicht mehr seit dem Update des Zertifi ",
        "kats.",
    )

    assert parsed(raw).body_text.strip() == (
        "Der Zugang funktioniert nicht mehr seit dem Update des Zertifikats."
    )


def test_fixed_text_keeps_its_trailing_spaces_and_lines() -> None:
    raw = lines(
        "From: Ann <ann@example.org>",
        "Subject: VPN",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "line one ",
        "line two",
    )

    assert parsed(raw).body_text == "line one \nline two\n"


def test_images_carried_in_an_html_body_are_kept_as_inline_attachments() -> None:
    """A screenshot pasted into a web mailer comes as ``<img src="data:image/png;base64,…">``
    in the HTML: the body's text shows only its ``alt``, so the image was nowhere."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    encoded = base64.b64encode(png).decode()
    raw = lines(
        "From: Ann <ann@example.org>",
        "Subject: Error",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
        "",
        f'<p>See:</p><img alt="screenshot" src="data:image/png;base64,{encoded}">',
        "<img src='data:image/gif;base64,!!not base64!!'>",
    )

    result = parsed(raw)

    assert [(a.filename, a.content_type, a.inline) for a in result.attachments] == [
        ("embedded-image-1.png", "image/png", True)
    ]
    assert result.attachments[0].content == png
    assert "See:" in result.body_text and encoded[:40] not in result.body_text


def test_an_embedded_image_over_the_limit_is_skipped_with_its_size() -> None:
    encoded = base64.b64encode(b"\xff\xd8" + b"\x00" * (LIMIT + 10)).decode()
    raw = lines(
        "From: Ann <ann@example.org>",
        "Subject: Error",
        "Content-Type: text/html; charset=utf-8",
        "",
        f'<img src="data:image/jpeg;base64,{encoded}">',
    )

    result = parsed(raw)

    assert result.attachments == []
    assert [(s.filename, s.size) for s in result.skipped_attachments] == [
        ("embedded-image-1.jpg", LIMIT + 12)
    ]


def test_a_multipart_whose_parts_use_another_boundary_than_declared() -> None:
    """A broken mailer declared one boundary and used another (a spam trap's
    mail_malformed_3): the whole body, delimiters, part headers and base64, was the text."""
    html = base64.b64encode("<p>¡Feliz Navidad!</p>".encode()).decode()
    raw = lines(
        "From: a@example.org",
        "Subject: offer",
        "Content-Type: multipart/alternative;",
        '\tboundary="--=_declared"',
        "",
        "----=_used",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        html,
        "",
        "----=_other--",
    )
    result = parsed(raw)
    assert result.body_text.strip() == "¡Feliz Navidad!"
    assert "Content-Type" not in result.body_text


def test_a_text_whose_first_line_reads_like_a_field_is_no_mail_message() -> None:
    """email-reply-parser's email_1_5.txt was a ticket with no requester and no subject."""
    with pytest.raises(ParseError, match="no mail header"):
        parse_message(b"One: Here's what I've got.\n\n- a bullet\n", max_attachment_bytes=LIMIT)
