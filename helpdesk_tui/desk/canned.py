"""Canned texts: placeholders, rendering, and fuzzy picking — pure functions, no database.

A body says ``Hello {{requester.name}}, about {{ticket.subject}} …``. Rendering replaces each
placeholder with its value in one pass: a value is inserted as plain text, never read again
for placeholders (a requester named ``{{agent.email}}`` stays just that), and control
characters in it are dropped (it came from outside). A placeholder the desk does not know is
an error naming it, raised before anything is inserted or sent: a reply never goes out
half-rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.safe_text import clean

PLACEHOLDERS: dict[str, str] = {
    "requester.name": "the requester's name (their address when they gave no name)",
    "requester.first_name": (
        "the requester's first name (also of Last, First; with no name, Taro of"
        " taro.yamada@…, else their address)"
    ),
    "requester.email": "the requester's email address",
    "ticket.number": "the ticket's number, without #",
    "ticket.subject": "the ticket's subject",
    "ticket.status": "the ticket's status",
    "ticket.priority": "the ticket's priority",
    "agent.name": "your name",
    "agent.first_name": "your first name",
    "agent.email": "your email address",
    "desk.name": "the desk's name (helpdesk desk name; else the config's desk_name)",
}
"""Every placeholder a canned text may use, with what it stands for."""

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)

MAX_NAME = 100


class UnknownPlaceholder(InvalidValue):
    """A body uses placeholders the desk does not know; ``names`` lists them."""

    def __init__(self, names: Sequence[str]) -> None:
        shown = ", ".join("{{" + name + "}}" for name in names)
        word = "placeholder" if len(names) == 1 else "placeholders"
        super().__init__(
            f"unknown {word} {shown}; known: "
            + ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
            + " — nothing was inserted"
        )
        self.names = tuple(names)


def placeholders_in(body: str) -> list[str]:
    """The placeholder names ``body`` uses, in order of first use (spaces inside trimmed)."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(body):
        seen.setdefault(" ".join(match.group(1).split()), None)
    return list(seen)


def check_body(body: str) -> None:
    """Refuse a body with a placeholder the desk does not know (naming each)."""
    unknown = [name for name in placeholders_in(body) if name not in PLACEHOLDERS]
    if unknown:
        raise UnknownPlaceholder(unknown)


def render(body: str, values: Mapping[str, str]) -> str:
    """``body`` with every placeholder replaced by its value, in one pass.

    Raises :class:`UnknownPlaceholder` (nothing rendered) when ``body`` uses a placeholder
    outside :data:`PLACEHOLDERS`. A known placeholder without a value becomes empty.
    """
    check_body(body)

    def value(match: re.Match[str]) -> str:
        return clean(values.get(" ".join(match.group(1).split()), ""), single_line=True)

    # The text itself is cleaned too: it may predate a check, or come from an import.
    return _PLACEHOLDER.sub(value, clean(body))


_NOT_FIRST_NAMES = frozenset({"inc", "ltd", "llc", "gmbh", "ag", "jr", "sr", "ii", "iii", "phd"})
"""What follows a comma in a name without being a first name: "Acme, Inc.", "King, Jr."."""


def _last_first(name: str) -> tuple[str, str] | None:
    """The last and first names of a name written "Last, First" (Outlook's way, "Dvořák,
    Jiří"); None for any other name ("Acme, Inc." and "King, Jr." are not that)."""
    last, comma, rest = name.partition(",")
    after = rest.split()
    if comma and last.strip() and after and after[0].strip(".").lower() not in _NOT_FIRST_NAMES:
        return last.strip(), " ".join(after)
    return None


def first_name(name: str) -> str:
    """The first name in ``name`` as people and mail clients write it: its first word, or
    the first word after the comma of "Last, First" (Outlook's way); "" for no name."""
    last_first = _last_first(name)
    if last_first is not None:
        return last_first[1].split()[0].rstrip(",")
    words = name.split()
    return words[0].rstrip(",") if words else ""


