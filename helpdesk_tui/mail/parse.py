"""Turn raw RFC 5322 bytes from outside into a :class:`ParsedMessage`.

Everything in a message is hostile: headers may be malformed or lie about their charset,
MIME may be broken, filenames may try to escape a directory. :func:`parse_message` never
raises anything but :class:`ParseError`; the caller keeps such a message raw in quarantine.

Top-level headers are read from the raw header block (``compat32``, which keeps values
as-is) and decoded here, so that undeclared 8-bit text and unknown charsets fall back the
same way bodies do. The MIME tree is walked with ``policy.default`` and, where that
policy's stricter header parser fails, again with ``compat32``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy
from email.utils import parsedate_to_datetime
from io import BytesIO

import html2text

from helpdesk_tui.desk.limits import DEFAULT_MAX_BODY_BYTES, cut_body, human_bytes
from helpdesk_tui.safe_text import without_invisibles

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
    "sender",
    "from",
)
"""Headers kept in :attr:`ParsedMessage.headers` for loop, bounce and spam detection."""

_MAX_MIME_DEPTH = 40
_MAX_REFERENCES = 100
_MAX_SUBJECT = 1000
_MAX_NAME = 200
_MAX_HEADER_VALUE = 2000
_MAX_FILENAME = 200
_MAX_ADDRESS = 254
_MAX_HTML_TO_CONVERT = 500_000

_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
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
    content: bytes
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
class ParsedMessage:
    message_id: str | None
    """Normalized to ``<id-left@id-right>``."""
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_address: str | None
    """Lower-cased addr-spec; None when From is missing or holds no usable address."""
    from_name: str
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
    raw_sha256: str
    dedupe_key: str
    """Message-ID, or ``sha256:<hex>`` of the raw bytes when there is none."""


def parse_message(
    raw: bytes, *, max_attachment_bytes: int, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> ParsedMessage:
    """Parse a raw message; raise :class:`ParseError` (and nothing else) when it cannot be.

    Text over ``max_body_bytes`` (``mail.max_body_bytes``) is cut to it, with a note at
    its top; the raw message keeps all of it.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise ParseError("empty message")
    try:
        return _parse(raw, max_attachment_bytes, max_body_bytes)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"unexpected {type(exc).__name__}: {exc}"[:500]) from exc


def _parse(raw: bytes, max_attachment_bytes: int, max_body_bytes: int) -> ParsedMessage:
    fields = _header_fields(raw)
    if not fields:
        raise ParseError("no header fields: not an RFC 5322 message")
    first = dict(reversed(fields))
    try:
        body = _Body.extract(raw, policy.default, max_attachment_bytes)
    except ParseError:
        raise
    except Exception:
        # policy.default parses MIME headers into objects and can choke on malformed ones;
        # compat32 treats them as opaque strings.
        body = _Body.extract(raw, policy.compat32, max_attachment_bytes)

    from_name, from_address = _first_mailbox(first.get("from", ""))
    message_ids = _msg_ids(first.get("message-id", ""))
    message_id = message_ids[0] if message_ids else None
    in_reply_to = _msg_ids(first.get("in-reply-to", ""))
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_unique(_msg_ids(first.get("references", "")))[-_MAX_REFERENCES:],
        subject=_one_line(decode_words(first.get("subject", "")), _MAX_SUBJECT),
        from_address=from_address,
        from_name=from_name,
        to=_address_list(value for name, value in fields if name == "to"),
        cc=_address_list(value for name, value in fields if name == "cc"),
        reply_to=_first_mailbox(first.get("reply-to", ""))[1],
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
        raw_sha256=raw_sha256,
        dedupe_key=message_id or f"sha256:{raw_sha256}",
    )


# --- headers ---------------------------------------------------------------------------


def _header_fields(raw: bytes) -> list[tuple[str, str]]:
    """Top-level header fields in order: (lower-case name, unfolded value as text)."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    return [
        (name.strip().lower(), _raw_to_text(_FOLD.sub("", value)))
        for name, value in message.raw_items()
    ]


def _raw_to_text(value: str) -> str:
    """The parser keeps undeclared 8-bit header bytes as surrogates; give them a charset."""
    if value.isascii():
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), None)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded-words, however the sender got them wrong.

    Adjacent words in the same charset are joined before decoding, because senders split a
    multi-byte character across two words; whitespace between encoded words is dropped as
    the RFC says. A word that does not decode stays as it was written.
    """
    out: list[str] = []
    pending: tuple[str, bytearray] | None = None
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        position = match.end()
        charset = match.group(1).split("*", 1)[0]
        data = _encoded_word_bytes(match.group(2), match.group(3))
        if data is None:
            if pending is not None:
                out.append(decode_bytes(bytes(pending[1]), pending[0]))
                pending = None
            out.append(gap + match.group(0))
            continue
        if pending is not None and not gap.strip():
            if pending[0].lower() == charset.lower():
                pending[1].extend(data)
                continue
            out.append(decode_bytes(bytes(pending[1]), pending[0]))
        else:
            if pending is not None:
                out.append(decode_bytes(bytes(pending[1]), pending[0]))
            out.append(gap)
        pending = (charset, bytearray(data))
    if pending is not None:
        out.append(decode_bytes(bytes(pending[1]), pending[0]))
    out.append(value[position:])
    return "".join(out)


