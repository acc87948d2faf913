"""Turn raw RFC 5322 bytes from outside into a :class:`ParsedMessage`.

Everything in a message is hostile: headers may be malformed or lie about their charset,
MIME may be broken, filenames may try to escape a directory. :func:`parse_message` never
raises anything but :class:`ParseError`; the caller keeps such a message raw in quarantine.

Top-level headers are read from the raw header block (``compat32``, which keeps values
as-is) and decoded here, so that undeclared 8-bit text and unknown charsets fall back the
same way bodies do; obsolete syntax (``From  :``, RFC 5322 section 4.5) is mended first.
An address header our own reader finds no address in is read again by ``policy.default``'s
parser, then ``compat32``'s, then scanned for an addr-spec: a sender a lenient reader can
find is never lost. The MIME tree is walked with ``policy.default``; each header of a part
that this policy fails on (or reads worse: a truncated or lost filename) is read again with
``compat32``, and only if the whole tree cannot be walked is it walked with ``compat32``.

A message over :data:`BIG_MESSAGE_BYTES` is parsed from a skeleton without its long runs of
base64 lines (:class:`_Runs`), to the same result; its base64 attachments are decoded from
the raw bytes a MiB at a time whenever they are read (:class:`_Base64Stream`).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html
import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator, Generator
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from io import BytesIO, StringIO
from typing import TypeVar

import html2text

from helpdesk_tui.desk.blobs import Chunked, Content, as_bytes, size_of
from helpdesk_tui.desk.limits import cut_body, human_bytes
from helpdesk_tui.limits_settings import DEFAULT_MAX_BODY_BYTES
from helpdesk_tui.mail.tnef import TnefError, is_tnef
from helpdesk_tui.mail.tnef import unpack as unpack_tnef
from helpdesk_tui.safe_text import without_escape_sequences, without_invisibles

INTERNAL_HEADER_PREFIX = "x-helpdesk-"
"""Our own control headers; copies arriving from outside are never trusted."""

NOISE_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-spam-flag",
    "return-path",
    "x-failed-recipients",
    "list-id",
    "list-post",
    "sender",
    "from",
)
"""Headers kept in :attr:`ParsedMessage.headers` for loop, bounce and spam detection, and
the list's posting address (never a requester)."""

_MAX_MIME_DEPTH = 40
_MAX_REFERENCES = 100
_MAX_AUTHORS = 50
_MAX_SUBJECT = 1000
_MAX_NAME = 200
_MAX_NAMED = 100
"""Display names kept from one To header (a message may list thousands of recipients)."""
_MAX_HEADER_VALUE = 2000
_MAX_FILENAME = 200
_MAX_ADDRESS = 254
_MAX_HTML_TO_CONVERT = 500_000

_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_OTHER_REPORT_TYPES = frozenset(
    {
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
    }
)
"""Machine-readable parts of read receipts (MDN, RFC 8098) and abuse reports (ARF, RFC 5965)."""
_EMBEDDED_HEADER_TYPES = frozenset(
    {
        "message/rfc822",
        "message/global",
        "text/rfc822-headers",
        "message/rfc822-headers",  # not registered, but some MTAs send it
        "message/global-headers",
    }
)

# Declared charsets that name a superset browsers and mail clients really use.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "x-sjis": "shift_jis",
    "tis-620": "cp874",
}
# Python codecs that are text codecs but no character set a mail can be written in.
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape"})
_CHARSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_.:+-]{0,39}$")
_FALLBACK_CHARSETS = ("utf-8", "cp1252")

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/]*$")
# A field name followed by white space before its colon: obsolete syntax (RFC 5322 4.5.3).
_OBSOLETE_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_ADDR_SPEC = re.compile(r'[^\s@<>()\[\],;:"\\]+@[^\s@<>()\[\],;:"\\]+\.[^\s@<>()\[\],;:"\\]+')
_UNROUTED = re.compile(r'"(?:[^"\\]|\\.)*"|\([^()]*\)')
"""A quoted string or a comment in an address header: text no mail server routes on."""
_MSG_ID = re.compile(r"<([^<>\s]{1,500})>")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_WHITESPACE = re.compile(r"\s+")
_ADDRESS = re.compile(r'^[^\s@<>()\[\],;:"\\]+@[^\s@<>()\[\],;:"\\]+$')
_MIME_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}$")
_EMBEDDED_MSG_ID = re.compile(r"(?im)^[ \t]*message-id:\s*(<[^<>\s]{1,500}>)")
# Unicode category Cc except tab and newline; lone surrogates; direction overrides/isolates.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_BIDI_CONTROLS = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class ParseError(Exception):
    """The message cannot be parsed; ``reason`` says why, for the quarantine record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    """RFC 2231/2047 decoded and made safe: no path, no control characters, never empty."""
    content_type: str
    size: int
    content: Content
    """The bytes; in a big message (:data:`BIG_MESSAGE_BYTES`) a base64 attachment is a
    :class:`~helpdesk_tui.desk.blobs.Chunked` decoded from the raw message when read."""
    content_id: str | None
    """Without angle brackets, as an HTML body refers to it (``cid:...``)."""
    inline: bool


@dataclass(frozen=True)
class SkippedAttachment:
    """An attachment over the size limit: not kept, but the agent should learn it existed."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's block of a delivery status notification (RFC 3464)."""

    final_recipient: str | None
    """The address, without its type (``rfc822;``)."""
    action: str | None
    """Lower-case: ``failed``, ``delayed``, ``delivered``, ``relayed`` or ``expanded``."""
    status: str | None
    """The enhanced status code (``5.1.1``)."""
    status_text: str | None
    """What some MTAs write after the code: ``(mailbox full)``, without the parentheses."""
    diagnostic_code: str | None
    """What the remote server said (``550 5.1.1 <x@example.org>: User unknown``)."""
    diagnostic_type: str | None
    """The type before the code's ``;`` (``smtp``, ``X-Postfix``)."""
    remote_mta: str | None


