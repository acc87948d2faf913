"""Parsing the values a person types for a ticket's fields, with one clear error each.

Every front door (CLI, TUI, mail) hands text to the desk, and the desk's writers check it
here: a NUL byte or undecodable bytes are refused naming the field (PostgreSQL cannot store
NUL, and neither engine can store lone surrogates), invisible characters that spoof are
taken out of single-line text, numbers must fit a 64-bit column, and an address is one
mailbox with nothing that could add a header or a recipient.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.safe_text import without_invisibles
from helpdesk_tui.storage.enums import Priority, TicketType

MIN_TIER, MAX_TIER = 1, 4
MAX_NUMBER = 2**63 - 1
"""The largest value a ticket number, id or version column holds (BIGINT on both engines)."""
MAX_ADDRESS = 254
"""RFC 5321's limit for a forward path."""

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# One bare mailbox: local@domain, no whitespace, quotes, brackets, separators, controls or
# invisible characters (the domain may be an IDN or a single label such as ``localhost``).
_MAILBOX_PART = (
    r"[^\s@<>()\[\],;:\"\\\x00-\x1f\x7f-\x9f"
    r"\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+"
)
_ADDRESS_PARTS = re.compile(f"{_MAILBOX_PART}@{_MAILBOX_PART}")

E = TypeVar("E", bound=StrEnum)


def _parse(enum: type[E], value: str, what: str) -> E:
    try:
        return enum(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidValue(f"unknown {what} {value!r}; allowed: {allowed}") from None


def parse_priority(value: str) -> Priority:
    return _parse(Priority, value, "priority")


def parse_type(value: str) -> TicketType:
    return _parse(TicketType, value, "type")


def parse_tier(value: int | str) -> int:
    try:
        tier = int(value)
    except (TypeError, ValueError):
        tier = 0
    if not MIN_TIER <= tier <= MAX_TIER:
        raise InvalidValue(f"tier must be {MIN_TIER} to {MAX_TIER}, not {value!r}")
    return tier


def parse_tag(value: str) -> str:
    tag = "-".join(text_value(value, "tag", single_line=True).strip().lower().split())
    if not tag or len(tag) > 100 or not tag.isprintable():
        raise InvalidValue(f"not a usable tag: {value!r}")
    return tag


def text_value(value: str, field: str, *, single_line: bool = False) -> str:
    """``value`` as the desk stores it, or InvalidValue naming ``field``.

    Refused: NUL bytes and undecodable bytes (lone surrogates, as Python keeps bytes of
    argv or a file that are not UTF-8). ``single_line`` (subjects, names) also drops bidi
    controls and zero-width characters, so what an agent reads is what is stored.
    """
    if "\x00" in value:
        raise InvalidValue(f"the {field} contains a NUL byte; nothing was saved")
    if _SURROGATE.search(value):
        raise InvalidValue(f"the {field} is not valid UTF-8; nothing was saved")
    return without_invisibles(value) if single_line else value


def name_value(value: str, field: str, column: Any) -> str:
    """A name (a person's, a team's) as the desk stores it: one line, runs of blanks as one
    space, cut to ``column``'s declared width — PostgreSQL refuses a longer one ("value
    too long for type character varying(200)", naming no field) where SQLite kept it."""
    name = " ".join(text_value(value, field, single_line=True).split())
    return name[: column.type.length].rstrip()


def parse_address(value: str, field: str = "email address") -> str:
    """One email address, lower-cased: ``ann@example.com``.

    Refuses lists (``,`` ``;``), display names and brackets, whitespace (CR/LF included),
    control characters and escape sequences: an address goes into a mail header, and any
    of those could add a recipient or a header there.
    """
    text_value(value, field)
    address = value.strip().lower()
    if len(address) > MAX_ADDRESS or not _ADDRESS_PARTS.fullmatch(address):
        raise InvalidValue(f"not an {field}: {value!r} (one address, like ann@example.com)")
    return address


def parse_addresses(value: str, field: str = "email address") -> list[str]:
    """Addresses typed in one line (``petra@acme.test, li@acme.test``: commas, semicolons
    or spaces between), each checked by :func:`parse_address`, each once, in order."""
    found: list[str] = []
    for item in re.split(r"[,;\s]+", value):
        if item and (address := parse_address(item, field)) not in found:
            found.append(address)
    return found


_NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|noreply[-_.+].*|.*[-_.+]noreply|"
    r"no[-_.]?response|mailer[-_.]?daemon|postmaster|bounces?([-_.+].*)?)$"
)
"""Local parts nobody reads: an acknowledgement there is a message into the void (or a loop)."""


def is_noreply(address: str) -> bool:
    """An address nobody reads (``noreply@``, ``mailer-daemon@``, ``bounces+…@``)."""
    return bool(_NOREPLY.match(address.partition("@")[0].lower()))


def parse_int(value: str | int, field: str, *, minimum: int = 1) -> int:
    """A whole number from ``minimum`` to :data:`MAX_NUMBER` (ASCII digits, optional ``#``)."""
    raw = str(value).strip().lstrip("#")
    # At most 19 digits reach int(): Python refuses to convert more than 4,300 at all.
    raw = raw.lstrip("0") or raw[-1:]
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_NUMBER))
    if not digits or not minimum <= int(raw) <= MAX_NUMBER:
        raise InvalidValue(f"not a {field}: {value!r} (a whole number, {minimum} to {MAX_NUMBER})")
    return int(raw)


def parse_number(value: str | int) -> int:
    """``1042``, ``#1042`` → 1042; anything else (``-3``, ``2**63``, ``٣``) is one clear error."""
    return parse_int(value, "ticket number")


def number_in(text: str) -> int | None:
    """The ticket number a search box holds (``1042``, ``#1042``), or None when it holds
    something else, a number out of range included (never a query that would fail)."""
    try:
        return parse_int(text, "ticket number")
    except InvalidValue:
        return None
