"""What a merge would join (``MergePlan``), for the question asked before it.

Read on Core tables (``read_merge_plan``): ``helpdesk ticket merge`` asks when the two
tickets' requesters differ, and reading the plan through the ORM imported SQLModel,
pydantic and the ORM (≈ 0.5 s) before that question. The merge itself checks again under
its locks, with the same rule (:func:`plan_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.storage.core_tables import contact, ticket

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


@dataclass(frozen=True)
class MergeSide:
    """One ticket of a merge as the plan needs it: its number and its requester."""

    number: int
    requester_id: int | None
    requester_name: str | None
    requester_email: str | None

    @property
    def requester(self) -> str:
        """``Ann <ann@example.com>``, or ``no requester``."""
        if self.requester_id is None:
            return "no requester"
        if self.requester_name and self.requester_email:
            return f"{self.requester_name} <{self.requester_email}>"
        return self.requester_email or self.requester_name or "an unnamed contact"


@dataclass(frozen=True)
class MergePlan:
    """What a merge would join, for the question a front door asks before it."""

    source: int
    target: int
    source_requester: str
    """``Ann <ann@example.com>``, or ``no requester``."""
    target_requester: str
    different_requesters: bool
    """Both tickets have a requester and they are not the same contact."""

    @property
    def for_good(self) -> str:
        """What a merge does that nothing takes back, for the question asked before it: the
        source's messages and history move into the target and are not told apart after."""
        return (
            f"#{self.source} will be closed and its messages and history move into "
            f"#{self.target}: a merge cannot be undone."
        )

    @property
    def warning(self) -> str:
        """One line naming both requesters, or an empty string when they are the same."""
        if not self.different_requesters:
            return ""
        return (
            f"#{self.source} is from {self.source_requester} but #{self.target} is from "
            f"{self.target_requester}; merging puts their conversations in one ticket"
        )


def plan_of(source: MergeSide, target: MergeSide) -> MergePlan:
    """The plan of merging ``source`` into ``target``: the one rule of "different
    requesters", for the question and for the merge's own check."""
    differ = (
        source.requester_id is not None
        and target.requester_id is not None
        and source.requester_id != target.requester_id
    )
    return MergePlan(
        source=source.number,
        target=target.number,
        source_requester=source.requester,
        target_requester=target.requester,
        different_requesters=differ,
    )


def refuse_itself(first: int, second: int) -> None:
    """A ticket is neither linked nor merged with itself (``InvalidValue``)."""
    if first == second:
        raise InvalidValue(f"#{first} cannot be linked or merged with itself")


def read_merge_plan(conn: Reader, source_number: int, target_number: int) -> MergePlan:
    """What merging ``source`` into ``target`` joins (read only; the merge checks again)."""
    refuse_itself(source_number, target_number)
    rows = conn.execute(
        select(ticket.c.number, ticket.c.requester_id, contact.c.name, contact.c.email)
        .select_from(ticket)
        .outerjoin(contact, contact.c.id == ticket.c.requester_id)
        .where(ticket.c.number.in_((source_number, target_number)))
    )
    sides = {row.number: MergeSide(*row) for row in rows}
    for number in (source_number, target_number):
        if number not in sides:
            raise NotFound(f"no ticket #{number}")
    return plan_of(sides[source_number], sides[target_number])