@dataclass(frozen=True)
class DeliveryStatus:
    """The machine-readable part of a bounce: why the mail was not delivered, and to whom.

    ``action``, ``status``, ``diagnostic_code`` and ``final_recipient`` are those of the
    recipient the report is most about: the first that failed, else the first delayed,
    else the first.
    """

    reporting_mta: str | None
    original_message_id: str | None
    """The bounced mail's Message-ID: an ``Original-Message-ID`` field, else the Message-ID
    of the returned message or headers."""
    recipients: tuple[RecipientStatus, ...]

    @property
    def main(self) -> RecipientStatus | None:
        for action in ("failed", "delayed"):
            for recipient in self.recipients:
                if recipient.action == action:
                    return recipient
        return self.recipients[0] if self.recipients else None

    @property
    def action(self) -> str | None:
        return self.main.action if self.main else None

    @property
    def status(self) -> str | None:
        return self.main.status if self.main else None

    @property
    def diagnostic_code(self) -> str | None:
        return self.main.diagnostic_code if self.main else None

    @property
    def final_recipient(self) -> str | None:
        return self.main.final_recipient if self.main else None

    @property
    def typed_diagnostic(self) -> str | None:
        """The Diagnostic-Code as written, with its type: ``smtp; 550 User unknown``."""
        main = self.main
        if main is None or main.diagnostic_code is None:
            return None
        if main.diagnostic_type is None:
            return main.diagnostic_code
        return f"{main.diagnostic_type}; {main.diagnostic_code}"


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    """Normalized to ``<id-left@id-right>``."""
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_address: str | None
    """Lower-cased addr-spec; None when From is missing or holds no usable address."""
    from_name: str
    from_addresses: list[str]
    """Every usable address in From, :attr:`from_address` first: a From with several
    authors names the requester first, and the others are kept to be shown."""
    to: list[str]
    cc: list[str]
    reply_to: str | None
    date: datetime | None
    """Always timezone-aware (UTC when the message gives no zone)."""
    headers: dict[str, str]
    """Lower-case name -> first value, only :data:`NOISE_HEADERS`; never our own headers."""
    internal_headers: dict[str, str]
    """``X-Helpdesk-*`` headers as found: untrusted, for loop detection only."""
    body_text: str
    body_html: str | None
    attachments: list[ParsedAttachment]
    skipped_attachments: list[SkippedAttachment]
    is_delivery_report: bool
    bounced_message_id: str | None
    delivery_status: DeliveryStatus | None
    """What a delivery status notification says (Action, Status, Diagnostic-Code, …)."""
    report_type: str | None
    """``report-type`` of a ``multipart/report`` (``delivery-status``,
    ``disposition-notification``, ``feedback-report``), lower-case."""
    reported_message_id: str | None
    """The Message-ID any report (DSN, MDN, ARF) is about: an ``Original-Message-ID``
    field, else the Message-ID of the first message or headers the mail carries. Only
    meaningful for mail that is a report."""
    disposition: str | None
    """A read receipt's ``Disposition`` (``manual-action/MDN-sent-manually; displayed``)."""
    feedback_type: str | None
    """An abuse report's ``Feedback-Type`` (``abuse``)."""
    raw_sha256: str
    dedupe_key: str
    """Message-ID, or ``sha256:<hex>`` of the raw bytes when there is none."""
    notes: tuple[str, ...] = ()
    """One line each about what could not be read as it should (a broken ``winmail.dat``)."""
    to_names: dict[str, str] = field(default_factory=dict)
    """The display name To gives each of its addresses (one line, cut like ``from_name``;
    only the addresses that have one): whom a colleague's answer went to, by name."""


BIG_MESSAGE_BYTES = 4 * 1024 * 1024
"""Messages over this size are parsed without their long base64 runs (see :class:`_Runs`)."""
_RUN_BYTES = 64 * 1024
"""Runs of base64 lines shorter than this stay in the text the parser reads."""
_NOT_BLANK = re.compile(rb"[^ \t\r\n\x0b\x0c]")


def parse_message(
    raw: bytes | bytearray,
    *,
    max_attachment_bytes: int,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    big_over: int = BIG_MESSAGE_BYTES,
    run_bytes: int = _RUN_BYTES,
) -> ParsedMessage:
    """Parse a raw message; raise :class:`ParseError` (and nothing else) when it cannot be.

    Text over ``max_body_bytes`` (``mail.max_body_bytes``) is cut to it, with a note at
    its top; the raw message keeps all of it. A message over ``big_over`` bytes takes the
    big-message path: the same result, but the parser never sees runs of base64 lines
    longer than ``run_bytes``, and base64 attachments made of them are decoded from the raw
    bytes when read (``raw`` must then stay unchanged while the result is in use). A
    ``bytearray`` is read in place, not copied.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected bytes, got {type(raw).__name__}")
    if isinstance(raw, memoryview):
        raw = bytes(raw)
    if not _NOT_BLANK.search(raw):
        raise ParseError("empty message")
    if raw[:8] == _OLE_MAGIC:
        raise ParseError("an Outlook item (.msg file), not a mail message: save it as .eml")
    try:
        return _parse(raw, max_attachment_bytes, max_body_bytes, big_over, run_bytes)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"unexpected {type(exc).__name__}: {exc}"[:500]) from exc


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""How a compound file (Outlook's .msg) starts."""


def _parse(
    raw: bytes | bytearray,
    max_attachment_bytes: int,
    max_body_bytes: int,
    big_over: int,
    run_bytes: int,
) -> ParsedMessage:
    readable = _mend_obsolete_syntax(raw)
    fields = _header_fields(readable)
    if not fields:
        raise ParseError("no header fields: not an RFC 5322 message")
    if _MESSAGE_FIELDS.isdisjoint(name for name, _ in fields):
        # Text whose first line happens to read "Word: …": no From, To, Subject, Date…
        raise ParseError("no mail header (From, To, Subject, Date…): not an RFC 5322 message")
    first = dict(reversed(fields))
    runs = _Runs.find(readable, run_bytes) if len(raw) > big_over else None
    try:
        body = _Body.extract(readable, policy.default, max_attachment_bytes, runs)
    except ParseError:
        raise
    except Exception:
        # Each part's headers already fall back to compat32 one by one; this is for what
        # policy.default fails on while building the tree itself.
        body = _Body.extract(readable, policy.compat32, max_attachment_bytes, runs)

    senders = [
        mailbox
        for value in (value for name, value in fields if name == "from")
        for mailbox in _usable_mailboxes(value)
    ]
    from_name = _one_line(decode_words(senders[0][0]), _MAX_NAME) if senders else ""
    from_name = _not_another_address(from_name, senders[0][1] if senders else None)
    from_addresses = _unique([address for _, address in senders])[:_MAX_AUTHORS]
    message_ids = _msg_ids(first.get("message-id", ""))
    message_id = message_ids[0] if message_ids else None
    in_reply_to = _msg_ids(first.get("in-reply-to", ""))
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_unique(_msg_ids(first.get("references", "")))[-_MAX_REFERENCES:],
        subject=_one_line(decode_words(first.get("subject", "")), _MAX_SUBJECT),
        from_address=from_addresses[0] if from_addresses else None,
        from_name=from_name,
        from_addresses=from_addresses,
        to=_address_list(value for name, value in fields if name == "to"),
        to_names=_names(value for name, value in fields if name == "to"),
        cc=_address_list(value for name, value in fields if name == "cc"),
        reply_to=_first_address(first.get("reply-to", "")),
        date=_date(first.get("date")),
        headers={
            name: _one_line(decode_words(first[name]), _MAX_HEADER_VALUE)
            for name in NOISE_HEADERS
            if name in first
        },
        internal_headers={
            name: _one_line(decode_words(value), _MAX_HEADER_VALUE)
            for name, value in first.items()
            if name.startswith(INTERNAL_HEADER_PREFIX)
        },
        body_text=_within_limit(body.text(), max_body_bytes),
        body_html=cut_body(_clean_text("\n".join(body.html)), max_body_bytes)[0]
        if body.html
        else None,
        attachments=body.attachments,
        skipped_attachments=body.skipped,
        is_delivery_report=body.is_report,
        bounced_message_id=body.bounced_message_id(),
        delivery_status=body.delivery_status(),
        report_type=body.report_type,
        reported_message_id=body.reported_message_id(),
        disposition=body.report_field("disposition"),
        feedback_type=body.report_field("feedback-type"),
        raw_sha256=raw_sha256,
        dedupe_key=message_id or f"sha256:{raw_sha256}",
        notes=tuple(body.notes),
    )


# --- headers ---------------------------------------------------------------------------


def _mend_obsolete_syntax(raw: bytes | bytearray) -> bytes | bytearray:
    """``From  : x`` becomes ``From: x`` in the top-level header block.

    White space before the colon is obsolete syntax that readers must accept (RFC 5322
    4.5.3); the stdlib parser takes such a line for the start of the body (or, first in
    the message, for an mbox ``From `` line) and loses every header from there on.
    """
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    mended = _OBSOLETE_FIELD.sub(rb"\1:", head)
    if mended == head:
        return raw
    return mended + raw[len(head) :]


_RAW_HEADER_BYTES = 256 * 1024
_FIELD_NAME = re.compile(r"^([!-9;-~]+)[ \t]*:(.*)$", re.DOTALL)


