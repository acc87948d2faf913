"""One change made to each of several tickets: the rule every front door's bulk path follows.

Each ticket is changed by the desk's one writer for that change (``TicketsService.ticket_*``:
roles, transitions, SLA, routing events and the version check are theirs), in its own
transaction; a ticket the desk refuses is reported with its reason and the others still go
ahead. Nothing is refused silently: the CLI prints each outcome as it comes
(``helpdesk ticket status - …``), the queue's marks sum them up in one line
(``BatchResult.summary``: "12 changed; 2 not: #45 changed meanwhile, #51 is closed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from helpdesk_tui.desk.errors import Conflict, DeskError
from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.desk.values import parse_number

OneChange = Callable[[int, "int | None"], "TicketRow | None"]
"""Changes ticket NUMBER (at the expected version, when one is given) in one transaction;
returns its row, or None when the change deleted it."""

SUMMARY_NAMED = 5
"""The refused tickets a summary names; the others are counted ("and 3 more")."""


@dataclass(frozen=True)
class Target:
    """A ticket to change: its number as given (``1042``, ``#1042``, or a bad word the desk
    refuses on its own line) and the version the agent saw (None: whatever it is now)."""

    number: int | str
    expected_version: int | None = None


Field = Literal[
    "assign",
    "team",
    "status",
    "priority",
    "type",
    "category",
    "tags",
    "escalate",
    "deescalate",
    "reopen",
]


@dataclass(frozen=True)
class FieldChange:
    """A change the queue makes to every marked ticket (``TicketsService.tickets_change``):
    ``value`` is the agent's login, the team's name, the status, priority, type or category
    (empty clears it), or the reason a closed ticket is reopened; tags are added and
    removed; escalate and deescalate move one support tier."""

    field: Field
    value: str = ""
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What became of one ticket: its row changed, it was deleted, or it was refused."""

    given: str
    """The number as given (a refused bad word is named as given)."""
    number: int | None
    """None when ``given`` is no ticket number."""
    row: TicketRow | None = None
    deleted: bool = False
    refusal: str | None = None
    """The desk's whole line for a refusal ("#45 was changed by bob since you loaded it (…)")."""
    reason: str | None = None
    """The refusal cut to a summary's few words ("#45 changed meanwhile", "#51 is closed")."""

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def _label(given: str) -> str:
    return f"#{given.strip().lstrip('#')}"


def _named(given: str, message: str) -> str:
    """The desk's line, naming the ticket where it does not already."""
    label = _label(given)
    return message if label in message else f"{label}: {message}"


def _reason(given: str, error: DeskError) -> str:
    """A refusal in a few words for a summary line."""
    label = _label(given)
    if isinstance(error, Conflict):
        return f"{label} changed meanwhile"
    first = str(error).split(";", 1)[0].strip()
    if first.startswith(f"{label} "):
        return first
    return f"{label}: {first}"


def change_each(targets: Iterable[Target], change: OneChange) -> Iterator[Outcome]:
    """Make ``change`` on each ticket in turn, each in its own transaction; yields each
    outcome as it is known (a refusal does not stop the rest). Once the database does not
    answer (a transient error), the tickets left are not tried: each is refused with that
    error, not made to wait for it again."""
    down: DeskError | None = None
    for target in targets:
        given = str(target.number)
        number: int | None = None
        error, row = down, None
        try:
            number = parse_number(target.number)
            if error is None:
                row = change(number, target.expected_version)
        except DeskError as refused:
            error = refused
            if refused.transient:
                down = refused
        if error is not None:
            yield Outcome(
                given, number, refusal=_named(given, str(error)), reason=_reason(given, error)
            )
        else:
            yield Outcome(given, number, row=row, deleted=row is None)


@dataclass(frozen=True)
class BatchResult:
    """Every ticket's outcome, in the order they were changed; or the one reason none was
    tried (``refusal``: the change itself was refused, before any ticket)."""

    outcomes: tuple[Outcome, ...]
    refusal: str | None = None

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> BatchResult:
        return cls(tuple(outcomes))

    @classmethod
    def nothing(cls, refusal: str) -> BatchResult:
        """No ticket tried, for ``refusal`` ("Macro Escalated changed meanwhile: nothing
        applied"): an expected refusal, said in the summary like a ticket's."""
        return cls((), refusal)

    @property
    def changed(self) -> tuple[TicketRow, ...]:
        return tuple(o.row for o in self.outcomes if o.row is not None)

    @property
    def refused(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.refused)

    def summary(self) -> str:
        """One line: "12 changed; 2 not: #45 changed meanwhile, #51 is closed"."""
        if self.refusal is not None:
            return self.refusal
        done = len(self.outcomes) - len(self.refused)
        line = f"{done} changed"
        refused = self.refused
        if refused:
            named = ", ".join(o.reason or o.given for o in refused[:SUMMARY_NAMED])
            more = len(refused) - SUMMARY_NAMED
            line += f"; {len(refused)} not: {named}" + (f" and {more} more" if more > 0 else "")
        return line


def change_all(targets: Iterable[Target], change: OneChange) -> BatchResult:
    """``change_each`` run to the end, its outcomes together."""
    return BatchResult.of(change_each(targets, change))
