"""parse_message: every odd message we could think of, then real mail caught in spam traps."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
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

LIMIT = 1_000_000


def lines(*text: str) -> bytes:
    """Raw message bytes with CRLF line ends, written exactly as given (non-ASCII as UTF-8)."""
    return "".join(f"{line}\r\n" for line in text).encode("utf-8", "surrogateescape")


def parsed(raw: bytes | EmailMessage, limit: int = LIMIT) -> ParsedMessage:
    data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
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
    assert result.from_name == "boss@example.com"
    assert result.reply_to == "trap@evil.example"
    assert result.to == ["charlie@example.com", "dave@example.com"]
    assert result.cc == []


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


def test_control_characters_never_reach_the_subject_or_name() -> None:
    raw = lines(
        "From: =?utf-8?Q?Evil=1B[31m=E2=80=AEname?= <e@example.org>",
        "Subject: =?utf-8?Q?red=1B[2J=07bell=00nul=0D=0Anext?=",
        "",
        "x",
    )
    result = parsed(raw)

    assert result.subject == "red[2Jbellnul next"
    assert result.from_name == "Evil[31mname"


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
    ],
)
def test_decode_bytes_falls_back(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(data, declared) == expected


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
    assert parsed(msg).body_text == "line one[2J\nline\ttwo\n"


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
    assert attachment.filename == "attachment.eml"
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
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00binary", "no header fields"),
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

    def choosy(cls: type[parse._Body], raw: bytes, parse_policy: Policy, limit: int) -> parse._Body:
        if parse_policy is parse.policy.default:
            raise ValueError("header parser choked")
        return real_extract(cls, raw, parse_policy, limit)

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

    with pytest.raises(ParseError, match="no header fields"):
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