def header_message_id(raw: bytes | bytearray) -> str | None:
    """The Message-ID of a message that cannot be parsed, from its raw header block alone
    (the first 256 kB; the fields up to the first line that is none): what tells a copy of
    it, re-encoded by a server, from another message. None when there is none; never
    raises."""
    try:
        data = bytes(raw[:_RAW_HEADER_BYTES])
        end = _HEADER_END.search(data)
        head = _FOLD.sub("", (data[: end.start()] if end else data).decode("latin-1"))
        for line in head.split("\n"):
            field = _FIELD_NAME.match(line.rstrip("\r"))
            if field is None:
                return None  # the header block ended, or there was none
            if field.group(1).lower() == "message-id":
                found = _msg_ids(field.group(2))
                return found[0] if found else None
    except Exception:  # a hostile message: no Message-ID, as if it had none
        return None
    return None


_MESSAGE_FIELDS = frozenset(
    {
        "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id",
        "in-reply-to", "references", "mime-version", "content-type", "received",
        "return-path", "delivered-to",
    }
)  # fmt: skip
"""Header fields a mail message has at least one of (RFC 5322 asks for From and Date)."""
_ADDRESS_IN_NAME = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[a-z]{2,}", re.I)


def _not_another_address(name: str, address: str | None) -> str:
    """The sender's display name, or "" when it names another address than the sender's
    (``alice@example.com <bob@example.com>``): shown as the requester's name, the ticket
    said Alice wrote what Bob did."""
    found = _ADDRESS_IN_NAME.findall(name)
    if any(other.lower() != (address or "").lower() for other in found):
        return ""
    return name


def _header_fields(raw: bytes | bytearray) -> list[tuple[str, str]]:
    """Top-level header fields in order: (lower-case name, unfolded value as text).

    Only the header block is handed to the parser: with ``headersonly`` it still splits the
    whole body into lines and joins them again (≈ 7 times a big message's size at its peak).
    """
    end = _HEADER_END.search(raw)
    head = raw[: end.end()] if end else raw
    message = BytesParser(policy=policy.compat32).parsebytes(head, headersonly=True)
    items = [(name.strip().lower(), _FOLD.sub("", value)) for name, value in message.raw_items()]
    charset = None
    if not all(value.isascii() for _, value in items):
        charset = _text_charset(raw, message.get_param("charset"))
    return [(name, _raw_to_text(value, charset)) for name, value in items]


_TEXT_CHARSET = re.compile(
    rb"""(?im)^content-type:[ \t]*text/[^\r\n]*?charset[ \t]*=[ \t]*["']?([a-z0-9._:-]{1,40})"""
)
_CHARSET_SCAN_BYTES = 64 * 1024


def _text_charset(raw: bytes | bytearray, top: object) -> str | None:
    """The charset the message declares for its text: the top level's ``charset``, else
    the first text part's (looked for in the first 64 KiB): what an old mailer that writes
    raw 8-bit headers wrote them in too."""
    if isinstance(top, str) and top.strip():
        return top.strip()
    found = _TEXT_CHARSET.search(bytes(raw[:_CHARSET_SCAN_BYTES]))
    return found.group(1).decode("ascii") if found else None


def _raw_to_text(value: str, charset: str | None = None) -> str:
    """The parser keeps undeclared 8-bit header bytes as surrogates; give them a charset:
    UTF-8 (RFC 6532), else ``charset`` (the one the message declares for its text), else
    :func:`decode_bytes`'s fallbacks."""
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, charset)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded-words, however the sender got them wrong.

    Whitespace between adjacent encoded words is dropped as the RFC says, and adjacent
    words in one charset are decoded together, because senders split a multi-byte
    character across two words and even a base64 text in the middle of a 4-character
    group (``=?utf-8?B?SGVsb?= =?utf-8?B?G8=?=``). Missing and surplus ``=`` padding is
    forgiven. A word that does not decode stays as it was written.
    """
    out: list[str] = []
    run: list[re.Match[str]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        position = match.end()
        if not run or gap.strip():
            if run:
                out.append(_decode_run(run))
                run = []
            out.append(gap)
        run.append(match)
    if run:
        out.append(_decode_run(run))
    out.append(value[position:])
    return "".join(out)


def _decode_run(words: list[re.Match[str]]) -> str:
    """Adjacent encoded words: each stretch in one charset is decoded as one text."""
    out: list[str] = []
    group: list[re.Match[str]] = []
    for word in words:
        if group and _charset_of(group[0]) != _charset_of(word):
            out.append(_decode_group(group))
            group = []
        group.append(word)
    out.append(_decode_group(group))
    return "".join(out)


def _charset_of(word: re.Match[str]) -> str:
    return word.group(1).split("*", 1)[0].lower()  # RFC 2231 language suffix dropped


def _decode_group(words: list[re.Match[str]]) -> str:
    charset = _charset_of(words[0])
    if all(word.group(2) in "bB" for word in words) and any(
        len(word.group(3)) % 4 and "=" not in word.group(3) for word in words[:-1]
    ):
        # A word before the last ends inside a 4-character group without padding: one
        # base64 text split anywhere, unless the words only left out their padding.
        joined = _base64("".join(word.group(3) for word in words))
        if joined is not None and _decodes(joined, charset):
            return decode_bytes(joined, charset)
    out: list[str] = []
    pending = bytearray()
    for word in words:
        data = _encoded_word_bytes(word.group(2), word.group(3))
        if data is None:
            if pending:
                out.append(decode_bytes(bytes(pending), charset))
                pending = bytearray()
            out.append(word.group(0))
        else:
            pending.extend(data)
    if pending:
        out.append(decode_bytes(bytes(pending), charset))
    return "".join(out)


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(_charset_candidates(charset)[0])
    except (LookupError, UnicodeError, ValueError):
        return False
    return True


def _encoded_word_bytes(encoding: str, text: str) -> bytes | None:
    if encoding in "bB":
        return _base64(text)
    try:
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (ValueError, binascii.Error):
        return None


def _base64(text: str) -> bytes | None:
    """Base64 with the padding made right: none, too little or too much (``SGk===``)."""
    text = text.rstrip("=")
    if len(text) % 4 == 1 or not _BASE64_TEXT.match(text):
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (ValueError, binascii.Error):
        return None


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Decode with the declared charset, else UTF-8, else cp1252, else latin-1; never raises.

    UTF-8 with a few broken sequences among many good ones (a mailer that cut a character
    in two) stays UTF-8, each broken one a U+FFFD: read as cp1252, all of its text was
    mojibake ("Ð..." for "Профиль"). Text in cp1252 or Latin-1 labelled UTF-8 has
    next to no good multi-byte sequences, and is read as cp1252 as before.

    UTF-8 labelled with a one-byte charset (a Windows-1251 part holding "Tecnológico" as
    UTF-8, from a real mailer) is read as UTF-8 when all of it is UTF-8 with a multi-byte
    sequence: as cp1251 its "ó" read as two Cyrillic letters. Text really written in such
    a charset is next to never valid UTF-8 (its letters are single high bytes)."""
    candidates = _charset_candidates(declared)
    if _UTF8_SEQUENCE.search(data) and _ONE_BYTE_CHARSET.match(codecs.lookup(candidates[0]).name):
        try:
            return data.decode("utf-8")
        except UnicodeError:
            pass
    for charset in candidates:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeError, ValueError):
            if charset == "utf-8" and _mostly_utf8(data):
                return data.decode("utf-8", "replace")
            continue
    return data.decode("latin-1", "replace")


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_UTF8_GOOD_PER_BAD = 10
_ONE_BYTE_CHARSET = re.compile(r"^(cp12\d\d|cp874|iso8859-\d+|koi8-[a-z]+|mac-[a-z]+)$")
"""Python's names of the one-byte charsets mail declares (``codecs.lookup`` normalises
``windows-1251`` to ``cp1251``, ``ISO-8859-2`` to ``iso8859-2``)."""


