"""A move between support tiers as ONE history event, and how that event reads.

An escalation (or de-escalation) changes the tier and often the team (and then clears the
assignee), yet it is one thing that happened, so it is one event of its own kind:
``escalated`` / ``de-escalated``, its ``field`` the reason (``manual``, ``auto at warning``,
``auto at breach``), ``old_value`` / ``new_value`` the tier and team before and after
(``tier 1, Support`` → ``tier 2, Network``; ``tier 3`` when no team holds the ticket).
Pure values: the history, the reports and the writers (``desk/fields.py``) share them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

ESCALATED = "escalated"
DEESCALATED = "de-escalated"
KINDS = frozenset({ESCALATED, DEESCALATED})
"""The event kinds of a tier move."""


class Reason(StrEnum):
    """Why a ticket moved tier: an agent's action, or the SLA alerts at a warning or breach."""

    MANUAL = "manual"
    AUTO_WARNING = "auto at warning"
    AUTO_BREACH = "auto at breach"


class Place(NamedTuple):
    """Where a ticket sits: its tier and the team holding it (if any)."""

    tier: int
    team: str | None

    def stored(self) -> str:
        return f"tier {self.tier}" + (f", {self.team}" if self.team else "")

    @classmethod
    def parse(cls, value: str | None) -> Place | None:
        """The inverse of :meth:`stored` (``None`` for a value that is not one)."""
        head, _, team = (value or "").partition(", ")
        word, _, number = head.partition(" ")
        if word != "tier" or not number.isdigit():
            return None
        return cls(int(number), team or None)

    def __str__(self) -> str:
        return f"tier {self.tier}" + (f" ({self.team})" if self.team else "")


class TierMove(NamedTuple):
    """One escalation or de-escalation, as its event stores it."""

    up: bool
    """Escalated (up) or de-escalated; at the top tier a move to another team stays up."""
    before: Place
    after: Place
    reason: Reason

    @property
    def kind(self) -> str:
        return ESCALATED if self.up else DEESCALATED

    @property
    def team_changed(self) -> bool:
        """A move to another team leaves the ticket unassigned (for that team to pick up)."""
        return self.after.team != self.before.team

    @classmethod
    def from_event(
        cls, kind: str, field: str | None, old: str | None, new: str | None
    ) -> TierMove | None:
        """The move an event records, or ``None`` if the event is not a tier move."""
        if kind not in KINDS:  # most events: asked of each one when a history is replayed
            return None
        before, after = Place.parse(old), Place.parse(new)
        if before is None or after is None:
            return None
        try:
            reason = Reason(field or Reason.MANUAL)
        except ValueError:
            reason = Reason.MANUAL
        return cls(kind == ESCALATED, before, after, reason)

    def describe(self) -> str:
        """``escalated from tier 1 (Support) to tier 2 (Network), auto at breach``."""
        return f"{self.kind} from {self.before} to {self.after}, {self.reason.value}"