def written_name(name: str) -> str:
    """``name`` as a letter greets its bearer: "Jiří Dvořák" for Outlook's "Dvořák, Jiří"
    (an acknowledgement said "Hello Dvořák, Jiří,"), any other name as it is."""
    last_first = _last_first(name)
    return f"{last_first[1]} {last_first[0]}" if last_first is not None else name


def greeting_name(name: str, address: str) -> str:
    """Whom the desk's own mail greets ("Hello {name},"): the name as a letter writes it
    (:func:`written_name`: "Jiří Dvořák" for "Dvořák, Jiří"), else the address. The one
    rule of the acknowledgement, a routing rule's canned reply and the survey."""
    return written_name(name) or address


_ROLE_WORDS = frozenset(
    {
        "admin", "accounts", "billing", "contact", "help", "helpdesk", "hello", "hr", "info",
        "it", "mail", "no", "noreply", "office", "orders", "reply", "sales", "service",
        "support", "team",
    }
)  # fmt: skip
"""Parts of an address's local part that name a role or a mailbox, not a person."""

_FIRST_DOT_LAST = re.compile(r"([^\W\d_]{2,})[._-]([^\W\d_]{2,})")
"""A local part of two names of letters (two or more each): ``taro.yamada``, ``ann_lee``."""


def requester_first_name(name: str, email: str) -> str:
    """``{{requester.first_name}}``, the one rule: the first name of ``name``
    (:func:`first_name`); with no name, the first of an address written first.last
    (``taro.yamada@example.jp``: "Taro"); else the name, else the address.

    Conservative: only a local part of exactly two names of letters qualifies, and neither
    a role (``support.team``, ``info.sales``); ``zoe@``, ``j.smith@``, ``taro99@`` keep the
    address, which is never wrong, only plain."""
    first = first_name(name)
    if first:
        return first
    local = email.rpartition("@")[0] if "@" in email else ""
    found = _FIRST_DOT_LAST.fullmatch(local)
    if found and not {part.casefold() for part in found.groups()} & _ROLE_WORDS:
        given = found.group(1)
        return given[:1].upper() + given[1:].lower()
    return name or email


def parse_name(value: str) -> str:
    """A canned response's or macro's name: one line, 1 to 100 characters."""
    name = " ".join(clean(value, single_line=True).split())
    if not name or len(name) > MAX_NAME:
        raise InvalidValue(f"a name is 1 to {MAX_NAME} characters on one line, not {value!r}")
    return name


T = TypeVar("T")


@dataclass(frozen=True)
class Ranked(Generic[T]):
    item: T
    score: float


def rank(
    query: str,
    items: Iterable[T],
    *,
    name: Callable[[T], str],
    body: Callable[[T], str],
    limit: int = 20,
    cutoff: float = 40.0,
) -> list[Ranked[T]]:
    """``items`` best first for what an agent typed: the name weighs more than the body.

    An empty query keeps every item, by name. Typos are forgiven (rapidfuzz's weighted
    ratio on the name, partial ratio on the start of the body).
    """
    from rapidfuzz import fuzz, utils

    items = list(items)
    query = utils.default_process(query)
    if not query:
        ordered = sorted(items, key=lambda item: name(item).casefold())
        return [Ranked(item, 100.0) for item in ordered[:limit]]
    ranked: list[Ranked[T]] = []
    for item in items:
        title = utils.default_process(name(item))
        text = utils.default_process(body(item)[:400])
        score = max(
            fuzz.WRatio(query, title),
            100.0 if title.startswith(query) else 0.0,
            0.8 * fuzz.partial_ratio(query, text),
        )
        if score >= cutoff:
            ranked.append(Ranked(item, score))
    ranked.sort(key=lambda r: (-r.score, name(r.item).casefold()))
    return ranked[:limit]