def _mostly_utf8(data: bytes) -> bool:
    """Whether ``data``, which is not valid UTF-8, is UTF-8 with a few broken sequences:
    at least :data:`_UTF8_GOOD_PER_BAD` good multi-byte sequences for each broken one."""
    bad = data.decode("utf-8", "replace").count("\ufffd") - data.count(b"\xef\xbf\xbd")
    return bad > 0 and len(_UTF8_SEQUENCE.findall(data)) >= _UTF8_GOOD_PER_BAD * bad


def _charset_candidates(declared: str | None) -> list[str]:
    candidates: list[str] = []
    name = (declared or "").strip().strip("\"'").lower()
    if _CHARSET_NAME.match(name):
        name = _CHARSET_ALIASES.get(name, name)
        try:
            if codecs.lookup(name).name not in _NOT_CHARSETS:
                candidates.append(name)
        except LookupError:
            pass
    candidates.extend(c for c in _FALLBACK_CHARSETS if c not in candidates)
    return candidates


def _msg_ids(value: str) -> list[str]:
    found = [f"<{match}>" for match in _MSG_ID.findall(value) if _printable(match)]
    if found:
        return found
    # Some senders drop the angle brackets.
    return [
        f"<{token}>"
        for token in re.split(r"[\s,]+", value)
        if "@" in token and "<" not in token and ">" not in token and _printable(token)
    ][:_MAX_REFERENCES]


def _printable(text: str) -> bool:
    return all(unicodedata.category(char)[0] not in "CZ" for char in text)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _first_address(value: str) -> str | None:
    found = _usable_mailboxes(value)
    return found[0][1] if found else None


def _address_list(values: Iterable[str]) -> list[str]:
    return _unique([address for value in values for _, address in _usable_mailboxes(value)])


def _names(values: Iterable[str]) -> dict[str, str]:
    """Each address's display name in these headers (the first one it is given), made safe."""
    names: dict[str, str] = {}
    for value in values:
        for raw_name, address in _usable_mailboxes(value):
            name = _one_line(decode_words(raw_name), _MAX_NAME)
            if name and address not in names and len(names) < _MAX_NAMED:
                names[address] = name
    return names


def _usable_mailboxes(value: str) -> list[tuple[str, str]]:
    """(raw display name, clean address) of each mailbox in an address header, in order.

    :func:`mailboxes` reads the header as a mail server routes it. Only when it finds no
    usable address at all (``Ann <ann@example.org`` without its ``>``, a comment inside
    the address, ``<mailto:…>``) is the header read by ``policy.default``'s parser, then
    by ``compat32``'s, then scanned for an addr-spec: what a lenient reader finds beats
    losing the sender, and it never overrides an address read the strict way. The last
    scan skips quoted strings and comments: no server routes there, and
    ``B <"boss@example.com"@evil.example>`` (mail for evil.example, its local part a
    quoted string) was read as boss@example.com's; such a header gives no address at all.
    """
    readers: tuple[Callable[[str], Iterable[tuple[str, str]]], ...] = (
        mailboxes,
        _default_policy_mailboxes,
        lambda text: getaddresses([text]),
        lambda text: (("", match) for match in _ADDR_SPEC.findall(_UNROUTED.sub(" ", text))),
    )
    for reader in readers:
        try:
            found = [(name, _clean_address(address)) for name, address in reader(value)]
        except Exception:  # a reader that chokes on this header: try the next
            continue
        usable = [(name, address) for name, address in found if address is not None]
        if usable:
            return usable
    return []


_HEADER_REGISTRY = HeaderRegistry()


def _default_policy_mailboxes(value: str) -> list[tuple[str, str]]:
    """What ``policy.default``'s address parser makes of a header (it recovers some typos)."""
    addresses = getattr(_HEADER_REGISTRY("from", value), "addresses", ())
    return [(mailbox.display_name, mailbox.addr_spec) for mailbox in addresses]


def mailboxes(value: str) -> list[tuple[str, str]]:
    """Split an address-list header into (raw display name, address) pairs.

    The address is what a mail server routes on: the one in angle brackets outside quotes
    and comments. ``From: boss@example.com <attacker@example.net>`` is attacker's mail,
    however it is displayed; the stdlib's ``getaddresses`` (before Python 3.11.10) can
    return ``boss@example.com`` for it. Groups (``team: a@x, b@y;``) are flattened.
    Quotes inside the angle brackets are taken away: ``<"jose"@x.test>`` is jose@x.test,
    and ``<"jose@x.test">`` (what Python 3.11.2's ``email`` writes for some addresses) is
    read as jose@x.test with its display name, where it was read as no address at all and
    the name was lost ("Hello jose@x.test," in the acknowledgement).
    """
    found: list[tuple[str, str]] = []
    text: list[str] = []
    comment: list[str] = []
    angle: list[str] = []
    address: str | None = None
    in_quote = in_angle = escaped = False
    depth = 0

    def finish() -> None:
        nonlocal address
        words = "".join(text).strip()
        if address is not None:
            found.append((words or "".join(comment).strip(), address))
        elif words:
            found.append(("".join(comment).strip(), words))
        text.clear()
        comment.clear()
        address = None

    for char in value:
        if escaped:
            (angle if in_angle else comment if depth else text).append(char)
            escaped = False
        elif char == "\\" and (in_quote or depth):
            escaped = True
        elif in_quote:
            if char == '"':
                in_quote = False
            else:
                (angle if in_angle else text).append(char)
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth:
                comment.append(char)
        elif in_angle:
            if char == ">":
                in_angle = False
                address = "".join(angle).strip()
            elif char == '"':
                in_quote = True  # a quoted local part: its quotes are syntax, not address
            else:
                angle.append(char)
        elif char == '"':
            in_quote = True
        elif char == "(":
            depth = 1
        elif char == "<":
            in_angle = True
            angle.clear()
        elif char in ",;":
            finish()
        elif char == ":":
            text.clear()  # the display name of a group
        else:
            text.append(char)
    finish()
    return found


def _clean_address(address: str) -> str | None:
    address = address.strip().strip("<>").strip().lower().removeprefix("mailto:")
    if len(address) > _MAX_ADDRESS or not _ADDRESS.match(address) or not _printable(address):
        return None
    return address


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


# --- text hygiene ----------------------------------------------------------------------


def _one_line(text: str, limit: int) -> str:
    """Subject, names and header values: one line, no control or direction-override chars."""
    text = _WHITESPACE.sub(" ", without_escape_sequences(text))
    text = _CONTROLS.sub("", _BIDI_CONTROLS.sub("", _SURROGATES.sub("\ufffd", text)))
    text = without_invisibles(text)  # zero-width characters too: names and subjects spoof
    return _WHITESPACE.sub(" ", text).strip()[:limit]


def _within_limit(text: str, max_bytes: int) -> str:
    """The body as stored: cut to ``max_bytes``, saying so first, when it is longer."""
    kept, size = cut_body(text, max_bytes)
    if size <= max_bytes:
        return text
    return (
        f"[This message was cut to the first {human_bytes(max_bytes)} of its "
        f"{human_bytes(size)} of text (mail.max_body_bytes); the raw message keeps it all.]"
        f"\n\n{kept}"
    )


def _clean_text(text: str) -> str:
    """Bodies: ``\\n`` line ends, tabs kept, escape sequences (whole) and every other control
    character and surrogate gone."""
    text = without_escape_sequences(text.replace("\r\n", "\n").replace("\r", "\n"))
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