def _encoded_word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (ValueError, binascii.Error):
        return None


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Decode with the declared charset, else UTF-8, else cp1252, else latin-1; never raises."""
    for charset in _charset_candidates(declared):
        try:
            return data.decode(charset)
        except (LookupError, UnicodeError, ValueError):
            continue
    return data.decode("latin-1", "replace")


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


def _first_mailbox(value: str) -> tuple[str, str | None]:
    """(display name, address) of the first mailbox with a usable address."""
    for name, address in mailboxes(value):
        clean = _clean_address(address)
        if clean is not None:
            return _one_line(decode_words(name), _MAX_NAME), clean
    return "", None


def _address_list(values: Iterable[str]) -> list[str]:
    addresses = (_clean_address(address) for value in values for _, address in mailboxes(value))
    return _unique([address for address in addresses if address is not None])


def mailboxes(value: str) -> list[tuple[str, str]]:
    """Split an address-list header into (raw display name, address) pairs.

    The address is what a mail server routes on: the one in angle brackets outside quotes
    and comments. ``From: boss@example.com <attacker@example.net>`` is attacker's mail,
    however it is displayed; the stdlib's ``getaddresses`` (before Python 3.11.10) can
    return ``boss@example.com`` for it. Groups (``team: a@x, b@y;``) are flattened.
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
                text.append(char)
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth:
                comment.append(char)
        elif in_angle:
            if char == ">":
                in_angle = False
                address = "".join(angle).strip()
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
    address = address.strip().strip("<>").lower()
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
    text = _WHITESPACE.sub(" ", text)
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
    """Bodies: ``\\n`` line ends, tabs kept, every other control character and surrogate gone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


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


@dataclass
class _Body:
    max_attachment_bytes: int
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    skipped: list[SkippedAttachment] = field(default_factory=list)
    is_report: bool = False
    embedded_ids: list[str] = field(default_factory=list)

    @classmethod
    def extract(cls, raw: bytes, parse_policy: Policy, max_attachment_bytes: int) -> _Body:
        body = cls(max_attachment_bytes)
        body._walk(BytesParser(policy=parse_policy).parsebytes(raw), depth=0)
        return body

    def text(self) -> str:
        plain = _clean_text("\n".join(self.plain))
        if plain.strip() or not self.html:
            return plain
        return _clean_text(html_to_text("\n".join(self.html)))

    def bounced_message_id(self) -> str | None:
        if not self.is_report:
            return None
        if self.embedded_ids:
            return self.embedded_ids[0]
        # Some reports quote the original headers in their human-readable part only.
        match = _EMBEDDED_MSG_ID.search("\n".join(self.plain))
        return match.group(1) if match else None

    def _walk(self, part: Message, depth: int) -> None:
        if depth > _MAX_MIME_DEPTH:
            raise ParseError(f"MIME parts nested deeper than {_MAX_MIME_DEPTH} levels")
        content_type = _content_type(part)
        if content_type in _EMBEDDED_HEADER_TYPES:
            self._note_embedded_id(part)
        if content_type in _DSN_TYPES:
            self.is_report = True
        if content_type.startswith("multipart/"):
            if not part.is_multipart():
                # Declared multipart but no usable boundary: the parser kept it as text.
                self.plain.append(decode_bytes(part.get_payload(decode=True) or b"", None))
                return
            report_type = str(part.get_param("report-type") or "").lower()
            if content_type == "multipart/report" and report_type == "delivery-status":
                self.is_report = True
            for child in part.get_payload():
                self._walk(child, depth + 1)
            return
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        is_body = disposition != "attachment" and filename is None
        if is_body and content_type in ("text/plain", "text/html"):
            text = decode_bytes(part.get_payload(decode=True) or b"", part.get_content_charset())
            (self.plain if content_type == "text/plain" else self.html).append(text)
        else:
            self._add_attachment(part, content_type, disposition, filename)

    def _add_attachment(
        self, part: Message, content_type: str, disposition: str | None, filename: str | None
    ) -> None:
        content = _part_bytes(part)
        name = safe_filename(filename, content_type)
        if len(content) > self.max_attachment_bytes:
            self.skipped.append(SkippedAttachment(name, content_type, len(content)))
            return
        content_id = _content_id(str(part.get("content-id") or ""))
        self.attachments.append(
            ParsedAttachment(
                filename=name,
                content_type=content_type,
                size=len(content),
                content=content,
                content_id=content_id,
                inline=disposition == "inline" or (disposition is None and content_id is not None),
            )
        )

    def _note_embedded_id(self, part: Message) -> None:
        payload = part.get_payload()
        if isinstance(payload, list):
            headers = "".join(
                f"message-id: {inner.get('message-id', '')}\n"
                for inner in payload
                if isinstance(inner, Message)
            )
        else:
            headers = decode_bytes(part.get_payload(decode=True) or b"", None)
        match = _EMBEDDED_MSG_ID.search(headers)
        if match:
            self.embedded_ids.append(match.group(1))


def _content_id(value: str) -> str | None:
    match = _MSG_ID.search(value)
    token = match.group(1) if match else value.strip()
    return token if token and len(token) <= 500 and _printable(token) else None


def _content_type(part: Message) -> str:
    content_type = part.get_content_type().lower()
    return content_type if _MIME_TYPE.match(content_type) else "application/octet-stream"


def _part_bytes(part: Message) -> bytes:
    """Decoded content of a leaf part; an attached message is written back out whole."""
    payload = part.get_payload()
    if isinstance(payload, list):
        buffer = BytesIO()
        generator = BytesGenerator(buffer, mangle_from_=False, policy=policy.compat32)
        for inner in payload:
            if isinstance(inner, Message):
                generator.flatten(inner)
        return buffer.getvalue()
    return part.get_payload(decode=True) or b""
