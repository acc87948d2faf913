"""Parsing the values a person types for a ticket's fields, with one clear error each."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.storage.models import Priority, TicketType

MIN_TIER, MAX_TIER = 1, 4

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
    tag = "-".join(value.strip().lower().split())
    if not tag or len(tag) > 100 or not tag.isprintable():
        raise InvalidValue(f"not a usable tag: {value!r}")
    return tag