_DATA_IMAGE = re.compile(
    r"""<img\b[^>]*?\bsrc\s*=\s*["']?\s*data:(image/[a-z0-9.+-]{1,40});base64,([a-z0-9+/=\s]+)""",
    re.IGNORECASE,
)
_MAX_EMBEDDED_IMAGES = 50
_QUOTE_DEPTH = re.compile(r">*")


def unflow(text: str, *, delsp: bool = False) -> str:
    """``format=flowed`` text (RFC 3676) as its paragraphs: a line ending in a space goes on
    in the next line of the same quote depth. Apple Mail and Thunderbird send it; shown as
    it arrives, every paragraph breaks at the sender's 72 columns, then again at ours.

    ``delsp=yes`` drops the space that marks the soft break (scripts without spaces). The
    signature separator ``-- `` is never joined; quoted paragraphs keep their ``>``.
    """
    out: list[str] = []
    pending: tuple[int, str] | None = None  # quote depth and the paragraph so far
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(_QUOTE_DEPTH.match(raw).group(0))  # type: ignore[union-attr]
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if pending is not None and pending[0] != depth:
            out.append(_quoted(pending[0], pending[1].rstrip(" ")))
            pending = None
        flowed = line.endswith(" ") and line != "-- "
        if flowed and delsp:
            line = line[:-1]
        joined = (pending[1] if pending else "") + line
        if flowed:
            pending = (depth, joined)
        else:
            out.append(_quoted(depth, joined))
            pending = None
    if pending is not None:
        out.append(_quoted(pending[0], pending[1].rstrip(" ")))
    return "\n".join(out)


def _quoted(depth: int, line: str) -> str:
    return f"{'>' * depth} {line}" if depth else line


def html_to_text(markup: str) -> str:
    """Readable plain text for an HTML-only message.

    html2text takes up to ~10 s per megabyte of hostile markup, so very large documents
    (and markup it fails on) only have their tags dropped.
    """
    if len(markup) <= _MAX_HTML_TO_CONVERT:
        converter = html2text.HTML2Text()
        converter.body_width = 0
        converter.images_to_alt = True
        converter.ignore_emphasis = True
        converter.unicode_snob = True
        try:
            return converter.handle(markup).strip()
        except Exception:  # html2text gave up on this markup
            pass
    return html.unescape(re.sub(r"<[^<>]*>", " ", markup)).strip()


def safe_filename(name: str | None, content_type: str) -> str:
    """A filename that is safe to show and to save: no directories, no control characters."""
    text = _one_line(decode_words(name or ""), 10 * _MAX_FILENAME)
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C")
    text = text.strip(" .")
    if not text:
        text = "attachment" + (mimetypes.guess_extension(content_type) or ".bin")
    if len(text) > _MAX_FILENAME:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = stem[: _MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            text = text[:_MAX_FILENAME]
    return text


# --- MIME tree -------------------------------------------------------------------------


_T = TypeVar("_T")


class _Headers:
    """One MIME part's headers: as ``policy.default`` reads them, ``compat32`` where it fails.

    ``policy.default`` parses each header into an object and can raise on a malformed one
    (or read it worse than the opaque strings of ``compat32``: it stops an unquoted
    filename at its first space and drops one made of an encoded word). Each header is
    read again with ``compat32`` on its own, so one bad header costs nothing else.
    """

    def __init__(self, part: Message, stream: _Base64Stream | None = None) -> None:
        self.part = part
        self._compat: Message | None = None
        self.stream = stream
        """Set for a base64 leaf of a big message whose text the parser never saw."""

    @property
    def compat(self) -> Message:
        if self._compat is None:
            view = Message(policy=policy.compat32)
            for name, value in self.part.raw_items():
                # Undeclared 8-bit text decoded here: compat32 would make it U+FFFD.
                view[name] = _raw_to_text(str(value))
            payload = self.part.get_payload()
            if isinstance(payload, str):
                view.set_payload(payload)
            self._compat = view
        return self._compat

    def read(self, reader: Callable[[Message], _T]) -> _T | None:
        try:
            return reader(self.part)
        except Exception:  # this header is malformed for policy.default
            pass
        try:
            return reader(self.compat)
        except Exception:  # and for compat32 too: as if it were absent
            return None

    def content_type(self) -> str:
        content_type = (self.read(lambda m: m.get_content_type()) or "text/plain").lower()
        return content_type if _MIME_TYPE.match(content_type) else "application/octet-stream"

    def disposition(self) -> str | None:
        """``inline``, ``attachment`` or another word; parameters and junk after it dropped."""
        value = self.read(lambda m: m.get_content_disposition()) or ""
        match = re.match(r"[a-z-]+", value.strip().lower())
        return match.group(0) if match else None

    def filename(self) -> str | None:
        """The decoded filename, or None when the part has none (or only a blank one)."""
        strict = self._decoded_filename(self.part)
        lenient = self._decoded_filename(self.compat) or self._scanned_filename()
        if strict is None or (
            lenient is not None
            and lenient != strict
            and (lenient.startswith(strict) or ("\ufffd" in strict and "\ufffd" not in lenient))
        ):
            return lenient
        return strict

    def charset(self) -> str | None:
        return self.read(lambda m: m.get_content_charset())

    def param(self, name: str) -> str | None:
        value = self.read(lambda m: m.get_param(name))
        if value is None:
            return None
        return collapse_rfc2231_value(value) if isinstance(value, tuple) else str(value)

    def get(self, name: str) -> str:
        return str(self.read(lambda m: m.get(name)) or "")

    def content(self) -> Content:
        """The decoded body: from a big message, a stream over the raw bytes when the whole
        text decodes as one (as :meth:`_base64_payload` would), else the bytes."""
        if self.stream is not None and self.stream.checked():
            return self.stream
        return self.payload()

    def payload(self) -> bytes:
        if self.stream is not None:  # needed whole after all: the text as the parser has it
            self.part.set_payload(self.stream.text())
            self.stream = None
            self._compat = None
        fast = self._base64_payload()
        if fast is not None:
            return fast
        data = self.read(lambda m: m.get_payload(decode=True))
        return data if isinstance(data, bytes) else b""

    def _base64_payload(self) -> bytes | None:
        """A base64 body decoded straight from the parsed text, or None to leave it to the
        library: ``get_payload(decode=True)`` copies a body three times on the way (as
        bytes, as lines, joined again), 3.5 times a big attachment beside the text it keeps."""
        if self.get("content-transfer-encoding").strip().lower() != "base64":
            return None
        text = self.part.get_payload()
        if not isinstance(text, str) or not text.isascii():
            return None
        try:
            return binascii.a2b_base64(text)
        except (binascii.Error, ValueError):  # bad padding: the library's repairs
            return None

    @staticmethod
    def _decoded_filename(part: Message) -> str | None:
        try:
            name = part.get_filename()
        except Exception:  # a filename this policy cannot read
            return None
        text = decode_words(_raw_to_text(name or "")).strip().strip('"').strip()
        return text or None

    def _scanned_filename(self) -> str | None:
        """``attachment filename=x.pdf``: a parameter after a missing semicolon."""
        for header in ("content-disposition", "content-type"):
            raw = next(
                (str(v) for n, v in self.part.raw_items() if n.strip().lower() == header), ""
            )
            match = _NAME_PARAMETER.search(_raw_to_text(_FOLD.sub("", raw)))
            if match:
                quoted, bare = match.groups()
                text = decode_words(quoted if quoted is not None else bare).strip()
                if text:
                    return text
        return None


_NAME_PARAMETER = re.compile(r'(?i)(?:^|[\s;])(?:file)?name\s*=\s*(?:"([^"]*)"|([^\s;"]+))')
_STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_DSN_FIELD = re.compile(r"^([!-9;-~]+)[ \t]*:[ \t]*(.*(?:\n[ \t].*)*)", re.MULTILINE)
_MAX_DSN_FIELD = 500
_REPORT_PART_NAMES = {
    "message/delivery-status": "delivery-status.txt",
    "message/global-delivery-status": "delivery-status.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "message/global-disposition-notification": "disposition-notification.txt",
    "message/feedback-report": "feedback-report.txt",
    "text/rfc822-headers": "headers.txt",
    "message/rfc822-headers": "headers.txt",
    "message/global-headers": "headers.txt",
}
"""Names for the machine-readable parts of reports, which rarely carry one."""


@dataclass
class _Body:
    max_attachment_bytes: int
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    skipped: list[SkippedAttachment] = field(default_factory=list)
    is_report: bool = False
    report_type: str | None = None
    embedded_ids: list[str] = field(default_factory=list)
    dsn_blocks: list[dict[str, str]] = field(default_factory=list)
    other_report_blocks: list[dict[str, str]] = field(default_factory=list)
    """Field blocks of MDN and ARF parts."""

    streams: dict[int, _Base64Stream] = field(default_factory=dict)
    """Parts (by ``id``) whose base64 text the parser did not see, with how to decode it."""
    tnef_plain: list[str] = field(default_factory=list)
    tnef_html: list[str] = field(default_factory=list)
    """The text inside ``winmail.dat`` files: the body when the message has no other."""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def extract(
        cls,
        raw: bytes | bytearray,
        parse_policy: Policy,
        max_attachment_bytes: int,
        runs: _Runs | None,
    ) -> _Body:
        body = cls(max_attachment_bytes)
        if runs is None:
            body._walk(_parse_in_chunks(raw, parse_policy), depth=0)
            return body
        tree = _parse_in_chunks(runs.skeleton, parse_policy)
        body.streams = runs.restore(tree)
        body._walk(tree, depth=0)
        return body

    def text(self) -> str:
        plain = _clean_text("\n".join(self.plain))
        if plain.strip():
            return plain
        if self.html:
            return _clean_text(html_to_text("\n".join(self.html)))
        tnef_plain = _clean_text("\n".join(self.tnef_plain))
        if tnef_plain.strip():
            return tnef_plain
        if self.tnef_html:
            return _clean_text(html_to_text("\n".join(self.tnef_html)))
        return plain

    def bounced_message_id(self) -> str | None:
        if not self.is_report:
            return None
        for block in self.dsn_blocks:
            found = _msg_ids(block.get("original-message-id", ""))
            if found:
                return found[0]
        if self.embedded_ids:
            return self.embedded_ids[0]
        # Some reports quote the original headers in their human-readable part only.
        match = _EMBEDDED_MSG_ID.search("\n".join(self.plain))
        return match.group(1) if match else None

    def reported_message_id(self) -> str | None:
        for block in [*self.dsn_blocks, *self.other_report_blocks]:
            found = _msg_ids(block.get("original-message-id", ""))
            if found:
                return found[0]
        return self.embedded_ids[0] if self.embedded_ids else self.bounced_message_id()

    def report_field(self, name: str) -> str | None:
        """The first value of a field of an MDN or ARF part, on one line."""
        for block in self.other_report_blocks:
            text = _one_line(block.get(name, ""), _MAX_DSN_FIELD)
            if text:
                return text
        return None

    def delivery_status(self) -> DeliveryStatus | None:
        if not self.dsn_blocks:
            return None

        def value(block: dict[str, str], name: str, typed: bool = False) -> str | None:
            text = _one_line(block.get(name, ""), _MAX_DSN_FIELD)
            if typed and ";" in text:  # "rfc822; x@example.org", "smtp; 550 ...", "dns; mx"
                text = text.split(";", 1)[1].strip()
            return text or None

        def kind(block: dict[str, str], name: str) -> str | None:
            text = _one_line(block.get(name, ""), _MAX_DSN_FIELD)
            if ";" not in text:
                return None
            return text.split(";", 1)[0].strip() or None

        recipients = []
        for block in self.dsn_blocks:
            if "final-recipient" not in block and "original-recipient" not in block:
                continue
            status = value(block, "status") or ""
            code = _STATUS_CODE.search(status)
            rest = status[code.end() :] if code else ""
            recipient = value(block, "final-recipient", typed=True) or value(
                block, "original-recipient", typed=True
            )
            recipients.append(
                RecipientStatus(
                    final_recipient=recipient,
                    action=(value(block, "action") or "").lower() or None,
                    status=code.group(1) if code else status or None,
                    status_text=rest.strip(" -;").removeprefix("(").removesuffix(")") or None,
                    diagnostic_code=value(block, "diagnostic-code", typed=True),
                    diagnostic_type=kind(block, "diagnostic-code"),
                    remote_mta=value(block, "remote-mta", typed=True),
                )
            )
        per_message = next(
            (block for block in self.dsn_blocks if "reporting-mta" in block), self.dsn_blocks[0]
        )
        return DeliveryStatus(
            reporting_mta=value(per_message, "reporting-mta", typed=True),
            original_message_id=self.bounced_message_id(),
            recipients=tuple(recipients),
        )

    def _walk(self, part: Message, depth: int, *, report_text: bool = False) -> None:
        if depth > _MAX_MIME_DEPTH:
            raise ParseError(f"MIME parts nested deeper than {_MAX_MIME_DEPTH} levels")
        headers = _Headers(part, self.streams.get(id(part)))
        content_type = headers.content_type()
        if content_type in _EMBEDDED_HEADER_TYPES:
            self._note_embedded_id(part, headers)
        if content_type in _DSN_TYPES:
            self.is_report = True
            self.dsn_blocks.extend(_report_fields(part, headers))
        elif content_type in _OTHER_REPORT_TYPES:
            self.other_report_blocks.extend(_report_fields(part, headers))
        if content_type.startswith("multipart/"):
            if not part.is_multipart():
                # Declared multipart but no usable boundary: the parser kept it as text.
                found = _with_the_boundary_used(part, headers, content_type)
                if found is not None:
                    self._walk(found, depth + 1, report_text=report_text)
                    return
                self.plain.append(decode_bytes(headers.payload(), None))
                return
            is_report = content_type == "multipart/report"
            report_type = (headers.param("report-type") or "").strip().lower() or None
            if is_report and self.report_type is None:
                self.report_type = report_type
            if is_report and report_type == "delivery-status":
                self.is_report = True
            alternative = report_text and content_type == "multipart/alternative"
            for index, child in enumerate(part.get_payload()):
                # RFC 6522: a report's first part is its human-readable text (maybe in
                # plain and HTML).
                self._walk(child, depth + 1, report_text=alternative or (is_report and index == 0))
            return
        disposition = headers.disposition()
        filename = headers.filename()
        is_body = disposition != "attachment" and filename is None
        if content_type in ("text/plain", "text/html") and (is_body or report_text):
            text = decode_bytes(headers.payload(), headers.charset())
            if content_type == "text/plain" and (headers.param("format") or "").lower() == "flowed":
                text = unflow(text, delsp=(headers.param("delsp") or "").lower() == "yes")
            if content_type == "text/html":
                self._embedded_images(text)
            (self.plain if content_type == "text/plain" else self.html).append(text)
        else:
            self._add_attachment(part, headers, content_type, disposition, filename)

    def _add_attachment(
        self,
        part: Message,
        headers: _Headers,
        content_type: str,
        disposition: str | None,
        filename: str | None,
    ) -> None:
        content = headers.content() if headers.stream is not None else _part_bytes(part, headers)
        if filename is None and content_type in ("message/rfc822", "message/global"):
            filename = _message_filename(part)
        name = safe_filename(filename or _REPORT_PART_NAMES.get(content_type), content_type)
        size = size_of(content)
        if size > self.max_attachment_bytes:
            self.skipped.append(SkippedAttachment(name, content_type, size))
            return
        if is_tnef(content_type, filename) and self._unpack_tnef(name, content):
            return
        content_id = _content_id(headers.get("content-id"))
        self.attachments.append(
            ParsedAttachment(
                filename=name,
                content_type=content_type,
                size=size,
                content=content,
                content_id=content_id,
                inline=disposition == "inline" or (disposition is None and content_id is not None),
            )
        )

    def _unpack_tnef(self, name: str, content: Content) -> bool:
        """Outlook's ``winmail.dat``: its files as attachments (each within the size limit)
        and its text kept for a message that has no other. False: keep the file as it came
        (it could not be read, with a note saying why, or nothing came out of it)."""
        try:
            unpacked = unpack_tnef(as_bytes(content))
        except TnefError as error:
            self.notes.append(
                f"{name} (Outlook's TNEF) could not be unpacked: {error.reason}; "
                "it is kept as it came."
            )
            return False
        if unpacked.note is not None:
            self.notes.append(f"{name} (Outlook's TNEF): {unpacked.note}.")
        if not unpacked.attachments and unpacked.text is None and unpacked.html is None:
            return False
        for filename, data in unpacked.attachments:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            self._add_unpacked(safe_filename(filename, content_type), content_type, data)
        if unpacked.text is not None:
            self.tnef_plain.append(decode_bytes(unpacked.text, None))
        if unpacked.html is not None:
            self.tnef_html.append(decode_bytes(unpacked.html, None))
        return True

    def _embedded_images(self, markup: str) -> None:
        """Images an HTML body carries in itself (``<img src="data:image/png;base64,…">``,
        as some web mailers paste a screenshot): kept as inline attachments, which the text
        of the body, showing only their ``alt``, would otherwise lose."""
        found = 0
        for match in _DATA_IMAGE.finditer(markup):
            try:
                data = base64.b64decode("".join(match.group(2).split()))
            except (binascii.Error, ValueError):
                continue
            if not data:
                continue
            found += 1
            content_type = match.group(1).lower()
            extension = mimetypes.guess_extension(content_type) or ".img"
            name = safe_filename(f"embedded-image-{found}{extension}", content_type)
            self._add_unpacked(name, content_type, data, inline=True)
            if found == _MAX_EMBEDDED_IMAGES:
                break

    def _add_unpacked(
        self, name: str, content_type: str, data: bytes, *, inline: bool = False
    ) -> None:
        """A file taken out of another part (a TNEF file, an HTML body's ``data:`` image):
        an attachment, or a skipped one over the size limit."""
        if len(data) > self.max_attachment_bytes:
            self.skipped.append(SkippedAttachment(name, content_type, len(data)))
        else:
            self.attachments.append(
                ParsedAttachment(name, content_type, len(data), data, None, inline=inline)
            )

    def _note_embedded_id(self, part: Message, headers: _Headers) -> None:
        payload = part.get_payload()
        if isinstance(payload, list):
            text = "".join(
                f"message-id: {_embedded_header(inner, 'message-id')}\n"
                for inner in payload
                if isinstance(inner, Message)
            )
        else:
            text = decode_bytes(headers.payload(), None)
        match = _EMBEDDED_MSG_ID.search(text)
        if match:
            self.embedded_ids.append(match.group(1))


_USED_BOUNDARY = re.compile(rb"\A(?:[ \t]*\r?\n)*--([ -~]{1,200}?)[ \t]*\r?\n(?=[!-9;-~]+:)")
"""A body that starts (after blank lines) with a delimiter line and a header field: the
boundary a sender used when its Content-Type names another."""


def _with_the_boundary_used(part: Message, headers: _Headers, content_type: str) -> Message | None:
    """A multipart whose declared boundary its body never uses (a broken mailer's: its
    first part starts with another delimiter), parsed again with the boundary its first
    line uses; None when the body does not start with one. Its text was shown to agents
    as raw MIME (delimiters, part headers, base64)."""
    body = part.get_payload()
    data = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else b""
    used = _USED_BOUNDARY.match(data)
    if used is None:
        return None
    boundary = used.group(1).decode("ascii")
    if '"' in boundary or "\\" in boundary:
        return None
    head = f'Content-Type: {content_type}; boundary="{boundary}"\r\n\r\n'.encode()
    found = _parse_in_chunks(head + data, part.policy)
    return found if found.is_multipart() else None


_FEED_CHUNK = 1 << 20


def _parse_in_chunks(raw: bytes | bytearray, parse_policy: Policy) -> Message:
    """The MIME tree, the message fed to the parser a MiB at a time.

    ``BytesParser.parsebytes`` decodes the whole message to one string first and reads it
    through a ``StringIO``: ≈ 200 MiB at the peak for a 30 MB message, against ≈ 50 MiB
    fed in chunks (the parser still keeps each body as lines until it joins them).
    """
    parser = BytesFeedParser(policy=parse_policy)
    view = memoryview(raw)
    for start in range(0, len(raw), _FEED_CHUNK):
        parser.feed(bytes(view[start : start + _FEED_CHUNK]))
    return parser.close()


def _embedded_header(message: Message, name: str) -> str:
    """A header of an attached message, raw (its parser may not read it), unfolded."""
    for key, value in message.raw_items():
        if key.strip().lower() == name:
            return _raw_to_text(_FOLD.sub("", str(value)))
    return ""


def _message_filename(part: Message) -> str | None:
    """``<subject>.eml`` for an attached message, with what file systems refuse replaced."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        return None
    subject = _one_line(decode_words(_embedded_header(inner, "subject")), _MAX_FILENAME - 4)
    subject = re.sub(r'[\\/:*?"<>|]+', "_", subject).strip(" ._")
    return f"{subject}.eml" if subject else "message.eml"


def _report_fields(part: Message, headers: _Headers) -> list[dict[str, str]]:
    """The field blocks of a report part: per message, then (DSN) one per recipient."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    encoding = headers.get("content-transfer-encoding").strip().lower()
    if isinstance(payload, list) and encoding in ("base64", "quoted-printable"):
        # The parser read the encoded text as fields: decode what it wrote back out.
        data = _part_bytes(part, headers)
        if encoding == "base64":
            decoded = _base64(re.sub(r"[^A-Za-z0-9+/]", "", data.decode("latin-1"))) or b""
        else:
            decoded = binascii.a2b_qp(data)
        blocks = _field_blocks(decode_bytes(decoded, "utf-8"))
    elif isinstance(payload, list):
        # message/delivery-status: the parser made one Message per block. Other types
        # (message/global-delivery-status) come as one message whose body holds the rest.
        for block in payload:
            if not isinstance(block, Message):
                continue
            blocks.append(
                {
                    name.strip().lower(): _raw_to_text(_FOLD.sub("", str(value)))
                    for name, value in reversed(list(block.raw_items()))
                }
            )
            rest = block.get_payload()
            if isinstance(rest, str) and rest.strip():
                blocks.extend(_field_blocks(_raw_to_text(rest)))
    else:
        blocks = _field_blocks(decode_bytes(headers.payload(), "utf-8"))
    return [block for block in blocks if block][:100]


def _field_blocks(text: str) -> list[dict[str, str]]:
    """``Name: value`` blocks separated by blank lines, as a report part's text has them."""
    text = _clean_text(text)
    return [
        {
            name.strip().lower(): _FOLD.sub("", value)
            for name, value in reversed(_DSN_FIELD.findall(chunk))
        }
        for chunk in re.split(r"\n[ \t]*\n", text)
    ]


def _content_id(value: str) -> str | None:
    match = _MSG_ID.search(value)
    token = match.group(1) if match else value.strip()
    return token if token and len(token) <= 500 and _printable(token) else None


def _part_bytes(part: Message, headers: _Headers) -> bytes:
    """Decoded content of a leaf part; an attached message is written back out whole."""
    payload = part.get_payload()
    if isinstance(payload, list):
        messages = [inner for inner in payload if isinstance(inner, Message)]
        try:
            buffer = BytesIO()
            generator = BytesGenerator(buffer, mangle_from_=False, policy=policy.compat32)
            for inner in messages:
                generator.flatten(inner)
            return buffer.getvalue()
        except (UnicodeError, LookupError):
            # The generator re-encodes text it takes for mis-declared and then cannot
            # write it as bytes; the text generator keeps what it can, which is better
            # than quarantining the whole message for one attachment.
            text = StringIO()
            for inner in messages:
                Generator(text, mangle_from_=False, policy=policy.compat32).flatten(inner)
            return text.getvalue().encode("utf-8", "surrogateescape")
    return headers.payload()


# --- big messages ----------------------------------------------------------------------

_BASE64_RUN = re.compile(rb"\n((?:[A-Za-z0-9+/=]++\r?\n)++)")
"""Lines of base64 characters only, after a line end: never a boundary (no ``-``), never a
header (no ``:``, no leading space), so the parser only ever adds them to a body.
Possessive: a plain repeat keeps backtracking state per line (80 MiB for 30 MB)."""
_NOT_BASE64 = bytes(c for c in range(256) if chr(c) not in _BASE64_ALPHABET)
_STREAM_CHUNK = 1 << 20


class _Runs:
    """A big message with its long runs of base64 lines each replaced by one token line.

    The standard library's parser holds a body as lines (≈ 8 times a 30 MB message at the
    peak); given the skeleton it sees a few short lines instead, so the MIME tree, every
    header, boundary and defect come out as they would from the whole message. Then
    :meth:`restore` gives each part whose text holds tokens its text back: a base64
    attachment as a :class:`_Base64Stream` over the raw bytes, anything else (text, a
    report, an attached message) as the very string the parser would have made.
    """

    def __init__(
        self, raw: bytes | bytearray, skeleton: bytes, token: str, spans: list[tuple[int, int]]
    ) -> None:
        self.raw = raw
        self.skeleton = skeleton
        self.spans = spans
        self._token = re.compile(re.escape(token) + r"([0-9]{8})")

    @classmethod
    def find(cls, raw: bytes | bytearray, run_bytes: int) -> _Runs | None:
        head = _HEADER_END.search(raw)
        if head is None:
            return None
        token = "HELPDESKRUN" + secrets.token_hex(12).upper()
        if raw.find(token.encode()) != -1:
            return None
        pieces: list[bytes | bytearray] = []
        spans: list[tuple[int, int]] = []
        position = 0
        # From the blank line's own line end: a run may follow it at once.
        for match in _BASE64_RUN.finditer(raw, head.end() - 1):
            start, end = match.span(1)
            end -= 2 if raw[end - 2 : end] == b"\r\n" else 1  # the line end stays
            if end - start < run_bytes:
                continue
            pieces += [raw[position:start], f"{token}{len(spans):08d}".encode()]
            spans.append((start, end))
            position = end
        if not spans:
            return None
        pieces.append(raw[position:])
        return cls(raw, b"".join(pieces), token, spans)

    def restore(self, tree: Message) -> dict[int, _Base64Stream]:
        """Give every part its text back; the base64 leaves to decode from the raw bytes."""
        streams: dict[int, _Base64Stream] = {}
        self._restore(tree, streams, depth=0)
        return streams

    def _restore(self, part: Message, streams: dict[int, _Base64Stream], depth: int) -> None:
        """As :meth:`_Body._walk` goes: a leaf it reaches may stream; anything it writes
        back out whole (an attached message, a part it does not take apart) gets its text."""
        headers = _Headers(part)
        content_type = headers.content_type()
        if not part.is_multipart():
            # As the parser left it: get_payload() mends surrogates.
            text = getattr(part, "_payload", None)
            if not isinstance(text, str) or not self._token.search(text):
                return
            stream = _Base64Stream(self._pieces(text))
            shown = part.get_payload()
            if (
                headers.get("content-transfer-encoding").strip().lower() == "base64"
                and isinstance(shown, str)
                and shown.isascii()
                and not content_type.startswith(("text/", "multipart/", "message/"))
                and content_type not in _DSN_TYPES | _OTHER_REPORT_TYPES
                and depth <= _MAX_MIME_DEPTH
            ):
                streams[id(part)] = stream
            else:
                part.set_payload(stream.text())
            return
        self._restore_texts(part)
        if not content_type.startswith("multipart/"):
            for inner in part.walk():
                if inner is not part:
                    self._restore_texts(inner)
            return
        for child in part.get_payload():
            if isinstance(child, Message):
                self._restore(child, streams, depth + 1)

    def _restore_texts(self, part: Message) -> None:
        """A part's own text back: a leaf's body, a container's preamble and epilogue."""
        for name in ("preamble", "epilogue", "_payload"):
            text = getattr(part, name, None)
            if isinstance(text, str) and self._token.search(text):
                setattr(part, name, self._text(text))

    def _pieces(self, text: str) -> list[str | memoryview]:
        pieces: list[str | memoryview] = []
        position = 0
        view = memoryview(self.raw)
        for match in self._token.finditer(text):
            start, end = self.spans[int(match.group(1))]
            pieces += [text[position : match.start()], view[start:end]]
            position = match.end()
        pieces.append(text[position:])
        return pieces

    def _text(self, text: str) -> str:
        return _Base64Stream(self._pieces(text)).text()


class _Base64Stream(Chunked):
    """A base64 body decoded a MiB at a time from its pieces (text, and runs of the raw
    bytes), to the very bytes ``binascii.a2b_base64`` makes of the whole text."""

    def __init__(self, pieces: list[str | memoryview]) -> None:
        self.pieces = pieces
        self.size = -1

    def text(self) -> str:
        """The text as the parser would have made it (runs are ASCII)."""
        return "".join(p if isinstance(p, str) else str(p, "ascii") for p in self.pieces)

    def checked(self) -> bool:
        """Whether the text decodes (it is decoded once to learn its size)."""
        if self.size < 0:
            try:
                self.size = sum(len(chunk) for chunk in self.chunks())
            except (binascii.Error, ValueError):
                return False
        return True

    def _segments(self) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, str):
                yield piece.encode("ascii")
                continue
            for start in range(0, len(piece), _STREAM_CHUNK):
                yield piece[start : start + _STREAM_CHUNK].tobytes()

    def chunks(self) -> Iterator[bytes]:
        # a2b_base64 skips what is not base64 and stops at the first complete padding:
        # whole groups of four decode the same apart as together, so only the text from
        # the first "=" on (normally the last few characters) is decoded in one piece.
        carry = b""
        segments = self._segments()
        for segment in segments:
            data = carry + segment.translate(None, _NOT_BASE64)
            if b"=" in data:
                rest = b"".join(s.translate(None, _NOT_BASE64) for s in segments)
                yield binascii.a2b_base64(data + rest)
                return
            cut = len(data) - len(data) % 4
            if cut:
                yield binascii.a2b_base64(data[:cut])
            carry = data[cut:]
        if carry:
            yield binascii.a2b_base64(carry)  # an incomplete group: raises, as for the whole
